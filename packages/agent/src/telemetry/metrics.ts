import type * as PromClient from 'prom-client';
import type { Counter, Gauge, Metric, Registry } from 'prom-client';
import { lazyModule } from '../core/lazy-module.js';
import { FastHistogram } from './fast-histogram.js';

/** prom-client (a megabyte of heap) is loaded when a metric is first counted or scraped, not by every app at start. */
const promClient = lazyModule<typeof PromClient>('prom-client');

/**
 * Label objects without a prototype: prom-client walks labels with for…in, so
 * a polluted Object.prototype would otherwise make every metric call throw
 * (and with it every report), exactly when Vigil is needed.
 */
export function labels<T extends Record<string, string>>(values: T): T {
  return Object.assign(Object.create(null) as T, values);
}

/** The prom-client side of Vigil's metrics, made on first use. */
interface PromMetrics {
  registry: Registry;
  events: Counter;
  blockedRequests: Counter;
  allowlistHits: Counter;
  internalErrors: Counter;
  falsePositives: Counter;
}

/**
 * Vigil's metrics, in a Registry of its own: never the app's global
 * registry, and no default process metrics (the app may collect those itself).
 * The hot path's histogram and the gauges are plain fields, read when
 * scraped; counters live in prom-client, which loads with the first count.
 */
export class Metrics {
  readonly detectionLatency = new FastHistogram(
    'rasp_detection_latency_seconds',
    'Time spent deciding per inspected sink call, by the rule the sink is checked for',
    'rule',
    [0.000001, 0.000005, 0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01],
  );
  /** rasp_agent_active: Vigil has installed its hooks. */
  active = false;
  /** rasp_policy_reload_timestamp_seconds, in milliseconds. */
  policyLoadedAt = 0;
  /** rasp_allowlist_entries_total, by rule. */
  allowlistEntries: ReadonlyMap<string, number> = new Map();

  private prom: PromMetrics | undefined;

  get registry(): Registry {
    return this.promMetrics().registry;
  }
  get events(): Counter {
    return this.promMetrics().events;
  }
  get blockedRequests(): Counter {
    return this.promMetrics().blockedRequests;
  }
  get allowlistHits(): Counter {
    return this.promMetrics().allowlistHits;
  }
  get internalErrors(): Counter {
    return this.promMetrics().internalErrors;
  }
  get falsePositives(): Counter {
    return this.promMetrics().falsePositives;
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  private promMetrics(): PromMetrics {
    if (this.prom !== undefined) return this.prom;
    const { Counter, Gauge, Registry } = promClient();
    const registry = new Registry();
    const registers = [registry];
    const counter = (name: string, help: string, labelNames: string[]): Counter => new Counter({ name, help, labelNames, registers });
    // Gauges read Vigil's plain fields when scraped.
    const active: Gauge = new Gauge({ name: 'rasp_agent_active', help: '1 once Vigil has installed its hooks', registers, collect: (): void => active.set(this.active ? 1 : 0) });
    const entries: Gauge = new Gauge({
      name: 'rasp_allowlist_entries_total',
      help: 'Allowlist entries in the policy in force',
      labelNames: ['rule'],
      registers,
      collect: (): void => {
        entries.reset();
        for (const [rule, n] of this.allowlistEntries) entries.set(labels({ rule }), n);
      },
    });
    const reload: Gauge = new Gauge({ name: 'rasp_policy_reload_timestamp_seconds', help: 'When the policy in force was loaded', registers, collect: (): void => reload.set(this.policyLoadedAt / 1000) });
    registry.registerMetric(this.detectionLatency as unknown as Metric);
    this.prom = {
      registry,
      events: counter('rasp_events_total', 'Security events by rule, mode and verdict', ['rule', 'mode', 'verdict']),
      blockedRequests: counter('rasp_blocked_requests_total', 'Requests blocked, by rule', ['rule']),
      allowlistHits: counter('rasp_allowlist_hits_total', 'Findings silenced by an allowlist entry', ['rule']),
      internalErrors: counter('rasp_internal_errors_total', 'Errors inside Vigil that failed open', ['component']),
      falsePositives: counter('rasp_false_positives_total', 'Events triaged as false positives in the console', ['rule']),
    };
    return this.prom;
  }
}
