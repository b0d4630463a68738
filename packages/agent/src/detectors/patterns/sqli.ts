// A WAF-style SQL injection sensor over one input string, without the sink:
// a light tokenizer (one pass, integer cursor, no regular expressions) and a
// handful of rules over the token stream with fixed look-ahead. Linear in the
// input length; the caller bounds the length. A hit is a low-confidence
// signal: the sink-side detector is the one that knows.

import { hasAt, lc } from './text.js';

export interface PatternSignal {
  /** Short machine name of the rule that fired (`union-select`, `breakout-boolean` …). */
  readonly signal: string;
  /** Strong signals are rarely seen in ordinary input; weak ones sometimes are. */
  readonly strong: boolean;
}

// Token kinds.
const WORD = 1;
const NUM = 2;
const QUOTE = 3;
const OP = 4;
const LPAREN = 5;
const RPAREN = 6;
const SEMI = 7;
const COMMENT = 8;
const COMMA = 9;
const VAR = 10;
const OTHER = 11;

// Word classes.
const K_NONE = 0;
const K_LOGIC = 1; // or and xor
const K_UNION = 2;
const K_SELECT = 3;
const K_STMT = 4; // statements that may follow a stacked `;`
const K_CMP = 5; // like rlike regexp glob between sounds
const K_IS = 6;
const K_IN = 7;
const K_CLAUSE = 8; // order group having procedure limit
const K_DANGER_FN = 9; // sleep benchmark … followed by `(`
const K_DANGER_ID = 10; // information_schema sqlite_master … anywhere
const K_FN = 11; // functions commonly used in injections
const K_LITERAL = 12; // true false null
const K_NOT = 13;
const K_EXEC = 14;
const K_WAITFOR = 15;
const K_ALLDISTINCT = 16;
const K_OBJECT = 17; // table database … after drop/create/alter
const K_SYSPROC = 18; // xp_… sp_…
const K_INFO_FN = 19; // version() database() …: `()` is enough

// Keywords are found by a case-insensitive hash computed while the word is
// scanned (no substring, no lower-casing), then confirmed letter by letter.
const KEYWORD_TEXT: string[] = [];
const KEYWORD_CLASS: number[] = [];
const BY_HASH = new Map<number, number[]>();

function wordHash(h: number, c: number): number {
  // Kept within 30 bits: a small integer for V8, so Map lookups need no boxing.
  return (Math.imul(h, 31) + (c >= 65 && c <= 90 ? c | 0x20 : c)) & 0x3fffffff;
}

const put = (k: number, words: string): void => {
  for (const w of words.split(' ')) {
    let h = 0;
    for (let i = 0; i < w.length; i++) h = wordHash(h, w.charCodeAt(i));
    const existing = KEYWORD_TEXT.indexOf(w);
    if (existing !== -1) {
      KEYWORD_CLASS[existing] = k;
      continue;
    }
    KEYWORD_TEXT.push(w);
    KEYWORD_CLASS.push(k);
    const list = BY_HASH.get(h);
    if (list === undefined) BY_HASH.set(h, [KEYWORD_TEXT.length - 1]);
    else list.push(KEYWORD_TEXT.length - 1);
  }
};

function keywordClass(s: string, start: number, end: number, h: number): number {
  const list = BY_HASH.get(h);
  if (list === undefined) return K_NONE;
  for (const k of list) {
    const text = KEYWORD_TEXT[k] as string;
    if (text.length === end - start && hasAt(s, start, text)) return KEYWORD_CLASS[k] as number;
  }
  return K_NONE;
}
put(K_LOGIC, 'or and xor');
put(K_UNION, 'union');
put(K_SELECT, 'select');
put(K_STMT, 'insert update delete drop create alter truncate declare shutdown grant revoke load copy attach pragma prepare set');
put(K_CMP, 'like rlike regexp glob between sounds ilike similar');
put(K_IS, 'is');
put(K_IN, 'in');
put(K_CLAUSE, 'order group having procedure limit');
put(K_DANGER_FN, 'sleep benchmark pg_sleep randomblob zeroblob extractvalue updatexml load_file group_concat make_set utl_inaddr utl_http pg_read_file lo_import lo_get json_keys');
put(K_DANGER_ID, 'information_schema sqlite_master sqlite_schema pg_catalog pg_shadow pg_user sysobjects syscolumns sysdatabases msysobjects all_tables user_tables all_tab_tables dbms_pipe dbms_lock outfile dumpfile');
put(
  K_FN,
  'if iif ascii ord substring substr mid char chr concat concat_ws count length len hex unhex md5 sha1 cast convert isnull ifnull coalesce nullif left right lpad rpad lower upper exists elt floor rand instr locate position reverse pi cos sin conv compress uncompress',
);
put(K_INFO_FN, 'version database current_user system_user session_user schema user_name db_name');
put(K_LITERAL, 'true false null');
put(K_NOT, 'not');
put(K_EXEC, 'exec execute');
put(K_WAITFOR, 'waitfor');
put(K_ALLDISTINCT, 'all distinct');
put(K_OBJECT, 'table database view function procedure index schema trigger');

const MAX_TOKENS = 512;
// Scratch space reused by every call (the sensor is synchronous and not re-entrant).
const kinds = new Uint8Array(MAX_TOKENS);
const classes = new Uint8Array(MAX_TOKENS);
const starts = new Int32Array(MAX_TOKENS);
const ends = new Int32Array(MAX_TOKENS);
/** For OP tokens: what the operator characters are. */
const opFlags = new Uint8Array(MAX_TOKENS);
const OPF_CMP = 1; // only = < > ! (=, <, >, <>, !=, <=, >=, <=>)
const OPF_LOGIC = 2; // || or &&
const OPF_ARITH = 4; // only + - * / % ~ ^
const OPF_UNARY = 8; // only ! - + ~

let text = '';

/** Fast reject: strings with none of these characters (and no union/select) are not tokenized. */
const INTERESTING = new Uint8Array(128);
for (const ch of `'"\`;()=#-/*|&<>@,+%!`) INTERESTING[ch.charCodeAt(0)] = 1;

function isWordStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36;
}
function isWordPart(c: number): boolean {
  return isWordStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isHexDigit(c: number): boolean {
  return isDigit(c) || ((c | 0x20) >= 97 && (c | 0x20) <= 102);
}
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 160 || c === 0;
}
function isOpChar(c: number): boolean {
  // = < > ! | & + - * / % ^ ~ :
  return c === 61 || c === 60 || c === 62 || c === 33 || c === 124 || c === 38 || c === 43 || c === 45 || c === 42 || c === 47 || c === 37 || c === 94 || c === 126 || c === 58;
}

/** `--` starts a comment when followed by the end, a blank, `-` or `+` (`--+` in URLs). */
function dashComment(s: string, i: number, end: number): boolean {
  if (s.charCodeAt(i) !== 45 || s.charCodeAt(i + 1) !== 45) return false;
  const next = i + 2 < end ? s.charCodeAt(i + 2) : -1;
  return next === -1 || isSpace(next) || next === 45 || next === 43;
}

/** `#` starts a MySQL comment unless it reads as `#2` or `#ff0000`. */
function hashComment(s: string, i: number, end: number): boolean {
  return i + 1 >= end || !isHexDigit(s.charCodeAt(i + 1));
}

/** Tokenizes `s[0..end)` into the scratch arrays; returns the token count. */
function tokenize(s: string, end: number): number {
  text = s;
  let n = 0;
  let i = 0;
  while (i < end && n < MAX_TOKENS) {
    const c = s.charCodeAt(i);
    if (isSpace(c) || c === 96 /* ` */) {
      i++;
      continue;
    }
    const start = i;
    let kind = OTHER;
    let cls = K_NONE;
    let flags = 0;
    if (c === 39 /* ' */ || c === 34 /* " */ || c === 0x2018 || c === 0x2019 || c === 0x201c || c === 0x201d) {
      kind = QUOTE;
      i++;
    } else if (c === 47 /* / */ && s.charCodeAt(i + 1) === 42 /* * */) {
      if (s.charCodeAt(i + 2) === 33 /* ! */) {
        // MySQL version comment `/*!50000 union */`: its content is code.
        i += 3;
        while (i < end && isDigit(s.charCodeAt(i))) i++;
        continue;
      }
      const close = s.indexOf('*/', i + 2);
      if (close === -1 || close + 2 > end) {
        kind = COMMENT;
        i = end;
      } else {
        // A closed inline comment is whitespace (`UNION/**/SELECT`).
        i = close + 2;
        continue;
      }
    } else if (c === 42 /* * */ && s.charCodeAt(i + 1) === 47 /* / */) {
      i += 2; // the end of a version comment
      continue;
    } else if ((c === 35 /* # */ && hashComment(s, i, end)) || dashComment(s, i, end)) {
      kind = COMMENT;
      while (i < end && s.charCodeAt(i) !== 10) i++;
    } else if (isDigit(c) || (c === 46 /* . */ && isDigit(s.charCodeAt(i + 1)))) {
      kind = NUM;
      i = skipNumber(s, i, end);
    } else if (isWordStart(c)) {
      let h = 0;
      for (let w = s.charCodeAt(i); i < end && isWordPart(w); w = s.charCodeAt(++i)) h = wordHash(h, w);
      kind = WORD;
      if (i - start <= 20) {
        cls = keywordClass(s, start, i, h);
        if (cls === K_NONE && i - start > 3 && (hasAt(s, start, 'xp_') || hasAt(s, start, 'sp_'))) cls = K_SYSPROC;
      }
    } else if (c === 64 /* @ */) {
      while (i < end && s.charCodeAt(i) === 64) i++;
      while (i < end && isWordPart(s.charCodeAt(i))) i++;
      kind = VAR;
      // @@version and friends name the server.
      if (i - start > 2 && s.charCodeAt(start + 1) === 64) cls = K_DANGER_ID;
    } else if (c === 40) {
      kind = LPAREN;
      i++;
    } else if (c === 41) {
      kind = RPAREN;
      i++;
    } else if (c === 59) {
      kind = SEMI;
      i++;
    } else if (c === 44) {
      kind = COMMA;
      i++;
    } else if (isOpChar(c)) {
      kind = OP;
      while (i < end && isOpChar(s.charCodeAt(i)) && !dashComment(s, i, end) && !(s.charCodeAt(i) === 47 && s.charCodeAt(i + 1) === 42) && !(s.charCodeAt(i) === 35)) i++;
      if (i === start) i++;
      flags = opFlagsOf(s, start, i);
    } else {
      i++;
    }
    kinds[n] = kind;
    classes[n] = cls;
    opFlags[n] = flags;
    starts[n] = start;
    ends[n] = i;
    n++;
  }
  return n;
}

function opFlagsOf(s: string, start: number, end: number): number {
  let cmp = true;
  let arith = true;
  let unary = true;
  let logic = false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!(c === 61 || c === 60 || c === 62 || c === 33)) cmp = false;
    if (!(c === 43 || c === 45 || c === 42 || c === 47 || c === 37 || c === 126 || c === 94)) arith = false;
    if (!(c === 33 || c === 45 || c === 43 || c === 126)) unary = false;
    if ((c === 124 && s.charCodeAt(i + 1) === 124) || (c === 38 && s.charCodeAt(i + 1) === 38)) logic = true;
  }
  // A lone `!` is NOT, not a comparison.
  if (end - start === 1 && s.charCodeAt(start) === 33) cmp = false;
  return (cmp ? OPF_CMP : 0) | (arith ? OPF_ARITH : 0) | (unary ? OPF_UNARY : 0) | (logic && end - start === 2 ? OPF_LOGIC : 0);
}

function skipNumber(s: string, i: number, end: number): number {
  if (s.charCodeAt(i) === 48 && (s.charCodeAt(i + 1) | 0x20) === 120 /* 0x */) {
    i += 2;
    while (i < end && isHexDigit(s.charCodeAt(i))) i++;
    return i;
  }
  while (i < end && (isDigit(s.charCodeAt(i)) || s.charCodeAt(i) === 46)) i++;
  // 1e1 (exponent) but not the `e` of `1e1AND`'s AND
  if (i < end && (s.charCodeAt(i) | 0x20) === 101 && isDigit(s.charCodeAt(i + 1))) {
    i++;
    while (i < end && isDigit(s.charCodeAt(i))) i++;
  }
  return i;
}

// ---- rules over the tokens -------------------------------------------------

function isWordOf(t: number, n: number, cls: number): boolean {
  return t < n && kinds[t] === WORD && classes[t] === cls;
}

function isLogic(t: number, n: number): boolean {
  return t < n && ((kinds[t] === WORD && classes[t] === K_LOGIC) || (kinds[t] === OP && (opFlags[t] & OPF_LOGIC) !== 0));
}

/** A literal operand: a number, a quote or true/false/null. */
function isLiteral(t: number, n: number): boolean {
  return t < n && (kinds[t] === NUM || kinds[t] === QUOTE || (kinds[t] === WORD && classes[t] === K_LITERAL));
}

/** A token that can be (part of) an operand of a comparison. */
function isOperandToken(t: number): boolean {
  const k = kinds[t];
  if (k === NUM || k === QUOTE || k === VAR || k === LPAREN || k === RPAREN) return true;
  if (k === WORD) {
    const c = classes[t];
    return c === K_NONE || c === K_LITERAL || c === K_FN || c === K_INFO_FN || c === K_DANGER_FN || c === K_NOT;
  }
  return k === OP && (opFlags[t] & (OPF_ARITH | OPF_UNARY)) !== 0;
}

/** A call of a function injections use: `sleep(5)`, `ascii(…)`, `version()`, `(select …)`. */
function callAt(t: number, n: number, strict: boolean): boolean {
  if (t + 1 >= n) return false;
  if (kinds[t] === LPAREN) return isWordOf(t + 1, n, K_SELECT);
  if (kinds[t] !== WORD || kinds[t + 1] !== LPAREN) return false;
  const c = classes[t];
  if (c === K_DANGER_FN || c === K_SELECT) return true;
  if (c === K_INFO_FN) return t + 2 < n && kinds[t + 2] === RPAREN;
  return !strict && c === K_FN;
}

function sameText(a: number, b: number): boolean {
  const len = ends[a] - starts[a];
  if (len !== ends[b] - starts[b]) return false;
  for (let i = 0; i < len; i++) {
    if (lc(text.charCodeAt(starts[a] + i)) !== lc(text.charCodeAt(starts[b] + i))) return false;
  }
  return true;
}

function hasEqualityOp(t: number): boolean {
  for (let i = starts[t]; i < ends[t]; i++) if (text.charCodeAt(i) === 61) return true;
  return ends[t] - starts[t] === 2 && text.charCodeAt(starts[t]) === 60 && text.charCodeAt(starts[t] + 1) === 62;
}

/** Where the operand right of a comparison at `t` starts (past `(`, `-`, `!`). */
function rightOperand(t: number, n: number): number {
  let r = t + 1;
  while (r < n && r < t + 4 && (kinds[r] === LPAREN || (kinds[r] === OP && (opFlags[r] & OPF_UNARY) !== 0))) r++;
  return r;
}

/** Where the operand left of a comparison at `t` ends (before `)`). */
function leftOperand(t: number, from: number): number {
  let l = t - 1;
  while (l > from && kinds[l] === RPAREN) l--;
  return l;
}

/**
 * After `or` / `and` / `||`: does a boolean expression follow? A comparison
 * (`1=1`, `'a'='a`, `x like 'y'`, `id in (`, `is null`), a call of a
 * function injections use (`sleep(5)`, `(select …)`), or a literal ended by
 * a comment or `;` (`' or true--`). `strict` (no quote broke out before):
 * the comparison must be between literals or a word and itself (`x=x`).
 */
function booleanTail(from: number, n: number, strict: boolean): boolean {
  const limit = Math.min(n, from + 12);
  for (let t = from; t < limit; t++) {
    if (callAt(t, n, strict)) return true;
    const k = kinds[t];
    if (k === SEMI || k === COMMENT) return !strict && t > from && isLiteral(t - 1, n);
    if (t > from) {
      let comparison = false;
      // Strict: equality-like only (`8=3`, `1<>2`), not prose arithmetic (`3 < 5 and 7 > 2`).
      if (k === OP && (opFlags[t] & OPF_CMP) !== 0) comparison = !strict || hasEqualityOp(t);
      else if (k === WORD) {
        const c = classes[t];
        if (c === K_CMP) comparison = true;
        else if (c === K_IS) comparison = isWordOf(t + 1, n, K_NOT) || isWordOf(t + 1, n, K_LITERAL);
        else if (c === K_IN) comparison = t + 1 < n && kinds[t + 1] === LPAREN;
      }
      if (comparison) {
        const l = leftOperand(t, from);
        const r = rightOperand(t, n);
        if (r >= n) return false;
        if (!strict) return isOperandToken(r) || kinds[r] === WORD;
        if (isLiteral(l, n) && isLiteral(r, n)) return true;
        return kinds[l] === WORD && kinds[r] === WORD && classes[l] === K_NONE && sameText(l, r);
      }
    }
    if (!isOperandToken(t)) return false;
  }
  return false;
}

/** `;` followed by a statement that does something. */
function stackedAt(t: number, n: number, anyBefore: boolean): boolean {
  const w = t + 1;
  if (w >= n) return false;
  if (!anyBefore && !(t === 0 || kinds[t - 1] === QUOTE || kinds[t - 1] === NUM || kinds[t - 1] === RPAREN || kinds[t - 1] === COMMENT)) {
    // After an ordinary word (`Hello; select one`), only unmistakable statements count.
    return (isWordOf(w, n, K_STMT) && isWordOf(w + 1, n, K_OBJECT)) || isWordOf(w, n, K_WAITFOR) || (isWordOf(w, n, K_EXEC) && w + 1 < n && kinds[w + 1] === WORD && classes[w + 1] === K_SYSPROC);
  }
  if (kinds[w] === COMMENT) return t > 0 && kinds[t - 1] === QUOTE;
  if (kinds[w] !== WORD) return false;
  const c = classes[w];
  const next = w + 1;
  if (next >= n) return c === K_STMT && hasAt(text, starts[w], 'shutdown');
  if (c === K_STMT) return kinds[next] === WORD || kinds[next] === VAR || kinds[next] === OP || kinds[next] === LPAREN;
  if (c === K_SELECT) return kinds[next] !== COMMA && kinds[next] !== QUOTE;
  if (c === K_EXEC) return kinds[next] === VAR || kinds[next] === QUOTE || kinds[next] === LPAREN || (kinds[next] === WORD && (classes[next] === K_SYSPROC || hasAt(text, starts[next], 'immediate') || hasAt(text, starts[next], 'master')));
  return c === K_WAITFOR;
}

/** What follows a breakout point (a quote, or a number opening the value). */
function afterBreakout(t: number, n: number, fromQuote: boolean): string | null {
  let j = t + 1;
  while (j < n && kinds[j] === RPAREN) j++;
  if (j >= n) return null;
  const k = kinds[j];
  const c = classes[j];
  if (k === COMMENT) {
    if (!fromQuote) return j > t + 1 ? 'breakout-comment' : null;
    // `admin'--`, `1')#`, or a value that opens with `'--`; not `{"note": "# Title"}`
    return t === 0 || (ends[t - 1] === starts[t] && (kinds[t - 1] === WORD || kinds[t - 1] === NUM || kinds[t - 1] === RPAREN || kinds[t - 1] === QUOTE)) ? 'breakout-comment' : null;
  }
  if (k === SEMI) return stackedAt(j, n, true) ? 'stacked-query' : null;
  if (isLogic(j, n)) {
    if (booleanTail(j + 1, n, false)) return 'breakout-boolean';
    // `'or'1`: a quote, a bare operator word and a quote, glued together
    const q = j + 1;
    if (fromQuote && kinds[j] === WORD && j === t + 1 && q + 1 < n && kinds[q] === QUOTE && ends[t] === starts[j] && ends[j] === starts[q] && ends[q] === starts[q + 1] && (kinds[q + 1] === NUM || kinds[q + 1] === WORD)) {
      return 'breakout-boolean';
    }
    return null;
  }
  if (k === OP && fromQuote) {
    // `'+ ASCII(…)`, `' || (SELECT …) || '`, `'=sleep(5)='`
    if (callAt(j + 1, n, false) || (j + 2 < n && kinds[j + 1] === LPAREN && callAt(j + 2, n, false))) return 'breakout-expression';
    return null;
  }
  if (k === WORD) {
    if (c === K_CLAUSE) {
      const next = j + 1 < n ? kinds[j + 1] : 0;
      if (next === WORD || next === NUM || next === LPAREN) return 'breakout-clause';
    }
    if (c === K_WAITFOR || (c === K_EXEC && fromQuote && j + 1 < n && (kinds[j + 1] === WORD || kinds[j + 1] === VAR))) return 'breakout-exec';
    if (c === K_CMP && fromQuote && j + 1 < n && (kinds[j + 1] === NUM || kinds[j + 1] === LPAREN)) return 'breakout-boolean';
  }
  return null;
}

/** `union`, `select` or `information_schema` somewhere in `s[0..end)` (any case). */
function hasBareKeyword(s: string, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i) | 0x20;
    if (c === 117 /* u */ ? hasAt(s, i, 'union') : c === 115 /* s */ ? hasAt(s, i, 'select') : c === 105 /* i */ && hasAt(s, i, 'information_schema')) return true;
  }
  return false;
}

/** Runs the SQL rules over `value` (only its first `maxLength` characters). */
export function sqlInjectionSignal(value: string, maxLength: number): PatternSignal | null {
  const end = value.length < maxLength ? value.length : maxLength;
  let interesting = false;
  for (let i = 0; i < end; i++) {
    const c = value.charCodeAt(i);
    if (c < 128 ? INTERESTING[c] === 1 : c >= 0x2018 && c <= 0x201d) {
      interesting = true;
      break;
    }
  }
  // `1 union select 2` has no punctuation but keywords; check those cheaply.
  if (!interesting && !hasBareKeyword(value, end)) return null;
  const n = tokenize(value, end);
  for (let t = 0; t < n; t++) {
    const k = kinds[t];
    const c = classes[t];
    if (k === WORD) {
      if (c === K_UNION) {
        let j = t + 1;
        while (j < n && (kinds[j] === LPAREN || isWordOf(j, n, K_ALLDISTINCT))) j++;
        if (isWordOf(j, n, K_SELECT)) return { signal: 'union-select', strong: true };
      } else if (c === K_DANGER_FN || c === K_INFO_FN) {
        if (callAt(t, n, true)) return { signal: 'sql-function', strong: c === K_DANGER_FN };
      } else if (c === K_DANGER_ID) {
        return { signal: 'sql-catalog', strong: true };
      } else if (c === K_WAITFOR && t + 1 < n && kinds[t + 1] === WORD) {
        return { signal: 'time-delay', strong: true };
      } else if (c === K_LOGIC && (t === 0 || isOperandToken(t - 1)) && booleanTail(t + 1, n, true)) {
        return { signal: 'boolean', strong: false };
      } else if (c === K_EXEC && t === 0 && t + 1 < n && (classes[t + 1] === K_SYSPROC || kinds[t + 1] === LPAREN)) {
        return { signal: 'exec', strong: true };
      } else if (c === K_SYSPROC && t > 0 && classes[t - 1] === K_EXEC) {
        return { signal: 'exec', strong: true };
      }
    } else if (k === VAR && c === K_DANGER_ID) {
      return { signal: 'sql-catalog', strong: true };
    } else if (k === QUOTE) {
      const hit = afterBreakout(t, n, true);
      if (hit !== null) return { signal: hit, strong: hit !== 'breakout-comment' };
    } else if (k === NUM && (t === 0 || (t === 1 && kinds[0] === OP))) {
      const hit = afterBreakout(t, n, false);
      if (hit !== null) return { signal: hit, strong: false };
    } else if (k === SEMI && stackedAt(t, n, false)) {
      return { signal: 'stacked-query', strong: true };
    } else if (k === OP && (opFlags[t] & OPF_LOGIC) !== 0 && t > 0 && isOperandToken(t - 1) && booleanTail(t + 1, n, true)) {
      return { signal: 'boolean', strong: false };
    }
  }
  return null;
}
