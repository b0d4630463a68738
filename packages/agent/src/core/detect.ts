import { detectSqlInjection } from '../detectors/sql/index.js';
import { codeDetector, deserializeDetector, noSqlDetector, pathDetector, prototypeDetector, shellDetector, ssrfDetector } from './detectors.js';
import type { Finding, UserInput } from '../detectors/types.js';
import type { RequestContext } from '../context/request-context.js';
import type { Operation } from '../sinks/types.js';
import type { Policy } from '../policy/policy.js';
import type { SqlBaseline } from '../policy/baseline.js';
import type { RecentInputs } from '../context/recent-inputs.js';

/** The inputs of an operation outside any request. */
export const NO_INPUTS: readonly UserInput[] = [];

export interface DetectEnv {
  policy: Policy;
  cwd: string;
  baseline: SqlBaseline | undefined;
  recent: RecentInputs;
  /** Lazily computed app call site (stack walk), only when a check needs it. */
  callSite: () => string | undefined;
}

/**
 * Maps an operation to its detector(s). Pure dispatch: each detector decides
 * on its own; this only gathers what they need from the request and policy.
 */
export function detect(op: Operation, ctx: RequestContext | undefined, env: DetectEnv, inputs: readonly UserInput[]): Finding | null {
  switch (op.kind) {
    case 'sql': {
      let finding = inputs.length > 0 ? detectSqlInjection(op.query, op.dialect, inputs) : null;
      // Stored payloads: strings earlier requests sent, now reused by the app.
      if (finding === null) finding = env.recent.detectSql(op.query, op.dialect);
      if (finding === null && env.baseline !== undefined) finding = env.baseline.check(op.query, op.dialect, env.callSite);
      return finding;
    }
    case 'shell': {
      let finding = inputs.length > 0 ? shellDetector().detectShellInjection(op.command, inputs) : null;
      if (finding === null) finding = env.recent.detectShell(op.command);
      if (finding === null) finding = unlistedCommand(op.command, env.policy);
      return finding;
    }
    case 'exec':
      return inputs.length > 0 ? shellDetector().detectOptionInjection(op.file, op.args, inputs) : null;
    case 'path': {
      const opts = { cwd: env.cwd, allowedDirs: env.policy.file.paths?.allowedDirs, sensitivePaths: env.policy.file.paths?.sensitivePaths };
      if (inputs.length > 0) {
        const { detectPathTraversal } = pathDetector();
        const finding = detectPathTraversal(op.path, inputs, opts) ?? (op.path2 !== undefined ? detectPathTraversal(op.path2, inputs, opts) : null);
        if (finding !== null) return finding;
      }
      return env.recent.detectPath(op.path, opts) ?? (op.path2 !== undefined ? env.recent.detectPath(op.path2, opts) : null);
    }
    case 'outbound': {
      const allow = env.policy.file.ssrf?.allowHosts;
      if (allow !== undefined && allow.includes(op.hostname.toLowerCase())) return null;
      const deny = env.policy.file.ssrf?.denyHosts;
      if (deny !== undefined && deny.includes(op.hostname.toLowerCase())) return deniedHost(op.hostname);
      return (inputs.length > 0 ? ssrfDetector().detectSsrf(op.hostname, op.address ?? null, inputs) : null) ?? env.recent.detectSsrf(op.hostname, op.address ?? null, op.url);
    }
    case 'code':
      return (inputs.length > 0 ? codeDetector().detectCodeInjection(op.code, inputs) : null) ?? env.recent.detectCode(op.code) ?? codeGenerationLockdown(op.code, env.policy);
    case 'nosql':
      return ctx === undefined ? null : noSqlDetector().detectNoSqlInjection(op.filter, ctx.objectInputs(), inputs);
    case 'deserialize':
      return deserializeDetector().detectUnsafeDeserialization(op.payload, op.format, inputs);
    case 'prototype':
      return prototypeDetector().detectPrototypePollution([{ source: 'body', path: 'body', value: op.value }]);
  }
}

/** `ssrf.denyHosts`: outbound hosts the app must never reach, input or not. */
function deniedHost(hostname: string): Finding {
  return { rule: 'ssrf', threatLevel: 'high', confidence: 0.9, description: `outbound request to ${hostname}, which is in ssrf.denyHosts`, detail: { host: hostname, via: 'denyHosts' } };
}

/**
 * `code.disallowCodeGenerationFromStrings`: like Node's
 * --disallow-code-generation-from-strings, but through Vigil's hooks, so
 * monitor mode reports each use instead of crashing it, and block mode
 * blocks it with a VigilBlockedError the app can handle.
 */
function codeGenerationLockdown(code: string, policy: Policy): Finding | null {
  if (policy.file.code?.disallowCodeGenerationFromStrings !== true) return null;
  return {
    rule: 'code_injection',
    threatLevel: 'high',
    confidence: 0.8,
    description: 'code generated from a string while code.disallowCodeGenerationFromStrings is on',
    detail: { lockdown: true, length: code.length },
  };
}

/** `shellCommands: deny-unlisted`: any shell command not on the list, input or not. */
function unlistedCommand(command: string, policy: Policy): Finding | null {
  const shell = policy.file.shell;
  if (shell?.shellCommands !== 'deny-unlisted') return null;
  const allowed = shell.allowedCommands ?? [];
  for (const name of shellDetector().shellCommandNames(command)) {
    const base = name.slice(name.lastIndexOf('/') + 1);
    if (!allowed.includes(name) && !allowed.includes(base)) {
      return {
        rule: 'shell_unlisted_command',
        threatLevel: 'high',
        confidence: 0.8,
        description: `shell runs "${base}", which is not in shell.allowedCommands`,
        detail: { command: base },
      };
    }
  }
  return null;
}

/** Whether a kind must be inspected even outside a request (stored payloads, policy-only rules). */
export function needsContextFreeCheck(kind: Operation['kind'], env: { policy: Policy; baseline: SqlBaseline | undefined; recent: RecentInputs }): boolean {
  switch (kind) {
    case 'sql':
      return env.baseline !== undefined || env.recent.size > 0;
    case 'shell':
      return env.policy.file.shell?.shellCommands === 'deny-unlisted' || env.recent.size > 0;
    case 'deserialize':
      return true;
    case 'code':
      return env.policy.file.code?.disallowCodeGenerationFromStrings === true || env.recent.size > 0;
    case 'outbound':
      return env.recent.size > 0 || env.policy.file.ssrf?.denyHosts !== undefined;
    default:
      return false;
  }
}
