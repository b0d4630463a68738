import type { Logger } from '../core/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { labels } from '../telemetry/metrics.js';

/**
 * The fail-open guard. Every error inside Vigil ends here: it is counted in
 * rasp_internal_errors_total and logged once per component, and the caller
 * lets the app's operation through.
 */
export class FailOpen {
  private readonly logged = new Set<string>();
  count = 0;

  constructor(
    private readonly metrics: Metrics | undefined,
    private readonly logger: Logger | undefined,
  ) {}

  report(component: string, err: unknown): void {
    this.count++;
    try {
      if (!this.logged.has(component)) {
        this.logged.add(component);
        this.logger?.warn({ component, err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) }, 'vigil internal error; failing open (logged once per component)');
      }
      this.metrics?.internalErrors.inc(labels({ component }));
    } catch {
      // Reporting must never throw either.
    }
  }
}
