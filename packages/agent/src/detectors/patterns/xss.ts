// A WAF-style cross-site scripting sensor over one input string: markup that
// would run script if the app reflected the value unescaped (script-capable
// tags, event-handler attributes, javascript: URLs, CSS expressions, the
// usual JavaScript probes). One forward pass with bounded look-ahead; no
// regular expressions.

import type { PatternSignal } from './sqli.js';
import { hasAt, indexOfCi, isAsciiAlnum, isAsciiLetter, lc } from './text.js';

/** Tags that run script or load active content by themselves. */
const ACTIVE_TAGS = new Set([
  'script',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'base',
  'meta',
  'svg',
  'math',
  'xml',
  'isindex',
  'import',
  'bgsound',
  'layer',
  'ilayer',
  'style',
  'link',
  'set',
  'animate',
  'handler',
  'listener',
  'portal',
  'xss',
  'vmlframe',
  'xmp',
  'plaintext',
  'noscript',
  'template',
]);

/** DOM event names (after `on`) common in XSS payloads; others still count inside a tag. */
const EVENTS = new Set(
  (
    'abort activate afterprint afterscriptexecute animationcancel animationend animationiteration animationstart auxclick beforeactivate beforecopy beforecut ' +
    'beforedeactivate beforepaste beforeprint beforescriptexecute beforeunload begin blur bounce canplay canplaythrough change click contextmenu copy cut dblclick ' +
    'deactivate drag dragend dragenter dragleave dragover dragstart drop durationchange end ended error finish focus focusin focusout formdata fullscreenchange ' +
    'hashchange input invalid keydown keypress keyup load loadeddata loadedmetadata loadend loadstart message mousedown mouseenter mouseleave mousemove mouseout ' +
    'mouseover mouseup mousewheel offline online pagehide pageshow paste pause play playing pointerdown pointerenter pointerleave pointermove pointerout pointerover ' +
    'pointerrawupdate pointerup popstate progress propertychange ratechange readystatechange repeat reset resize scroll search seeked seeking select selectionchange ' +
    'selectstart show stalled start storage submit suspend timeupdate toggle touchend touchmove touchstart transitioncancel transitionend transitionrun ' +
    'transitionstart unload volumechange waiting webkitanimationend webkittransitionend wheel'
  ).split(' '),
);

const NAMED_ENTITIES: readonly (readonly [string, number])[] = [
  ['tab;', 9],
  ['newline;', 10],
  ['colon;', 58],
  ['lpar;', 40],
  ['rpar;', 41],
  ['sol;', 47],
  ['num;', 35],
  ['lt;', 60],
  ['gt;', 62],
  ['quot;', 34],
  ['apos;', 39],
];

const SCHEMES = ['javascript', 'vbscript', 'livescript'];
const JS_PROBES = ['alert', 'prompt', 'confirm'];
const JS_WORDS = ['document.cookie', 'document.domain', 'document.write', 'fromcharcode', 'window.location', '.innerhtml', 'constructor.constructor'];

/** Fast reject: a value with none of these characters cannot carry the patterns below. */
const INTERESTING = new Uint8Array(128);
for (const ch of '<:=(`&') INTERESTING[ch.charCodeAt(0)] = 1;

function isSkippable(c: number): boolean {
  // Browsers ignore tabs, newlines and NUL inside a URL scheme and between tokens.
  return c < 33 && c !== 32 ? true : c === 0;
}

/**
 * Matches `word` (lower-case ASCII letters) at `i`, letting control characters
 * and numeric/named HTML entities stand for or sit between letters
 * (`java&#x09;script`, `&#106;avascript`). Returns the index after the match or -1.
 */
function matchObfuscated(s: string, i: number, end: number, word: string): number {
  let k = 0;
  let skipped = 0;
  while (k < word.length) {
    if (i >= end || skipped > 32) return -1;
    const c = s.charCodeAt(i);
    if (isSkippable(c)) {
      i++;
      skipped++;
      continue;
    }
    if (c === 38 /* & */) {
      const ent = entity(s, i, end);
      if (ent === null) return -1;
      i = ent.next;
      if (ent.code < 33) {
        skipped++;
        continue;
      }
      if (lc(ent.code) !== word.charCodeAt(k)) return -1;
      k++;
      continue;
    }
    if (lc(c) !== word.charCodeAt(k)) return -1;
    k++;
    i++;
  }
  return i;
}

/** Decodes one HTML entity at `s[i] === '&'`; null when there is none. */
function entity(s: string, i: number, end: number): { code: number; next: number } | null {
  let j = i + 1;
  if (s.charCodeAt(j) === 35 /* # */) {
    j++;
    const hex = (s.charCodeAt(j) | 0x20) === 120;
    if (hex) j++;
    let code = 0;
    const start = j;
    while (j < end && j - start < 8) {
      const c = s.charCodeAt(j);
      const d = c >= 48 && c <= 57 ? c - 48 : hex && (c | 0x20) >= 97 && (c | 0x20) <= 102 ? (c | 0x20) - 87 : -1;
      if (d < 0) break;
      code = code * (hex ? 16 : 10) + d;
      j++;
    }
    if (j === start) return null;
    if (s.charCodeAt(j) === 59 /* ; */) j++;
    return { code, next: j };
  }
  for (const [name, code] of NAMED_ENTITIES) {
    if (hasAt(s, j, name)) return { code, next: j + name.length };
  }
  return null;
}

/** After a scheme name: `:` itself or an entity for it; returns the index after it or -1. */
function colonAt(s: string, i: number, end: number): number {
  while (i < end && isSkippable(s.charCodeAt(i))) i++;
  const c = s.charCodeAt(i);
  if (c === 58) return i + 1;
  if (c === 38) {
    const ent = entity(s, i, end);
    return ent !== null && ent.code === 58 ? ent.next : -1;
  }
  return -1;
}

/**
 * Code after `javascript:`. Glued to the colon it is code; after a blank it is
 * code only if something code-like follows (`javascript: alert(1)`), so that
 * prose (`JavaScript: The Good Parts`) is not.
 */
function codeAfter(s: string, i: number, end: number): boolean {
  if (i >= end) return false;
  if (s.charCodeAt(i) !== 32) return true;
  const limit = Math.min(end, i + 64);
  for (let j = i; j < limit; j++) {
    const c = s.charCodeAt(j);
    if (c === 40 || c === 96 || c === 61) return true; // ( ` =
  }
  return false;
}

function schemeUrl(s: string, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const c = lc(s.charCodeAt(i));
    if (c !== 106 /* j */ && c !== 118 /* v */ && c !== 108 /* l */ && c !== 38 /* & */) continue;
    for (const scheme of SCHEMES) {
      const after = matchObfuscated(s, i, end, scheme);
      const code = after === -1 ? -1 : colonAt(s, after, end);
      if (code !== -1 && codeAfter(s, code, end)) return true;
    }
  }
  return false;
}

/** `on<event>` followed by `=` at `i` (which is the `o`). */
function eventHandlerAt(s: string, i: number, end: number, anyName: boolean): boolean {
  if ((lc(s.charCodeAt(i + 1)) | 0) !== 110 /* n */) return false;
  let j = i + 2;
  while (j < end && isAsciiLetter(s.charCodeAt(j))) j++;
  if (j - (i + 2) < 3) return false;
  let k = j;
  while (k < end && (s.charCodeAt(k) === 32 || isSkippable(s.charCodeAt(k)))) k++;
  if (s.charCodeAt(k) !== 61 /* = */) return false;
  return anyName || EVENTS.has(s.slice(i + 2, j).toLowerCase());
}

function isAttrBoundary(c: number): boolean {
  // whitespace, / " ' ` and control characters separate attributes
  return c === 32 || c === 47 || c === 34 || c === 39 || c === 96 || c < 32;
}

/** Scans one tag opened at `s[lt] === '<'`; returns a signal or null, and where the tag ends. */
function scanTag(s: string, lt: number, end: number): { hit: string | null; next: number } {
  let i = lt + 1;
  if (s.charCodeAt(i) === 47 /* / */) i++;
  const nameStart = i;
  let name = '';
  while (i < end) {
    const c = s.charCodeAt(i);
    if (isAsciiAlnum(c) || c === 45 || c === 58 /* : */) {
      name += String.fromCharCode(lc(c));
      i++;
    } else if (c === 0) {
      i++; // `<scr\0ipt>`
    } else break;
    if (name.length > 24) break;
  }
  if (i === nameStart || !isAsciiLetter(s.charCodeAt(nameStart))) return { hit: null, next: lt + 1 };
  const colon = name.lastIndexOf(':');
  if (colon !== -1) name = name.slice(colon + 1);
  if (ACTIVE_TAGS.has(name)) return { hit: 'script-tag', next: i };
  // Attributes up to the closing `>` (or the end of the value).
  let gt = s.indexOf('>', i);
  if (gt === -1 || gt > end) gt = end;
  for (let j = i; j < gt; j++) {
    const c = lc(s.charCodeAt(j));
    if (c === 111 /* o */ && isAttrBoundary(s.charCodeAt(j - 1)) && eventHandlerAt(s, j, gt, true)) return { hit: 'event-handler', next: gt };
  }
  const attrs = s.slice(i, gt);
  if (schemeUrl(attrs, attrs.length)) return { hit: 'script-url', next: gt };
  if (cssScript(attrs, attrs.length)) return { hit: 'css-script', next: gt };
  if (indexOfCi(attrs, 'data:text/html', 0, attrs.length) !== -1 || indexOfCi(attrs, 'data:image/svg', 0, attrs.length) !== -1) return { hit: 'data-url', next: gt };
  return { hit: null, next: gt };
}

function cssScript(s: string, end: number): boolean {
  return indexOfCi(s, 'expression(', 0, end) !== -1 || indexOfCi(s, '-moz-binding', 0, end) !== -1 || (indexOfCi(s, 'behavio', 0, end) !== -1 && indexOfCi(s, 'url(', 0, end) !== -1);
}

/** Runs the XSS rules over `value` (only its first `maxLength` characters). */
export function xssSignal(value: string, maxLength: number): PatternSignal | null {
  const end = value.length < maxLength ? value.length : maxLength;
  let interesting = false;
  for (let i = 0; i < end; i++) {
    const c = value.charCodeAt(i);
    if (c < 128 && INTERESTING[c] === 1) {
      interesting = true;
      break;
    }
  }
  if (!interesting) return null;
  // Tags: each `<` opens at most one scan, and the next scan starts after it.
  let quoteSeen = false;
  for (let i = 0; i < end; i++) {
    const c = value.charCodeAt(i);
    if (c === 60 /* < */) {
      const tag = scanTag(value, i, end);
      if (tag.hit !== null) return { signal: tag.hit, strong: true };
      if (tag.next > i + 1) i = tag.next - 1;
    } else if (c === 34 || c === 39 || c === 96 || c === 62) {
      quoteSeen = true;
    } else if ((c | 0x20) === 111 /* o */ && (i === 0 || isAttrBoundary(value.charCodeAt(i - 1)))) {
      // An attribute breakout: `" onmouseover="alert(1)`
      if (eventHandlerAt(value, i, end, quoteSeen)) return { signal: 'event-handler', strong: true };
    }
  }
  if (schemeUrl(value, end)) return { signal: 'script-url', strong: true };
  if (indexOfCi(value, 'data:text/html', 0, end) !== -1) return { signal: 'data-url', strong: true };
  for (const probe of JS_PROBES) {
    for (let at = indexOfCi(value, probe, 0, end); at !== -1; at = indexOfCi(value, probe, at + 1, end)) {
      if (at > 0 && isAsciiAlnum(value.charCodeAt(at - 1))) continue;
      let j = at + probe.length;
      while (j < end && value.charCodeAt(j) === 32) j++;
      const next = value.charCodeAt(j);
      if (next === 40 /* ( */ || next === 96 /* ` */) return { signal: 'js-probe', strong: false };
    }
  }
  for (const word of JS_WORDS) {
    if (indexOfCi(value, word, 0, end) !== -1) return { signal: 'js-probe', strong: false };
  }
  if (cssScript(value, end) && (indexOfCi(value, 'style', 0, end) !== -1 || indexOfCi(value, 'javascript', 0, end) !== -1)) return { signal: 'css-script', strong: false };
  return null;
}
