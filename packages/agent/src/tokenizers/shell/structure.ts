// What each word of a tokenized command line is: a command name, an
// argument, an assignment, a redirection target, a keyword … A small state
// machine over the token list (simple commands, `for`, `case`, function
// definitions); enough for command allowlists and option-injection checks,
// not a full parser.

import {
  SF_ASSIGNMENT,
  SH_DSEMI,
  SH_FIRST_OPERATOR,
  SH_LPAREN,
  SH_NEWLINE,
  SH_REDIRECT,
  SH_RPAREN,
  SH_SEMI,
  SH_WORD,
  X_BACKTICK,
  X_COMMAND,
  X_KIND_MASK,
  X_PROCESS,
  X_UNTERMINATED,
} from './kinds.js';
import { tokenizeShell, wordValue, type ShellToken } from './tokenizer.js';

export const ROLE_NONE = 0;
/** First word of a simple command. */
export const ROLE_COMMAND = 1;
/** A later word of a simple command, before any `--`. */
export const ROLE_ARGUMENT = 2;
/** A later word after a `--` end-of-options marker. */
export const ROLE_OPERAND = 3;
/** `NAME=value` before the command name. */
export const ROLE_ASSIGNMENT = 4;
/** The word after a redirection operator (file, fd, here-document delimiter). */
export const ROLE_REDIRECT_TARGET = 5;
/** A reserved word in command position (`if`, `then`, `do`, `{`, `!` …). */
export const ROLE_KEYWORD = 6;
/** `for` variable and list, `case` subject and patterns, function names. */
export const ROLE_OTHER = 7;

const M_NORMAL = 0;
const M_FOR_NAME = 1;
const M_FOR_IN = 2;
const M_FOR_LIST = 3;
const M_CASE_WORD = 4;
const M_CASE_IN = 5;
const M_CASE_PATTERN = 6;
const M_FUNC_NAME = 7;

const K_PLAIN = 1;
const K_FOR = 2;
const K_CASE = 3;
const K_FUNCTION = 4;
const K_ESAC = 5;

const KEYWORDS: Readonly<Record<string, number>> = {
  if: K_PLAIN,
  then: K_PLAIN,
  else: K_PLAIN,
  elif: K_PLAIN,
  fi: K_PLAIN,
  do: K_PLAIN,
  done: K_PLAIN,
  while: K_PLAIN,
  until: K_PLAIN,
  '{': K_PLAIN,
  '}': K_PLAIN,
  '!': K_PLAIN,
  time: K_PLAIN,
  for: K_FOR,
  select: K_FOR,
  case: K_CASE,
  esac: K_ESAC,
  function: K_FUNCTION,
};

function keywordOf(src: string, tok: ShellToken): number {
  const len = tok.end - tok.start;
  if (tok.quoted || len > 8) return 0;
  const w = src.slice(tok.start, tok.end);
  return Object.prototype.hasOwnProperty.call(KEYWORDS, w) ? KEYWORDS[w] : 0;
}

function isDoubleDash(src: string, tok: ShellToken): boolean {
  const len = tok.end - tok.start;
  if (len === 2) return src.charCodeAt(tok.start) === 45 && src.charCodeAt(tok.start + 1) === 45;
  if (!tok.quoted || len > 8) return false;
  return wordValue(src, tok) === '--';
}

/** One role per token (ROLE_NONE for tokens that are not words). */
export function classifyWords(src: string, tokens: readonly ShellToken[]): Uint8Array {
  const roles = new Uint8Array(tokens.length);
  let expectCmd = true;
  let afterDDash = false;
  let redirTarget = false;
  let mode = M_NORMAL;
  let caseDepth = 0;
  let lastCmd = -1;
  for (let t = 0; t < tokens.length; t++) {
    const tok = tokens[t];
    const kind = tok.kind;
    if (kind === SH_WORD) {
      if (redirTarget) {
        roles[t] = ROLE_REDIRECT_TARGET;
        redirTarget = false;
        continue;
      }
      switch (mode) {
        case M_FOR_NAME:
          roles[t] = ROLE_OTHER;
          mode = M_FOR_IN;
          continue;
        case M_FOR_IN:
          if (!tok.quoted && tok.end - tok.start === 2 && src.startsWith('in', tok.start)) {
            roles[t] = ROLE_KEYWORD;
            mode = M_FOR_LIST;
            continue;
          }
          mode = M_NORMAL; // `for x do …`
          break;
        case M_FOR_LIST:
          roles[t] = ROLE_OTHER;
          continue;
        case M_CASE_WORD:
          roles[t] = ROLE_OTHER;
          mode = M_CASE_IN;
          continue;
        case M_CASE_IN:
          roles[t] = ROLE_KEYWORD;
          mode = M_CASE_PATTERN;
          continue;
        case M_CASE_PATTERN:
          if (keywordOf(src, tok) === K_ESAC) {
            roles[t] = ROLE_KEYWORD;
            caseDepth--;
            mode = M_NORMAL;
            expectCmd = false;
          } else {
            roles[t] = ROLE_OTHER;
          }
          continue;
        case M_FUNC_NAME:
          roles[t] = ROLE_OTHER;
          mode = M_NORMAL;
          expectCmd = true;
          continue;
      }
      if (expectCmd) {
        if (tok.flags & SF_ASSIGNMENT) {
          roles[t] = ROLE_ASSIGNMENT;
          continue;
        }
        const kw = keywordOf(src, tok);
        if (kw !== 0) {
          roles[t] = ROLE_KEYWORD;
          if (kw === K_FOR) mode = M_FOR_NAME;
          else if (kw === K_CASE) {
            mode = M_CASE_WORD;
            caseDepth++;
          } else if (kw === K_FUNCTION) mode = M_FUNC_NAME;
          else if (kw === K_ESAC && caseDepth > 0) caseDepth--;
          continue;
        }
        roles[t] = ROLE_COMMAND;
        lastCmd = t;
        expectCmd = false;
        afterDDash = false;
        continue;
      }
      if (afterDDash) {
        roles[t] = ROLE_OPERAND;
      } else {
        roles[t] = ROLE_ARGUMENT;
        if (isDoubleDash(src, tok)) afterDDash = true;
      }
      continue;
    }
    if (kind === SH_REDIRECT) {
      redirTarget = true;
      continue;
    }
    if (kind === SH_NEWLINE || kind >= SH_FIRST_OPERATOR) {
      redirTarget = false;
      if (mode === M_FOR_IN || mode === M_FOR_LIST) {
        if (kind === SH_SEMI || kind === SH_NEWLINE) mode = M_NORMAL;
      } else if (mode === M_CASE_PATTERN) {
        if (kind === SH_RPAREN) {
          mode = M_NORMAL;
          expectCmd = true;
        }
        // `(` before a pattern, `|` between patterns, newlines: stay
        continue;
      } else if (mode === M_CASE_IN || mode === M_CASE_WORD) {
        if (kind !== SH_NEWLINE) mode = M_NORMAL;
        continue;
      }
      if (kind === SH_DSEMI && caseDepth > 0) {
        mode = M_CASE_PATTERN;
        continue;
      }
      if (
        kind === SH_LPAREN &&
        lastCmd === t - 1 &&
        t + 1 < tokens.length &&
        tokens[t + 1].kind === SH_RPAREN
      ) {
        // name() — a function definition, not a command
        roles[lastCmd] = ROLE_OTHER;
        lastCmd = -1;
        t++;
      }
      expectCmd = true;
      afterDDash = false;
    }
  }
  return roles;
}

/**
 * Names of the commands a shell line runs: the first word of each simple
 * command, as the shell passes it (quotes removed; words with expansions as
 * written), including commands inside `$(…)`, backticks and `<(…)`, up to
 * `maxDepth` levels of nesting.
 */
export function commandNames(src: string, from = 0, to = src.length, maxDepth = 8): string[] {
  const out: string[] = [];
  collectNames(src, tokenizeShell(src, from, to), out, maxDepth);
  return out;
}

function collectNames(src: string, tokens: readonly ShellToken[], out: string[], depth: number): void {
  const roles = classifyWords(src, tokens);
  for (let t = 0; t < tokens.length; t++) {
    const tok = tokens[t];
    if (roles[t] === ROLE_COMMAND) out.push(wordValue(src, tok));
    const x = tok.expansions;
    if (x === null || depth <= 0) continue;
    for (let k = 0; k < x.length; k += 3) {
      const kind = x[k] & X_KIND_MASK;
      if (kind !== X_COMMAND && kind !== X_BACKTICK && kind !== X_PROCESS) continue;
      const inner = innerRange(src, x[k], x[k + 1], x[k + 2]);
      collectNames(src, tokenizeShell(src, inner[0], inner[1]), out, depth - 1);
    }
  }
}

/** [start, end) of the body of a `$(…)`, `` `…` `` or `<(…)` record, without its delimiters. */
export function innerRange(src: string, kindBits: number, start: number, end: number): [number, number] {
  const kind = kindBits & X_KIND_MASK;
  const open = kind === X_BACKTICK ? start + 1 : start + 2;
  const closed = (kindBits & X_UNTERMINATED) === 0;
  let close = closed ? end - 1 : end;
  if (close < open) close = open;
  if (close > src.length) close = src.length;
  return [open, close];
}
