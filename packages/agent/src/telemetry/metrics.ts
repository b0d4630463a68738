import { Counter, Gauge, Registry } from 'prom-client';
import type { Metric } from 'prom-client';
import { FastHistogram } from './fast-histogram.js';

/**
 * Label objects without a prototype: prom-client walks labels with for…in, so
 * a polluted Object.prototype would otherwise make every metric call throw
 * (and with it every report), exactly when Vigil is needed.
 */
export function labels<T extends Record<string, string>>(values: T): T {
  return Object.assign(Object.create(null) as T, values);
}

/**
 * Vigil's metrics, in a Registry of its own: never the app's global
 * registry, and no default process metrics (the app may collect those itself).
 */
export class Metrics {
  readonly registry = new Registry();
  readonly events = new Counter({ name: 'rasp_events_total', help: 'Security events by rule, mode and verdict', labelNames: ['rule', 'mode', 'verdict'], registers: [this.registry] });
  readonly blockedRequests = new Counter({ name: 'rasp_blocked_requests_total', help: 'Requests blocked, by rule', labelNames: ['rule'], registers: [this.registry] });
  readonly detectionLatency = new FastHistogram(
    'rasp_detection_latency_seconds',
    'Time spent deciding per inspected sink call, by the rule the sink is checked for',
    'rule',
    [0.000001, 0.000005, 0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01],
  );
  readonly agentActive = new Gauge({ name: 'rasp_agent_active', help: '1 once Vigil has installed its hooks', registers: [this.registry] });
  readonly allowlistHits = new Counter({ name: 'rasp_allowlist_hits_total', help: 'Findings silenced by an allowlist entry', labelNames: ['rule'], registers: [this.registry] });
  readonly allowlistEntries = new Gauge({ name: 'rasp_allowlist_entries_total', help: 'Allowlist entries in the policy in force', labelNames: ['rule'], registers: [this.registry] });
  readonly policyReload = new Gauge({ name: 'rasp_policy_reload_timestamp_seconds', help: 'When the policy in force was loaded', registers: [this.registry] });
  readonly internalErrors = new Counter({ name: 'rasp_internal_errors_total', help: 'Errors inside Vigil that failed open', labelNames: ['component'], registers: [this.registry] });
  readonly falsePositives = new Counter({ name: 'rasp_false_positives_total', help: 'Events triaged as false positives in the console', labelNames: ['rule'], registers: [this.registry] });

  constructor() {
    this.registry.registerMetric(this.detectionLatency as unknown as Metric);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }
}
