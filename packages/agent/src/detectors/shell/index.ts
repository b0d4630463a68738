// Shell command injection. The command line is tokenized as POSIX sh; each
// request input that occurs in it is checked for the syntax its occurrence
// brings: operators, redirections, substitutions, expansions, comments,
// newlines, quotes that end the application's quoting. Word splitting alone
// is not injection (`convert my photo.jpg out.png` stays allowed); unquoted
// patterns are reported with low confidence; an input that starts a new
// argument with a dangerous option is option injection.

import type { Finding, UserInput } from '../types.js';
import {
  G_KIND_NAMES,
  Q_ANSI_C,
  Q_ESCAPE,
  Q_KIND_MASK,
  Q_LOCALE,
  Q_UNTERMINATED,
  ROLE_ARGUMENT,
  SH_COMMENT,
  SH_HEREDOC_BODY,
  SH_LPAREN,
  SH_NEWLINE,
  SH_REDIRECT,
  SH_RPAREN,
  SH_WORD,
  SF_UNTERMINATED,
  X_ARITH,
  X_BACKTICK,
  X_COMMAND,
  X_KIND_MASK,
  X_KIND_NAMES,
  X_PARAM,
  X_PARAM_BRACE,
  X_PROCESS,
  X_UNTERMINATED,
  classifyWords,
  commandNames,
  firstValueOffset,
  innerRange,
  tokenizeShell,
  wordValue,
  type ShellToken,
} from '../../tokenizers/shell/index.js';
import { OPT_DANGEROUS, OPT_FLAG, optionGrade, runsCommand } from './options.js';

export { optionGrade, OPT_NONE, OPT_FLAG, OPT_DANGEROUS } from './options.js';

const R_NONE = 0;
const R_GLOB = 1;
const R_OPTION = 2;
/** Quotes that end the app's quoting, and nothing else. */
const R_QUOTE = 3;
const R_SYNTAX = 4;

/** Occurrences of one input examined per command. */
const MAX_OCCURRENCES = 64;
/** Levels of `$(…)` looked into when the input sits inside the application's own substitution. */
const MAX_DEPTH = 4;
const MAX_DETAIL = 64;

// What the last analysis found (set together with a non-zero result).
let hitWhat = '';
let hitPos = 0;
/** With a quote hit: the input ends a quoting the application opened (rather than only opening one the app closes). */
let hitEndsAppQuote = false;
// Tokens of substitution bodies already looked into during one call, by body start.
let innerCache: Map<number, [ShellToken[], Uint8Array]> | null = null;

function hit(what: string, pos: number): void {
  hitWhat = what;
  hitPos = pos;
}

function isSafeChar(c: number): boolean {
  // [A-Za-z0-9_.,/=:@+-]
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57)) return true;
  switch (c) {
    case 95: // _
    case 46: // .
    case 44: // ,
    case 47: // /
    case 61: // =
    case 58: // :
    case 64: // @
    case 43: // +
    case 45: // -
      return true;
  }
  return false;
}

/** `;`, `|`, `&`, `` ` ``, `$` and newline matter even as one-character inputs: joined with other inputs they form commands. */
function isSyntaxChar(c: number): boolean {
  switch (c) {
    case 59: // ;
    case 124: // |
    case 38: // &
    case 96: // `
    case 36: // $
    case 10: // newline
    case 60: // <
    case 62: // >
    case 40: // (
    case 41: // )
      return true;
  }
  return false;
}

/** Only quotes and blanks: such an input brings no word or operator; it can only re-split the app's words. */
function isQuotesOnly(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c !== 34 && c !== 39 && c !== 32 && c !== 9) return false;
  }
  return true;
}

/** Only syntax characters and blanks: such an input could as well be the application's own operator. */
function isSyntaxOnly(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (!isSyntaxChar(c) && c !== 32 && c !== 9) return false;
  }
  return true;
}

function firstTokenEndingAfter(tokens: readonly ShellToken[], s: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (tokens[mid].end <= s) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Does the input span [s, e) bring syntax into the tokens? Returns R_*; sets hitWhat/hitPos. */
function analyzeSpan(
  src: string,
  tokens: readonly ShellToken[],
  roles: Uint8Array,
  s: number,
  e: number,
  depth: number,
): number {
  let best = R_NONE;
  let bestWhat = '';
  let bestPos = 0;
  let bestEnds = false;
  for (let t = firstTokenEndingAfter(tokens, s); t < tokens.length; t++) {
    const tok = tokens[t];
    if (tok.start >= e) break;
    let r = R_NONE;
    hitEndsAppQuote = false;
    switch (tok.kind) {
      case SH_WORD:
        r = analyzeWord(src, tokens, roles, t, s, e, depth);
        break;
      case SH_HEREDOC_BODY: {
        // the input holds the delimiter line: what follows it is commands again
        const closed = (tok.flags & SF_UNTERMINATED) === 0;
        const last = closed ? src.lastIndexOf('\n', tok.end - 2) + 1 : -1;
        if (closed && last >= tok.start && last < e && tok.end > s) {
          r = R_SYNTAX;
          hit('end of here-document', last);
        } else {
          r = analyzeExpansions(src, tok, s, e, depth);
        }
        break;
      }
      case SH_COMMENT:
        if (tok.start >= s) {
          r = R_SYNTAX;
          hit('comment #', tok.start);
        }
        break;
      case SH_NEWLINE:
        r = R_SYNTAX;
        hit('newline (command separator)', tok.start);
        break;
      case SH_REDIRECT:
        r = R_SYNTAX;
        hit("redirection '" + src.slice(tok.start, tok.end) + "'", tok.start);
        break;
      default:
        r = R_SYNTAX;
        hit((tok.kind === SH_LPAREN || tok.kind === SH_RPAREN ? 'subshell ' : 'operator ') + "'" + src.slice(tok.start, tok.end) + "'", tok.start);
    }
    if (r > best) {
      best = r;
      bestWhat = hitWhat;
      bestPos = hitPos;
      bestEnds = hitEndsAppQuote;
      if (best === R_SYNTAX) break;
    }
  }
  hitWhat = bestWhat;
  hitPos = bestPos;
  hitEndsAppQuote = bestEnds;
  return best;
}

function analyzeWord(
  src: string,
  tokens: readonly ShellToken[],
  roles: Uint8Array,
  t: number,
  s: number,
  e: number,
  depth: number,
): number {
  const tok = tokens[t];
  let quote = false;
  // Quotes: the input must open and close its own quotes, never the
  // application's. Unless the word's value still holds the input verbatim:
  // then the quote characters that line up with the input's are the app's
  // escaping (`'ab'\''` for ab').
  const q = tok.quotes;
  if (q !== null && !(tok.start <= s && e <= tok.end && wordValue(src, tok).includes(src.slice(s, e)))) {
    for (let k = 0; k < q.length; k += 3) {
      const bits = q[k];
      const kind = bits & Q_KIND_MASK;
      const qs = q[k + 1];
      const qe = q[k + 2];
      if (qe <= s || qs >= e) continue;
      if (kind === Q_ESCAPE) {
        if (qs >= s && qe > e) {
          quote = true;
          hit('backslash escaping the text after the input', qs);
          break;
        }
        continue;
      }
      const openLen = kind === Q_ANSI_C || kind === Q_LOCALE ? 2 : 1;
      const openIn = qs < e && qs + openLen > s;
      const terminated = (bits & Q_UNTERMINATED) === 0;
      const closeIn = terminated && qe - 1 >= s && qe - 1 < e;
      if (openIn !== closeIn) {
        quote = true;
        hitEndsAppQuote = closeIn;
        hit('quote ' + src.charAt(openIn ? qs + openLen - 1 : qe - 1) + ' ending the quoting around it', openIn ? qs : qe - 1);
        break;
      }
      if (openIn && !terminated) {
        quote = true;
        hit('unterminated quote ' + src.charAt(qs + openLen - 1), qs);
        break;
      }
    }
  }
  const quoteWhat = hitWhat;
  const quotePos = hitPos;
  // Substitutions and expansions (and what lies inside the app's own).
  const r = analyzeExpansions(src, tok, s, e, depth);
  if (r === R_SYNTAX || (r === R_QUOTE && !quote)) return r;
  if (quote) {
    hit(quoteWhat, quotePos);
    return R_QUOTE;
  }
  if (optionHit(src, tokens, roles, t, s, e)) return R_OPTION;
  if (r !== R_NONE) return r; // an option or pattern inside the app's substitution
  // Unquoted patterns brought by the input.
  const g = tok.globs;
  if (g !== null) {
    for (let k = 0; k < g.length; k += 2) {
      const gp = g[k + 1];
      if (gp >= s && gp < e) {
        hit(G_KIND_NAMES[g[k]], gp);
        return R_GLOB;
      }
    }
  }
  return R_NONE;
}

/** The input starts a new argument with an option (and no `--` came before). */
function optionHit(
  src: string,
  tokens: readonly ShellToken[],
  roles: Uint8Array,
  t: number,
  s: number,
  e: number,
): boolean {
  if (roles[t] !== ROLE_ARGUMENT) return false;
  const tok = tokens[t];
  const p0 = firstValueOffset(src, tok);
  if (p0 < s || p0 >= e || src.charCodeAt(p0) !== 45) return false; // -
  if (t > 0 && roles[t - 1] === ROLE_ARGUMENT && tokens[t - 1].end <= s && takesValue(wordValue(src, tokens[t - 1]))) {
    return false; // grep -e "$p", git commit -m "$p": the app made it an option's value
  }
  const value = wordValue(src, tok);
  let grade = optionGrade(value);
  if (grade === OPT_FLAG) {
    // `-e sh` split by the shell: the input gives the option its argument too
    const next = t + 1 < tokens.length ? tokens[t + 1] : null;
    if (next !== null && next.kind === SH_WORD && next.start < e && roles[t + 1] === ROLE_ARGUMENT) {
      grade = OPT_DANGEROUS;
    }
  }
  if (grade !== OPT_DANGEROUS) return false;
  hit('option ' + (value.length > MAX_DETAIL ? value.slice(0, MAX_DETAIL) + '…' : value), p0);
  return true;
}

/** `-e` or `--regexp`: an option the app wrote bare, so the next word may be its value. */
function takesValue(w: string): boolean {
  if (w.length === 2) return w.charCodeAt(0) === 45 && w.charCodeAt(1) !== 45;
  return optionGrade(w) === OPT_FLAG && w.charCodeAt(1) === 45;
}

function analyzeExpansions(src: string, tok: ShellToken, s: number, e: number, depth: number): number {
  const x = tok.expansions;
  if (x === null) return R_NONE;
  for (let k = 0; k < x.length; k += 3) {
    const bits = x[k];
    const kind = bits & X_KIND_MASK;
    const xs = x[k + 1];
    const xe = x[k + 2];
    if (xe <= s || xs >= e) continue;
    if (xs >= s) {
      hit(X_KIND_NAMES[kind], xs);
      return R_SYNTAX;
    }
    // An expansion the application wrote, around or overlapping the input.
    const closed = (bits & X_UNTERMINATED) === 0;
    const closeLen = kind === X_PARAM ? 0 : kind === X_ARITH ? 2 : 1;
    if (closed && closeLen > 0 && xe - closeLen < e) {
      hit('end of ' + X_KIND_NAMES[kind], xe - closeLen);
      return R_SYNTAX;
    }
    if (kind === X_COMMAND || kind === X_BACKTICK || kind === X_PROCESS) {
      if (depth >= MAX_DEPTH) {
        hit(X_KIND_NAMES[kind] + ' nested too deep to inspect', xs);
        return R_SYNTAX;
      }
      const inner = innerRange(src, bits, xs, xe);
      if (innerCache === null) innerCache = new Map();
      let cached = innerCache.get(inner[0]);
      if (cached === undefined) {
        const innerTokens = tokenizeShell(src, inner[0], inner[1]);
        cached = [innerTokens, classifyWords(src, innerTokens)];
        innerCache.set(inner[0], cached);
      }
      const r = analyzeSpan(src, cached[0], cached[1], s, e, depth + 1);
      if (r !== R_NONE) return r;
    } else if (kind === X_PARAM_BRACE || kind === X_ARITH) {
      // inside ${…} or $((…)): only a substitution of its own can do harm
      for (let i = s; i < e; i++) {
        const c = src.charCodeAt(i);
        if (c === 96 || (c === 36 && i + 1 < e && (src.charCodeAt(i + 1) === 40 || src.charCodeAt(i + 1) === 123))) {
          hit(c === 96 ? X_KIND_NAMES[X_BACKTICK] : X_KIND_NAMES[src.charCodeAt(i + 1) === 40 ? X_COMMAND : X_PARAM_BRACE], i);
          return R_SYNTAX;
        }
      }
    }
  }
  return R_NONE;
}

function finding(
  input: UserInput,
  r: number,
  confidence: number,
  what: string,
  pos: number,
  occurrences: number,
): Finding {
  if (r >= R_QUOTE) {
    return {
      rule: 'shell_injection',
      threatLevel: confidence >= 0.9 ? 'critical' : 'high',
      confidence,
      description: 'User input adds shell syntax to a command line: ' + what,
      input,
      detail: { syntax: what, offset: pos, occurrences },
    };
  }
  if (r === R_OPTION && runsCommand(what)) {
    return {
      rule: 'shell_injection',
      threatLevel: 'critical',
      confidence: 0.9,
      description: 'User input adds an option that makes the command run another command: ' + what,
      input,
      detail: { syntax: what, offset: pos, occurrences },
    };
  }
  if (r === R_OPTION) {
    return {
      rule: 'shell_option_injection',
      threatLevel: 'medium',
      confidence: 0.6,
      description: 'User input adds an option to a command: ' + what,
      input,
      detail: { syntax: what, offset: pos, occurrences },
    };
  }
  return {
    rule: 'shell_injection',
    threatLevel: 'medium',
    confidence: 0.5,
    description: 'User input adds an unquoted shell pattern to a command line: ' + what,
    input,
    detail: { syntax: what, offset: pos, occurrences },
  };
}

/**
 * `command` is the full string given to `/bin/sh -c` (exec, execSync, spawn
 * with `shell: true` …). Returns the strongest finding over all inputs.
 */
export function detectShellInjection(command: string, inputs: readonly UserInput[]): Finding | null {
  if (typeof command !== 'string' || command.length === 0 || !Array.isArray(inputs)) return null;
  innerCache = null;
  const f = detect(command, inputs);
  innerCache = null;
  return f;
}

function detect(command: string, inputs: readonly UserInput[]): Finding | null {
  let tokens: ShellToken[] | null = null;
  let roles: Uint8Array | null = null;
  let best: Finding | null = null;
  for (let n = 0; n < inputs.length; n++) {
    const input = inputs[n];
    const v = input?.value;
    if (typeof v !== 'string') continue;
    const len = v.length;
    if (len === 0 || len > command.length) continue;
    const c0 = v.charCodeAt(0);
    if (len === 1 && !isSyntaxChar(c0)) continue;
    if (c0 !== 45) {
      // only [A-Za-z0-9_.,/=:@+-] and no leading '-': cannot bring syntax
      let safe = true;
      for (let i = 0; i < len; i++) {
        if (!isSafeChar(v.charCodeAt(i))) {
          safe = false;
          break;
        }
      }
      if (safe) continue;
    }
    let idx = command.indexOf(v);
    if (idx < 0) continue;
    if (tokens === null) {
      tokens = tokenizeShell(command);
      roles = classifyWords(command, tokens);
    }
    const syntaxOnly = isSyntaxOnly(v);
    const quotesOnly = isQuotesOnly(v);
    let occurrences = 0;
    let harmless = false;
    let r = R_NONE;
    let what = '';
    let pos = 0;
    while (idx >= 0 && occurrences < MAX_OCCURRENCES) {
      occurrences++;
      let ro = analyzeSpan(command, tokens, roles as Uint8Array, idx, idx + len, 0);
      // `" "` that ends the app's quote splits its word in two (`rm "/tmp/" "/cache"`);
      // a blank and a quote that only open one the app closes is where the app's own
      // separator and quote happen to spell the input (`echo " \"" …` for ` "`).
      if (quotesOnly && ro === R_QUOTE && !hitEndsAppQuote) ro = R_NONE;
      if (ro < (syntaxOnly ? R_SYNTAX : R_QUOTE)) harmless = true;
      if (ro > r) {
        r = ro;
        what = hitWhat;
        pos = hitPos;
        if (r === R_SYNTAX && !syntaxOnly) break;
      }
      idx = command.indexOf(v, idx + 1);
    }
    if (r === R_NONE) continue;
    // A quote that lines up with the app's own quoting at one place while the
    // input sits harmlessly at another: the app's text, not the input's.
    if (r === R_QUOTE && harmless) continue;
    let confidence = r >= R_QUOTE ? 0.95 : r === R_OPTION ? 0.6 : 0.5;
    if (syntaxOnly) {
      // `;` or `&&` as the whole input: the same characters may be the
      // application's own operators. Report only when no occurrence of the
      // input is harmless, and with less confidence.
      if (harmless) continue;
      confidence = 0.7;
    }
    if (best === null || confidence > best.confidence) {
      best = finding(input, r, confidence, what, pos, occurrences);
      if (confidence >= 0.95) return best;
    }
  }
  return best;
}

const SHELLS: ReadonlySet<string> = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'busybox']);

function baseName(file: string): string {
  const i = file.lastIndexOf('/');
  return i < 0 ? file : file.slice(i + 1);
}

/**
 * argv of a shell-less call (execFile, spawn without `shell`): an argument
 * that is, or starts with, an input and is an option carrying a value (or a
 * dangerous flag), before any `--`. When `file` is a shell run with `-c`, its
 * command string is checked as a shell line.
 */
export function detectOptionInjection(file: string, args: readonly string[], inputs: readonly UserInput[]): Finding | null {
  if (!Array.isArray(args) || args.length === 0) return null;
  const shell = typeof file === 'string' && SHELLS.has(baseName(file));
  let dashC = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (typeof a !== 'string') continue;
    if (shell) {
      if (dashC) {
        const f = detectShellInjection(a, inputs);
        if (f !== null) return f;
        break;
      }
      if (a.length >= 2 && a.charCodeAt(0) === 45 && a.charCodeAt(1) !== 45 && a.indexOf('c') > 0) {
        dashC = true;
        continue;
      }
    }
    if (a === '--') break;
    if (a.length < 2 || a.charCodeAt(0) !== 45) continue;
    if (i > 0 && typeof args[i - 1] === 'string' && takesValue(args[i - 1])) continue;
    for (let n = 0; n < inputs.length; n++) {
      const input = inputs[n];
      const v = input.value;
      if (typeof v !== 'string' || v.length < 2 || v.charCodeAt(0) !== 45 || !a.startsWith(v)) continue;
      if (optionGrade(a) !== OPT_DANGEROUS) continue;
      const shown = a.length > MAX_DETAIL ? a.slice(0, MAX_DETAIL) + '…' : a;
      if (runsCommand(i + 1 < args.length ? `${a} ${String(args[i + 1])}` : a)) {
        return {
          rule: 'shell_injection',
          threatLevel: 'critical',
          confidence: 0.9,
          description: 'User input passes ' + baseName(String(file)) + ' an option that runs a command: ' + shown,
          input,
          detail: { syntax: 'option ' + shown, argument: i },
        };
      }
      return {
        rule: 'shell_option_injection',
        threatLevel: 'medium',
        confidence: 0.6,
        description: 'User input is passed to ' + baseName(String(file)) + ' as the option ' + shown,
        input,
        detail: { syntax: 'option ' + shown, argument: i },
      };
    }
  }
  return null;
}

/**
 * Names of the commands a shell line runs: the first word of each simple
 * command with its path as written (`ls`, `/usr/bin/grep`), including those
 * inside substitutions. For command allowlists.
 */
export function shellCommandNames(command: string): string[] {
  if (typeof command !== 'string' || command.length === 0) return [];
  return commandNames(command);
}
