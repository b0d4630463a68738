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
  const first = s.charCodeAt(j);
  if (first !== 35 /* # */ && !isAsciiLetter(first)) return null;
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
  for (let k = 0; k < NAMED_ENTITIES.length; k++) {
    const [name, code] = NAMED_ENTITIES[k] as readonly [string, number];
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
    if ((c === 106 /* j */ || c === 118 /* v */ || c === 108 /* l */ || c === 38) /* & */ && schemeAt(s, i, end)) return true;
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

// What may start at a character (lower-cased), so that one pass finds every rule's candidates.
const C_TAG = 1; // <
const C_QUOTE = 2; // " ' ` >
const C_ON = 4; // o: on<event>=
const C_SCHEME = 8; // j v l &: javascript: vbscript: livescript:
const C_WORD = 16; // a p c d f w . e -: JavaScript probes, CSS expressions, data: URLs
const FIRST = new Uint8Array(128);
FIRST[60] = C_TAG;
for (const ch of '"\'`>') FIRST[ch.charCodeAt(0)] = C_QUOTE;
FIRST[111] |= C_ON;
for (const ch of 'jvl&') FIRST[ch.charCodeAt(0)] |= C_SCHEME;
for (const ch of 'apcdfw.e-') FIRST[ch.charCodeAt(0)] |= C_WORD;

/** A JavaScript or CSS word starting at `i` (weak), or a data: URL (strong); null otherwise. */
function wordAt(s: string, i: number, c: number, end: number): PatternSignal | null {
  switch (c) {
    case 97: // a
    case 112: // p
    case 99: // c
      for (const probe of JS_PROBES) {
        if (probe.charCodeAt(0) === c && hasAt(s, i, probe) && (i === 0 || !isAsciiAlnum(s.charCodeAt(i - 1)))) {
          let j = i + probe.length;
          while (j < end && s.charCodeAt(j) === 32) j++;
          const next = s.charCodeAt(j);
          if (next === 40 /* ( */ || next === 96 /* ` */) return JS_PROBE;
        }
      }
      if (c === 99 && hasAt(s, i, 'constructor.constructor')) return JS_PROBE;
      return null;
    case 100: // d
      if (hasAt(s, i, 'data:text/html')) return DATA_URL;
      if (hasAt(s, i, 'document.') && (hasAt(s, i + 9, 'cookie') || hasAt(s, i + 9, 'domain') || hasAt(s, i + 9, 'write'))) return JS_PROBE;
      return null;
    case 102: // f
      return hasAt(s, i, 'fromcharcode') ? JS_PROBE : null;
    case 119: // w
      return hasAt(s, i, 'window.location') ? JS_PROBE : null;
    case 46: // .
      return hasAt(s, i, '.innerhtml') ? JS_PROBE : null;
    case 101: // e
      return hasAt(s, i, 'expression(') ? CSS_SCRIPT : null;
    case 45: // -
      return hasAt(s, i, '-moz-binding') ? CSS_SCRIPT : null;
    default:
      return null;
  }
}

const JS_PROBE: PatternSignal = Object.freeze({ signal: 'js-probe', strong: false });
const CSS_SCRIPT: PatternSignal = Object.freeze({ signal: 'css-script', strong: false });
const DATA_URL: PatternSignal = Object.freeze({ signal: 'data-url', strong: true });
const SCRIPT_URL: PatternSignal = Object.freeze({ signal: 'script-url', strong: true });
const EVENT_HANDLER: PatternSignal = Object.freeze({ signal: 'event-handler', strong: true });

/** `javascript:` (obfuscated or not) followed by code, starting at `i`. */
function schemeAt(s: string, i: number, end: number): boolean {
  let first = lc(s.charCodeAt(i));
  if (first === 38 /* & */) {
    const ent = entity(s, i, end);
    if (ent === null) return false;
    first = lc(ent.code);
  }
  for (const scheme of SCHEMES) {
    if (scheme.charCodeAt(0) !== first) continue;
    const after = matchObfuscated(s, i, end, scheme);
    const code = after === -1 ? -1 : colonAt(s, after, end);
    if (code !== -1 && codeAfter(s, code, end)) return true;
  }
  return false;
}

/** Runs the XSS rules over `value` (only its first `maxLength` characters), in one pass. */
export function xssSignal(value: string, maxLength: number): PatternSignal | null {
  const end = value.length < maxLength ? value.length : maxLength;
  let interesting = false;
  let colonish = false;
  for (let i = 0; i < end; i++) {
    const c = value.charCodeAt(i);
    if (c < 128 && INTERESTING[c] === 1) {
      interesting = true;
      if (c === 58 || c === 38) {
        colonish = true;
        break;
      }
    }
  }
  if (!interesting) return null;
  let quoteSeen = false;
  let weak: PatternSignal | null = null;
  for (let i = 0; i < end; i++) {
    let c = value.charCodeAt(i);
    if (c >= 128) continue;
    if (c >= 65 && c <= 90) c |= 0x20;
    const kinds = FIRST[c] as number;
    if (kinds === 0) continue;
    if ((kinds & C_TAG) !== 0) {
      const tag = scanTag(value, i, end);
      if (tag.hit !== null) return { signal: tag.hit, strong: true };
      if (tag.next > i + 1) i = tag.next - 1;
      continue;
    }
    if ((kinds & C_QUOTE) !== 0) {
      quoteSeen = true;
      continue;
    }
    // An attribute breakout: `" onmouseover="alert(1)`
    if ((kinds & C_ON) !== 0 && (i === 0 || isAttrBoundary(value.charCodeAt(i - 1))) && eventHandlerAt(value, i, end, quoteSeen)) return EVENT_HANDLER;
    if ((kinds & C_SCHEME) !== 0 && colonish && schemeAt(value, i, end)) return SCRIPT_URL;
    if ((kinds & C_WORD) !== 0) {
      const hit = wordAt(value, i, c, end);
      if (hit !== null) {
        if (hit.strong) return hit;
        weak ??= hit;
      }
    }
  }
  return weak;
}
