import { randomUUID } from 'node:crypto';
import { unwatchFile, watchFile } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { basename } from 'node:path';
import { syncBuiltinESMExports } from 'node:module';
// Imported, not the global: `globalThis.performance` is a lazy getter in Node, a slow lookup on every check.
import { performance } from 'node:perf_hooks';
import { inspect } from 'node:util';
import { resolveConfig } from './config.js';
import type { ResolvedConfig, VigilOptions } from './config.js';
import { createLogger } from './logger.js';
import type { Logger } from './logger.js';
import { VigilBlockedError, PolicyError } from './errors.js';
import { appCallSite, appStack } from './callsite.js';
import { NO_INPUTS, detect, needsContextFreeCheck } from './detect.js';
import type { DetectEnv } from './detect.js';
import { kAgent } from './symbols.js';
import { FailOpen } from '../hooks/guard.js';
import { ModuleHooks } from '../hooks/modules.js';
import { requestStorage } from '../context/request-context.js';
import type { RequestContext } from '../context/request-context.js';
import { RecentInputs } from '../context/recent-inputs.js';
import { Metrics, labels } from '../telemetry/metrics.js';
import { EventQueue } from '../events/queue.js';
import { JsonlFileTransport, LogTransport } from '../events/transports.js';
import type { EventTransport } from '../events/transports.js';
import type { SecurityEvent } from '../events/types.js';
import { Policy } from '../policy/policy.js';
import type { MatchFacts } from '../policy/policy.js';
import { loadPolicyFile } from '../policy/load.js';
import type { PolicyFile } from '../policy/schema.js';
import { SqlBaseline } from '../policy/baseline.js';
import { sqlShape } from '../detectors/sql/index.js';
import { shellDetector } from './detectors.js';
import type { Finding } from '../detectors/types.js';
import type { ModuleSinkSpec, Operation, SinkRef } from '../sinks/types.js';
import { respondBlocked } from '../sources/http/respond.js';
import { markInternalServer } from '../sources/http/index.js';
import { PrototypeGuard } from './prototype-guard.js';
import type { Behavior } from '../behavior/index.js';
import type * as BehaviorModule from '../behavior/index.js';
import { lazyModule, loadingOwnModule } from './lazy-module.js';

/** The request-level layer (and its pattern tables) is loaded when a policy first has rules for it. */
const behaviorModule = lazyModule<typeof BehaviorModule>('../behavior/index.js');

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require('../../package.json') as { version: string }).version;

export interface BuiltinPatcher {
  readonly name: string;
  install(agent: Agent): void;
}

/**
 * The one Vigil agent of the process. Holds the policy in force, the event
 * queue and metrics, installs the hooks, and turns sink operations into
 * verdicts.
 */
export class Agent {
  readonly version = VERSION;
  readonly config: ResolvedConfig;
  readonly logger: Logger;
  readonly metrics = new Metrics();
  readonly guard: FailOpen;
  readonly events: EventQueue;
  readonly moduleHooks: ModuleHooks;
  readonly recent = new RecentInputs();
  readonly cwd = process.cwd();
  readonly prototypeGuard: PrototypeGuard = new PrototypeGuard(this);
  private behaviorLayer: Behavior | undefined;
  policy: Policy;
  baseline: SqlBaseline | undefined;
  /** True once hooks are installed and the mode is not `off`. */
  active = false;
  private metricsServer: Server | undefined;
  private readonly policyFile: string | undefined;
  private readonly service: string;
  private baselineTimer: NodeJS.Timeout | undefined;
  private readonly env: DetectEnv;
  /** Histogram children per operation kind, resolved once (no label hashing per call). */
  private readonly latency = Object.fromEntries(Object.entries(KIND_RULE).map(([kind, rule]) => [kind, this.metrics.detectionLatency.child(rule)])) as Record<Operation['kind'], (seconds: number) => void>;

  constructor(options: VigilOptions = {}) {
    this.config = resolveConfig(options);
    this.logger = createLogger(this.config.logLevel);
    for (const warning of this.config.warnings) this.logger.warn(warning);
    this.guard = new FailOpen(this.metrics, this.logger);
    const transports: EventTransport[] = [new LogTransport(this.logger)];
    if (this.config.eventsFile !== undefined) {
      try {
        transports.push(new JsonlFileTransport(this.config.eventsFile));
      } catch (err) {
        this.logger.error({ file: this.config.eventsFile, err: (err as Error).message }, 'vigil: cannot open events file; events go to the log only');
      }
    }
    this.events = new EventQueue(transports, this.guard);
    this.moduleHooks = new ModuleHooks(this.guard, this.logger);
    this.service = this.config.service ?? basename(process.argv[1] ?? 'node');
    this.policyFile = typeof this.config.policy === 'string' ? this.config.policy : undefined;
    this.policy = this.initialPolicy();
    if (this.config.baselineFile !== undefined) {
      try {
        this.baseline = SqlBaseline.load(this.config.baselineFile);
      } catch (err) {
        this.logger.error({ file: this.config.baselineFile, err: (err as Error).message }, 'vigil: cannot read SQL baseline; starting with an empty one');
        this.baseline = new SqlBaseline(this.config.baselineFile);
      }
    }
    const cwd = this.cwd;
    this.env = {
      policy: this.policy,
      cwd,
      baseline: this.policy.mode === 'learn' ? undefined : this.baseline,
      recent: this.recent,
      callSite: () => appCallSite(cwd),
    };
  }

  private initialPolicy(): Policy {
    const overrides = { mode: this.config.mode, trustedProxies: this.config.trustedProxies };
    const source = this.config.policy;
    let file: PolicyFile = {};
    if (typeof source === 'object') file = source;
    else if (typeof source === 'string') {
      try {
        file = loadPolicyFile(source);
      } catch (err) {
        // No last good policy yet: run on defaults, loudly.
        this.logger.error({ err: (err as Error).message }, 'vigil: policy rejected; running with the default policy');
      }
    }
    const policy = new Policy(file, overrides, this.policyFile);
    this.recordPolicyMetrics(policy);
    return policy;
  }

  /** Loads the policy file again; a broken file is rejected and the policy in force stays. */
  reloadPolicy(): boolean {
    if (this.policyFile === undefined) return false;
    try {
      const file = loadPolicyFile(this.policyFile);
      this.setPolicy(new Policy(file, { mode: this.config.mode, trustedProxies: this.config.trustedProxies }, this.policyFile));
      this.logger.info({ file: this.policyFile, mode: this.policy.mode }, 'vigil: policy reloaded');
      return true;
    } catch (err) {
      const e = err as PolicyError;
      this.logger.error({ file: e.file, line: e.line, reason: e.reason ?? e.message }, 'vigil: policy rejected; the last good policy stays in force');
      return false;
    }
  }

  setPolicy(policy: Policy): void {
    this.policy = policy;
    this.env.policy = policy;
    this.env.baseline = policy.mode === 'learn' ? undefined : this.baseline;
    this.active = this.installed && policy.enabled;
    this.recordPolicyMetrics(policy);
  }

  private recordPolicyMetrics(policy: Policy): void {
    this.metrics.policyLoadedAt = policy.loadedAt;
    this.metrics.allowlistEntries = new Map(policy.allowlistCounts());
  }

  private installed = false;

  /** IP lists, rate limits, scanner and pattern sensors, denied users: made on first use. */
  get behavior(): Behavior {
    return (this.behaviorLayer ??= new (behaviorModule().Behavior)(this));
  }

  /** Whether requests go through the request-level layer at all (the policy in force has rules for it). */
  get requestRules(): boolean {
    return this.policy.requestRules;
  }

  install(builtins: readonly BuiltinPatcher[], modules: readonly ModuleSinkSpec[]): void {
    for (const patcher of builtins) {
      try {
        patcher.install(this);
      } catch (err) {
        this.guard.report(`hooks.${patcher.name}`, err);
      }
    }
    // ESM `import { exec } from 'node:child_process'` sees the patched functions.
    syncBuiltinESMExports();
    if (this.policy.file.prototype?.freezePrototypes === true) {
      const failed = this.prototypeGuard.freeze();
      if (failed.length > 0) this.logger.warn({ failed }, 'vigil: some prototypes could not be frozen');
    }
    this.moduleHooks.install(modules);
    this.installed = true;
    this.active = this.policy.enabled;
    this.metrics.active = true;
    this.watchPolicy();
    this.startMetricsServer();
    if (this.baseline !== undefined) {
      this.baselineTimer = setInterval(() => this.saveBaseline(), 10_000);
      this.baselineTimer.unref();
      this.saveOnSignals();
    }
    process.once('exit', () => this.shutdown());
    this.absorbBlockRejections();
    this.absorbUncaughtBlocks();
    this.logger.info({ version: VERSION, mode: this.policy.mode, policy: this.policyFile }, 'vigil: protecting this process');
  }

  /**
   * An async handler that does not catch a block leaves an unhandled
   * rejection, which would end the process. Vigil already answered the
   * request, so that one is absorbed; any other rejection keeps Node's
   * default (it is rethrown) unless the app listens for them itself.
   */
  private absorbBlockRejections(): void {
    const listener = (reason: unknown) => {
      if (reason instanceof VigilBlockedError) return;
      if (process.listenerCount('unhandledRejection') === 1) throw reason;
    };
    process.on('unhandledRejection', listener);
  }

  /**
   * A block thrown inside a callback that runs later (a timer, an fs or
   * stream callback) has no caller to catch it: it would end the process,
   * letting any request that reaches such a sink take the app down. The
   * request was already answered, so the exception is absorbed. Any other
   * uncaught exception keeps Node's default when the app has no listener of
   * its own: printed to stderr, exit code 1.
   */
  private absorbUncaughtBlocks(): void {
    const listener = (err: unknown) => {
      if (err instanceof VigilBlockedError) {
        this.logger.debug({ rule: err.rule, requestId: err.requestId }, 'vigil: block thrown outside any caller absorbed');
        return;
      }
      if (process.listenerCount('uncaughtException') === 1) {
        // As Node would without a listener: the error on stderr, exit code 1 ('exit' handlers run).
        process.stderr.write(`${err instanceof Error ? '' : 'Uncaught '}${inspect(err)}\n\nNode.js ${process.version}\n`);
        process.exit(1);
      }
    };
    process.on('uncaughtException', listener);
  }

  /**
   * A stop by SIGTERM/SIGINT skips 'exit' handlers: save what learn mode
   * learned, then, if the app has no handler of its own, stop as Node would.
   */
  private saveOnSignals(): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        this.saveBaseline();
        this.events.flush();
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    }
  }

  private watchPolicy(): void {
    if (this.policyFile === undefined) return;
    const file = this.policyFile;
    watchFile(file, { interval: this.config.policyPollMs, persistent: false }, (curr, prev) => {
      if (curr.mtimeMs !== prev.mtimeMs || curr.size !== prev.size) this.reloadPolicy();
    });
  }

  private startMetricsServer(): void {
    const port = this.config.metricsPort;
    if (port === undefined) return;
    const server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      this.metrics.text().then(
        (text) => res.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(text),
        (err: unknown) => {
          this.guard.report('metrics', err);
          res.writeHead(500).end();
        },
      );
    });
    // Vigil's own endpoint is not an app request: no context, no checks.
    markInternalServer(server);
    server.on('error', (err) => this.logger.error({ port, err: err.message }, 'vigil: metrics endpoint failed'));
    server.listen(port, '127.0.0.1', () => this.logger.info({ port }, 'vigil: metrics on http://127.0.0.1:%d/metrics', port));
    server.unref();
    this.metricsServer = server;
  }

  /** Whether a sink must build its operation: a request is in flight, or a context-free rule needs it. */
  wants(kind: Operation['kind']): boolean {
    if (!this.active) return false;
    return requestStorage.getStore() !== undefined || this.wantsWithoutContext(kind);
  }

  /** Whether an operation outside any request must still be inspected (stored payloads, policy-only rules). */
  wantsWithoutContext(kind: Operation['kind']): boolean {
    return needsContextFreeCheck(kind, this.env);
  }

  /**
   * The sink's question: may this operation run? Returns normally to let it
   * run; throws VigilBlockedError when the policy blocks it. Any other error
   * inside fails open.
   */
  inspect(sink: SinkRef, op: Operation, ctx: RequestContext | undefined = requestStorage.getStore()): void {
    if (!this.active || loadingOwnModule()) return;
    let event: SecurityEvent | undefined;
    try {
      if (op.kind === 'sql' && this.policy.mode === 'learn' && this.baseline !== undefined) {
        this.baseline.learn(op.query, op.dialect, appCallSite(this.cwd));
      }
      const started = performance.now();
      // Recomputed when the framework has parsed more of the request since the last sink (body, params).
      const inputs = ctx === undefined ? NO_INPUTS : ctx.inputs();
      const finding = detect(op, ctx, this.env, inputs);
      this.latency[op.kind]((performance.now() - started) / 1000);
      if (ctx !== undefined && ctx.remembered !== inputs) {
        ctx.remembered = inputs;
        this.recent.remember(inputs);
      }
      if (finding === null) return;
      event = this.report(finding, ctx, sink, op);
    } catch (err) {
      this.guard.report(`inspect.${op.kind}`, err);
      return;
    }
    if (event !== undefined && event.verdict === 'blocked') this.block(event, ctx);
  }

  /** Turns a finding into an event with the policy's verdict. */
  report(finding: Finding, ctx: RequestContext | undefined, sink: SinkRef | undefined, op: Operation | undefined): SecurityEvent | undefined {
    const policy = this.policy;
    const facts = this.facts(ctx, op, finding);
    const decision = policy.decide(finding, facts, finding.input?.path);
    if (decision === null) return undefined;
    const max = policy.maxPayloadLogSize;
    const event: SecurityEvent = {
      schemaVersion: 1,
      eventId: randomUUID(),
      timestamp: new Date().toISOString(),
      rule: finding.rule,
      threatLevel: finding.threatLevel,
      verdict: decision.verdict,
      mode: decision.mode,
      confidence: finding.confidence,
      description: finding.description,
      context: { ...(finding.detail ?? {}) },
      service: this.service,
      agentVersion: VERSION,
    };
    if (ctx !== undefined) {
      event.requestId = ctx.id;
      event.method = ctx.method;
      event.route = facts.route;
      event.path = ctx.path;
      if (ctx.ip !== undefined) event.sourceIp = ctx.ip;
      if (ctx.user !== undefined) event.userId = ctx.user.id;
    }
    if (finding.input !== undefined) {
      const value = finding.input.value;
      event.input = { source: finding.input.path, value: truncate(value, max) };
      if (finding.input.transform !== undefined) event.input.transform = finding.input.transform;
      if (value.length > max) event.input.truncated = true;
    }
    if (sink !== undefined) {
      const argument = op === undefined ? undefined : operationText(op);
      event.sink = { library: sink.library, operation: sink.operation };
      if (argument !== undefined) {
        event.sink.argument = truncate(argument, max);
        if (argument.length > max) event.sink.truncated = true;
      }
    }
    if (facts.callSite !== undefined) event.context.callSite = facts.callSite;
    if (facts.sqlShape !== undefined) event.context.sqlShape = truncate(facts.sqlShape, max);
    if (facts.command !== undefined) event.context.command = facts.command;
    if (facts.host !== undefined) event.context.host = facts.host;
    if (policy.enableStackTraces) event.stackTrace = appStack();
    if (decision.allowlistEntry !== undefined) {
      event.allowlistReason = decision.allowlistEntry.reason ?? 'allowlisted';
      this.metrics.allowlistHits.inc(labels({ rule: finding.rule }));
    }
    this.metrics.events.inc(labels({ rule: event.rule, mode: event.mode, verdict: event.verdict }));
    if (event.verdict === 'blocked') this.metrics.blockedRequests.inc(labels({ rule: event.rule }));
    this.events.push(event);
    return event;
  }

  private facts(ctx: RequestContext | undefined, op: Operation | undefined, finding: Finding): MatchFacts {
    const facts: MatchFacts = {};
    if (ctx !== undefined) {
      facts.route = ctx.route;
      facts.path = ctx.path;
      facts.ip = ctx.ip;
    }
    if (op !== undefined) {
      facts.callSite = typeof finding.detail?.callSite === 'string' ? finding.detail.callSite : appCallSite(this.cwd);
      switch (op.kind) {
        case 'sql':
          facts.sqlShape = typeof finding.detail?.sqlShape === 'string' ? finding.detail.sqlShape : sqlShape(op.query, op.dialect);
          break;
        case 'shell':
          facts.command = shellDetector().shellCommandNames(op.command)[0];
          break;
        case 'exec':
          facts.command = op.file;
          break;
        case 'path':
          facts.filePath = typeof finding.detail?.resolved === 'string' ? finding.detail.resolved : op.path;
          break;
        case 'outbound':
          facts.host = op.hostname;
          break;
      }
    }
    return facts;
  }

  private block(event: SecurityEvent, ctx: RequestContext | undefined): never {
    const error = new VigilBlockedError(event.rule, event.eventId, ctx?.id, event.description);
    if (ctx !== undefined) {
      ctx.blocked = true;
      try {
        respondBlocked(ctx, this.policy.responseHeaders);
      } catch (err) {
        this.guard.report('respond', err);
      }
    }
    throw error;
  }

  saveBaseline(): void {
    try {
      this.baseline?.save();
    } catch (err) {
      this.guard.report('baseline', err);
    }
  }

  shutdown(): void {
    this.events.close();
    void this.behaviorLayer?.close().catch(() => undefined);
    this.saveBaseline();
    if (this.policyFile !== undefined) unwatchFile(this.policyFile);
    if (this.baselineTimer !== undefined) clearInterval(this.baselineTimer);
    this.metricsServer?.close();
  }
}

/** The rule a kind of operation is mainly checked for: the latency histogram's label. */
const KIND_RULE: Record<Operation['kind'], string> = {
  sql: 'sql_injection',
  shell: 'shell_injection',
  exec: 'shell_option_injection',
  path: 'path_traversal',
  outbound: 'ssrf',
  code: 'code_injection',
  nosql: 'nosql_injection',
  deserialize: 'deserialization',
  prototype: 'prototype_pollution',
};

function truncate(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) : text;
}

function operationText(op: Operation): string | undefined {
  switch (op.kind) {
    case 'sql':
      return op.query;
    case 'shell':
      return op.command;
    case 'exec':
      return [op.file, ...op.args].join(' ');
    case 'path':
      return op.path2 === undefined ? op.path : `${op.path} -> ${op.path2}`;
    case 'outbound':
      return op.url ?? `${op.hostname}${op.port !== undefined ? ':' + op.port : ''}${op.address !== undefined ? ' (' + op.address + ')' : ''}`;
    case 'code':
      return op.code;
    case 'nosql':
      return safeJson(op.filter);
    case 'deserialize':
      return op.payload;
    case 'prototype':
      return undefined;
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return '[unserialisable filter]';
  }
}

/** The agent of this process, whichever copy of the package created it. */
export function currentAgent(): Agent | undefined {
  return (globalThis as Record<symbol, Agent | undefined>)[kAgent];
}

export function setCurrentAgent(agent: Agent): void {
  Object.defineProperty(globalThis, kAgent, { value: agent, configurable: true, enumerable: false, writable: true });
}
