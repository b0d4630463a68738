// Hand-written SQL tokenizer: an integer cursor over charCodeAt, a switch on
// the character, offsets only (strings are produced lazily by callers).
// Linear in the input, never throws, no regular expressions. Every character
// of the input belongs to exactly one token and tokens are contiguous.

import * as kinds from './kinds.js';
import * as dialects from './dialect.js';
import type { CompiledDialect } from './dialect.js';
import * as words from './words.js';

// Local copies of imported bindings: some transpilers (esbuild's CommonJS
// output, used by tsx) turn every read of an imported name into a getter
// call, which costs several times the tokenizing itself in this loop.
const TK_WHITESPACE = kinds.TK_WHITESPACE;
const TK_COMMENT = kinds.TK_COMMENT;
const TK_STRING = kinds.TK_STRING;
const TK_NUMBER = kinds.TK_NUMBER;
const TK_IDENTIFIER = kinds.TK_IDENTIFIER;
const TK_QUOTED_IDENTIFIER = kinds.TK_QUOTED_IDENTIFIER;
const TK_KEYWORD = kinds.TK_KEYWORD;
const TK_OPERATOR = kinds.TK_OPERATOR;
const TK_PUNCTUATION = kinds.TK_PUNCTUATION;
const TK_PLACEHOLDER = kinds.TK_PLACEHOLDER;
const F_UNTERMINATED = kinds.F_UNTERMINATED;
const F_EXEC_OPEN = kinds.F_EXEC_OPEN;
const F_EXEC_CLOSE = kinds.F_EXEC_CLOSE;
const F_LINE_COMMENT = kinds.F_LINE_COMMENT;
const Q_STRING = dialects.Q_STRING;
const Q_IDENTIFIER = dialects.Q_IDENTIFIER;
const ESC_BACKSLASH = dialects.ESC_BACKSLASH;
const ESC_NOT_PREFIX = dialects.ESC_NOT_PREFIX;
const lookupWord = words.lookupWord;
const lookupHashed = words.lookupHashed;
const hashStep = words.hashStep;
const HASH_SEED = words.HASH_SEED;
const hashFinish = words.hashFinish;

/** Struct-of-arrays token storage; reusable across calls to avoid allocation. */
export class TokenBuffer {
  count = 0;
  kinds: Uint8Array;
  flags: Uint8Array;
  starts: Int32Array;
  ends: Int32Array;
  /** Word id of identifiers and keywords (see words.ts), else -1. */
  words: Int32Array;

  constructor(capacity = 64) {
    const c = capacity < 4 ? 4 : capacity;
    this.kinds = new Uint8Array(c);
    this.flags = new Uint8Array(c);
    this.starts = new Int32Array(c);
    this.ends = new Int32Array(c);
    this.words = new Int32Array(c);
  }

  get capacity(): number {
    return this.kinds.length;
  }

  push(kind: number, start: number, end: number, flags: number, word: number): void {
    const i = this.count;
    if (i === this.kinds.length) this.grow();
    this.kinds[i] = kind;
    this.starts[i] = start;
    this.ends[i] = end;
    this.flags[i] = flags;
    this.words[i] = word;
    this.count = i + 1;
  }

  private grow(): void {
    const c = this.kinds.length * 2;
    const kinds = new Uint8Array(c);
    kinds.set(this.kinds);
    this.kinds = kinds;
    const flags = new Uint8Array(c);
    flags.set(this.flags);
    this.flags = flags;
    const starts = new Int32Array(c);
    starts.set(this.starts);
    this.starts = starts;
    const ends = new Int32Array(c);
    ends.set(this.ends);
    this.ends = ends;
    const words = new Int32Array(c);
    words.set(this.words);
    this.words = words;
  }
}

// Set by the scanners below when they run into the end of input.
let hitEnd = false;

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 128;
}

function isIdentPart(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c >= 128
  );
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function isOperatorChar(c: number): boolean {
  switch (c) {
    case 33: // !
    case 35: // #
    case 37: // %
    case 38: // &
    case 42: // *
    case 43: // +
    case 45: // -
    case 47: // /
    case 58: // :
    case 60: // <
    case 61: // =
    case 62: // >
    case 63: // ?
    case 64: // @
    case 94: // ^
    case 124: // |
    case 126: // ~
      return true;
    default:
      return false;
  }
}

function scanIdentifier(text: string, pos: number, n: number): number {
  while (pos < n && isIdentPart(text.charCodeAt(pos))) pos++;
  return pos;
}

// Hash of the last word scanned by scanWord, for the keyword lookup.
let wordHash = 0;

/** An identifier starting at pos (whose first char is c), hashing it on the way. */
function scanWord(text: string, pos: number, n: number, c: number): number {
  let h = hashStep(HASH_SEED, c);
  pos++;
  while (pos < n) {
    const x = text.charCodeAt(pos);
    if (!isIdentPart(x)) break;
    h = hashStep(h, x);
    pos++;
  }
  wordHash = hashFinish(h);
  return pos;
}

/** Body of a quoted string after the opening quote; returns the end offset. */
function scanString(text: string, pos: number, n: number, quote: number, backslash: boolean): number {
  while (pos < n) {
    const c = text.charCodeAt(pos);
    if (c === quote) {
      if (pos + 1 < n && text.charCodeAt(pos + 1) === quote) {
        pos += 2; // '' inside a literal
        continue;
      }
      return pos + 1;
    }
    if (c === 92 && backslash) {
      // \ escapes the next character, whatever it is
      if (pos + 1 >= n) break;
      pos += 2;
      continue;
    }
    pos++;
  }
  hitEnd = true;
  return n;
}

/** Body of a quoted identifier; doubling escapes only when open === close. */
function scanQuotedIdentifier(text: string, pos: number, n: number, close: number, doubling: boolean): number {
  while (pos < n) {
    if (text.charCodeAt(pos) === close) {
      if (doubling && pos + 1 < n && text.charCodeAt(pos + 1) === close) {
        pos += 2;
        continue;
      }
      return pos + 1;
    }
    pos++;
  }
  hitEnd = true;
  return n;
}

function scanLineComment(text: string, pos: number, n: number): number {
  while (pos < n) {
    const c = text.charCodeAt(pos);
    if (c === 10 || c === 13) return pos;
    pos++;
  }
  return n;
}

/** After the opening `/*`; returns the end offset. */
function scanBlockComment(text: string, pos: number, n: number, nested: boolean): number {
  let depth = 1;
  while (pos < n) {
    const c = text.charCodeAt(pos);
    if (c === 42 && pos + 1 < n && text.charCodeAt(pos + 1) === 47) {
      pos += 2;
      if (--depth === 0) return pos;
      continue;
    }
    if (nested && c === 47 && pos + 1 < n && text.charCodeAt(pos + 1) === 42) {
      pos += 2;
      depth++;
      continue;
    }
    pos++;
  }
  hitEnd = true;
  return n;
}

/**
 * PostgreSQL dollar quote at `pos` (a `$`): the end of the opening tag, or -1
 * when this `$` does not open one. The tag is `$` [ident-start ident-part*] `$`
 * where ident-part excludes `$`.
 */
function dollarTagEnd(text: string, pos: number, n: number): number {
  let p = pos + 1;
  if (p >= n) return -1;
  let c = text.charCodeAt(p);
  if (c === 36) return p + 1; // $$
  if (!isIdentStart(c)) return -1;
  p++;
  while (p < n) {
    c = text.charCodeAt(p);
    if (c === 36) return p + 1;
    if (!isIdentPart(c)) return -1;
    p++;
  }
  return -1;
}

/**
 * Body of a dollar-quoted string whose tag is text[tagStart, tagEnd).
 * Linear: a failed comparison at one `$` only reads tag characters, which
 * contain no `$`, so comparisons never overlap the next candidate.
 */
function scanDollarBody(text: string, tagStart: number, tagEnd: number, n: number): number {
  const tagLen = tagEnd - tagStart;
  let p = tagEnd;
  for (;;) {
    const d = text.indexOf('$', p);
    if (d === -1 || d + tagLen > n) break;
    let k = 1;
    while (k < tagLen && text.charCodeAt(d + k) === text.charCodeAt(tagStart + k)) k++;
    if (k === tagLen) return d + tagLen;
    p = d + 1;
  }
  hitEnd = true;
  return n;
}

function scanNumber(text: string, pos: number, n: number, prefixed: boolean): number {
  let c = text.charCodeAt(pos);
  if (prefixed && c === 48 && pos + 2 < n) {
    const x = text.charCodeAt(pos + 1) | 32;
    const d = text.charCodeAt(pos + 2);
    if (x === 120 && isHexDigit(d)) {
      // 0x…
      pos += 2;
      while (pos < n && (isHexDigit(text.charCodeAt(pos)) || text.charCodeAt(pos) === 95)) pos++;
      return pos;
    }
    if ((x === 98 && (d === 48 || d === 49)) || (x === 111 && d >= 48 && d <= 55)) {
      // 0b… 0o…
      pos += 2;
      while (pos < n && (isDigit(text.charCodeAt(pos)) || text.charCodeAt(pos) === 95)) pos++;
      return pos;
    }
  }
  while (pos < n && (isDigit((c = text.charCodeAt(pos))) || c === 95)) pos++;
  if (pos < n && text.charCodeAt(pos) === 46) {
    // a second dot (`1..5`) is left for the next token
    if (!(pos + 1 < n && text.charCodeAt(pos + 1) === 46)) {
      pos++;
      while (pos < n && isDigit(text.charCodeAt(pos))) pos++;
    }
  }
  if (pos + 1 < n && (text.charCodeAt(pos) | 32) === 101) {
    // exponent only when digits follow: `1e5`, `1e-5`
    let p = pos + 1;
    c = text.charCodeAt(p);
    if ((c === 43 || c === 45) && p + 1 < n) c = text.charCodeAt(++p);
    if (isDigit(c)) {
      pos = p;
      while (pos < n && isDigit(text.charCodeAt(pos))) pos++;
    }
  }
  return pos;
}

function scanOperator(text: string, pos: number, n: number, d: CompiledDialect, c: number): number {
  const candidates = c < 128 ? d.operatorsByFirst[c] : undefined;
  if (candidates !== undefined) {
    for (let i = 0; i < candidates.length; i++) {
      const op = candidates[i]!;
      const len = op.length;
      if (pos + len > n) continue;
      let k = 1;
      while (k < len && text.charCodeAt(pos + k) === op.charCodeAt(k)) k++;
      if (k === len) return pos + len;
    }
  }
  return pos + 1;
}

/**
 * Tokenizes `text` into `buf` (which is reset). Returns `buf`.
 */
export function tokenizeInto(buf: TokenBuffer, text: string, d: CompiledDialect): TokenBuffer {
  buf.count = 0;
  const spec = d.spec;
  const ph = spec.placeholders;
  const n = text.length;
  let pos = 0;
  // Index of the open `/*!` token while inside an executable comment.
  let execOpen = -1;
  // A word right after `.` is a column or table name, never a keyword.
  let afterDot = false;

  while (pos < n) {
    const start = pos;
    const c = text.charCodeAt(pos);
    const next = pos + 1 < n ? text.charCodeAt(pos + 1) : -1;
    let kind = TK_OPERATOR;
    let flags = 0;
    let word = -1;
    hitEnd = false;

    switch (c) {
      case 32: // space
      case 9: // \t
      case 10: // \n
      case 11: // \v
      case 12: // \f
      case 13: {
        // \r
        pos++;
        while (pos < n) {
          const w = text.charCodeAt(pos);
          if (w !== 32 && (w < 9 || w > 13)) break;
          pos++;
        }
        kind = TK_WHITESPACE;
        break;
      }

      case 39: // '
      case 34: // "
      case 96: // `
      case 91: {
        // [
        const q = d.quoteKind[c];
        if (q === Q_STRING) {
          pos = scanString(text, pos + 1, n, c, spec.backslashEscapes);
          kind = TK_STRING;
        } else if (q === Q_IDENTIFIER) {
          const close = d.quoteClose[c]!;
          pos = scanQuotedIdentifier(text, pos + 1, n, close, close === c);
          kind = TK_QUOTED_IDENTIFIER;
        } else {
          pos++; // `[` as a subscript, a stray quote character
        }
        break;
      }

      case 40: // (
      case 41: // )
      case 44: // ,
      case 59: // ;
        pos++;
        kind = TK_PUNCTUATION;
        break;

      case 46: // .
        if (isDigit(next)) {
          pos = scanNumber(text, pos, n, false);
          kind = TK_NUMBER;
        } else {
          pos++;
          kind = TK_PUNCTUATION;
        }
        break;

      case 48: // 0
      case 49:
      case 50:
      case 51:
      case 52:
      case 53:
      case 54:
      case 55:
      case 56:
      case 57: // 9
        pos = scanNumber(text, pos, n, spec.prefixedNumbers);
        kind = TK_NUMBER;
        if (spec.digitLeadingIdentifiers && pos < n && isIdentPart(text.charCodeAt(pos))) {
          // MySQL: `1abc`, `0xZZ` are identifiers
          pos = scanIdentifier(text, pos, n);
          kind = TK_IDENTIFIER;
        }
        break;

      case 45: // -
        if (next === 45) {
          const after = pos + 2 < n ? text.charCodeAt(pos + 2) : -1;
          // MySQL wants `-- ` : `1--1` is 1 - -1 there
          if (!spec.dashCommentNeedsSpace || after === -1 || after <= 32) {
            pos = scanLineComment(text, pos + 2, n);
            kind = TK_COMMENT;
            flags = F_LINE_COMMENT;
            break;
          }
        }
        pos = scanOperator(text, pos, n, d, c);
        break;

      case 35: // #
        if (spec.hashComments) {
          pos = scanLineComment(text, pos + 1, n);
          kind = TK_COMMENT;
          flags = F_LINE_COMMENT;
        } else {
          pos = scanOperator(text, pos, n, d, c);
        }
        break;

      case 47: // /
        if (next === 42) {
          kind = TK_COMMENT;
          if (spec.executableComments && execOpen === -1) {
            // /*!50000 … */ and MariaDB /*M!100100 … */ are code
            let p = pos + 2;
            if (p < n && text.charCodeAt(p) === 77 && p + 1 < n && text.charCodeAt(p + 1) === 33) p++;
            if (p < n && text.charCodeAt(p) === 33) {
              p++;
              while (p < n && isDigit(text.charCodeAt(p))) p++;
              pos = p;
              flags = F_EXEC_OPEN;
              execOpen = buf.count;
              break;
            }
          }
          pos = scanBlockComment(text, pos + 2, n, spec.nestedBlockComments);
        } else {
          pos = scanOperator(text, pos, n, d, c);
        }
        break;

      case 42: // *
        if (execOpen !== -1 && next === 47) {
          pos += 2;
          kind = TK_COMMENT;
          flags = F_EXEC_CLOSE;
          execOpen = -1;
        } else {
          pos = scanOperator(text, pos, n, d, c);
        }
        break;

      case 36: {
        // $
        if (spec.dollarQuotes) {
          const tagEnd = dollarTagEnd(text, pos, n);
          if (tagEnd !== -1) {
            pos = scanDollarBody(text, pos, tagEnd, n);
            kind = TK_STRING;
            break;
          }
        }
        if (ph.dollarNumbered && isDigit(next)) {
          pos += 2;
          while (pos < n && isDigit(text.charCodeAt(pos))) pos++;
          kind = TK_PLACEHOLDER;
        } else if (ph.dollarNamed && next !== -1 && isIdentStart(next)) {
          pos = scanIdentifier(text, pos + 1, n);
          kind = TK_PLACEHOLDER;
        } else if (spec.dollarStartsIdentifier && next !== -1 && isIdentPart(next)) {
          pos = scanIdentifier(text, pos + 1, n);
          kind = TK_IDENTIFIER;
          word = lookupWord(text, start, pos);
        } else {
          pos++;
        }
        break;
      }

      case 63: // ?
        if (ph.question) {
          pos++;
          if (ph.questionNumbered) while (pos < n && isDigit(text.charCodeAt(pos))) pos++;
          kind = TK_PLACEHOLDER;
        } else {
          pos = scanOperator(text, pos, n, d, c);
        }
        break;

      case 58: // :
        if (ph.colonNamed && next !== -1 && isIdentStart(next)) {
          pos = scanIdentifier(text, pos + 1, n);
          kind = TK_PLACEHOLDER;
        } else {
          pos = scanOperator(text, pos, n, d, c);
        }
        break;

      case 64: // @
        if (ph.atNamed && next !== -1 && isIdentStart(next)) {
          pos = scanIdentifier(text, pos + 1, n);
          kind = TK_PLACEHOLDER;
        } else if (spec.atVariables && (next === 64 || (next !== -1 && isIdentPart(next)))) {
          // @var, @@session.var
          pos += next === 64 ? 2 : 1;
          pos = scanIdentifier(text, pos, n);
          kind = TK_IDENTIFIER;
        } else {
          pos = scanOperator(text, pos, n, d, c);
        }
        break;

      default:
        if (isIdentStart(c)) {
          // String prefixes: E'…' X'…' B'…' N'…' U&'…'
          if (c < 128 && next === 39 && d.prefixEscapes[c] !== ESC_NOT_PREFIX && d.quoteKind[39] === Q_STRING) {
            pos = scanString(text, pos + 2, n, 39, d.prefixEscapes[c] === ESC_BACKSLASH);
            kind = TK_STRING;
            break;
          }
          if (spec.unicodePrefix && (c | 32) === 117 && next === 38 && pos + 2 < n) {
            const q = text.charCodeAt(pos + 2);
            if (q === 39) {
              pos = scanString(text, pos + 3, n, 39, false);
              kind = TK_STRING;
              break;
            }
            if (q === 34) {
              pos = scanQuotedIdentifier(text, pos + 3, n, 34, true);
              kind = TK_QUOTED_IDENTIFIER;
              break;
            }
          }
          pos = scanWord(text, pos, n, c);
          if (spec.charsetIntroducers && c === 95 && pos < n && pos - start > 1) {
            // _utf8mb4'…' is one string literal
            const q = text.charCodeAt(pos);
            if (q < 128 && d.quoteKind[q] === Q_STRING) {
              pos = scanString(text, pos + 1, n, q, spec.backslashEscapes);
              kind = TK_STRING;
              break;
            }
          }
          word = lookupHashed(wordHash, text, start, pos);
          kind =
            word !== -1 && !afterDot && word < d.keywordById.length && d.keywordById[word] === 1
              ? TK_KEYWORD
              : TK_IDENTIFIER;
        } else if (c < 32 || c === 127) {
          pos++; // other control characters: not whitespace in any dialect
        } else if (isOperatorChar(c)) {
          pos = scanOperator(text, pos, n, d, c);
        } else {
          pos++; // { } ] \ and the like
        }
    }

    if (hitEnd) flags |= F_UNTERMINATED;
    buf.push(kind, start, pos, flags, word);
    if (kind !== TK_WHITESPACE && kind !== TK_COMMENT) afterDot = kind === TK_PUNCTUATION && c === 46;
  }
  if (execOpen !== -1) buf.flags[execOpen] |= F_UNTERMINATED;
  return buf;
}
