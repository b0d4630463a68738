// Hand-written POSIX sh tokenizer for command lines given to `/bin/sh -c`:
// an integer cursor over charCodeAt, a switch on the character, offsets only
// (strings are made by callers once a token is complete). Linear in the
// input, never throws, no regular expressions. bash extensions that change
// what runs (`$'…'`, `<(…)`, `&>`, `<<<`, brace expansion) are recognised too,
// because /bin/sh is bash on many systems.
//
// Tokens are in input order and do not overlap; what lies between them is
// blanks (space, tab) and backslash-newline line continuations only.
// Substitutions (`$(…)`, backticks, `${…}`, `$((…))`) are recorded as ranges
// inside their word; `tokenizeShell(src, from, to)` tokenizes such a range
// again when a caller wants to look inside.

import {
  G_BRACE,
  G_BRACKET,
  G_QUESTION,
  G_STAR,
  G_TILDE,
  Q_ANSI_C,
  Q_DOUBLE,
  Q_ESCAPE,
  Q_KIND_MASK,
  Q_LOCALE,
  Q_SINGLE,
  Q_UNTERMINATED,
  SF_ASSIGNMENT,
  SF_BRACE,
  SF_EXPANSION,
  SF_GLOB,
  SF_HEREDOC,
  SF_HEREDOC_STRIP,
  SF_HERESTRING,
  SF_LITERAL_BODY,
  SF_QUOTED,
  SF_TILDE,
  SF_UNTERMINATED,
  SH_AMP,
  SH_AND_IF,
  SH_COMMENT,
  SH_DSEMI,
  SH_HEREDOC_BODY,
  SH_LPAREN,
  SH_NEWLINE,
  SH_OR_IF,
  SH_PIPE,
  SH_REDIRECT,
  SH_RPAREN,
  SH_SEMI,
  SH_WORD,
  X_ARITH,
  X_BACKTICK,
  X_COMMAND,
  X_IN_DQUOTE,
  X_PARAM,
  X_PARAM_BRACE,
  X_PROCESS,
  X_UNTERMINATED,
} from './kinds.js';

export class ShellToken {
  /** Some part of the token was inside quotes or backslash-escaped. */
  readonly quoted: boolean;

  constructor(
    readonly kind: number,
    readonly start: number,
    readonly end: number,
    readonly flags: number,
    /** [kind, start, end] triples (Q_*), in order of start; null when none. */
    readonly quotes: readonly number[] | null,
    /** [kind, start, end] triples (X_*), outermost substitutions only, in order of start. */
    readonly expansions: readonly number[] | null,
    /** [kind, position] pairs (G_*) of unquoted pattern characters. */
    readonly globs: readonly number[] | null,
  ) {
    this.quoted = quotes !== null;
  }
}

// Frames of the nesting scanner.
const F_PAREN = 1; // $( … ) or a ( … ) inside it
const F_ARITH = 2; // $(( … ))
const F_BRACE = 3; // ${ … }
const F_DQUOTE = 4; // " … "
const F_AGROUP = 5; // ( … ) inside arithmetic

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/** Index after the closing backtick of a backtick substitution whose body starts at `i`, or -1. */
function skipBacktick(src: string, i: number, limit: number): number {
  while (i < limit) {
    const c = src.charCodeAt(i);
    if (c === 92) {
      // \
      i += 2;
    } else if (c === 96) {
      // `
      return i + 1;
    } else {
      i++;
    }
  }
  return -1;
}

/** Index after the closing `'` of a `$'…'` body starting at `i` (backslash escapes apply), or -1. */
function skipAnsiC(src: string, i: number, limit: number): number {
  while (i < limit) {
    const c = src.charCodeAt(i);
    if (c === 92) {
      // \
      i += 2;
    } else if (c === 39) {
      // '
      return i + 1;
    } else {
      i++;
    }
  }
  return -1;
}

/**
 * Finds the end of a nested construct whose body starts at `pos` (after
 * `$(`, `$((`, `${` or `"`). Iterative with an explicit stack, so deep
 * nesting costs memory, not call depth. Returns the index after the closing
 * delimiter, or -1 when the input ends first.
 *
 * Known gaps, as in old shells: a `)` of a `case` pattern, and here-documents,
 * inside `$(…)`.
 */
export function scanNested(src: string, pos: number, limit: number, first: number): number {
  const stack: number[] = [first];
  let i = pos;
  let wordStart = true;
  while (i < limit) {
    const top = stack[stack.length - 1];
    const c = src.charCodeAt(i);
    switch (c) {
      case 92: // \
        i += 2;
        wordStart = false;
        continue;
      case 96: {
        // `
        const j = skipBacktick(src, i + 1, limit);
        if (j < 0) return -1;
        i = j;
        wordStart = false;
        continue;
      }
      case 36: {
        // $
        const n = i + 1 < limit ? src.charCodeAt(i + 1) : -1;
        if (n === 40) {
          // (
          if (i + 2 < limit && src.charCodeAt(i + 2) === 40) {
            stack.push(F_ARITH);
            i += 3;
          } else {
            stack.push(F_PAREN);
            i += 2;
            wordStart = true;
          }
          continue;
        }
        if (n === 123) {
          // {
          stack.push(F_BRACE);
          i += 2;
          continue;
        }
        if (n === 39 && top !== F_DQUOTE) {
          // '
          const j = skipAnsiC(src, i + 2, limit);
          if (j < 0) return -1;
          i = j;
          wordStart = false;
          continue;
        }
        i++;
        wordStart = false;
        continue;
      }
      case 34: // "
        if (top === F_DQUOTE) {
          stack.pop();
          i++;
          if (stack.length === 0) return i;
          wordStart = false;
          continue;
        }
        stack.push(F_DQUOTE);
        i++;
        continue;
    }
    if (top === F_DQUOTE) {
      i++;
      continue;
    }
    switch (c) {
      case 39: {
        // '  (literal inside "${…}")
        if (top === F_BRACE && stack.length > 1 && stack[stack.length - 2] === F_DQUOTE) {
          i++;
          continue;
        }
        const j = indexIn(src, 39, i + 1, limit);
        if (j < 0) return -1;
        i = j + 1;
        wordStart = false;
        continue;
      }
      case 40: // (
        if (top === F_PAREN) {
          stack.push(F_PAREN);
          wordStart = true;
        } else if (top !== F_BRACE) {
          stack.push(F_AGROUP);
        }
        i++;
        continue;
      case 41: // )
        if (top === F_PAREN || top === F_AGROUP) {
          stack.pop();
          i++;
          if (stack.length === 0) return i;
          wordStart = false;
          continue;
        }
        if (top === F_ARITH) {
          if (i + 1 < limit && src.charCodeAt(i + 1) === 41) {
            stack.pop();
            i += 2;
            if (stack.length === 0) return i;
            continue;
          }
          i++; // a lone ) inside $(( … )) does not close it
          continue;
        }
        i++;
        continue;
      case 125: // }
        if (top === F_BRACE) {
          stack.pop();
          i++;
          if (stack.length === 0) return i;
          continue;
        }
        i++;
        wordStart = false;
        continue;
      case 35: // #
        if (top === F_PAREN && wordStart) {
          const j = indexIn(src, 10, i, limit);
          if (j < 0) return -1;
          i = j;
          continue;
        }
        i++;
        wordStart = false;
        continue;
      case 9: // tab
      case 10: // newline
      case 32: // space
      case 59: // ;
      case 38: // &
      case 124: // |
      case 60: // <
      case 62: // >
        wordStart = true;
        i++;
        continue;
    }
    wordStart = false;
    i++;
  }
  return -1;
}

class Lexer {
  readonly tokens: ShellToken[] = [];
  pos: number;
  // Here-documents whose bodies start after the next newline.
  private readonly hdDelims: string[] = [];
  private readonly hdFlags: number[] = [];
  // Flags of a `<<` redirect whose delimiter word comes next, else 0.
  private expectDelim = 0;
  // Records of the word being scanned.
  private wq: number[] | null = null;
  private wx: number[] | null = null;
  private wg: number[] | null = null;
  private wf = 0;

  constructor(
    private readonly src: string,
    from: number,
    private readonly end: number,
  ) {
    this.pos = from;
  }

  run(): ShellToken[] {
    const src = this.src;
    const end = this.end;
    while (this.pos < end) {
      const pos = this.pos;
      const c = src.charCodeAt(pos);
      const n = pos + 1 < end ? src.charCodeAt(pos + 1) : -1;
      switch (c) {
        case 32: // space
        case 9: // tab
          this.pos = pos + 1;
          continue;
        case 92: // \
          if (n === 10) {
            this.pos = pos + 2;
            continue;
          }
          this.word();
          continue;
        case 10: // newline
          this.simple(SH_NEWLINE, pos, pos + 1);
          if (this.hdDelims.length > 0) this.heredocBodies();
          continue;
        case 59: // ;
          if (n === 59) {
            // ;;  ;;&
            const n2 = pos + 2 < end ? src.charCodeAt(pos + 2) : -1;
            this.simple(SH_DSEMI, pos, n2 === 38 ? pos + 3 : pos + 2);
          } else if (n === 38) {
            // ;&
            this.simple(SH_DSEMI, pos, pos + 2);
          } else {
            this.simple(SH_SEMI, pos, pos + 1);
          }
          continue;
        case 38: // &
          if (n === 38) this.simple(SH_AND_IF, pos, pos + 2);
          else if (n === 62) this.redirect(pos, pos);
          else this.simple(SH_AMP, pos, pos + 1);
          continue;
        case 124: // |
          if (n === 124) this.simple(SH_OR_IF, pos, pos + 2);
          else if (n === 38) this.simple(SH_PIPE, pos, pos + 2);
          else this.simple(SH_PIPE, pos, pos + 1);
          continue;
        case 40: // (
          this.simple(SH_LPAREN, pos, pos + 1);
          continue;
        case 41: // )
          this.simple(SH_RPAREN, pos, pos + 1);
          continue;
        case 60: // <
        case 62: // >
          if (n === 40) this.word();
          else this.redirect(pos, pos);
          continue;
        case 35: {
          // #
          let j = indexIn(src, 10, pos, end);
          if (j < 0) j = end;
          this.simple(SH_COMMENT, pos, j);
          continue;
        }
      }
      if (c >= 48 && c <= 57) {
        // digits directly before < or > are an IO number: 2>&1
        let j = pos + 1;
        while (j < end) {
          const d = src.charCodeAt(j);
          if (d < 48 || d > 57) break;
          j++;
        }
        if (j < end) {
          const d = src.charCodeAt(j);
          if ((d === 60 || d === 62) && !(j + 1 < end && src.charCodeAt(j + 1) === 40)) {
            this.redirect(pos, j);
            continue;
          }
        }
      }
      this.word();
    }
    return this.tokens;
  }

  private simple(kind: number, start: number, end: number): void {
    this.tokens.push(new ShellToken(kind, start, end, 0, null, null, null));
    this.expectDelim = 0;
    this.pos = end;
  }

  private redirect(start: number, op: number): void {
    const src = this.src;
    const end = this.end;
    const c = src.charCodeAt(op);
    const n = op + 1 < end ? src.charCodeAt(op + 1) : -1;
    const n2 = op + 2 < end ? src.charCodeAt(op + 2) : -1;
    let i = op + 1;
    let flags = 0;
    switch (c) {
      case 60: // <
        if (n === 60) {
          if (n2 === 60) {
            // <<<
            i = op + 3;
            flags = SF_HERESTRING;
          } else if (n2 === 45) {
            // <<-
            i = op + 3;
            flags = SF_HEREDOC | SF_HEREDOC_STRIP;
          } else {
            // <<
            i = op + 2;
            flags = SF_HEREDOC;
          }
        } else if (n === 38 || n === 62) {
          // <&  <>
          i = op + 2;
        }
        break;
      case 62: // >
        if (n === 62 || n === 38 || n === 124) i = op + 2; // >>  >&  >|
        break;
      case 38: // &>  &>>
        i = n2 === 62 ? op + 3 : op + 2;
        break;
    }
    this.tokens.push(new ShellToken(SH_REDIRECT, start, i, flags, null, null, null));
    this.expectDelim = flags & SF_HEREDOC ? flags : 0;
    this.pos = i;
  }

  private word(): void {
    const src = this.src;
    const end = this.end;
    const start = this.pos;
    this.wq = null;
    this.wx = null;
    this.wg = null;
    this.wf = 0;
    let i = start;
    let bracketOpen = -1;
    let braceOpen = -1;
    let braceList = false;
    let sawEq = false;
    scan: while (i < end) {
      const c = src.charCodeAt(i);
      switch (c) {
        case 9: // tab
        case 10: // newline
        case 32: // space
        case 59: // ;
        case 38: // &
        case 124: // |
        case 40: // (
        case 41: // )
          break scan;
        case 60: // <
        case 62: // >
          if (i === start && i + 1 < end && src.charCodeAt(i + 1) === 40) {
            // <( … ) process substitution
            i = this.expansion(X_PROCESS, i, scanNested(src, i + 2, end, F_PAREN), false, end);
            continue;
          }
          break scan;
        case 92: // \
          if (i + 1 >= end) {
            i++;
            continue;
          }
          if (src.charCodeAt(i + 1) === 10) {
            i += 2;
            continue;
          }
          this.quote(Q_ESCAPE, i, i + 2);
          i += 2;
          continue;
        case 39: {
          // '
          const j = indexIn(src, 39, i + 1, end);
          if (j < 0) {
            this.quote(Q_SINGLE | Q_UNTERMINATED, i, end);
            this.wf |= SF_UNTERMINATED;
            i = end;
          } else {
            this.quote(Q_SINGLE, i, j + 1);
            i = j + 1;
          }
          continue;
        }
        case 34: // "
          i = this.dquote(i, i, Q_DOUBLE, end);
          continue;
        case 36: // $
          i = this.dollar(i, false, end);
          continue;
        case 96: // `
          i = this.expansion(X_BACKTICK, i, skipBacktick(src, i + 1, end), false, end);
          continue;
        case 42: // *
          this.glob(G_STAR, i);
          break;
        case 63: // ?
          this.glob(G_QUESTION, i);
          break;
        case 91: // [
          if (bracketOpen < 0) bracketOpen = i;
          break;
        case 93: // ]
          if (bracketOpen >= 0 && i > bracketOpen + 1) this.glob(G_BRACKET, bracketOpen);
          bracketOpen = -1;
          break;
        case 123: // {
          if (braceOpen < 0) {
            braceOpen = i;
            braceList = false;
          }
          break;
        case 44: // ,
          if (braceOpen >= 0) braceList = true;
          break;
        case 46: // .
          if (braceOpen >= 0 && i + 1 < end && src.charCodeAt(i + 1) === 46) braceList = true;
          break;
        case 125: // }
          if (braceOpen >= 0 && braceList) this.glob(G_BRACE, braceOpen);
          braceOpen = -1;
          break;
        case 126: // ~
          if (i === start) this.glob(G_TILDE, i);
          break;
        case 61: // =
          if (!sawEq) {
            sawEq = true;
            if (i > start && isNameStart(src.charCodeAt(start)) && this.wq === null && this.wx === null) {
              let k = start + 1;
              while (k < i && isNameChar(src.charCodeAt(k))) k++;
              if (k === i) this.wf |= SF_ASSIGNMENT;
            }
          }
          break;
      }
      i++;
    }
    if (i === start) i++; // never stall
    let flags = this.wf;
    if (this.wq !== null) flags |= SF_QUOTED;
    if (this.wx !== null) flags |= SF_EXPANSION;
    const tok = new ShellToken(SH_WORD, start, i, flags, this.wq, this.wx, this.wg);
    this.tokens.push(tok);
    this.pos = i;
    if (this.expectDelim !== 0) {
      this.hdDelims.push(wordValue(src, tok));
      this.hdFlags.push(this.expectDelim | (tok.quoted ? SF_LITERAL_BODY : 0));
      this.expectDelim = 0;
    }
  }

  private quote(kind: number, start: number, end: number): number {
    const q = this.wq ?? (this.wq = []);
    q.push(kind, start, end);
    return q.length - 3;
  }

  private glob(kind: number, pos: number): void {
    (this.wg ?? (this.wg = [])).push(kind, pos);
    this.wf |= kind === G_TILDE ? SF_TILDE : kind === G_BRACE ? SF_BRACE : SF_GLOB;
  }

  private expansion(kind: number, start: number, close: number, inDq: boolean, limit: number): number {
    let k = kind;
    let e = close;
    if (e < 0) {
      k |= X_UNTERMINATED;
      e = limit;
      this.wf |= SF_UNTERMINATED;
    }
    if (inDq) k |= X_IN_DQUOTE;
    (this.wx ?? (this.wx = [])).push(k, start, e);
    return e;
  }

  /** `"…"` (or the `"` of `$"…"`): `i` is the `"`, `qStart` where the record starts. */
  private dquote(i: number, qStart: number, kind: number, limit: number): number {
    const src = this.src;
    const slot = this.quote(kind, qStart, limit);
    const q = this.wq as number[];
    let j = i + 1;
    while (j < limit) {
      const c = src.charCodeAt(j);
      switch (c) {
        case 34: // "
          q[slot + 2] = j + 1;
          return j + 1;
        case 92: {
          // \  escapes only $ ` " \ and newline inside double quotes
          const n = j + 1 < limit ? src.charCodeAt(j + 1) : -1;
          if (n === 36 || n === 96 || n === 34 || n === 92) this.quote(Q_ESCAPE, j, j + 2);
          j += 2;
          continue;
        }
        case 36: // $
          j = this.dollar(j, true, limit);
          continue;
        case 96: // `
          j = this.expansion(X_BACKTICK, j, skipBacktick(src, j + 1, limit), true, limit);
          continue;
      }
      j++;
    }
    q[slot] = kind | Q_UNTERMINATED;
    this.wf |= SF_UNTERMINATED;
    return limit;
  }

  private dollar(i: number, inDq: boolean, limit: number): number {
    const src = this.src;
    const n = i + 1 < limit ? src.charCodeAt(i + 1) : -1;
    switch (n) {
      case 40: // (
        if (i + 2 < limit && src.charCodeAt(i + 2) === 40) {
          return this.expansion(X_ARITH, i, scanNested(src, i + 3, limit, F_ARITH), inDq, limit);
        }
        return this.expansion(X_COMMAND, i, scanNested(src, i + 2, limit, F_PAREN), inDq, limit);
      case 123: // {
        return this.expansion(X_PARAM_BRACE, i, scanNested(src, i + 2, limit, F_BRACE), inDq, limit);
      case 39: {
        // '  $'…'
        if (inDq) return i + 1;
        const e = skipAnsiC(src, i + 2, limit);
        if (e < 0) {
          this.quote(Q_ANSI_C | Q_UNTERMINATED, i, limit);
          this.wf |= SF_UNTERMINATED;
          return limit;
        }
        this.quote(Q_ANSI_C, i, e);
        return e;
      }
      case 34: // "  $"…"
        if (inDq) return i + 1;
        return this.dquote(i + 1, i, Q_LOCALE, limit);
      case 64: // @
      case 42: // *
      case 35: // #
      case 63: // ?
      case 36: // $
      case 33: // !
      case 45: // -
        return this.expansion(X_PARAM, i, i + 2, inDq, limit);
    }
    if (n >= 48 && n <= 57) return this.expansion(X_PARAM, i, i + 2, inDq, limit);
    if (isNameStart(n)) {
      let j = i + 2;
      while (j < limit && isNameChar(src.charCodeAt(j))) j++;
      return this.expansion(X_PARAM, i, j, inDq, limit);
    }
    return i + 1; // a literal $
  }

  private heredocBodies(): void {
    const src = this.src;
    const end = this.end;
    const count = this.hdDelims.length;
    for (let k = 0; k < count; k++) {
      const delim = this.hdDelims[k];
      const hf = this.hdFlags[k];
      const bodyStart = this.pos;
      let line = bodyStart;
      let contentEnd = end;
      let bodyEnd = end;
      let flags = hf & SF_LITERAL_BODY;
      let found = false;
      while (line < end) {
        let ls = line;
        if (hf & SF_HEREDOC_STRIP) {
          while (ls < end && src.charCodeAt(ls) === 9) ls++;
        }
        let le = indexIn(src, 10, line, end);
        if (le < 0) le = end;
        if (le - ls === delim.length && src.startsWith(delim, ls)) {
          contentEnd = line;
          bodyEnd = le < end ? le + 1 : le;
          found = true;
          break;
        }
        line = le + 1;
      }
      if (!found) flags |= SF_UNTERMINATED;
      this.wq = null;
      this.wx = null;
      this.wg = null;
      this.wf = 0;
      if (!(hf & SF_LITERAL_BODY)) {
        let i = bodyStart;
        while (i < contentEnd) {
          const c = src.charCodeAt(i);
          if (c === 92) {
            // \
            i += 2;
          } else if (c === 36) {
            // $
            i = this.dollar(i, true, contentEnd);
          } else if (c === 96) {
            // `
            i = this.expansion(X_BACKTICK, i, skipBacktick(src, i + 1, contentEnd), true, contentEnd);
          } else {
            i++;
          }
        }
        if (this.wx !== null) flags |= SF_EXPANSION;
        flags |= this.wf & SF_UNTERMINATED;
      }
      if (bodyEnd > bodyStart) {
        this.tokens.push(new ShellToken(SH_HEREDOC_BODY, bodyStart, bodyEnd, flags, null, this.wx, null));
      }
      this.pos = bodyEnd;
    }
    this.hdDelims.length = 0;
    this.hdFlags.length = 0;
  }
}

/**
 * Tokenizes `src[from, to)` as POSIX sh. Offsets in the tokens are offsets
 * into `src`.
 */
export function tokenizeShell(src: string, from = 0, to = src.length): ShellToken[] {
  const end = to > src.length ? src.length : to;
  const start = from < 0 ? 0 : from;
  if (start >= end) return [];
  return new Lexer(src, start, end).run();
}

/**
 * The word after quote removal: what the command receives for it when it has
 * no expansions (expansions are kept as written; `$'…'` escapes are not decoded).
 */
/** `src[a, b)` without backslash-newline line continuations. */
function unquoted(src: string, a: number, b: number): string {
  let out = '';
  let seg = a;
  for (let i = a; i + 1 < b; i++) {
    if (src.charCodeAt(i) === 92 && src.charCodeAt(i + 1) === 10) {
      // \ newline
      out += src.slice(seg, i);
      seg = i + 2;
      i++;
    }
  }
  return seg === a ? src.slice(a, b) : out + src.slice(seg, b);
}

/** First index of `code` in `src[from, limit)`, or -1. */
function indexIn(src: string, code: number, from: number, limit: number): number {
  for (let i = from; i < limit; i++) if (src.charCodeAt(i) === code) return i;
  return -1;
}

export function wordValue(src: string, tok: ShellToken): string {
  const q = tok.quotes;
  if (q === null) return unquoted(src, tok.start, tok.end);
  let out = '';
  let i = tok.start;
  for (let k = 0; k < q.length; k += 3) {
    const qs = q[k + 1];
    if (qs < i) continue; // an escape inside double quotes already copied
    const kind = q[k] & Q_KIND_MASK;
    const open = (q[k] & Q_UNTERMINATED) === 0;
    const qe = q[k + 2];
    out += unquoted(src, i, qs);
    switch (kind) {
      case Q_SINGLE:
        out += src.slice(qs + 1, open ? qe - 1 : qe);
        break;
      case Q_ESCAPE:
        out += src.slice(qs + 1, qe);
        break;
      case Q_ANSI_C:
        out += src.slice(qs + 2, open ? qe - 1 : qe);
        break;
      default: {
        // Q_DOUBLE, Q_LOCALE: apply the escapes recorded inside
        const cs = qs + (kind === Q_LOCALE ? 2 : 1);
        const ce = open ? qe - 1 : qe;
        let p = cs;
        for (let m = k + 3; m < q.length && q[m + 1] < ce; m += 3) {
          const es = q[m + 1];
          out += src.slice(p, es) + src.slice(es + 1, es + 2);
          p = es + 2;
        }
        out += src.slice(p, ce);
      }
    }
    i = qe;
  }
  return out + unquoted(src, i, tok.end);
}

/** Position of the first character of the word's value (past opening quotes and empty quotes). */
export function firstValueOffset(src: string, tok: ShellToken): number {
  let i = tok.start;
  const end = tok.end;
  while (i < end) {
    const c = src.charCodeAt(i);
    const n = i + 1 < end ? src.charCodeAt(i + 1) : -1;
    switch (c) {
      case 39: // '
      case 34: // "
        if (n === c) {
          i += 2;
          continue;
        }
        return i + 1;
      case 92: // \
        return i + 1;
      case 36: // $
        if (n === 39 || n === 34) return i + 2;
        return i;
    }
    return i;
  }
  return end;
}
