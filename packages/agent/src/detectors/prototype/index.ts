// Prototype pollution: request objects that carry keys which, merged or
// path-assigned into another object, reach Object.prototype: `__proto__`
// anywhere, `constructor` followed by `prototype`. JSON.parse creates an own
// `__proto__` key; qs turns `a[__proto__][x]=1` into nested objects (when its
// allowPrototypes guard is off); path setters take `a.__proto__.x` as one key.
// Pure: imports only the shared types.

import type { Finding, UserInput, UserObjectInput } from '../types.js';

const DEFAULT_MAX_DEPTH = 20;
const MAX_NODES = 10_000;
const MAX_PATHS = 16;

/** Segments of a key used as a property path by setters (`a.__proto__.b`, `a[constructor][prototype]`). */
function keySegments(key: string): string[] | null {
  // Cheap exit: only keys that mention a dangerous name need splitting.
  if (key.indexOf('__proto__') === -1 && key.indexOf('prototype') === -1) return null;
  return key.split(/[.[\]'"]+/).filter((s) => s.length > 0);
}

/** Whether a single key, read as a path, contains `__proto__` or `constructor` then `prototype`. */
function dangerousKeyPath(key: string): boolean {
  if (key === '__proto__') return true;
  const segments = keySegments(key);
  if (segments === null) return false;
  for (let i = 0; i < segments.length; i++) {
    if (segments[i] === '__proto__') return true;
    if (segments[i] === 'constructor' && segments[i + 1] === 'prototype') return true;
  }
  return false;
}

function isObjectLike(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/**
 * A prototype that is neither a built-in one nor a class's (which has its own
 * `constructor`): the object's `__proto__` was assigned, e.g. by a parser or
 * merge that wrote `obj['__proto__'] = {…}`.
 */
function replacedPrototype(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as object | null;
  return proto !== null && proto !== Object.prototype && proto !== Array.prototype && !Object.prototype.hasOwnProperty.call(proto, 'constructor');
}

/**
 * Paths of dangerous keys in a parsed request object: `__proto__` anywhere,
 * `constructor` followed by `prototype` (nested, or within one path-like
 * key). Own enumerable keys only; bounded in depth and size; cycles are safe.
 */
export function findPrototypeKeys(value: unknown, maxDepth: number = DEFAULT_MAX_DEPTH): string[] {
  const found: string[] = [];
  if (!isObjectLike(value)) return found;
  const limit = Number.isFinite(maxDepth) && maxDepth >= 0 ? Math.min(maxDepth, 100) : DEFAULT_MAX_DEPTH;
  const stack: Array<{ v: Record<string, unknown>; d: number; p: string }> = [{ v: value, d: 0, p: '' }];
  const seen = new Set<object>();
  let budget = MAX_NODES;
  try {
    while (stack.length > 0 && budget-- > 0 && found.length < MAX_PATHS) {
      const { v, d, p } = stack.pop()!;
      if (seen.has(v)) continue;
      seen.add(v);
      if (replacedPrototype(v)) found.push(p.length === 0 ? '__proto__' : `${p}.__proto__`);
      const keys = Object.keys(v);
      for (let i = 0; i < keys.length && found.length < MAX_PATHS; i++) {
        const key = keys[i]!;
        const path = p.length === 0 ? key : `${p}.${key}`;
        if (dangerousKeyPath(key)) {
          found.push(path);
          continue;
        }
        // An own key from Object.keys: reading it returns the own value (also for 'constructor').
        const child = v[key];
        if (key === 'constructor' && isObjectLike(child) && Object.prototype.hasOwnProperty.call(child, 'prototype')) {
          found.push(`${path}.prototype`);
          continue;
        }
        if (isObjectLike(child) && d < limit && stack.length < budget) stack.push({ v: child, d: d + 1, p: path });
      }
    }
  } catch {
    // A proxy or exotic object: report what was found so far.
  }
  return found;
}

/** A prototype key in a request object: the finding names the first one. */
export function detectPrototypePollution(objectInputs: readonly UserObjectInput[]): Finding | null {
  for (let i = 0; i < objectInputs.length; i++) {
    const oi = objectInputs[i]!;
    const paths = findPrototypeKeys(oi.value);
    if (paths.length === 0) continue;
    const first = paths[0]!;
    const input: UserInput = { source: oi.source, path: `${oi.path}.${first}`, value: first };
    return {
      rule: 'prototype_pollution',
      threatLevel: 'high',
      confidence: 0.9,
      description: `Request ${oi.source} carries the prototype key path ${first}${paths.length > 1 ? ` (and ${paths.length - 1} more)` : ''}`,
      input,
      detail: { paths: paths.join(','), count: paths.length },
    };
  }
  return null;
}

/**
 * Own keys present on the prototype (Object.prototype by default) now that
 * were not in `baseline`, a snapshot of Object.getOwnPropertyNames taken at
 * start-up: for the after-the-fact check at the end of a request.
 */
export function newPrototypeKeys(baseline: ReadonlySet<string>, proto: object = Object.prototype): string[] {
  const added: string[] = [];
  let names: string[];
  try {
    names = Object.getOwnPropertyNames(proto);
  } catch {
    return added;
  }
  for (let i = 0; i < names.length; i++) if (!baseline.has(names[i]!)) added.push(names[i]!);
  return added;
}
