import { detectPrototypePollution, newPrototypeKeys } from '../detectors/prototype/index.js';
import type { RequestContext } from '../context/request-context.js';
import type { Agent } from './agent.js';

const PROTOTYPES: readonly object[] = [Object.prototype, Array.prototype, Function.prototype, String.prototype, Number.prototype, Boolean.prototype];

/**
 * Prototype pollution, after the fact and at the source: when a request ends,
 * Object.prototype is compared with its start-up snapshot. A new property is
 * reported with the request whose input carried the prototype key, and in
 * block mode it is removed again so the next request does not inherit it.
 * `prototype.freezePrototypes` freezes the built-in prototypes at start-up.
 */
export class PrototypeGuard {
  private readonly baseline = new Set(Object.getOwnPropertyNames(Object.prototype));

  constructor(private readonly agent: Agent) {}

  freeze(): string[] {
    const failed: string[] = [];
    for (const proto of PROTOTYPES) {
      try {
        Object.freeze(proto);
      } catch (err) {
        failed.push(`${(proto.constructor as { name?: string }).name ?? 'prototype'}: ${(err as Error).message}`);
      }
    }
    return failed;
  }

  /** Cheap enough for every request end: pollution by assignment is an enumerable own property. */
  check(ctx: RequestContext | undefined): void {
    for (const _ in Object.prototype) {
      this.report(ctx);
      return;
    }
  }

  private report(ctx: RequestContext | undefined): void {
    const added = newPrototypeKeys(this.baseline, Object.prototype);
    if (added.length === 0) return;
    const fromInput = ctx === undefined ? null : detectPrototypePollution(ctx.objectInputs());
    const finding = fromInput ?? {
      rule: 'prototype_pollution' as const,
      threatLevel: 'high' as const,
      confidence: 0.7,
      description: `Object.prototype gained ${added.join(', ')} during this request`,
    };
    const event = this.agent.report({ ...finding, detail: { ...finding.detail, pollutedKeys: added.join(',') } }, ctx, undefined, undefined);
    if (event !== undefined && event.mode === 'block') {
      const proto = Object.prototype as Record<string, unknown>;
      for (const key of added) delete proto[key];
    }
  }
}
