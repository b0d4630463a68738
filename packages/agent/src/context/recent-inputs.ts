import { detectSqlInjection, sqlMarkers } from '../detectors/sql/index.js';
import type { PathCheckOptions } from '../detectors/path/index.js';
import { codeDetector, pathDetector, shellDetector, ssrfDetector } from '../core/detectors.js';
import type { SqlDialect } from '../detectors/sql/index.js';
import type { Finding, UserInput } from '../detectors/types.js';

const CAPACITY = 500;
const MIN_LENGTH = 4;
const MAX_LENGTH = 1024;
const MARKER_CACHE = 2000;

/**
 * Second-order injection without a baseline: a bounded ring of recent request
 * strings that carry SQL or shell syntax. A later query that shows injection
 * markers is traced back to them, even when the current request did not send
 * them (the app stored the payload and reused it). Benign queries cost one
 * cached marker lookup.
 */
export class RecentInputs {
  private readonly ring: (UserInput | undefined)[] = new Array<UserInput | undefined>(CAPACITY);
  private readonly seen = new Set<string>();
  private next = 0;
  private readonly markerCache = new Map<string, boolean>();

  get size(): number {
    return this.seen.size;
  }

  /** Remembers the request's inputs that carry syntax; called once per request's input set. */
  remember(inputs: readonly UserInput[]): void {
    for (const input of inputs) {
      const v = input.value;
      // The character scan first: most inputs carry no syntax, and then no hash of them is computed.
      if (v.length < MIN_LENGTH || v.length > MAX_LENGTH || !hasSyntax(v) || this.seen.has(v)) continue;
      const evicted = this.ring[this.next];
      if (evicted !== undefined) this.seen.delete(evicted.value);
      this.ring[this.next] = { source: 'stored', path: `stored(${input.path})`, value: v, ...(input.transform ? { transform: input.transform } : {}) };
      this.seen.add(v);
      this.next = (this.next + 1) % CAPACITY;
    }
  }

  detectSql(query: string, dialect: SqlDialect): Finding | null {
    if (this.seen.size === 0 || !this.hasSqlMarkers(query, dialect)) return null;
    const found = this.containedIn(query);
    if (found.length === 0) return null;
    return stored(detectSqlInjection(query, dialect, found));
  }

  detectShell(command: string): Finding | null {
    if (this.seen.size === 0 || !hasShellSyntax(command)) return null;
    const found = this.containedIn(command);
    if (found.length === 0) return null;
    return stored(shellDetector().detectShellInjection(command, found));
  }

  /** A stored file name that climbs out of the directory the app meant. */
  detectPath(path: string, opts: PathCheckOptions): Finding | null {
    if (this.seen.size === 0 || (!path.includes('..') && !path.includes('\u0000'))) return null;
    const found = this.containedIn(path);
    return found.length === 0 ? null : stored(pathDetector().detectPathTraversal(path, found, opts));
  }

  /** A stored URL (a webhook, an avatar URL) fetched later, maybe by a background job. */
  detectSsrf(hostname: string, address: string | null, url: string | undefined): Finding | null {
    // The whole stored URL must be what is fetched: an earlier probe of 127.0.0.1 must not
    // turn the app's own configured calls to 127.0.0.1 into findings.
    if (this.seen.size === 0 || url === undefined) return null;
    const { parseIpLiteral, classifyAddress, classifyHostname, detectSsrf } = ssrfDetector();
    const literal = parseIpLiteral(hostname);
    const internal = (literal !== null ? classifyAddress(literal) : classifyHostname(hostname)) ?? (address !== null ? classifyAddress(address) : null);
    if (internal === null) return null;
    const candidates: UserInput[] = [];
    for (const input of this.ring) if (input !== undefined && sameUrl(input.value, url)) candidates.push(input);
    return candidates.length === 0 ? null : stored(detectSsrf(hostname, address, candidates));
  }

  /** A stored formula or template evaluated later. */
  detectCode(code: string): Finding | null {
    if (this.seen.size === 0 || !looksLikeCode(code)) return null;
    const found = this.containedIn(code);
    return found.length === 0 ? null : stored(codeDetector().detectCodeInjection(code, found));
  }

  private containedIn(text: string): UserInput[] {
    const out: UserInput[] = [];
    for (const input of this.ring) {
      if (input !== undefined && input.value.length <= text.length && text.includes(input.value)) out.push(input);
    }
    return out;
  }

  private hasSqlMarkers(query: string, dialect: SqlDialect): boolean {
    let has = this.markerCache.get(query);
    if (has === undefined) {
      has = sqlMarkers(query, dialect).length > 0;
      if (this.markerCache.size >= MARKER_CACHE) this.markerCache.clear();
      this.markerCache.set(query, has);
    }
    return has;
  }
}

function sameUrl(stored: string, url: string): boolean {
  if (url.includes(stored)) return true;
  try {
    return new URL(stored).href === url;
  } catch {
    return false;
  }
}

/** Findings from stored input are a little less certain than from the live request. */
function stored(finding: Finding | null): Finding | null {
  return finding === null ? null : { ...finding, confidence: Math.min(finding.confidence, 0.9), description: `stored input: ${finding.description}` };
}

const CODE_WORDS = ['require', 'process', 'constructor', 'import', 'Function', 'globalThis', '=>', ';'];

function looksLikeCode(code: string): boolean {
  for (const word of CODE_WORDS) if (code.includes(word)) return true;
  return false;
}

/** Per ASCII character: 1 is syntax on its own, 2 only with the next character (`--`, `/*`, `..`, `://`). */
const SYNTAX = new Uint8Array(128);
for (const ch of `'";\`|&$\n\u0000`) SYNTAX[ch.charCodeAt(0)] = 1;
for (const ch of '-/.:') SYNTAX[ch.charCodeAt(0)] = 2;

/** A table lookup per character: this runs over every input of every request. */
function hasSyntax(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const ch = v.charCodeAt(i);
    const kind = ch < 128 ? SYNTAX[ch]! : 0;
    if (kind === 0) continue;
    if (kind === 1) return true;
    const next = v.charCodeAt(i + 1);
    if (ch === 45 /* - */ ? next === 45 : ch === 47 /* / */ ? next === 42 /* * */ : ch === 46 /* . */ ? next === 46 : next === 47 && v.charCodeAt(i + 2) === 47) return true;
  }
  return false;
}

function hasShellSyntax(command: string): boolean {
  for (let i = 0; i < command.length; i++) {
    switch (command.charCodeAt(i)) {
      case 59: // ;
      case 124: // |
      case 38: // &
      case 36: // $
      case 96: // `
      case 10: // newline
      case 60: // <
      case 62: // >
        return true;
    }
  }
  return false;
}
