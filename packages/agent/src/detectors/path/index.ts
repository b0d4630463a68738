// Path traversal and sensitive files. An input that occurs in the path handed
// to fs and brings `..` segments, a NUL byte or an absolute path is a
// traversal when the resolved path leaves the directory the application
// meant: the directory written before the input (`/app/uploads/` + input), or
// the working directory when the input starts the path. Two checks cover
// inputs that no longer occur verbatim: a path the application resolved
// first (`path.resolve(base, input)`), and a sanitizer that stripped `../`
// once (`....//` becomes `../`). Pure: no Node.js imports.

import type { Finding, UserInput } from '../types.js';
import { isInside, normalizePosix, resolvePosix } from './posix.js';
import { sensitivePathMatch } from './sensitive.js';

export { normalizePosix, resolvePosix, isInside } from './posix.js';
export { sensitivePathMatch } from './sensitive.js';

export interface PathCheckOptions {
  /** process.cwd() of the app, absolute. */
  cwd: string;
  /** Absolute dirs the app may touch with user-influenced paths. */
  allowedDirs?: readonly string[];
  /** Extra absolute paths or prefixes (policy). */
  sensitivePaths?: readonly string[];
}

const MAX_OCCURRENCES = 8;

function inAllowed(resolved: string, allowed: readonly string[] | undefined): boolean {
  if (allowed === undefined || allowed === null) return false;
  for (let k = 0; k < allowed.length; k++) {
    const d = allowed[k];
    if (typeof d !== 'string' || d.length === 0) continue;
    if (isInside(resolved, normalizePosix(d.charCodeAt(0) === 47 ? d : '/' + d))) return true;
  }
  return false;
}

function isSep(c: number, backslash: boolean): boolean {
  return c === 47 || (backslash && c === 92);
}

/** Does a `..` segment of `path` overlap [s, e)? With `backslash`, `\` separates segments too. */
function dotDotIn(path: string, s: number, e: number, backslash: boolean): boolean {
  let a = s;
  while (a > 0 && !isSep(path.charCodeAt(a - 1), backslash)) a--;
  while (a < e) {
    let b = a;
    while (b < path.length && !isSep(path.charCodeAt(b), backslash)) b++;
    if (b - a === 2 && path.charCodeAt(a) === 46 && path.charCodeAt(a + 1) === 46) return true;
    a = b + 1;
  }
  return false;
}

/** The directory an absolute input names before its first `..` segment (`/app/public/../x` → `/app/public`), or null. */
function dirBeforeDotDot(v: string): string | null {
  let a = 0;
  while (a < v.length) {
    let b = a;
    while (b < v.length && v.charCodeAt(b) !== 47) b++;
    if (b - a === 2 && v.charCodeAt(a) === 46 && v.charCodeAt(a + 1) === 46) {
      const d = normalizePosix(v.slice(0, a));
      return d === '/' || d === '.' ? null : d;
    }
    a = b + 1;
  }
  return null;
}

function replaceBackslashes(p: string): string {
  let out = '';
  let seg = 0;
  for (let i = 0; i < p.length; i++) {
    if (p.charCodeAt(i) === 92) {
      out += p.slice(seg, i) + '/';
      seg = i + 1;
    }
  }
  return out + p.slice(seg);
}

function traversal(
  input: UserInput,
  confidence: number,
  description: string,
  resolved: string,
  base: string,
  how: string,
): Finding {
  return {
    rule: 'path_traversal',
    threatLevel: confidence >= 0.85 ? 'critical' : 'high',
    confidence,
    description,
    input,
    detail: { resolved, base, via: how },
  };
}

/**
 * `path` is the path string the app passed to fs (Buffer/URL already
 * converted by the caller). Returns the strongest finding over all inputs.
 */
export function detectPathTraversal(path: string, inputs: readonly UserInput[], opts: PathCheckOptions): Finding | null {
  if (typeof path !== 'string' || path.length === 0) return null;
  const cwd = normalizePosix(typeof opts?.cwd === 'string' && opts.cwd.length > 0 ? opts.cwd : '/');
  const cwdAbs = cwd.charCodeAt(0) === 47 ? cwd : '/' + cwd;
  const allowed = opts?.allowedDirs;
  let resolved: string | null = null;
  let best: Finding | null = null;
  for (let n = 0; n < inputs.length; n++) {
    const input = inputs[n];
    const v = input.value;
    if (typeof v !== 'string') continue;
    const len = v.length;
    if (len === 0) continue;
    let hasDot = false;
    let hasSlash = false;
    let hasBack = false;
    let hasNul = false;
    for (let i = 0; i < len; i++) {
      switch (v.charCodeAt(i)) {
        case 46: // .
          hasDot = true;
          break;
        case 47: // /
          hasSlash = true;
          break;
        case 92: // \
          hasBack = true;
          break;
        case 0: // NUL
          hasNul = true;
          break;
      }
    }
    if (!hasDot && !hasSlash && !hasBack && !hasNul) continue;
    if (len < 2 && !hasNul) continue;
    let idx = len <= path.length ? path.indexOf(v) : -1;
    if (resolved === null) resolved = resolvePosix(cwdAbs, path);
    let f: Finding | null = null;
    if (idx < 0) {
      f = notVerbatim(path, resolved, input, v, hasNul, cwdAbs, allowed);
    } else {
      let occurrences = 0;
      while (idx >= 0 && occurrences < MAX_OCCURRENCES) {
        occurrences++;
        const o = occurrence(path, resolved, input, v, idx, hasNul, hasBack, cwdAbs, allowed);
        if (o !== null && (f === null || o.confidence > f.confidence)) f = o;
        if (f !== null && f.confidence >= 0.95) break;
        idx = path.indexOf(v, idx + 1);
      }
      if (f === null || f.confidence < 0.9) {
        const m = sensitivePathMatch(resolved, opts?.sensitivePaths);
        if (m !== null) {
          f = {
            rule: 'sensitive_file',
            threatLevel: 'critical',
            confidence: 0.9,
            description: 'User input reaches a sensitive file: ' + m,
            input,
            detail: { resolved, matched: m },
          };
        }
      }
    }
    if (f !== null && (best === null || f.confidence > best.confidence)) {
      best = f;
      if (best.confidence >= 0.95) return best;
    }
  }
  return best;
}

function occurrence(
  path: string,
  resolved: string,
  input: UserInput,
  v: string,
  s: number,
  hasNul: boolean,
  hasBack: boolean,
  cwd: string,
  allowed: readonly string[] | undefined,
): Finding | null {
  if (hasNul) {
    return traversal(input, 0.95, 'User input puts a NUL byte into a file path', resolved, cwd, 'nul');
  }
  const e = s + v.length;
  let base = cwd;
  if (s > 0) {
    const slash = path.lastIndexOf('/', s - 1);
    if (slash === 0) base = '/';
    else if (slash > 0) base = resolvePosix(cwd, path.slice(0, slash));
  }
  const dotdot = dotDotIn(path, s, e, false);
  const absolute = s === 0 && v.charCodeAt(0) === 47;
  if (dotdot || absolute) {
    let escapes = !isInside(resolved, base);
    if (!escapes && absolute && dotdot) {
      // `startsWith('/app/public')` checked before normalising
      const d = dirBeforeDotDot(v);
      if (d !== null && !isInside(resolved, d)) {
        escapes = true;
        base = d;
      }
    }
    if (escapes && !inAllowed(resolved, allowed)) {
      if (dotdot) {
        return traversal(input, 0.95, 'User input climbs out of ' + base + ' with ../ segments', resolved, base, 'dotdot');
      }
      return traversal(input, 0.8, 'User input is an absolute path outside ' + base, resolved, base, 'absolute');
    }
  }
  if (hasBack && dotDotIn(path, s, e, true)) {
    // `..\` is a file name on Linux, a separator wherever the path is later
    // rewritten with `/` (or the app runs on Windows).
    const r2 = resolvePosix(cwd, replaceBackslashes(path));
    const b2 = s > 0 ? baseOf(replaceBackslashes(path), s, cwd) : cwd;
    if (!isInside(r2, b2) && !inAllowed(r2, allowed)) {
      return traversal(input, 0.7, 'User input climbs out of ' + b2 + ' with ..\\ segments', r2, b2, 'backslash');
    }
  }
  return null;
}

function baseOf(path: string, s: number, cwd: string): string {
  const slash = path.lastIndexOf('/', s - 1);
  if (slash === 0) return '/';
  if (slash > 0) return resolvePosix(cwd, path.slice(0, slash));
  return cwd;
}

/** Inputs that do not occur verbatim: resolved by the app first, or rewritten by a sanitizer. */
function notVerbatim(
  path: string,
  resolved: string,
  input: UserInput,
  v: string,
  hasNul: boolean,
  cwd: string,
  allowed: readonly string[] | undefined,
): Finding | null {
  if (hasNul) {
    if (path.indexOf('\0') >= 0) {
      return traversal(input, 0.95, 'User input puts a NUL byte into a file path', resolved, cwd, 'nul');
    }
    return null;
  }
  if (v.indexOf('..') < 0 && v.charCodeAt(0) !== 47) return null;
  if (inAllowed(resolved, allowed)) return null;
  const nv = normalizePosix(v);
  if (v.charCodeAt(0) === 47) {
    // an absolute input the app normalized: path.resolve(base, '/etc//passwd')
    if (nv !== resolved) return null;
    const d = dirBeforeDotDot(v);
    if (d !== null && !isInside(resolved, d)) {
      return traversal(input, 0.95, 'User input climbs out of ' + d + ' with ../ segments', resolved, d, 'dotdot');
    }
    if (!isInside(resolved, cwd)) {
      return traversal(input, 0.8, 'User input is an absolute path outside ' + cwd, resolved, cwd, 'absolute');
    }
    return null;
  }
  // path.resolve(base, '../../etc/passwd') → '/etc/passwd': the input climbs
  // above wherever it was joined, and what it names after climbing ends the path.
  if (nv === '..' || nv.startsWith('../')) {
    let t = 0;
    while (nv.startsWith('../', t)) t += 3;
    const tail = nv === '..' || t >= nv.length || nv.slice(t) === '..' ? '' : nv.slice(t);
    // Nothing but climbs (`..`, `../../`): no name is left to find in the path. Resolved to the
    // working directory or above it, the app is about to read or list a directory it never
    // serves (`fs.readdir(path.resolve('public', '..'))` lists the app's own root).
    if (tail.length === 0 && isInside(cwd, resolved)) {
      return traversal(input, 0.8, 'User input made only of ../ segments climbs to ' + resolved + ' (path resolved before use)', resolved, resolved, 'resolved-climb');
    }
    if (tail.length > 0 && resolved.endsWith('/' + tail)) {
      const deep = tail.indexOf('/') >= 0;
      return traversal(
        input,
        // One segment after climbing is still a climb: a benign value never starts with ../ (a
        // basename() sanitizer that already neutralised it costs only a blocked probe).
        deep ? 0.9 : 0.85,
        'User input climbs out of its directory with ../ segments (path resolved before use)',
        resolved,
        resolved.slice(0, resolved.length - tail.length - 1) || '/',
        'resolved',
      );
    }
  }
  // A sanitizer that removed `../` once: the input's last segments end the
  // path, and right before them the path climbs with `..` the input brought.
  if (v.indexOf('..') < 0 || path.indexOf('..') < 0) return null;
  let i = path.length;
  let j = v.length;
  while (i > 0 && j > 0 && path.charCodeAt(i - 1) === v.charCodeAt(j - 1)) {
    i--;
    j--;
  }
  let ps = i;
  if (ps >= path.length) return null;
  if (path.charCodeAt(ps) !== 47) {
    if (ps > 0 && path.charCodeAt(ps - 1) === 47) ps--;
    else {
      ps = path.indexOf('/', ps);
      if (ps < 0) return null;
    }
  }
  if (ps >= path.length - 1) return null;
  // `..` segments in the shared part, and `..`, `.` and empty segments right before it
  let sawDotDot = dotDotIn(path, ps + 1, path.length, false);
  let k = ps;
  let runStart = ps;
  while (k > 0) {
    const segStart = path.lastIndexOf('/', k - 1) + 1;
    const sl = k - segStart;
    if (sl === 2 && path.charCodeAt(segStart) === 46 && path.charCodeAt(segStart + 1) === 46) sawDotDot = true;
    else if (!(sl === 0 || (sl === 1 && path.charCodeAt(segStart) === 46))) break;
    runStart = segStart;
    k = segStart - 1;
  }
  if (!sawDotDot) return null;
  const d =
    runStart === ps
      ? ps === 0
        ? '/'
        : resolvePosix(cwd, path.slice(0, ps))
      : runStart <= 0
        ? cwd
        : runStart === 1
          ? '/'
          : resolvePosix(cwd, path.slice(0, runStart - 1));
  if (isInside(resolved, d)) return null;
  return traversal(input, 0.85, 'User input, rewritten before use, still climbs out of ' + d, resolved, d, 'rewritten');
}
