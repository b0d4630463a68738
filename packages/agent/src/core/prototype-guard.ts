import { prototypeDetector } from './detectors.js';
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
  /** Polluted properties already reported and left in place (not block mode), with their value: not reported again by every later request. */
  private readonly leftInPlace = new Map<string, unknown>();

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
      try {
        this.report(ctx);
      } catch (err) {
        // Runs as the response emits 'close': a throw here would reach whoever closed it.
        this.agent.guard.report('prototype-guard', err);
      }
      return;
    }
  }

  private report(ctx: RequestContext | undefined): void {
    const proto = Object.prototype as Record<string, unknown>;
    for (const [key, value] of this.leftInPlace) {
      if (Object.getOwnPropertyDescriptor(proto, key)?.value !== value) this.leftInPlace.delete(key);
    }
    const { detectPrototypePollution, newPrototypeKeys } = prototypeDetector();
    const added = newPrototypeKeys(this.baseline, Object.prototype).filter((key) => !this.leftInPlace.has(key));
    if (added.length === 0) return;
    // Vigil's own reporting runs on the polluted prototype too (prom-client
    // walks label objects with for…in and throws on an unknown label): the
    // new properties are set aside while the event is made, and put back
    // unless the policy blocks.
    const aside = new Map<string, PropertyDescriptor>();
    for (const key of added) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, key);
      if (descriptor?.configurable === true && delete proto[key]) aside.set(key, descriptor);
    }
    let blocked = false;
    try {
      const fromInput = ctx === undefined ? null : detectPrototypePollution(ctx.objectInputs());
      const finding = fromInput ?? {
        rule: 'prototype_pollution' as const,
        threatLevel: 'high' as const,
        confidence: 0.7,
        description: `Object.prototype gained ${added.join(', ')} during this request`,
      };
      const event = this.agent.report({ ...finding, detail: { ...finding.detail, pollutedKeys: added.join(',') } }, ctx, undefined, undefined);
      blocked = event !== undefined && event.mode === 'block';
    } finally {
      if (!blocked) {
        for (const [key, descriptor] of aside) Object.defineProperty(proto, key, descriptor);
        for (const key of added) this.leftInPlace.set(key, Object.getOwnPropertyDescriptor(proto, key)?.value);
      }
    }
  }
}
