// Injection markers: structural facts about a token range that attacks need
// and ordinary application queries rarely have. Used for threat levels, for
// explaining a finding, and by the shape baseline.

import * as tok from '../../tokenizers/sql/index.js';
import type { TokenBuffer } from '../../tokenizers/sql/index.js';
// Local bindings: some transpilers (esbuild's CommonJS output) make every
// read of an imported name a getter call, too slow for per-token loops.
const F_EXEC_CLOSE = tok.F_EXEC_CLOSE;
const F_EXEC_OPEN = tok.F_EXEC_OPEN;
const F_LINE_COMMENT = tok.F_LINE_COMMENT;
const F_UNTERMINATED = tok.F_UNTERMINATED;
const internWord = tok.internWord;
const lookupWord = tok.lookupWord;
const TK_COMMENT = tok.TK_COMMENT;
const TK_IDENTIFIER = tok.TK_IDENTIFIER;
const TK_KEYWORD = tok.TK_KEYWORD;
const TK_NUMBER = tok.TK_NUMBER;
const TK_OPERATOR = tok.TK_OPERATOR;
const TK_PUNCTUATION = tok.TK_PUNCTUATION;
const TK_QUOTED_IDENTIFIER = tok.TK_QUOTED_IDENTIFIER;
const TK_STRING = tok.TK_STRING;
const TK_WHITESPACE = tok.TK_WHITESPACE;

export const M_TAUTOLOGY = 1;
export const M_UNION_SELECT = 2;
export const M_STACKED_QUERY = 4;
export const M_COMMENT_TRUNCATION = 8;
export const M_TIME_FUNCTION = 16;
export const M_FILE_FUNCTION = 32;
export const M_SCHEMA_PROBE = 64;

/** Marker names by bit position; these strings are public (events, baselines). */
export const MARKER_NAMES: readonly string[] = [
  'tautology',
  'union_select',
  'stacked_query',
  'comment_truncation',
  'time_function',
  'file_function',
  'schema_probe',
];

export function markerNames(mask: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < MARKER_NAMES.length; i++) if ((mask & (1 << i)) !== 0) out.push(MARKER_NAMES[i]!);
  return out;
}

// Word ids used below.
export const W_OR = internWord('or');
const W_UNION = internWord('union');
const W_SELECT = internWord('select');
const W_ALL = internWord('all');
const W_DISTINCT = internWord('distinct');
const W_TRUE = internWord('true');
const W_FALSE = internWord('false');
const W_NULL = internWord('null');
const W_IS = internWord('is');
const W_NOT = internWord('not');
const W_LIKE = internWord('like');
const W_ILIKE = internWord('ilike');
const W_GLOB = internWord('glob');
const W_REGEXP = internWord('regexp');
const W_RLIKE = internWord('rlike');
const W_WAITFOR = internWord('waitfor');
const W_DELAY = internWord('delay');
const W_TIME = internWord('time');
const W_RANDOMBLOB = internWord('randomblob');
const W_ZEROBLOB = internWord('zeroblob');
const W_COPY = internWord('copy');
const W_PROGRAM = internWord('program');
const W_TO = internWord('to');
const W_FROM = internWord('from');
const W_ATTACH = internWord('attach');
const W_DATABASE = internWord('database');
const W_MYSQL = internWord('mysql');
const W_USER = internWord('user');

// Per-word classes.
const C_TIME_CALL = 1; // a call to it delays the query
const C_FILE_CALL = 2; // a call to it touches files or the OS
const C_FILE_WORD = 4; // the word alone does (INTO OUTFILE)
const C_SCHEMA = 8; // a catalog an attacker enumerates

const CLASSED: readonly (readonly [string, number])[] = [
  ['sleep', C_TIME_CALL],
  ['pg_sleep', C_TIME_CALL],
  ['pg_sleep_for', C_TIME_CALL],
  ['pg_sleep_until', C_TIME_CALL],
  ['benchmark', C_TIME_CALL],
  ['receive_message', C_TIME_CALL],
  ['load_file', C_FILE_CALL],
  ['pg_read_file', C_FILE_CALL],
  ['pg_read_binary_file', C_FILE_CALL],
  ['pg_ls_dir', C_FILE_CALL],
  ['pg_stat_file', C_FILE_CALL],
  ['lo_import', C_FILE_CALL],
  ['lo_export', C_FILE_CALL],
  ['load_extension', C_FILE_CALL],
  ['readfile', C_FILE_CALL],
  ['writefile', C_FILE_CALL],
  ['sys_exec', C_FILE_CALL],
  ['sys_eval', C_FILE_CALL],
  ['outfile', C_FILE_WORD],
  ['dumpfile', C_FILE_WORD],
  ['infile', C_FILE_WORD],
  ['xp_cmdshell', C_FILE_WORD],
  ['utl_file', C_FILE_WORD],
  ['information_schema', C_SCHEMA],
  ['pg_catalog', C_SCHEMA],
  ['pg_shadow', C_SCHEMA],
  ['pg_authid', C_SCHEMA],
  ['pg_user', C_SCHEMA],
  ['sqlite_master', C_SCHEMA],
  ['sqlite_schema', C_SCHEMA],
  ['sqlite_temp_master', C_SCHEMA],
  ['sysobjects', C_SCHEMA],
  ['syscolumns', C_SCHEMA],
];

const WORD_CLASS = (() => {
  const ids: number[] = [];
  for (const [w] of CLASSED) ids.push(internWord(w));
  let max = 0;
  for (const id of ids) if (id > max) max = id;
  const table = new Uint8Array(max + 1);
  for (let i = 0; i < CLASSED.length; i++) table[ids[i]!] |= CLASSED[i]![1];
  return table;
})();

/** Next token that is neither whitespace nor a comment, or buf.count. */
export function nextSig(buf: TokenBuffer, i: number): number {
  let j = i + 1;
  while (j < buf.count && (buf.kinds[j] === TK_WHITESPACE || buf.kinds[j] === TK_COMMENT)) j++;
  return j;
}

/** Previous significant token, or -1. */
export function prevSig(buf: TokenBuffer, i: number): number {
  let j = i - 1;
  while (j >= 0 && (buf.kinds[j] === TK_WHITESPACE || buf.kinds[j] === TK_COMMENT)) j--;
  return j;
}

/** Whether token i's text is exactly `lit` (ASCII, case-sensitive). */
export function tokenIs(buf: TokenBuffer, text: string, i: number, lit: string): boolean {
  const s = buf.starts[i]!;
  if (buf.ends[i]! - s !== lit.length) return false;
  for (let k = 0; k < lit.length; k++) if (text.charCodeAt(s + k) !== lit.charCodeAt(k)) return false;
  return true;
}

function isPunct(buf: TokenBuffer, text: string, i: number, code: number): boolean {
  return i < buf.count && buf.kinds[i] === TK_PUNCTUATION && text.charCodeAt(buf.starts[i]!) === code;
}

/** Word id of identifiers, keywords and quoted identifiers (by their content). */
function wordAt(buf: TokenBuffer, text: string, i: number): number {
  const k = buf.kinds[i];
  if (k === TK_IDENTIFIER || k === TK_KEYWORD) return buf.words[i]!;
  if (k === TK_QUOTED_IDENTIFIER && (buf.flags[i]! & F_UNTERMINATED) === 0) {
    return lookupWord(text, buf.starts[i]! + 1, buf.ends[i]! - 1);
  }
  return -1;
}

function classOf(word: number): number {
  return word >= 0 && word < WORD_CLASS.length ? WORD_CLASS[word]! : 0;
}

/** Whether a signed number starts at i (`-1`, `+2`), so the sign is part of a literal. */
export function isSignedNumber(buf: TokenBuffer, text: string, i: number): boolean {
  if (buf.kinds[i] !== TK_OPERATOR || i + 1 >= buf.count || buf.kinds[i + 1] !== TK_NUMBER) return false;
  const c = text.charCodeAt(buf.starts[i]!);
  return buf.ends[i]! - buf.starts[i]! === 1 && (c === 45 || c === 43);
}

// Operand kinds for the tautology check.
const OPD_NONE = 0;
const OPD_CONST = 1;
const OPD_IDENT = 2;
let opdKind = OPD_NONE;
let opdToken = -1;

/** Reads an operand at i; sets opdKind/opdToken and returns the next significant token. */
function operand(buf: TokenBuffer, text: string, i: number): number {
  opdKind = OPD_NONE;
  opdToken = i;
  if (i >= buf.count) return i;
  if (isSignedNumber(buf, text, i)) {
    opdKind = OPD_CONST;
    opdToken = i + 1;
    return nextSig(buf, i + 1);
  }
  const k = buf.kinds[i];
  if (k === TK_STRING || k === TK_NUMBER) opdKind = OPD_CONST;
  else if (k === TK_KEYWORD) {
    const w = buf.words[i];
    if (w === W_TRUE || w === W_FALSE || w === W_NULL) opdKind = OPD_CONST;
  } else if (k === TK_IDENTIFIER || k === TK_QUOTED_IDENTIFIER) opdKind = OPD_IDENT;
  return opdKind === OPD_NONE ? i : nextSig(buf, i);
}

function sameText(text: string, a0: number, a1: number, b0: number, b1: number): boolean {
  if (a1 - a0 !== b1 - b0) return false;
  for (let k = 0; k < a1 - a0; k++) {
    let x = text.charCodeAt(a0 + k);
    let y = text.charCodeAt(b0 + k);
    if (x >= 65 && x <= 90) x |= 32;
    if (y >= 65 && y <= 90) y |= 32;
    if (x !== y) return false;
  }
  return true;
}

function isComparison(buf: TokenBuffer, text: string, i: number): number {
  // returns the token after the comparison operator, or -1
  if (i >= buf.count) return -1;
  const k = buf.kinds[i];
  if (k === TK_OPERATOR) {
    if (
      tokenIs(buf, text, i, '=') ||
      tokenIs(buf, text, i, '==') ||
      tokenIs(buf, text, i, '<>') ||
      tokenIs(buf, text, i, '!=') ||
      tokenIs(buf, text, i, '<') ||
      tokenIs(buf, text, i, '>') ||
      tokenIs(buf, text, i, '<=') ||
      tokenIs(buf, text, i, '>=') ||
      tokenIs(buf, text, i, '<=>')
    ) {
      return nextSig(buf, i);
    }
    return -1;
  }
  const w = wordAt(buf, text, i);
  if (w === W_IS) {
    const j = nextSig(buf, i);
    return j < buf.count && buf.words[j] === W_NOT ? nextSig(buf, j) : j;
  }
  if (w === W_LIKE || w === W_ILIKE || w === W_GLOB || w === W_REGEXP || w === W_RLIKE) return nextSig(buf, i);
  return -1;
}

function isTruthyConstant(buf: TokenBuffer, text: string, i: number): boolean {
  const k = buf.kinds[i];
  if (k === TK_KEYWORD) return buf.words[i] === W_TRUE;
  if (k !== TK_NUMBER) return false;
  for (let p = buf.starts[i]!; p < buf.ends[i]!; p++) {
    const c = text.charCodeAt(p);
    if (c !== 48 && c !== 46) return true; // not only 0 and .
  }
  return false;
}

/** `OR <always true>` at token i (the OR). */
function tautologyAt(buf: TokenBuffer, text: string, i: number): boolean {
  let j = nextSig(buf, i);
  while (isPunct(buf, text, j, 40)) j = nextSig(buf, j); // (
  if (j >= buf.count) return false;
  const after = operand(buf, text, j);
  if (opdKind === OPD_NONE) return false;
  const aKind = opdKind;
  const aTok = opdToken;
  const b = isComparison(buf, text, after);
  if (b === -1) {
    // single operand: OR 1, OR true
    const ends =
      after >= buf.count ||
      buf.kinds[after] === TK_KEYWORD ||
      isPunct(buf, text, after, 41) || // )
      isPunct(buf, text, after, 59); // ;
    return ends && aKind === OPD_CONST && isTruthyConstant(buf, text, aTok);
  }
  operand(buf, text, b);
  if (aKind === OPD_CONST && opdKind === OPD_CONST) return true; // 1=1, 'a'='a', 2>1
  return (
    aKind === OPD_IDENT &&
    opdKind === OPD_IDENT &&
    sameText(text, buf.starts[aTok]!, buf.ends[aTok]!, buf.starts[opdToken]!, buf.ends[opdToken]!)
  );
}

function unionSelectAt(buf: TokenBuffer, text: string, i: number): boolean {
  let j = nextSig(buf, i);
  if (j < buf.count && (buf.words[j] === W_ALL || buf.words[j] === W_DISTINCT)) j = nextSig(buf, j);
  while (isPunct(buf, text, j, 40)) j = nextSig(buf, j);
  return j < buf.count && buf.words[j] === W_SELECT;
}

/** randomblob(N)/zeroblob(N) only delay with a large N. */
function largeBlobArgument(buf: TokenBuffer, text: string, paren: number): boolean {
  const a = nextSig(buf, paren);
  if (a >= buf.count || buf.kinds[a] !== TK_NUMBER) return true; // an expression: assume the worst
  if (!isPunct(buf, text, nextSig(buf, a), 41)) return true;
  const v = Number(text.slice(buf.starts[a], buf.ends[a]));
  return !(v < 1_000_000);
}

/** COPY … PROGRAM, COPY … TO/FROM '<server file>'. */
function copyTouchesFiles(buf: TokenBuffer, text: string, i: number): boolean {
  // Stops at the next COPY too, so scans from successive COPYs never overlap.
  for (let j = nextSig(buf, i); j < buf.count && !isPunct(buf, text, j, 59); j = nextSig(buf, j)) {
    const w = wordAt(buf, text, j);
    if (w === W_COPY) return false;
    if (w === W_PROGRAM) return true;
    if (w === W_TO || w === W_FROM) {
      const t = nextSig(buf, j);
      if (t < buf.count && buf.kinds[t] === TK_STRING) return true;
    }
  }
  return false;
}

/**
 * Marker bits for the significant tokens in [from, to). Context checks may
 * read beyond `to` (what follows a comment, the argument of a call).
 */
export function markersInRange(buf: TokenBuffer, text: string, from: number, to: number, pipesAreOr: boolean): number {
  let m = 0;
  const count = buf.count;
  // Last significant token, found once: asking nextSig from every comment
  // in a long run of comments would be quadratic.
  let lastSig = count - 1;
  while (lastSig >= 0 && (buf.kinds[lastSig] === TK_WHITESPACE || buf.kinds[lastSig] === TK_COMMENT)) lastSig--;
  for (let i = from; i < to && i < count; i++) {
    const k = buf.kinds[i];
    switch (k) {
      case TK_COMMENT: {
        const f = buf.flags[i]!;
        if ((f & (F_EXEC_OPEN | F_EXEC_CLOSE)) !== 0) break;
        if ((f & F_LINE_COMMENT) !== 0 ? i > lastSig : (f & F_UNTERMINATED) !== 0) {
          m |= M_COMMENT_TRUNCATION;
        }
        break;
      }
      case TK_PUNCTUATION:
        if (text.charCodeAt(buf.starts[i]!) === 59 && nextSig(buf, i) < count) m |= M_STACKED_QUERY; // ;
        break;
      case TK_OPERATOR:
        // MySQL treats || as OR unless PIPES_AS_CONCAT
        if (pipesAreOr && tokenIs(buf, text, i, '||') && tautologyAt(buf, text, i)) m |= M_TAUTOLOGY;
        break;
      case TK_KEYWORD:
      case TK_IDENTIFIER:
      case TK_QUOTED_IDENTIFIER: {
        const w = wordAt(buf, text, i);
        if (w < 0) break;
        if (w === W_OR) {
          if (tautologyAt(buf, text, i)) m |= M_TAUTOLOGY;
          break;
        }
        if (w === W_UNION) {
          if (unionSelectAt(buf, text, i)) m |= M_UNION_SELECT;
          break;
        }
        if (w === W_WAITFOR) {
          const j = nextSig(buf, i);
          if (j < count && (buf.words[j] === W_DELAY || buf.words[j] === W_TIME)) m |= M_TIME_FUNCTION;
          break;
        }
        if (w === W_COPY && k === TK_KEYWORD) {
          if (copyTouchesFiles(buf, text, i)) m |= M_FILE_FUNCTION;
          break;
        }
        if (w === W_ATTACH) {
          const j = nextSig(buf, i);
          if (j < count && (buf.words[j] === W_DATABASE || buf.kinds[j] === TK_STRING)) m |= M_FILE_FUNCTION;
          break;
        }
        if (w === W_MYSQL) {
          const d = nextSig(buf, i);
          if (isPunct(buf, text, d, 46) && wordAt(buf, text, nextSig(buf, d)) === W_USER) m |= M_SCHEMA_PROBE;
          break;
        }
        if (w === W_RANDOMBLOB || w === W_ZEROBLOB) {
          const p = nextSig(buf, i);
          if (isPunct(buf, text, p, 40) && largeBlobArgument(buf, text, p)) m |= M_TIME_FUNCTION;
          break;
        }
        const c = classOf(w);
        if (c === 0) break;
        if ((c & C_SCHEMA) !== 0) m |= M_SCHEMA_PROBE;
        if ((c & C_FILE_WORD) !== 0) m |= M_FILE_FUNCTION;
        if ((c & (C_TIME_CALL | C_FILE_CALL)) !== 0 && isPunct(buf, text, nextSig(buf, i), 40)) {
          m |= (c & C_TIME_CALL) !== 0 ? M_TIME_FUNCTION : M_FILE_FUNCTION;
        }
        break;
      }
      default:
        break;
    }
  }
  return m;
}
