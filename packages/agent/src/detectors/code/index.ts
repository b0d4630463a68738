// JavaScript code injection: the string handed to eval / new Function / vm.* /
// setTimeout(string). An input that occurs in the code is injection when it
// leaves a literal the app opened, or brings syntax beyond a formula: statements,
// declarations, assignments, `new`, functions, imports, loops, calls outside a
// small safe set, or names that reach for the runtime (`process`, `constructor` …).
// Formulas that apps evaluate on purpose (`price * qty`, `Math.max(a, b)`,
// `total > 50 ? 10 : 0`) are not.
// Pure: imports nothing but acorn (loaded on first use) and the shared types.

import type * as Acorn from 'acorn';
import { lazyModule } from '../../core/lazy-module.js';
import type { Finding, UserInput } from '../types.js';

/** Loaded with the first check that parses JavaScript. */
const acorn = lazyModule<typeof Acorn>('acorn');

const MIN_INPUT_LENGTH = 2;
/** Occurrences of one input examined per call. */
const MAX_OCCURRENCES = 8;

/** Names an evaluated formula never needs: they reach the runtime, the module system or the prototype chain. */
const DENY_NAMES = new Set<string>([
  'process',
  'require',
  'module',
  'exports',
  'globalThis',
  'global',
  'window',
  'constructor',
  'prototype',
  '__proto__',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
  'Function',
  'AsyncFunction',
  'GeneratorFunction',
  'eval',
  'Reflect',
  'Proxy',
  'child_process',
  'mainModule',
  'binding',
  'dlopen',
  '_load',
  'arguments',
  'caller',
  'callee',
  'Buffer',
  'setTimeout',
  'setInterval',
  'setImmediate',
  'queueMicrotask',
  'fetch',
  'WebAssembly',
  'Atomics',
  'SharedArrayBuffer',
  'console',
  'Deno',
  'Bun',
  '__dirname',
  '__filename',
]);

/** Functions a formula may call by bare name. */
const SAFE_FUNCTIONS = new Set<string>([
  'Number',
  'String',
  'Boolean',
  'parseInt',
  'parseFloat',
  'isNaN',
  'isFinite',
  // math helpers calculators expose in scope
  'abs',
  'sqrt',
  'cbrt',
  'sin',
  'cos',
  'tan',
  'asin',
  'acos',
  'atan',
  'atan2',
  'min',
  'max',
  'round',
  'floor',
  'ceil',
  'trunc',
  'sign',
  'pow',
  'exp',
  'log',
  'log10',
  'log2',
  'hypot',
]);

/** Methods a formula may call on any value (number and string formatting). */
const SAFE_METHODS = new Set<string>([
  'toFixed',
  'toPrecision',
  'toString',
  'toLocaleString',
  'valueOf',
  'toUpperCase',
  'toLowerCase',
  'trim',
  'trimStart',
  'trimEnd',
  'padStart',
  'padEnd',
  'slice',
  'substring',
  'charAt',
  'at',
  'includes',
  'startsWith',
  'endsWith',
  'indexOf',
  'lastIndexOf',
]);

/** Objects whose every method is safe to call. */
const SAFE_OBJECTS = new Set<string>(['Math']);

/** Statement lists: two statements touched by one input means the input formed statements. */
const STATEMENT_LISTS: Record<string, string> = {
  Program: 'body',
  BlockStatement: 'body',
  StaticBlock: 'body',
  SwitchCase: 'consequent',
};

const PARSE_BASE = {
  ecmaVersion: 'latest',
  sourceType: 'script',
  allowReturnOutsideFunction: true, // new Function bodies
  allowAwaitOutsideFunction: true,
  allowSuperOutsideMethod: true,
  allowHashBang: true,
} as const;

interface AnyNode {
  type: string;
  start: number;
  end: number;
  [key: string]: unknown;
}

interface Parsed {
  readonly ast: AnyNode;
  readonly tokens: Acorn.Token[];
  readonly comments: Acorn.Comment[];
}

function parseCode(code: string): Parsed | null {
  const tokens: Acorn.Token[] = [];
  const comments: Acorn.Comment[] = [];
  try {
    const ast = acorn().parse(code, { ...PARSE_BASE, onToken: tokens, onComment: comments }) as unknown as AnyNode;
    return { ast, tokens, comments };
  } catch {
    return null;
  }
}

/** Tokens up to the first error, for code acorn cannot parse (V8 may still run it). */
function tokenizePrefix(code: string): Acorn.Token[] {
  const tokens: Acorn.Token[] = [];
  try {
    const { tokenizer, tokTypes } = acorn();
    const it = tokenizer(code, PARSE_BASE);
    for (;;) {
      const t = it.getToken();
      if (t.type === tokTypes.eof) break;
      tokens.push(t);
    }
  } catch {
    // keep what was read
  }
  return tokens;
}

/** `tt`: acorn's token types, which the caller has in hand (this runs once per token). */
function isLiteralToken(t: Acorn.Token, tt: typeof Acorn.tokTypes): boolean {
  const type = t.type;
  return type === tt.string || type === tt.template || type === tt.regexp || type === tt.invalidTemplate;
}

/** Index of the first token whose end is after pos. */
function firstTokenEndingAfter(tokens: readonly Acorn.Token[], pos: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (tokens[mid]!.end <= pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first token starting at or after pos. */
function firstTokenStartingAt(tokens: readonly Acorn.Token[], pos: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (tokens[mid]!.start < pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Why an input changed the code, or null. */
type Reason = string | null;

/** What the tokens overlapping [s, e) say before any tree is consulted. */
interface TokenView {
  /** 'inert' (inside a literal or comment, or inside one app token), 'reason', or 'analyze'. */
  readonly verdict: 'inert' | 'reason' | 'analyze';
  readonly reason?: string;
  /** Tokens starting inside the input. */
  readonly count: number;
  readonly first: number;
}

function viewTokens(tokens: readonly Acorn.Token[], s: number, e: number): TokenView {
  const tt = acorn().tokTypes;
  const first = firstTokenEndingAfter(tokens, s);
  let count = 0;
  for (let i = first; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.start >= e) break;
    if (isLiteralToken(t, tt)) {
      const isTemplateChunk = t.type === tt.template || t.type === tt.invalidTemplate;
      const inside = isTemplateChunk ? t.start <= s && t.end >= e : t.start < s && t.end > e;
      if (inside) return { verdict: 'inert', count: 0, first };
      // Across the literal's boundary: a breakout when the input also brings
      // code on the other side of the quote (a lone quote or a value that
      // merely touches the app's quote only breaks the syntax, if anything).
      if ((t.start < s && hasTokenStartingIn(tokens, i + 1, t.end, e)) || (t.end > e && hasTokenStartingIn(tokens, first, s, t.start))) {
        return { verdict: 'reason', reason: t.type === tt.regexp ? 'regexp-breakout' : 'literal-breakout', count, first };
      }
      if (t.start < s || t.end > e) return { verdict: 'inert', count: 0, first };
    } else if (t.start < s && t.end > e) {
      // The input is a piece of one app token (`in` within `Math.min`).
      return { verdict: 'inert', count: 0, first };
    }
    if (t.start >= s) count++;
  }
  return { verdict: count === 0 ? 'inert' : 'analyze', count, first };
}

/** Whether a token starts within [from, to), scanning from index i. */
function hasTokenStartingIn(tokens: readonly Acorn.Token[], i: number, from: number, to: number): boolean {
  for (let k = i; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.start >= to) return false;
    if (t.start >= from) return true;
  }
  return false;
}

/** Punctuation that only code, never a formula, contains: assignment, update, arrow. */
function punctuationReason(tokens: readonly Acorn.Token[], first: number, s: number, e: number): Reason {
  const tt = acorn().tokTypes;
  for (let i = first; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.start >= e) break;
    if (t.start < s) continue;
    const type = t.type;
    if (type === tt.eq || type === tt.assign) return 'assignment';
    if (type === tt.incDec) return 'assignment';
    if (type === tt.arrow) return 'function';
  }
  return null;
}

function commentReason(comments: readonly Acorn.Comment[], s: number, e: number): Reason | 'inert' {
  for (let i = 0; i < comments.length; i++) {
    const c = comments[i]!;
    if (c.end <= s || c.start >= e) continue;
    if (c.start <= s && c.end >= e) return 'inert';
    if (c.start < s || c.end > e) return 'comment-breakout';
  }
  return null;
}

function isNode(x: unknown): x is AnyNode {
  return typeof x === 'object' && x !== null && typeof (x as { type?: unknown }).type === 'string' && typeof (x as { start?: unknown }).start === 'number';
}

function containsString(node: AnyNode): boolean {
  const stack: AnyNode[] = [node];
  let budget = 256;
  while (stack.length > 0 && budget-- > 0) {
    const n = stack.pop()!;
    if (n.type === 'TemplateLiteral') return true;
    if (n.type === 'Literal' && typeof n.value === 'string') return true;
    pushChildren(n, stack, -1, -1);
  }
  return false;
}

/** Pushes the child nodes of `node`; when s >= 0 only those overlapping [s, e). */
function pushChildren(node: AnyNode, stack: AnyNode[], s: number, e: number): void {
  for (const key in node) {
    if (key === 'type' || key === 'start' || key === 'end') continue;
    const child = node[key];
    if (Array.isArray(child)) {
      for (let i = 0; i < child.length; i++) {
        const c = child[i];
        if (isNode(c) && (s < 0 || (c.end > s && c.start < e))) stack.push(c);
      }
    } else if (isNode(child) && (s < 0 || (child.end > s && child.start < e))) {
      stack.push(child);
    }
  }
}

function propertyName(node: unknown): string | null {
  if (!isNode(node)) return null;
  if (node.type === 'Identifier') return node.name as string;
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  return null;
}

function isSafeCallee(callee: AnyNode): boolean {
  if (callee.type === 'Identifier') return SAFE_FUNCTIONS.has(callee.name as string);
  if (callee.type === 'MemberExpression' && callee.computed !== true) {
    const object = callee.object as AnyNode;
    if (object.type === 'Identifier' && SAFE_OBJECTS.has(object.name as string)) return true;
    const name = propertyName(callee.property);
    return name !== null && SAFE_METHODS.has(name);
  }
  return false;
}

/** Position of the first token of `label` at or after pos (skipping `)` and `?.`), or -1. */
function tokenAfter(tokens: readonly Acorn.Token[], pos: number, type: Acorn.TokenType): number {
  const tt = acorn().tokTypes;
  for (let i = firstTokenStartingAt(tokens, pos); i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === type) return t.start;
    if (t.type !== tt.parenR && t.type !== tt.questionDot) return -1;
  }
  return -1;
}

/** Walks the nodes overlapping [s, e) and names the first construct the input brought. */
function astReason(parsed: Parsed, s: number, e: number): Reason {
  const tt = acorn().tokTypes;
  const { ast, tokens } = parsed;
  const within = (pos: number): boolean => pos >= s && pos < e;
  const stack: AnyNode[] = [ast];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const type = node.type;
    const listKey = STATEMENT_LISTS[type];
    if (listKey !== undefined) {
      const list = node[listKey] as AnyNode[];
      let touched = 0;
      for (let i = 0; i < list.length; i++) if (list[i]!.end > s && list[i]!.start < e) touched++;
      if (touched >= 2) return 'statements';
    }
    switch (type) {
      case 'Program':
      case 'ExpressionStatement':
      case 'EmptyStatement':
      case 'Literal':
      case 'TemplateElement':
      case 'BinaryExpression':
      case 'LogicalExpression':
      case 'ConditionalExpression':
      case 'SequenceExpression':
      case 'ArrayExpression':
      case 'ObjectExpression':
      case 'SpreadElement':
      case 'ChainExpression':
      case 'ParenthesizedExpression':
      case 'PrivateIdentifier':
        break;
      case 'Identifier':
        if (DENY_NAMES.has(node.name as string)) return `name:${node.name as string}`;
        break;
      case 'ThisExpression':
        return 'name:this';
      case 'Super':
        return 'name:super';
      case 'UnaryExpression':
        if (node.operator === 'delete' && within(node.start)) return 'delete';
        break;
      case 'TemplateLiteral': {
        // A backquote of the app's template inside the input: the input left it.
        if ((node.start < s && node.end <= e) || (node.start >= s && node.end > e)) return 'literal-breakout';
        // `${` inserted into a template the app opened.
        if (node.start < s) {
          const quasis = node.quasis as AnyNode[];
          for (let i = 0; i < quasis.length - 1; i++) if (within(quasis[i]!.end)) return 'template-expression';
        }
        break;
      }
      case 'MemberExpression':
        if (node.computed === true) {
          const bracket = tokenAfter(tokens, (node.object as AnyNode).end, tt.bracketL);
          if ((bracket === -1 || within(bracket)) && containsString(node.property as AnyNode)) return 'computed-member';
        }
        break;
      case 'CallExpression': {
        const callee = node.callee as AnyNode;
        const paren = tokenAfter(tokens, callee.end, tt.parenL);
        if ((paren === -1 ? callee.end > s && callee.start < e : within(paren)) && !isSafeCallee(callee)) return 'call';
        break;
      }
      case 'TaggedTemplateExpression':
        if (within(node.start) || within((node.quasi as AnyNode).start)) return 'call';
        break;
      case 'NewExpression':
        if (within(node.start)) return 'new';
        break;
      case 'ImportExpression':
      case 'MetaProperty':
        if (within(node.start)) return 'import';
        break;
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
      case 'FunctionDeclaration':
        if (within(node.start)) return 'function';
        break;
      case 'ClassExpression':
      case 'ClassDeclaration':
        if (within(node.start)) return 'class';
        break;
      case 'AssignmentExpression':
      case 'UpdateExpression':
        // the operator token is checked in punctuationReason
        break;
      case 'AwaitExpression':
      case 'YieldExpression':
        if (within(node.start)) return 'await';
        break;
      case 'Property': {
        const key = node.key as AnyNode;
        if (within(key.start) || within(node.start)) {
          if (node.kind !== 'init' || node.method === true) return 'function';
          if (propertyName(key) === '__proto__' && node.computed !== true) return 'name:__proto__';
          if (node.computed === true && containsString(key)) return 'computed-member';
        }
        break;
      }
      case 'WhileStatement':
      case 'DoWhileStatement':
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement':
        if (within(node.start)) return 'loop';
        break;
      case 'VariableDeclaration':
        if (within(node.start)) return 'declaration';
        break;
      default:
        // Every other statement or declaration (block, if, return, throw,
        // with, try, switch, labels, import/export …) formed by the input.
        if (within(node.start)) return `statement:${type}`;
        break;
    }
    pushChildren(node, stack, s, e);
  }
  return null;
}

/**
 * A single token from input only matters when it is the whole evaluated
 * expression (`eval(name)`, `return name`): the same word inside larger app
 * code is most often a coincidence (a search for "this" while a template compiles).
 */
function singleTokenReason(parsed: Parsed, s: number, e: number): Reason {
  const stack: AnyNode[] = [parsed.ast];
  while (stack.length > 0) {
    const node = stack.pop()!;
    let expr: AnyNode | null = null;
    if (node.type === 'ExpressionStatement') expr = node.expression as AnyNode;
    else if (node.type === 'ReturnStatement' && isNode(node.argument)) expr = node.argument;
    if (expr !== null && expr.start >= s && expr.end <= e) {
      if (expr.type === 'ThisExpression') return 'name:this';
      if (expr.type === 'Identifier' && DENY_NAMES.has(expr.name as string)) return `name:${expr.name as string}`;
      return null;
    }
    pushChildren(node, stack, s, e);
  }
  return null;
}

function analyzeParsed(parsed: Parsed, s: number, e: number): Reason {
  const comment = commentReason(parsed.comments, s, e);
  if (comment === 'inert') return null;
  if (comment !== null) return comment;
  const view = viewTokens(parsed.tokens, s, e);
  if (view.verdict === 'inert') return null;
  if (view.verdict === 'reason') return view.reason!;
  if (view.count === 1) return singleTokenReason(parsed, s, e);
  return punctuationReason(parsed.tokens, view.first, s, e) ?? astReason(parsed, s, e);
}

const FLAG_KEYWORDS = new Set<string>([
  'new',
  'function',
  'class',
  'var',
  'const',
  'while',
  'for',
  'do',
  'with',
  'import',
  'export',
  'throw',
  'return',
  'delete',
  'if',
  'try',
  'switch',
  'this',
  'super',
  'yield',
  'debugger',
]);

function tokenValue(t: Acorn.Token): string {
  // acorn's Token carries the word of name tokens in `value` (not in its typings)
  const value = (t as { value?: unknown }).value;
  return typeof value === 'string' ? value : '';
}

/** Token-only judgement for code acorn rejects. */
function analyzeTokens(tokens: readonly Acorn.Token[], s: number, e: number): Reason {
  const tt = acorn().tokTypes;
  const view = viewTokens(tokens, s, e);
  if (view.verdict !== 'analyze') return view.verdict === 'reason' ? view.reason! : null;
  if (view.count < 2) return null;
  const punct = punctuationReason(tokens, view.first, s, e);
  if (punct !== null) return punct;
  let sawBackQuote = false;
  for (let i = view.first; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.start >= e) break;
    if (t.start < s) continue;
    const prev = i > 0 ? tokens[i - 1]! : null;
    const afterDot = prev !== null && (prev.type === tt.dot || prev.type === tt.questionDot);
    const kw = t.type.keyword;
    if (kw !== undefined && !afterDot && FLAG_KEYWORDS.has(kw)) return kw === 'this' ? 'name:this' : `keyword:${kw}`;
    if (t.type === tt.name && DENY_NAMES.has(tokenValue(t))) return `name:${tokenValue(t)}`;
    if (t.type === tt.backQuote) sawBackQuote = true;
    if (t.type === tt.dollarBraceL && !sawBackQuote) return 'template-expression';
    if (t.type === tt.semi && i + 1 < tokens.length && tokens[i + 1]!.start < e) return 'statements';
    if (t.type === tt.bracketL && i + 1 < tokens.length && isLiteralToken(tokens[i + 1]!, tt)) return 'computed-member';
    if (t.type === tt.parenL && prev !== null && prev.start >= s && prev.type === tt.name) {
      const name = tokenValue(prev);
      const before = i >= 2 ? tokens[i - 2]! : null;
      const isMethod = before !== null && before.type === tt.dot;
      const ok = isMethod ? SAFE_METHODS.has(name) || (i >= 3 && SAFE_OBJECTS.has(tokenValue(tokens[i - 3]!))) : SAFE_FUNCTIONS.has(name);
      if (!ok) return 'call';
    }
  }
  return null;
}

const REASON_TEXT: Record<string, string> = {
  'literal-breakout': 'closes or opens a string literal',
  'regexp-breakout': 'leaves a regular expression literal',
  'comment-breakout': 'leaves or opens a comment',
  'template-expression': 'inserts a ${…} expression into a template literal',
  statements: 'forms several statements',
  assignment: 'assigns',
  function: 'defines a function',
  class: 'defines a class',
  new: 'constructs with new',
  import: 'imports a module',
  call: 'calls a function outside the safe set',
  'computed-member': 'accesses a member by computed string',
  delete: 'deletes a property',
  loop: 'forms a loop',
  declaration: 'declares a variable',
  await: 'awaits or yields',
};

function describe(reason: string): string {
  const text = REASON_TEXT[reason];
  if (text !== undefined) return text;
  if (reason.startsWith('name:')) return `reaches for ${reason.slice(5)}`;
  if (reason.startsWith('keyword:')) return `uses ${reason.slice(8)}`;
  if (reason.startsWith('statement:')) return `forms a ${reason.slice(10)}`;
  return reason;
}

/**
 * A plain ASCII word that is not a denied name cannot change code: it holds no
 * quote, no `${`, no operator, and a single token is only reported when it is
 * a denied name. Decided without tokenizing.
 */
function isHarmlessWord(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    // 0-9 A-Z a-z _ $
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36)) return false;
  }
  return !DENY_NAMES.has(value) && value !== 'this' && value !== 'super';
}

/**
 * Quotes, brackets and operators alone cannot name a function or a global;
 * the ones short enough to match the app's own syntax by chance (`", "`,
 * `")`) are skipped. Letter-free code that does run (JSFuck) is far longer.
 */
function isShortPunctuation(value: string): boolean {
  if (value.length >= 32) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36 || c > 0x7f) return false;
  }
  return true;
}

/**
 * `code` is the string given to eval / new Function / vm.* / setTimeout(string).
 * A finding when an input occurring in it changes the code beyond a formula.
 */
export function detectCodeInjection(code: string, inputs: readonly UserInput[]): Finding | null {
  if (typeof code !== 'string' || code.length < MIN_INPUT_LENGTH || inputs.length === 0) return null;
  let parsed: Parsed | null | undefined;
  let tokens: Acorn.Token[] | undefined;
  for (let k = 0; k < inputs.length; k++) {
    const input = inputs[k]!;
    const value = input.value;
    if (typeof value !== 'string' || value.length < MIN_INPUT_LENGTH || value.length > code.length) continue;
    // Most inputs do not occur in the code at all: the search comes before any look at the value.
    let s = code.indexOf(value);
    if (s === -1 || isHarmlessWord(value) || isShortPunctuation(value)) continue;
    for (let n = 0; n < MAX_OCCURRENCES && s !== -1; n++) {
      const e = s + value.length;
      if (parsed === undefined) parsed = parseCode(code);
      let reason: Reason;
      if (parsed !== null) {
        reason = analyzeParsed(parsed, s, e);
      } else {
        if (tokens === undefined) tokens = tokenizePrefix(code);
        reason = analyzeTokens(tokens, s, e);
      }
      if (reason !== null) {
        return {
          rule: 'code_injection',
          threatLevel: 'critical',
          confidence: 0.95,
          description: `Input ${input.path} ${describe(reason)} in code passed to a JavaScript evaluator`,
          input,
          detail: { reason, offset: s, parsed: parsed !== null },
        };
      }
      s = code.indexOf(value, s + 1);
    }
  }
  return null;
}
