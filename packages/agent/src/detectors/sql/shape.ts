// Query shape: the statement with its values folded away, so the same
// statement with different values (or list lengths) has one shape.

import * as tok from '../../tokenizers/sql/index.js';
import * as markers from './markers.js';
import type { TokenBuffer } from '../../tokenizers/sql/index.js';
// Local bindings: some transpilers (esbuild's CommonJS output) make every
// read of an imported name a getter call, too slow for per-token loops.
const F_EXEC_CLOSE = tok.F_EXEC_CLOSE;
const F_EXEC_OPEN = tok.F_EXEC_OPEN;
const F_LINE_COMMENT = tok.F_LINE_COMMENT;
const F_UNTERMINATED = tok.F_UNTERMINATED;
const internWord = tok.internWord;
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
const nextSig = markers.nextSig;
const prevSig = markers.prevSig;

const W_IN = internWord('in');
const W_VALUES = internWord('values');
const W_VALUE = internWord('value');
const W_NULL = internWord('null');
const W_TRUE = internWord('true');
const W_FALSE = internWord('false');
const W_DEFAULT = internWord('default');

/** Whether token i ends a value, so a following `-` is binary. */
export function endsValue(buf: TokenBuffer, text: string, i: number): boolean {
  if (i < 0) return false;
  const k = buf.kinds[i];
  return (
    k === TK_NUMBER ||
    k === TK_STRING ||
    k === TK_IDENTIFIER ||
    k === TK_QUOTED_IDENTIFIER ||
    k === TK_PLACEHOLDER ||
    (k === TK_PUNCTUATION && text.charCodeAt(buf.starts[i]!) === 41) // )
  );
}

function isPunctAt(buf: TokenBuffer, text: string, i: number, code: number): boolean {
  return i < buf.count && buf.kinds[i] === TK_PUNCTUATION && text.charCodeAt(buf.starts[i]!) === code;
}

/** If `(` at i opens a list of literals only, the index of its `)`; else -1. */
function literalListEnd(buf: TokenBuffer, text: string, open: number): number {
  let literals = 0;
  for (let j = nextSig(buf, open); j < buf.count; j = nextSig(buf, j)) {
    const k = buf.kinds[j];
    if (k === TK_STRING || k === TK_NUMBER || k === TK_PLACEHOLDER) literals++;
    else if (k === TK_KEYWORD) {
      const w = buf.words[j];
      if (w !== W_NULL && w !== W_TRUE && w !== W_FALSE && w !== W_DEFAULT) return -1;
      literals++;
    } else if (k === TK_OPERATOR && isSignedNumber(buf, text, j)) continue;
    else if (k === TK_PUNCTUATION) {
      const c = text.charCodeAt(buf.starts[j]!);
      if (c === 41) return literals > 0 ? j : -1; // )
      if (c !== 44) return -1; // ,
    } else return -1;
  }
  return -1;
}

/** The shape of an already tokenized query. */
export function shapeOf(buf: TokenBuffer, text: string): string {
  const parts: string[] = [];
  const n = buf.count;
  let i = 0;
  while (i < n) {
    const k = buf.kinds[i]!;
    const s = buf.starts[i]!;
    const e = buf.ends[i]!;
    switch (k) {
      case TK_WHITESPACE:
        break;
      case TK_COMMENT: {
        const f = buf.flags[i]!;
        if ((f & F_EXEC_OPEN) !== 0) parts.push('/*!');
        else if ((f & F_EXEC_CLOSE) !== 0) parts.push('*/');
        else if ((f & F_LINE_COMMENT) !== 0) parts.push('--');
        else parts.push((f & F_UNTERMINATED) !== 0 ? '/*' : '/**/');
        break;
      }
      case TK_STRING:
      case TK_NUMBER:
      case TK_PLACEHOLDER:
        parts.push('?');
        break;
      case TK_OPERATOR:
        // a sign that belongs to a number literal folds with it
        if (!(isSignedNumber(buf, text, i) && !endsValue(buf, text, prevSig(buf, i)))) parts.push(text.slice(s, e));
        break;
      case TK_KEYWORD: {
        parts.push(text.slice(s, e).toUpperCase());
        const w = buf.words[i];
        if (w === W_IN || w === W_VALUES || w === W_VALUE) {
          let open = nextSig(buf, i);
          let close = isPunctAt(buf, text, open, 40) ? literalListEnd(buf, text, open) : -1;
          if (close === -1) break;
          parts.push('(', '?', ')');
          i = close;
          // VALUES (…), (…), … : every further row of literals folds into the first
          while (w !== W_IN) {
            const comma = nextSig(buf, close);
            if (!isPunctAt(buf, text, comma, 44)) break;
            open = nextSig(buf, comma);
            close = isPunctAt(buf, text, open, 40) ? literalListEnd(buf, text, open) : -1;
            if (close === -1) break;
            i = close;
          }
        }
        break;
      }
      default:
        parts.push(text.slice(s, e));
    }
    i++;
  }
  return parts.join(' ');
}
