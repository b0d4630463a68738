// A WAF-style path traversal sensor over one input string: `..` segments (also
// percent-, double-, overlong-UTF-8-, %u- and 0x-encoded), NUL bytes, absolute
// paths into system directories and well-known sensitive file names. One pass
// per check, at most three decoding passes; no regular expressions.

import type { PatternSignal } from './sqli.js';
import { hasAt, lc } from './text.js';

/** Absolute locations an ordinary form value has no business naming. */
const SYSTEM_ROOTS = [
  '/etc/',
  '/proc/',
  '/sys/',
  '/root/',
  '/var/',
  '/usr/local/',
  '/usr/lib',
  '/usr/share',
  '/usr/bin',
  '/boot',
  '/dev/',
  '/opt/',
  '/bin/',
  '/sbin/',
  '/private/etc',
  '/private/var',
  '/windows/',
  '/winnt/',
  '/inetpub/',
  'c:\\windows',
  'c:/windows',
  'c:\\winnt',
  'c:\\inetpub',
  'c:/inetpub',
  'c:\\boot.ini',
  '/volumes/',
];

/** File names probed for by traversal payloads and scanners, matched at a path-segment start. */
const SENSITIVE_NAMES = [
  'etc/passwd',
  'etc/shadow',
  'etc/group',
  'etc/hosts',
  'etc/issue',
  'proc/self/',
  'win.ini',
  'boot.ini',
  'system.ini',
  '.htaccess',
  '.htpasswd',
  'web.config',
  'id_rsa',
  'id_dsa',
  'id_ecdsa',
  'id_ed25519',
  'authorized_keys',
  '.bash_history',
  '.ssh/',
  '.aws/',
  '.git/',
  '.env',
  'wp-config.php',
  'php.ini',
  'httpd.conf',
  'my.cnf',
];

const NAMES_BY_FIRST = new Map<number, string[]>();
for (const name of SENSITIVE_NAMES) {
  const first = name.charCodeAt(0);
  let list = NAMES_BY_FIRST.get(first);
  if (list === undefined) NAMES_BY_FIRST.set(first, (list = []));
  list.push(name);
}

function isSep(c: number): boolean {
  // / \ and the look-alikes NFKC leaves alone (∕ ∖) or maps (／ ＼)
  return c === 47 || c === 92 || c === 0x2215 || c === 0x2216 || c === 0xff0f || c === 0xff3c;
}

function segmentStart(s: string, i: number): boolean {
  if (i === 0) return true;
  const c = s.charCodeAt(i - 1);
  return isSep(c) || c === 61 /* = */ || c === 59 /* ; */;
}

function segmentEnd(s: string, i: number, end: number): boolean {
  if (i >= end) return true;
  const c = s.charCodeAt(i);
  if (isSep(c) || c === 59 || c === 63 /* ? */ || c === 35 /* # */ || c === 37 /* % */ || c === 0 || c === 32 || c === 38 /* & */ || c === 34 || c === 39) return true;
  // `..2f..2f` (a separator whose `%` was eaten by a decoder)
  return (c === 50 && lc(s.charCodeAt(i + 1)) === 102) || (c === 53 && lc(s.charCodeAt(i + 1)) === 99);
}

/** A `..` (or longer all-dot) path segment. */
function traversal(s: string, end: number): boolean {
  for (let i = s.indexOf('..'); i !== -1 && i < end; i = s.indexOf('..', i)) {
    let j = i;
    while (j < end && s.charCodeAt(j) === 46) j++;
    if (segmentStart(s, i)) {
      const run = j - i;
      if (run === 2 && segmentEnd(s, j, end)) return true;
      // `..../` and `.....\` count on Windows; a lone `...` at the end is prose.
      if (run > 2 && j < end && segmentEnd(s, j, end)) return true;
    }
    i = j;
  }
  return false;
}

function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/** Overlong and %u encodings of `.`, `/` and `\` that decodeURIComponent rejects. */
const ODD_ENCODINGS: readonly (readonly [string, string])[] = [
  ['%c0%ae', '.'],
  ['%c0%2e', '.'],
  ['%c1%ae', '.'],
  ['%e0%80%ae', '.'],
  ['%f0%80%80%ae', '.'],
  ['%c0%af', '/'],
  ['%c0%2f', '/'],
  ['%c1%9c', '\\'],
  ['%c1%1c', '/'],
  ['%c0%5c', '\\'],
  ['%e0%80%af', '/'],
  ['%u002e', '.'],
  ['%uff0e', '.'],
  ['%u002f', '/'],
  ['%u2215', '/'],
  ['%u2216', '\\'],
  ['%u005c', '\\'],
  ['%uefc8', '/'],
  ['%uf025', '\\'],
  ['0x2e', '.'],
  ['0x2f', '/'],
  ['0x5c', '\\'],
];

/** One decoding pass: ASCII `%xx` and the odd encodings above. Returns `s` itself when nothing changed. */
function decodePass(s: string, end: number): string {
  let out: string | undefined;
  let last = 0;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c !== 37 /* % */ && c !== 48 /* 0 */) continue;
    let replacement: string | undefined;
    let length = 0;
    const second = lc(s.charCodeAt(i + 1));
    // Only %c… %e… %f… %u… and 0x… can start an odd encoding.
    if (c === 48 ? second === 120 : second === 99 || second === 101 || second === 102 || second === 117) {
      for (const [enc, dec] of ODD_ENCODINGS) {
        if (enc.charCodeAt(0) === c && hasAt(s, i, enc)) {
          replacement = dec;
          length = enc.length;
          break;
        }
      }
    }
    if (replacement === undefined && c === 37) {
      const h = hex(s.charCodeAt(i + 1));
      const l = hex(s.charCodeAt(i + 2));
      if (h >= 0 && h < 8 && l >= 0) {
        replacement = String.fromCharCode(h * 16 + l);
        length = 3;
      }
    }
    if (replacement === undefined) continue;
    out = (out ?? '') + s.slice(last, i) + replacement;
    last = i + length;
    i = last - 1;
  }
  return out === undefined ? s : out + s.slice(last, end);
}

/** Characters after which a path segment starts: / \\ = ; */
const SEGMENT_BEFORE = new Uint8Array(128);
for (const ch of '/\\=;') SEGMENT_BEFORE[ch.charCodeAt(0)] = 1;

function nameAt(s: string, i: number, end: number): boolean {
  const list = NAMES_BY_FIRST.get(lc(s.charCodeAt(i)));
  if (list === undefined) return false;
  for (let k = 0; k < list.length; k++) {
    const name = list[k] as string;
    if (hasAt(s, i, name) && (isSep(name.charCodeAt(name.length - 1)) || segmentEnd(s, i + name.length, end))) return true;
  }
  return false;
}

function sensitiveName(s: string, end: number): boolean {
  if (nameAt(s, 0, end)) return true;
  for (let i = 0; i < end - 1; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 ? SEGMENT_BEFORE[c] === 1 : isSep(c)) {
      if (nameAt(s, i + 1, end)) return true;
    }
  }
  return false;
}

function systemRoot(s: string, end: number): boolean {
  let i = 0;
  while (i < end && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  if (hasAt(s, i, 'file:')) {
    i += 5;
    while (i < end && isSep(s.charCodeAt(i)) && isSep(s.charCodeAt(i + 1))) i++;
  }
  for (const root of SYSTEM_ROOTS) {
    if (hasAt(s, i, root)) return true;
  }
  // A dot-file at the root: `/.env`, `/.Xauthority`
  return s.charCodeAt(i) === 47 && s.charCodeAt(i + 1) === 46 && s.charCodeAt(i + 2) !== 46 && s.charCodeAt(i + 2) !== 47 && i + 2 < end;
}

/** Fast reject: a value with none of `. / \\ % :` or NUL has no path in it. */
const SPECIAL = new Uint8Array(128);
for (const ch of './\\%:\u0000') SPECIAL[ch.charCodeAt(0)] = 1;

/**
 * Runs the path rules over `value` (only its first `maxLength` characters).
 * `isUrlPath`: the value is the request's own path, which is absolute by nature.
 */
export function pathTraversalSignal(value: string, maxLength: number, isUrlPath: boolean): PatternSignal | null {
  let s = value;
  let end = value.length < maxLength ? value.length : maxLength;
  let special = false;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 ? SPECIAL[c] === 1 : c === 0x2215 || c === 0x2216) {
      special = true;
      break;
    }
  }
  if (!special) return null;
  if (traversal(s, end)) return { signal: 'dot-dot', strong: true };
  if (s.indexOf('\u0000') !== -1 && s.indexOf('\u0000') < end) return { signal: 'nul-byte', strong: false };
  for (let pass = 0; pass < 3 && (s.indexOf('%') !== -1 || s.indexOf('0x') !== -1); pass++) {
    const decoded = decodePass(s, end);
    if (decoded === s) break;
    s = decoded;
    end = s.length;
    if (traversal(s, end)) return { signal: 'encoded-dot-dot', strong: true };
    if (s.indexOf('\u0000') !== -1) return { signal: 'nul-byte', strong: false };
  }
  if (sensitiveName(s, end)) return { signal: 'sensitive-file', strong: !isUrlPath };
  if (!isUrlPath && systemRoot(s, end)) return { signal: 'system-path', strong: false };
  return null;
}
