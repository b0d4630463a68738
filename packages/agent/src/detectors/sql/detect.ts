// SQL injection by input tracing: an input that occurs in the query and
// spans tokens beyond a plain list fragment changed the statement.

import type { Finding, ThreatLevel, UserInput } from '../types.js';
import * as tok from '../../tokenizers/sql/index.js';
import type { TokenBuffer } from '../../tokenizers/sql/index.js';
import * as markers from './markers.js';
import * as shape from './shape.js';

// Local bindings: some transpilers (esbuild's CommonJS output) make every
// read of an imported name a getter call, too slow for per-token loops.
const dialectByName = tok.dialectByName;
const tokenizeInto = tok.tokenizeInto;
const internWord = tok.internWord;
const TOKEN_KIND_NAMES = tok.TOKEN_KIND_NAMES;
const F_EXEC_CLOSE = tok.F_EXEC_CLOSE;
const F_EXEC_OPEN = tok.F_EXEC_OPEN;
const F_LINE_COMMENT = tok.F_LINE_COMMENT;
const F_UNTERMINATED = tok.F_UNTERMINATED;
const TK_COMMENT = tok.TK_COMMENT;
const TK_IDENTIFIER = tok.TK_IDENTIFIER;
const TK_KEYWORD = tok.TK_KEYWORD;
const TK_NUMBER = tok.TK_NUMBER;
const TK_OPERATOR = tok.TK_OPERATOR;
const TK_PLACEHOLDER = tok.TK_PLACEHOLDER;
const TK_PUNCTUATION = tok.TK_PUNCTUATION;
const TK_QUOTED_IDENTIFIER = tok.TK_QUOTED_IDENTIFIER;
const TK_STRING = tok.TK_STRING;
const TK_WHITESPACE = tok.TK_WHITESPACE;
const isSignedNumber = markers.isSignedNumber;
const prevSig = markers.prevSig;
const markerNames = markers.markerNames;
const markersInRange = markers.markersInRange;
const endsValue = shape.endsValue;
const shapeOf = shape.shapeOf;

const CRITICAL_MARKERS =
  markers.M_TAUTOLOGY |
  markers.M_UNION_SELECT |
  markers.M_STACKED_QUERY |
  markers.M_COMMENT_TRUNCATION |
  markers.M_TIME_FUNCTION |
  markers.M_FILE_FUNCTION;

export type SqlDialect = 'postgres' | 'mysql' | 'sqlite' | 'generic';

/** Occurrences of one input checked per query; an attacker gains nothing from more. */
const MAX_OCCURRENCES = 8;


// Keywords allowed inside a list fragment (`price desc nulls last, name`).
const W_ASC = internWord('asc');
const W_DESC = internWord('desc');
const W_NULLS = internWord('nulls');
const W_FIRST = internWord('first');
const W_LAST = internWord('last');

// One buffer reused by every call: detection is synchronous and never
// re-enters. Dropped after an unusually large query so it does not pin memory.
const SCRATCH_LIMIT = 1 << 14;
let scratch = new tok.TokenBuffer(256);

export function scratchBuffer(): TokenBuffer {
  if (scratch.capacity > SCRATCH_LIMIT) scratch = new tok.TokenBuffer(256);
  return scratch;
}

/** Only [A-Za-z0-9_]: a single token wherever it lands. */
function isWordOnly(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95)) return false;
  }
  return true;
}

function isQuoteChar(c: number): boolean {
  return c === 39 || c === 34 || c === 96 || c === 91; // ' " ` [
}

/** Index of the token containing offset `pos` (tokens are contiguous). */
function tokenAt(buf: TokenBuffer, pos: number): number {
  let lo = 0;
  let hi = buf.count - 1;
  const starts = buf.starts;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

// Result of the last judge() call, for building the finding.
let firstToken = 0;
let lastToken = 0;
let offender = -1; // first token outside the safe list, or -1 for a literal break

/** Whether the occurrence text[s, e) changed the statement's structure. */
function judge(buf: TokenBuffer, text: string, s: number, e: number): boolean {
  const i0 = tokenAt(buf, s);
  const i1 = tokenAt(buf, e - 1);
  firstToken = i0;
  lastToken = i1;
  offender = -1;
  if (i0 === i1) {
    // Inside one literal, number or name: data. An input that is just `--`
    // or a closed /* */ looks exactly like the app's own comment at that
    // spot, so only an unterminated block comment it opens counts (SQLite
    // runs the query with the rest swallowed; no app writes one).
    if (
      buf.kinds[i0] === TK_COMMENT &&
      buf.starts[i0]! >= s &&
      (buf.flags[i0]! & (F_UNTERMINATED | F_LINE_COMMENT)) === F_UNTERMINATED
    ) {
      offender = i0;
      return true;
    }
    return false;
  }
  let literalBreak = false;
  // Whether the input puts anything but whitespace outside literals.
  let code = false;
  for (let k = i0; k <= i1; k++) {
    switch (buf.kinds[k]) {
      case TK_WHITESPACE:
        continue;
      case TK_IDENTIFIER:
      case TK_NUMBER:
        code = true;
        continue;
      case TK_QUOTED_IDENTIFIER:
      case TK_STRING:
        if (buf.kinds[k] === TK_STRING || buf.starts[k]! < s || buf.ends[k]! > e) literalBreak = true;
        // Opening E'…', $$…$$, X'…' changes how the app's text after the input is read.
        if (buf.ends[k]! > e && buf.starts[k]! >= s && !isQuoteChar(text.charCodeAt(buf.starts[k]!))) code = true;
        continue;
      case TK_PUNCTUATION: {
        const c = text.charCodeAt(buf.starts[k]!);
        code = true;
        if (c === 44 || c === 46) continue; // , .
        break;
      }
      case TK_KEYWORD: {
        const w = buf.words[k];
        code = true;
        if (w === W_ASC || w === W_DESC || w === W_NULLS || w === W_FIRST || w === W_LAST) continue;
        // A keyword the occurrence only partly covers is the app's word: a
        // concatenated value never starts or ends inside one (`R ` in `ORDER BY`).
        if (buf.starts[k]! < s || buf.ends[k]! > e) continue;
        break;
      }
      case TK_OPERATOR:
        // `-1` as a value, not `a -1`
        code = true;
        if (k < i1 && isSignedNumber(buf, text, k) && !endsValue(buf, text, prevSig(buf, k))) continue;
        break;
      default:
        break; // comment, placeholder
    }
    offender = k;
    return true;
  }
  if (!literalBreak) return false;
  // Closing or opening a literal with only whitespace outside it adds no
  // code: that is the app's own text around a quote (` '` before a literal,
  // `' ` after one). Code that a quote-parity shift exposes comes from
  // another input, which is checked on its own.
  if (!code) return false;
  // The input only unbalanced the quotes (O'Brien concatenated unescaped):
  // the query now ends in an unterminated literal, which every supported
  // server rejects before running anything. The app's own error surfaces.
  const last = buf.count - 1;
  const lk = buf.kinds[last];
  if ((lk === TK_STRING || lk === TK_QUOTED_IDENTIFIER) && (buf.flags[last]! & F_UNTERMINATED) !== 0) return false;
  return true;
}

function describeToken(buf: TokenBuffer, text: string, i: number): string {
  const k = buf.kinds[i]!;
  const raw = text.slice(buf.starts[i], buf.ends[i]);
  switch (k) {
    case TK_KEYWORD:
      return raw.toUpperCase();
    case TK_COMMENT:
      return (buf.flags[i]! & (F_EXEC_OPEN | F_EXEC_CLOSE)) !== 0 ? 'an executable comment' : 'a comment';
    case TK_PLACEHOLDER:
      return 'a placeholder';
    case TK_PUNCTUATION:
      return raw === ';' ? 'a statement separator' : "'" + raw + "'";
    default:
      return "'" + (raw.length > 24 ? raw.slice(0, 24) + '…' : raw) + "'";
  }
}

function buildFinding(buf: TokenBuffer, text: string, dialect: string, input: UserInput, s: number, e: number): Finding {
  const i0 = firstToken;
  const i1 = lastToken;
  const markers = markersInRange(buf, text, i0, i1 + 1, dialect === 'mysql');
  const names = markerNames(markers);
  const closes =
    (buf.kinds[i0] === TK_STRING || buf.kinds[i0] === TK_QUOTED_IDENTIFIER) && buf.starts[i0]! < s && i0 !== i1;
  let what: string;
  if (offender === -1) what = 'text outside it';
  else if (buf.kinds[offender] === TK_COMMENT && i0 === i1) what = 'a comment';
  else what = describeToken(buf, text, offender);
  let description = closes
    ? 'input ' + input.path + ' closes a string literal and adds ' + what
    : offender === -1
      ? 'input ' + input.path + ' breaks out of a string literal'
      : 'input ' + input.path + ' adds ' + what + ' to the SQL statement';
  if (names.length > 0) description += ' (' + names.join(', ') + ')';

  const kinds: string[] = [];
  for (let k = i0; k <= i1; k++) {
    const name = TOKEN_KIND_NAMES[buf.kinds[k]!]!;
    if (buf.kinds[k] !== TK_WHITESPACE && !kinds.includes(name)) kinds.push(name);
  }
  const critical = (markers & CRITICAL_MARKERS) !== 0;
  const threatLevel: ThreatLevel = critical ? 'critical' : 'high';
  const detail: Record<string, string | number | boolean> = {
    dialect,
    tokens: i1 - i0 + 1,
    tokenKinds: kinds.join(','),
    offset: s,
    length: e - s,
  };
  if (names.length > 0) detail.markers = names.join(',');
  return {
    rule: 'sql_injection',
    threatLevel,
    confidence: critical ? 1 : 0.9,
    description,
    input,
    detail,
  };
}

/**
 * Input tracing. `inputs` are the request's strings, already expanded with
 * their decoded forms by the caller.
 */
export function detectSqlInjection(query: string, dialect: SqlDialect, inputs: readonly UserInput[]): Finding | null {
  if (typeof query !== 'string') return null;
  const qlen = query.length;
  let buf: TokenBuffer | null = null;
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!;
    const v = input.value;
    if (typeof v !== 'string') continue;
    const vlen = v.length;
    // A word is one token wherever it lands; ruling it out by its characters is cheaper than searching the query for it.
    if (vlen < 2 || vlen > qlen || isWordOnly(v)) continue;
    let at = query.indexOf(v);
    if (at === -1) continue;
    if (buf === null) buf = tokenizeInto(scratchBuffer(), query, dialectByName(dialect));
    for (let n = 0; at !== -1 && n < MAX_OCCURRENCES; n++) {
      if (judge(buf, query, at, at + vlen)) return buildFinding(buf, query, dialect, input, at, at + vlen);
      at = query.indexOf(v, at + 1);
    }
  }
  return null;
}

/** The query's shape (values folded). */
export function sqlShape(query: string, dialect: SqlDialect): string {
  const buf = tokenizeInto(scratchBuffer(), query, dialectByName(dialect));
  return shapeOf(buf, query);
}

/** Marker names present anywhere in the query. */
export function sqlMarkers(query: string, dialect: SqlDialect): string[] {
  const buf = tokenizeInto(scratchBuffer(), query, dialectByName(dialect));
  return markerNames(markersInRange(buf, query, 0, buf.count, dialect === 'mysql'));
}

/**
 * Stored or decoded payloads that no request input explains: a shape the
 * call site has not produced before that carries a marker none of its
 * known shapes carries.
 */
export function detectShapeAnomaly(
  query: string,
  dialect: SqlDialect,
  known: { shapes: ReadonlySet<string>; markers: ReadonlySet<string> },
): Finding | null {
  const buf = tokenizeInto(scratchBuffer(), query, dialectByName(dialect));
  const shape = shapeOf(buf, query);
  if (known.shapes.has(shape)) return null;
  const names = markerNames(markersInRange(buf, query, 0, buf.count, dialect === 'mysql'));
  let novel = '';
  for (const m of names) if (!known.markers.has(m)) novel = novel === '' ? m : novel + ',' + m;
  if (novel === '') return null;
  return {
    rule: 'sql_structure',
    threatLevel: 'high',
    confidence: 0.7,
    description: 'query has a shape not seen at this call site, with ' + novel.split(',').join(', '),
    detail: { dialect, markers: novel },
  };
}
