// Request pattern sensors: WAF-style checks of request inputs on their own,
// without a sink. They see bytes, not meaning, so a hit is a low-confidence
// signal (rule `request_pattern`, threat low or medium) that the policy keeps
// in monitor even under a global block. Pure functions: no Node.js imports.

import type { Finding, UserInput } from '../types.js';
import { sqlInjectionSignal } from './sqli.js';
import type { PatternSignal } from './sqli.js';
import { xssSignal } from './xss.js';
import { pathTraversalSignal } from './path.js';

export type { PatternSignal } from './sqli.js';
export { sqlInjectionSignal } from './sqli.js';
export { xssSignal } from './xss.js';
export { pathTraversalSignal } from './path.js';

export type PatternKind = 'sqli' | 'xss' | 'path';
export const PATTERN_KINDS: readonly PatternKind[] = ['sqli', 'xss', 'path'];

export interface PatternOptions {
  sqli: boolean;
  xss: boolean;
  path: boolean;
  /** Only this many leading characters of each input are examined. */
  maxLength: number;
}

export const DEFAULT_PATTERN_OPTIONS: PatternOptions = Object.freeze({ sqli: true, xss: true, path: true, maxLength: 4096 });

export interface PatternHit {
  kind: PatternKind;
  signal: PatternSignal;
}

const LABEL: Record<PatternKind, string> = { sqli: 'SQL injection', xss: 'cross-site scripting', path: 'path traversal' };

/** The first pattern one input matches, or null. */
export function matchPatterns(input: UserInput, options: PatternOptions = DEFAULT_PATTERN_OPTIONS): PatternHit | null {
  const value = input.value;
  if (value.length < 2) return null;
  const max = options.maxLength;
  if (options.path) {
    const signal = pathTraversalSignal(value, max, input.source === 'path');
    if (signal !== null) return { kind: 'path', signal };
  }
  // The request path is not a place for SQL or markup checks: route segments are not values.
  if (input.source === 'path') return null;
  if (options.sqli) {
    const signal = sqlInjectionSignal(value, max);
    if (signal !== null) return { kind: 'sqli', signal };
  }
  if (options.xss) {
    const signal = xssSignal(value, max);
    if (signal !== null) return { kind: 'xss', signal };
  }
  return null;
}

/**
 * Checks the inputs and returns one finding for the strongest hit (the first
 * strong one, else the first weak one), or null. `accept` narrows which
 * inputs are examined (by source, for a check split across request phases).
 */
export function scanInputs(inputs: readonly UserInput[], options: PatternOptions = DEFAULT_PATTERN_OPTIONS, accept?: (input: UserInput) => boolean): Finding | null {
  let weak: { input: UserInput; hit: PatternHit } | undefined;
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i] as UserInput;
    if (accept !== undefined && !accept(input)) continue;
    const hit = matchPatterns(input, options);
    if (hit === null) continue;
    if (hit.signal.strong) return finding(input, hit);
    weak ??= { input, hit };
  }
  return weak === undefined ? null : finding(weak.input, weak.hit);
}

function finding(input: UserInput, hit: PatternHit): Finding {
  const strong = hit.signal.strong;
  return {
    rule: 'request_pattern',
    threatLevel: strong ? 'medium' : 'low',
    confidence: strong ? 0.6 : 0.3,
    description: `request input ${input.path} looks like ${LABEL[hit.kind]} (${hit.signal.signal}); input-only check, no sink involved`,
    input,
    detail: { pattern: hit.kind, signal: hit.signal.signal },
  };
}
