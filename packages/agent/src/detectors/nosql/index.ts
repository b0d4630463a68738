// NoSQL (MongoDB) injection: a sub-object of the filter / update / pipeline
// that carries `$` operator keys came from the request, either as the very
// object the body or query parser produced, as a copy of it, or from a string
// the app parsed. Code operators ($where, $function, $accumulator) whose code
// string an input reshaped are code injection.
// Pure: imports nothing but acorn (loaded on first use) and the shared types.

import type * as Acorn from 'acorn';
import { lazyModule } from '../../core/lazy-module.js';
import type { Finding, InputSource, UserInput, UserObjectInput } from '../types.js';

/** Loaded with the first check that parses JavaScript. */
const acorn = lazyModule<typeof Acorn>('acorn');

const MAX_DEPTH = 20;
const MAX_NODES = 10_000;
/** Node budget for one deep comparison, and for all comparisons of one call. */
const MAX_COMPARE_NODES = 1_000;
const MAX_COMPARE_TOTAL = 20_000;
/** Request operator nodes compared per filter operator key. */
const MAX_CANDIDATES = 32;
/** Strings longer than this are not parsed as JSON in search of operator objects. */
const MAX_JSON_INPUT = 64 * 1024;
const MAX_JSON_TOTAL = 256 * 1024;
const MAX_CODE_OCCURRENCES = 8;

interface OperatorNode {
  readonly node: object;
  readonly source: InputSource;
  readonly path: string;
  readonly transform?: string;
}

interface Budget {
  nodes: number;
}

function isWalkable(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v) as unknown;
  // Plain data only: ObjectId, Date, Buffer, RegExp, Map … are values, not filters.
  return proto === Object.prototype || proto === null;
}

function hasOperatorKey(keys: readonly string[]): boolean {
  for (let i = 0; i < keys.length; i++) if (keys[i]!.charCodeAt(0) === 36 /* $ */) return true;
  return false;
}

function joinPath(base: string, key: string): string {
  return base.length === 0 ? key : `${base}.${key}`;
}

/** Nodes of a request object that carry `$` keys, bounded in depth and size. */
function collectOperatorNodes(root: unknown, source: InputSource, basePath: string, transform: string | undefined, out: OperatorNode[], budget: Budget): void {
  if (!isWalkable(root)) return;
  const stack: Array<{ v: Record<string, unknown>; d: number; p: string }> = [{ v: root, d: 0, p: basePath }];
  const seen = new Set<object>();
  while (stack.length > 0 && budget.nodes > 0) {
    const { v, d, p } = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    budget.nodes--;
    const keys = Object.keys(v);
    if (!Array.isArray(v) && hasOperatorKey(keys)) out.push(transform === undefined ? { node: v, source, path: p } : { node: v, source, path: p, transform });
    if (d >= MAX_DEPTH) continue;
    // Pre-order, document order, first keys first when the budget runs out:
    // the same order as the filter walk, so both see the same nodes.
    for (let i = Math.min(keys.length, budget.nodes - stack.length) - 1; i >= 0; i--) {
      const child = v[keys[i]!];
      if (isWalkable(child)) stack.push({ v: child, d: d + 1, p: joinPath(p, keys[i]!) });
    }
  }
}

/** JSON text that may hold an operator object: starts with { or [ and mentions "$. */
function maybeOperatorJson(s: string): boolean {
  if (s.length < 7 || s.length > MAX_JSON_INPUT) return false;
  let i = 0;
  while (i < s.length && s.charCodeAt(i) <= 32) i++;
  const c = s.charCodeAt(i);
  if (c !== 123 && c !== 91) return false; // { [
  return s.indexOf('"$') !== -1;
}

function looseEqualPrimitive(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  // qs yields strings where a JSON body or the app's own coercion yields numbers and booleans.
  const ta = typeof a;
  const tb = typeof b;
  if ((ta === 'string' || ta === 'number' || ta === 'boolean') && (tb === 'string' || tb === 'number' || tb === 'boolean')) {
    return String(a) === String(b);
  }
  return false;
}

/** Structural equality of request-shaped data, bounded; primitives compared loosely. */
function deepEqual(a: unknown, b: unknown, budget: Budget, depth: number): boolean {
  if (--budget.nodes < 0 || depth > MAX_DEPTH) return false;
  const wa = isWalkable(a);
  const wb = isWalkable(b);
  if (!wa || !wb) return !wa && !wb && looseEqualPrimitive(a, b);
  if (a === b) return true;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i]!;
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!deepEqual(a[k], b[k], budget, depth + 1)) return false;
  }
  return true;
}

/**
 * The operator key written as object syntax in an input: unquoted (`$where:`,
 * `{$gt: ''}`, `', $or: [`) at the start or after `{` or `,`; quoted only when
 * the whole input is object text. Catches filters the app built by evaluating
 * or relaxed-parsing a string; prose that quotes `{"$ne": null}` is not object text.
 */
function keyWrittenIn(value: string, key: string): number {
  let first = 0;
  while (first < value.length && value.charCodeAt(first) <= 32) first++;
  const objectText = value.charCodeAt(first) === 123 || value.charCodeAt(first) === 91; // { [
  let from = 0;
  for (let n = 0; n < MAX_CODE_OCCURRENCES; n++) {
    const i = value.indexOf(key, from);
    if (i === -1) return -1;
    from = i + 1;
    let b = i - 1;
    const quoted = b >= 0 && (value.charCodeAt(b) === 34 || value.charCodeAt(b) === 39); // " '
    if (quoted) {
      if (!objectText) continue;
      b--;
    }
    while (b >= 0 && value.charCodeAt(b) <= 32) b--;
    if (b >= 0 && value.charCodeAt(b) !== 123 && value.charCodeAt(b) !== 44) continue; // { ,
    let a = i + key.length;
    if (quoted) {
      if (a >= value.length || value.charCodeAt(a) !== value.charCodeAt(i - 1)) continue;
      a++;
    } else if (a < value.length && isWordChar(value.charCodeAt(a))) {
      continue; // `$where` is not `$whereabouts`
    }
    while (a < value.length && value.charCodeAt(a) <= 32) a++;
    if (a < value.length && value.charCodeAt(a) === 58 /* : */) return a + 1;
  }
  return -1;
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36;
}

/** The primitive leaves of a filter value (a few) all appear in the text after the key. */
function leavesWrittenIn(v: unknown, text: string, from: number): boolean {
  const leaves: string[] = [];
  const stack: unknown[] = [v];
  let budget = 64;
  while (stack.length > 0 && budget-- > 0 && leaves.length < 8) {
    const x = stack.pop();
    if (isWalkable(x)) {
      const keys = Object.keys(x);
      for (let i = 0; i < keys.length; i++) stack.push(x[keys[i]!]);
    } else if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean' || x === null) {
      leaves.push(String(x));
    }
  }
  for (let i = 0; i < leaves.length; i++) if (text.indexOf(leaves[i]!, from) === -1) return false;
  return true;
}

// ---------------------------------------------------------------------------
// Code operators

const TOKEN_OPTIONS = { ecmaVersion: 'latest', allowReturnOutsideFunction: true } as const;

/** Tokens of the code and whether the tokenizer reached its end. */
function tokenize(code: string): { tokens: Acorn.Token[]; errorAt: number } {
  const tokens: Acorn.Token[] = [];
  try {
    const { tokenizer, tokTypes } = acorn();
    const it = tokenizer(code, TOKEN_OPTIONS);
    for (;;) {
      const t = it.getToken();
      if (t.type === tokTypes.eof) return { tokens, errorAt: -1 };
      tokens.push(t);
    }
  } catch (err) {
    const pos = (err as { pos?: unknown }).pos;
    return { tokens, errorAt: typeof pos === 'number' ? pos : tokens.length > 0 ? tokens[tokens.length - 1]!.end : 0 };
  }
}

/**
 * A $where slot takes a value: inside a string literal, or one number/name
 * (an optional sign before a number). Anything more from the input — several
 * whole tokens, a quote that ends or starts a literal — reshaped the predicate.
 * A short input that only matches across pieces of the app's own tokens
 * (`s.` within `this.x`) is a coincidence.
 */
function reshapesCode(lexed: { tokens: Acorn.Token[]; errorAt: number }, s: number, e: number, hasQuote: boolean): boolean {
  const tt = acorn().tokTypes;
  const { tokens, errorAt } = lexed;
  // The input left the code unparseable: an unclosed quote of its own.
  if (errorAt !== -1 && errorAt >= s && hasQuote) return true;
  let count = 0;
  let aligned = true;
  let firstType: Acorn.TokenType | null = null;
  let lastType: Acorn.TokenType | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.end <= s) continue;
    if (t.start >= e) break;
    const literal = t.type === tt.string || t.type === tt.template || t.type === tt.regexp;
    if (literal) {
      if (t.start < s && t.end > e) return false; // inside the literal
      if (t.start < s || t.end > e) return true; // across its quote
    } else if (t.start < s && t.end > e) {
      return false; // a piece of one token
    } else if (t.start < s || t.end > e) {
      aligned = false;
    }
    if (count === 0) firstType = t.type;
    lastType = t.type;
    count++;
  }
  if (count <= 1 || !aligned) return false;
  // A signed number (`-1`) is still one value.
  return !(count === 2 && firstType === tt.plusMin && lastType === tt.num);
}

function hasQuoteChar(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 39 || c === 34 || c === 96 || c === 92 || c === 47) return true; // ' " ` \ /
  }
  return false;
}

function codeStrings(node: Record<string, unknown>, out: string[]): void {
  const where = node.$where;
  if (typeof where === 'string') out.push(where);
  const fn = node.$function;
  if (isWalkable(fn) && typeof fn.body === 'string') out.push(fn.body);
  const acc = node.$accumulator;
  if (isWalkable(acc)) {
    for (const k of ['init', 'accumulate', 'merge', 'finalize']) if (typeof acc[k] === 'string') out.push(acc[k] as string);
  }
}

function inputReshaping(code: string, inputs: readonly UserInput[]): { input: UserInput; offset: number } | null {
  let lexed: { tokens: Acorn.Token[]; errorAt: number } | undefined;
  for (let k = 0; k < inputs.length; k++) {
    const input = inputs[k]!;
    const v = input.value;
    if (typeof v !== 'string' || v.length === 0 || v.length > code.length) continue;
    let from = 0;
    for (let n = 0; n < MAX_CODE_OCCURRENCES; n++) {
      const s = code.indexOf(v, from);
      if (s === -1) break;
      if (lexed === undefined) lexed = tokenize(code);
      if (reshapesCode(lexed, s, s + v.length, hasQuoteChar(v))) return { input, offset: s };
      from = s + 1;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------

function preview(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = '[unserializable]';
  }
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

function operatorKeys(keys: readonly string[]): string {
  const ops: string[] = [];
  for (let i = 0; i < keys.length && ops.length < 5; i++) if (keys[i]!.charCodeAt(0) === 36) ops.push(keys[i]!);
  return ops.join(',');
}

function operatorFinding(op: OperatorNode, filterPath: string, keys: readonly string[], match: string, confidence: number): Finding {
  const input: UserInput =
    op.transform === undefined
      ? { source: op.source, path: op.path, value: preview(op.node) }
      : { source: op.source, path: op.path, value: preview(op.node), transform: op.transform };
  const operators = operatorKeys(keys);
  return {
    rule: 'nosql_injection',
    threatLevel: 'critical',
    confidence,
    description: `Query operator ${operators} at ${filterPath || '(root)'} comes from ${op.source} input ${op.path}`,
    input,
    detail: { operators, filterPath: filterPath || '(root)', match },
  };
}

interface RequestOperators {
  inputs: readonly UserInput[];
  ops: OperatorNode[];
  identity: Map<object, OperatorNode>;
  byOperator: Map<string, OperatorNode[]>;
}

/**
 * The request's side of the comparison, computed once per request: the
 * agent hands every check of one request the same input arrays (until the
 * framework parses more), so a request that runs ten queries walks its body once.
 */
const requestCache = new WeakMap<readonly UserObjectInput[], RequestOperators>();

function requestOperators(objectInputs: readonly UserObjectInput[], inputs: readonly UserInput[]): RequestOperators {
  const cached = requestCache.get(objectInputs);
  if (cached !== undefined && cached.inputs === inputs) return cached;
  // Operator nodes of the request: parsed objects, then JSON strings the app may have parsed.
  const ops: OperatorNode[] = [];
  const budget: Budget = { nodes: MAX_NODES };
  for (let i = 0; i < objectInputs.length; i++) {
    const oi = objectInputs[i]!;
    collectOperatorNodes(oi.value, oi.source, oi.path, undefined, ops, budget);
  }
  let jsonBytes = 0;
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!;
    if (typeof input.value !== 'string' || !maybeOperatorJson(input.value)) continue;
    jsonBytes += input.value.length;
    if (jsonBytes > MAX_JSON_TOTAL) break;
    let parsed: unknown;
    try {
      parsed = JSON.parse(input.value);
    } catch {
      continue;
    }
    collectOperatorNodes(parsed, input.source, input.path, 'json', ops, budget);
  }
  const identity = new Map<object, OperatorNode>();
  const byOperator = new Map<string, OperatorNode[]>();
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    identity.set(op.node, op);
    const keys = Object.keys(op.node);
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!;
      if (key.charCodeAt(0) !== 36) continue;
      const list = byOperator.get(key);
      if (list === undefined) byOperator.set(key, [op]);
      else if (list.length < MAX_CANDIDATES) list.push(op);
    }
  }
  const result: RequestOperators = { inputs, ops, identity, byOperator };
  requestCache.set(objectInputs, result);
  return result;
}

/**
 * `filter`: the object the app passes to a MongoDB Collection method (filter,
 * update, pipeline array). `objectInputs`: the request's parsed objects with
 * their source path. `inputs`: the flattened strings (for code operators and
 * JSON-in-string forms).
 */
export function detectNoSqlInjection(filter: unknown, objectInputs: readonly UserObjectInput[], inputs: readonly UserInput[]): Finding | null {
  if (!isWalkable(filter)) return null;
  try {
    return detect(filter, objectInputs, inputs);
  } catch {
    // Hostile getters or proxies in the filter: not a finding, never a crash.
    return null;
  }
}

function detect(filter: Record<string, unknown>, objectInputs: readonly UserObjectInput[], inputs: readonly UserInput[]): Finding | null {
  // Operator-bearing nodes of the filter first: most filters have none or only the app's own.
  const filterNodes: Array<{ v: Record<string, unknown>; p: string; keys: string[] }> = [];
  const codes: string[] = [];
  {
    const stack: Array<{ v: Record<string, unknown>; d: number; p: string }> = [{ v: filter, d: 0, p: '' }];
    const seen = new Set<object>();
    let budget = MAX_NODES;
    while (stack.length > 0 && budget-- > 0) {
      const { v, d, p } = stack.pop()!;
      if (seen.has(v)) continue;
      seen.add(v);
      const keys = Object.keys(v);
      if (!Array.isArray(v) && hasOperatorKey(keys)) {
        filterNodes.push({ v, p, keys });
        codeStrings(v, codes);
      }
      if (d >= MAX_DEPTH) continue;
      for (let i = Math.min(keys.length, budget - stack.length) - 1; i >= 0; i--) {
        const child = v[keys[i]!];
        if (isWalkable(child)) stack.push({ v: child, d: d + 1, p: joinPath(p, keys[i]!) });
      }
    }
  }
  if (filterNodes.length === 0) return null;

  const request = requestOperators(objectInputs, inputs);
  if (request.ops.length > 0) {
    // Same object: the parser's node reached the driver.
    for (let i = 0; i < filterNodes.length; i++) {
      const fn = filterNodes[i]!;
      const op = request.identity.get(fn.v);
      if (op !== undefined) return operatorFinding(op, fn.p, fn.keys, 'identity', 0.95);
    }
    // A copy: an operator entry of the filter equals the same operator's entry in a request node.
    const byOperator = request.byOperator;
    const total: Budget = { nodes: MAX_COMPARE_TOTAL };
    for (let i = 0; i < filterNodes.length && total.nodes > 0; i++) {
      const fn = filterNodes[i]!;
      for (let k = 0; k < fn.keys.length; k++) {
        const key = fn.keys[k]!;
        const candidates = key.charCodeAt(0) === 36 ? byOperator.get(key) : undefined;
        if (candidates === undefined) continue;
        for (let j = 0; j < candidates.length && total.nodes > 0; j++) {
          const node = candidates[j]!.node as Record<string, unknown>;
          const one: Budget = { nodes: Math.min(MAX_COMPARE_NODES, total.nodes) };
          const equal = deepEqual(fn.v[key], node[key], one, 0);
          total.nodes -= Math.min(MAX_COMPARE_NODES, total.nodes) - Math.max(one.nodes, 0);
          if (equal) return operatorFinding(candidates[j]!, fn.p, fn.keys, 'copy', 0.95);
        }
      }
    }
  }

  // Code operators reshaped by an input.
  for (let i = 0; i < codes.length; i++) {
    const hit = inputReshaping(codes[i]!, inputs);
    if (hit !== null) {
      return {
        rule: 'code_injection',
        threatLevel: 'critical',
        confidence: 0.95,
        description: `Input ${hit.input.path} changes the JavaScript of a MongoDB $where/$function/$accumulator`,
        input: hit.input,
        detail: { offset: hit.offset, code: codes[i]!.length > 200 ? `${codes[i]!.slice(0, 200)}…` : codes[i]! },
      };
    }
  }

  // Operator keys written as object syntax in an input string (filters built by evaluating text).
  for (let i = 0; i < filterNodes.length; i++) {
    const fn = filterNodes[i]!;
    for (let k = 0; k < fn.keys.length; k++) {
      const key = fn.keys[k]!;
      if (key.charCodeAt(0) !== 36) continue;
      for (let j = 0; j < inputs.length; j++) {
        const input = inputs[j]!;
        if (typeof input.value !== 'string' || input.value.length <= key.length) continue;
        const at = keyWrittenIn(input.value, key);
        if (at !== -1 && leavesWrittenIn(fn.v[key], input.value, at)) {
          return {
            rule: 'nosql_injection',
            threatLevel: 'critical',
            confidence: 0.8,
            description: `Query operator ${key} at ${fn.p || '(root)'} is written in ${input.source} input ${input.path}`,
            input,
            detail: { operators: key, filterPath: fn.p || '(root)', match: 'text' },
          };
        }
      }
    }
  }
  return null;
}
