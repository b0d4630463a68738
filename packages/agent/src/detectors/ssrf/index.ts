// SSRF: the host of an outbound request came from request input and is (or
// resolves to) an address the server must not reach on a client's behalf.
// Pure: no Node.js imports. `URL` is the WHATWG global, used only on the slow
// path of inputForHost to see a host the way Node's http would.

import ipaddr from 'ipaddr.js';
import type { Finding, UserInput } from '../types.js';

export type AddressClass =
  | 'loopback'
  | 'private'
  | 'linkLocal'
  | 'metadata'
  | 'unspecified'
  | 'uniqueLocal'
  | 'carrierNat'
  | 'reserved';

const MAX_HOST_LENGTH = 1024;
/** Inputs longer than this are not re-parsed as URLs on the slow path. */
const MAX_URL_INPUT_LENGTH = 4096;

// Severity order: when a name embeds several addresses, or the host and its
// resolved address differ, the worst class is reported.
const SEVERITY: Record<AddressClass, number> = {
  metadata: 8,
  loopback: 7,
  unspecified: 6,
  linkLocal: 5,
  private: 4,
  uniqueLocal: 3,
  carrierNat: 2,
  reserved: 1,
};

function worse(a: AddressClass | null, b: AddressClass | null): AddressClass | null {
  if (a === null) return b;
  if (b === null) return a;
  return SEVERITY[b] > SEVERITY[a] ? b : a;
}

// ---------------------------------------------------------------------------
// IP literals

/** Host text as a resolver would see it: percent-decoded, NFKC, ideographic dots mapped. */
function decodeHostText(host: string): string {
  let h = host;
  if (h.indexOf('%') !== -1) {
    try {
      h = decodeURIComponent(h);
    } catch {
      // not valid percent-encoding: keep as is
    }
  }
  for (let i = 0; i < h.length; i++) {
    if (h.charCodeAt(i) > 0x7f) {
      // UTS 46 maps fullwidth/enclosed digits and letters (NFKC) and the
      // ideographic full stops U+3002, U+FF0E, U+FF61 to ASCII before the
      // WHATWG IPv4 parser runs.
      h = h.normalize('NFKC').replace(/[\u3002\uff0e\uff61]/g, '.');
      break;
    }
  }
  return h;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57; // 0-9
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87; // a-f
  return -1;
}

/**
 * WHATWG URL IPv4 parser (the same forms glibc inet_aton accepts): 1 to 4
 * parts separated by dots, one trailing dot allowed, each part decimal,
 * octal (leading 0) or hex (0x); the last part fills the remaining bytes.
 * Returns the address as an unsigned 32-bit number, or -1.
 */
function parseIPv4Number(s: string): number {
  let end = s.length;
  if (end === 0) return -1;
  if (s.charCodeAt(end - 1) === 46 /* . */) end--;
  if (end === 0) return -1;
  let result = 0;
  let parts = 0;
  let i = 0;
  while (i <= end) {
    // One part: [i, j)
    let j = i;
    while (j < end && s.charCodeAt(j) !== 46 /* . */) j++;
    if (j === i) return -1; // empty part
    parts++;
    if (parts > 4) return -1;
    let radix = 10;
    let k = i;
    if (j - i >= 2 && s.charCodeAt(i) === 48 && (s.charCodeAt(i + 1) | 0x20) === 120 /* 0x */) {
      radix = 16;
      k = i + 2;
    } else if (j - i >= 2 && s.charCodeAt(i) === 48) {
      radix = 8;
      k = i + 1;
    }
    let value = 0;
    for (; k < j; k++) {
      const c = s.charCodeAt(k);
      let d: number;
      if (radix === 16) d = hexValue(c);
      else d = isDigit(c) ? c - 48 : -1;
      if (d < 0 || d >= radix) return -1;
      value = value * radix + d;
      if (value > 0xffffffff) return -1;
    }
    const last = j >= end;
    if (!last) {
      if (value > 255) return -1;
      result = result * 256 + value;
    } else {
      const remaining = 5 - parts; // bytes the last part covers
      if (value >= 2 ** (8 * remaining)) return -1;
      result = result * 2 ** (8 * remaining) + value;
    }
    i = j + 1;
    if (last) break;
  }
  return result;
}

function v4ToString(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}


type ParsedIp = { v4: number; v6: null } | { v4: -1; v6: ipaddr.IPv6 };

function parseIp(host: string): ParsedIp | null {
  if (typeof host !== 'string' || host.length === 0 || host.length > MAX_HOST_LENGTH) return null;
  let h = host.trim();
  if (h.length === 0) return null;
  if (h.charCodeAt(0) === 91 /* [ */) {
    const close = h.indexOf(']');
    if (close === -1) return null;
    h = h.slice(1, close);
  }
  if (h.indexOf(':') !== -1) {
    // IPv6: drop a zone id (`%eth0`, `%25eth0` as URLs write it) first.
    const pct = h.indexOf('%');
    if (pct !== -1) h = h.slice(0, pct);
    // A trailing dotted IPv4 part (`::ffff:127.0.0.1`, `::127.0.0.1`) becomes
    // two hex groups here: ipaddr.js reads `::a.b.c.d` as IPv4-mapped, while
    // it is the (deprecated) IPv4-compatible address ::a.b.c.d.
    const lastColon = h.lastIndexOf(':');
    if (h.indexOf('.', lastColon) !== -1) {
      const n = parseIPv4Number(h.slice(lastColon + 1));
      if (n < 0) return null;
      h = `${h.slice(0, lastColon + 1)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
    }
    if (!ipaddr.IPv6.isValid(h)) return null;
    try {
      return { v4: -1, v6: ipaddr.IPv6.parse(h) };
    } catch {
      return null;
    }
  }
  // Cheap exit for ordinary names: an IPv4 literal starts with a digit
  // (decoded forms may start with '%' or a non-ASCII digit).
  const c0 = h.charCodeAt(0);
  if (!isDigit(c0) && c0 !== 37 /* % */ && c0 <= 0x7f) return null;
  if (h.indexOf('%') !== -1 || hasNonAscii(h)) {
    h = decodeHostText(h);
    if (h.indexOf(':') !== -1) return parseIp(h);
  }
  const n = parseIPv4Number(h);
  return n < 0 ? null : { v4: n, v6: null };
}

function hasNonAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return true;
  return false;
}

/**
 * Parses any notation a resolver or WHATWG URL accepts for an IP literal and
 * returns the canonical address (dotted quad, or RFC 5952 IPv6 without zone),
 * or null when the host is a name.
 */
export function parseIpLiteral(host: string): string | null {
  const ip = parseIp(host);
  if (ip === null) return null;
  return ip.v6 === null ? v4ToString(ip.v4) : ip.v6.toRFC5952String();
}

// ---------------------------------------------------------------------------
// Address classes

const METADATA_V4 = new Set<number>([
  0xa9fea9fe, // 169.254.169.254 AWS, GCP, Azure, OpenStack, DigitalOcean, Hetzner, Oracle
  0xa9feaa02, // 169.254.170.2 AWS ECS task credentials
  0xa9feaa17, // 169.254.170.23 AWS EKS pod identity
  0x646464c8, // 100.100.100.200 Alibaba Cloud
  0xc00000c0, // 192.0.0.192 Oracle Cloud (legacy)
]);

/**
 * IPv4 ranges as ipaddr.js names them (SpecialRanges), parsed once into
 * integer prefixes so the per-request check is a few bit operations.
 * Documentation ranges (TEST-NET-1/2/3) route nowhere internal and the 6to4
 * relay anycast block is public: listed first, as not findings.
 */
const V4_RANGES: ReadonlyArray<readonly [base: number, mask: number, cls: AddressClass | null]> = (
  [
    ['192.0.2.0/24', null],
    ['198.51.100.0/24', null],
    ['203.0.113.0/24', null],
    ['192.88.99.0/24', null],
    ['0.0.0.0/8', 'unspecified'],
    ['127.0.0.0/8', 'loopback'],
    ['10.0.0.0/8', 'private'],
    ['172.16.0.0/12', 'private'],
    ['192.168.0.0/16', 'private'],
    ['169.254.0.0/16', 'linkLocal'],
    ['100.64.0.0/10', 'carrierNat'],
    ['255.255.255.255/32', 'reserved'], // broadcast
    ['224.0.0.0/4', 'reserved'], // multicast
    ['192.0.0.0/24', 'reserved'], // IETF protocol assignments
    ['198.18.0.0/15', 'reserved'], // benchmarking
    ['240.0.0.0/4', 'reserved'],
  ] as const
).map(([cidr, cls]) => {
  const [addr, prefix] = ipaddr.IPv4.parseCIDR(cidr);
  const o = addr.octets;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0, mask, cls] as const;
});

function classifyV4(n: number): AddressClass | null {
  if (METADATA_V4.has(n)) return 'metadata';
  for (let i = 0; i < V4_RANGES.length; i++) {
    const range = V4_RANGES[i]!;
    if ((n & range[1]) >>> 0 === range[0]) return range[2];
  }
  return null;
}

/** The IPv4 address an IPv6 address carries and reaches (mapped, NAT64, 6to4, compatible), or -1. */
function embeddedV4(p: readonly number[]): number {
  const low = (p[6]! * 65536 + p[7]!) >>> 0;
  if (p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0) {
    if (p[4] === 0 && p[5] === 0xffff) return low; // ::ffff:a.b.c.d mapped
    if (p[4] === 0xffff && p[5] === 0) return low; // ::ffff:0:a.b.c.d (RFC 6145)
    if (p[4] === 0 && p[5] === 0 && !(p[6] === 0 && p[7]! <= 1)) return low; // ::a.b.c.d compatible
    return -1;
  }
  if (p[0] === 0x64 && p[1] === 0xff9b) {
    if (p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0) return low; // 64:ff9b::/96 NAT64
    if (p[2] === 1) return low; // 64:ff9b:1::/48 local-use NAT64
    return -1;
  }
  if (p[0] === 0x2002) return (p[1]! * 65536 + p[2]!) >>> 0; // 6to4
  return -1;
}

function classifyV6(addr: ipaddr.IPv6): AddressClass | null {
  const p = addr.parts;
  // fd00:ec2::254 (AWS IMDS) and fd00:ec2::23 (EKS pod identity)
  if (p[0] === 0xfd00 && p[1] === 0x0ec2 && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0 && p[6] === 0 && (p[7] === 0x254 || p[7] === 0x23)) {
    return 'metadata';
  }
  const v4 = embeddedV4(p);
  if (v4 >= 0) return classifyV4(v4);
  switch (addr.range()) {
    case 'unspecified':
      return 'unspecified';
    case 'loopback':
      return 'loopback';
    case 'linkLocal':
      return 'linkLocal';
    case 'uniqueLocal':
      return 'uniqueLocal';
    case 'multicast':
    case 'benchmarking':
      return 'reserved';
    default: {
      // Not in ipaddr's named ranges but worth naming: fec0::/10 (deprecated
      // site-local, the old private range) and 100::/64 (discard).
      if ((p[0]! & 0xffc0) === 0xfec0) return 'private';
      if (p[0] === 0x100 && p[1] === 0 && p[2] === 0 && p[3] === 0) return 'reserved';
      // Documentation (2001:db8::/32, 3fff::/20) and the rest: not internal.
      return null;
    }
  }
}

/**
 * Class of an address (canonical or any notation) that must not be reached
 * from user input; null for public addresses and for anything that is not an
 * IP literal.
 */
export function classifyAddress(address: string): AddressClass | null {
  const ip = parseIp(address);
  if (ip === null) return null;
  return ip.v6 === null ? classifyV4(ip.v4) : classifyV6(ip.v6);
}

// ---------------------------------------------------------------------------
// Host names

const NAME_CLASS = new Map<string, AddressClass>([
  ['localhost', 'loopback'],
  ['localhost.localdomain', 'loopback'],
  ['localhost4', 'loopback'],
  ['localhost4.localdomain4', 'loopback'],
  ['localhost6', 'loopback'],
  ['localhost6.localdomain6', 'loopback'],
  ['ip6-localhost', 'loopback'],
  ['ip6-loopback', 'loopback'],
  ['ipv6-localhost', 'loopback'],
  ['metadata', 'metadata'],
  ['metadata.google.internal', 'metadata'],
  ['metadata.goog', 'metadata'],
  ['instance-data', 'metadata'],
  ['instance-data.ec2.internal', 'metadata'],
  ['metadata.packet.net', 'metadata'],
  ['metadata.platformequinix.com', 'metadata'],
  ['metadata.tencentyun.com', 'metadata'],
  ['kubernetes', 'private'],
  ['kubernetes.default', 'private'],
  ['kubernetes.default.svc', 'private'],
  ['kubernetes.docker.internal', 'loopback'],
]);

// Top-level labels that are never publicly delegated: whatever such a name
// resolves to is the operator's own network. `.internal` is reserved by ICANN
// for private use, `.local` is mDNS, `.home.arpa` is RFC 8375 (checked as
// `arpa` below); `.svc` is a Kubernetes service name.
const PRIVATE_TLDS = new Set<string>(['internal', 'local', 'localdomain', 'svc', 'intranet', 'corp', 'lan', 'home']);

// Public wildcard-DNS services (registrable domain → behaviour): every name
// resolves to 127.0.0.1, or to the address written in the name (rebinding
// services alternate between two written addresses).
const WILDCARD_DNS = new Map<string, 'loopback' | 'embedded'>([
  ['localtest.me', 'loopback'],
  ['lvh.me', 'loopback'],
  ['vcap.me', 'loopback'],
  ['lacolhost.com', 'loopback'],
  ['localhost.direct', 'loopback'],
  ['nip.io', 'embedded'],
  ['sslip.io', 'embedded'],
  ['xip.io', 'embedded'],
  ['nip.direct', 'embedded'],
  ['traefik.me', 'embedded'],
  ['backname.io', 'embedded'],
  ['rbndr.us', 'embedded'],
  ['1u.ms', 'embedded'],
]);

/** Lower-cased host without brackets and trailing dots; decoded when it holds '%' or non-ASCII. */
function normalizeName(host: string): string {
  let h = host.trim();
  if (h.length > 1 && h.charCodeAt(0) === 91 /* [ */ && h.charCodeAt(h.length - 1) === 93 /* ] */) {
    h = h.slice(1, -1);
  }
  if (h.indexOf('%') !== -1 && h.indexOf(':') === -1) h = decodeHostText(h);
  else if (hasNonAscii(h)) h = decodeHostText(h);
  h = h.toLowerCase();
  while (h.length > 1 && h.charCodeAt(h.length - 1) === 46 /* . */) h = h.slice(0, -1);
  return h;
}

/** Addresses written into a name: `127.0.0.1`, `10-0-0-1`, `169.254-169.254`, or an 8-hex-digit label (rbndr.us). */
function embeddedAddressesClass(name: string): AddressClass | null {
  let best: AddressClass | null = null;
  const len = name.length;
  let i = 0;
  while (i < len) {
    if (!isDigit(name.charCodeAt(i)) || (i > 0 && isDigit(name.charCodeAt(i - 1)))) {
      i++;
      continue;
    }
    // Try to read four decimal octets separated by '.' or '-'.
    let j = i;
    let n = 0;
    let octets = 0;
    while (octets < 4) {
      let v = 0;
      let digits = 0;
      while (j < len && isDigit(name.charCodeAt(j)) && digits < 4) {
        v = v * 10 + (name.charCodeAt(j) - 48);
        j++;
        digits++;
      }
      if (digits === 0 || digits > 3 || v > 255) break;
      n = n * 256 + v;
      octets++;
      if (octets === 4) break;
      const sep = name.charCodeAt(j);
      if (sep !== 46 && sep !== 45) break; // . -
      j++;
    }
    if (octets === 4 && !(j < len && isDigit(name.charCodeAt(j)))) best = worse(best, classifyV4(n >>> 0));
    i++;
  }
  // 8-hex-digit labels
  let start = 0;
  for (let k = 0; k <= len; k++) {
    if (k === len || name.charCodeAt(k) === 46) {
      if (k - start === 8) {
        let v = 0;
        let ok = true;
        for (let m = start; m < k; m++) {
          const d = hexValue(name.charCodeAt(m));
          if (d < 0) {
            ok = false;
            break;
          }
          v = v * 16 + d;
        }
        if (ok) best = worse(best, classifyV4(v));
      }
      start = k + 1;
    }
  }
  return best;
}

/**
 * Internal-looking host names, before any resolution: localhost and
 * *.localhost, cloud metadata names, Kubernetes and Docker service names,
 * never-delegated suffixes (.internal, .local …), single-label names (only a
 * search domain can resolve them), wildcard-DNS names that embed an address.
 * IP literals in any notation are classified as addresses. Null otherwise.
 */
export function classifyHostname(host: string): AddressClass | null {
  if (typeof host !== 'string' || host.length === 0 || host.length > MAX_HOST_LENGTH) return null;
  const literal = parseIp(host);
  if (literal !== null) return literal.v6 === null ? classifyV4(literal.v4) : classifyV6(literal.v6);
  const name = normalizeName(host);
  if (name.length === 0 || name === '.') return null;
  const decoded = parseIp(name);
  if (decoded !== null) return decoded.v6 === null ? classifyV4(decoded.v4) : classifyV6(decoded.v6);
  const exact = NAME_CLASS.get(name);
  if (exact !== undefined) return exact;
  const lastDot = name.lastIndexOf('.');
  if (lastDot !== -1) {
    const tld = name.slice(lastDot + 1);
    if (tld === 'localhost') return 'loopback';
    if (PRIVATE_TLDS.has(tld)) return name.startsWith('metadata.') && tld === 'internal' ? 'metadata' : 'private';
    if (tld === 'arpa' && (name === 'home.arpa' || name.endsWith('.home.arpa'))) return 'private';
    const secondDot = name.lastIndexOf('.', lastDot - 1);
    const wildcard = WILDCARD_DNS.get(secondDot === -1 ? name : name.slice(secondDot + 1));
    if (wildcard !== undefined) return wildcard === 'loopback' ? 'loopback' : embeddedAddressesClass(name);
    if (name.startsWith('kubernetes.default.')) return 'private';
  }
  // A public host always has a dot; a single label only resolves through the
  // resolver's search domains, i.e. to the operator's network.
  if (name.indexOf('.') === -1 && name.indexOf(':') === -1) return 'private';
  return null;
}

// ---------------------------------------------------------------------------
// Which input supplied the host

function isHostChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 95; // a-z A-Z 0-9 - _
}

function lowerAscii(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** Case-insensitive indexOf for an already lower-cased needle, without allocating. */
function indexOfCI(hay: string, needle: string, from: number): number {
  const n = needle.length;
  const last = hay.length - n;
  const first = needle.charCodeAt(0);
  for (let i = from; i <= last; i++) {
    if (lowerAscii(hay.charCodeAt(i)) !== first) continue;
    let k = 1;
    while (k < n && lowerAscii(hay.charCodeAt(i + k)) === needle.charCodeAt(k)) k++;
    if (k === n) return i;
  }
  return -1;
}

/**
 * Whether the occurrence of a host at [i, j) of `value` sits where a URL
 * parser or a host field takes the host from: at the start of the value, or
 * after `//`, `\\`, `@`, `[` or a scheme's `:`/`:/`; and followed by the end, a
 * port, path, query, fragment, `]`, zone, or a trailing dot. Prose such as
 * "why is localhost slow" does not qualify.
 */
function atHostPosition(value: string, i: number, j: number): boolean {
  if (i > 0) {
    const p = value.charCodeAt(i - 1);
    let ok = p === 64 || p === 91 || p === 58; // @ [ :
    if (p === 47 || p === 92) {
      // `//host`, `\\host`, `http:/host`; a single slash elsewhere is a path.
      const pp = i >= 2 ? value.charCodeAt(i - 2) : -1;
      ok = pp === 47 || pp === 92 || pp === 58; // / \ :
    }
    if (!ok) {
      // Leading whitespace is trimmed by URL parsers.
      for (let k = 0; k < i; k++) {
        const c = value.charCodeAt(k);
        if (c > 32) return false;
      }
    }
  }
  let k = j;
  if (k < value.length && value.charCodeAt(k) === 46 /* . */) k++; // trailing dot
  if (k >= value.length) return true;
  const c = value.charCodeAt(k);
  if (k > j && isHostChar(c)) return false; // `localhost.example.com`
  switch (c) {
    case 58: // :
    case 47: // /
    case 92: // \
    case 63: // ?
    case 35: // #
    case 93: // ]
    case 37: // %
    case 9: // tab
    case 10: // \n
    case 13: // \r
      return true;
    default:
      // trailing whitespace only
      if (c <= 32) {
        for (let m = k; m < value.length; m++) if (value.charCodeAt(m) > 32) return false;
        return true;
      }
      return false;
  }
}

function containsHost(value: string, host: string): boolean {
  if (value.length < host.length) return false;
  let from = 0;
  for (;;) {
    const i = indexOfCI(value, host, from);
    if (i === -1) return false;
    if (atHostPosition(value, i, i + host.length)) return true;
    from = i + 1;
  }
}

const SCHEME_RE = /^([a-z][a-z0-9+.-]*):/i;
const SPECIAL_SCHEMES = new Set(['http', 'https', 'ws', 'wss', 'ftp', 'file']);

/** The host a WHATWG URL parser finds in an input (as a URL or as `'http://' + input`), normalized. */
function urlHostOf(raw: string): string | null {
  if (typeof URL !== 'function') return null;
  const value = raw.trim();
  if (value.length === 0 || value.length > MAX_URL_INPUT_LENGTH) return null;
  let href: string;
  const m = SCHEME_RE.exec(value);
  if (m !== null && (value.startsWith('//', m[0].length) || SPECIAL_SCHEMES.has(m[1]!.toLowerCase()))) {
    href = value;
  } else if (value.startsWith('//') || value.startsWith('\\\\')) {
    href = 'http:' + value;
  } else {
    for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) === 32) return null;
    href = 'http://' + value;
  }
  let hostname: string;
  try {
    hostname = new URL(href).hostname;
  } catch {
    return null;
  }
  return hostname.length === 0 ? null : normalizeName(hostname);
}

/**
 * Which request input put this host into the outbound request: the host
 * (case-insensitive, without brackets and trailing dot) occurs in an input
 * where a URL parser or host field would take it from, or an input parsed as
 * a URL has this host (percent-encoded, Unicode or numeric IPv4 notations).
 */
export function inputForHost(hostname: string, inputs: readonly UserInput[]): UserInput | null {
  if (typeof hostname !== 'string' || inputs.length === 0) return null;
  const host = normalizeName(hostname);
  if (host.length === 0 || host.length > MAX_HOST_LENGTH) return null;
  // Fast path: the host text itself.
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!;
    if (typeof input.value === 'string' && containsHost(input.value, host)) return input;
  }
  // Slow path: the input is another notation of the same host.
  const canonical = parseIpLiteral(host);
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!;
    const value = input.value;
    if (typeof value !== 'string' || value.length === 0) continue;
    if (canonical !== null && parseIpLiteral(value) === canonical) return input;
    const h = urlHostOf(value);
    if (h === null) continue;
    if (h === host) return input;
    if (canonical !== null && parseIpLiteral(h) === canonical) return input;
  }
  return null;
}

// ---------------------------------------------------------------------------
// The check

/**
 * The outbound request's hostname (as the app gave it) and the address
 * actually connected to (null before resolution). A finding when the host
 * came from request input and the host literal, the name, or the resolved
 * address is in a forbidden class. Hosts the app chose itself are never
 * findings; a public name from input that resolves inward (DNS rebinding) is.
 */
export function detectSsrf(hostname: string, resolvedAddress: string | null, inputs: readonly UserInput[]): Finding | null {
  if (typeof hostname !== 'string' || hostname.length === 0 || inputs.length === 0) return null;
  const hostClass = classifyHostname(hostname);
  const resolvedClass = typeof resolvedAddress === 'string' && resolvedAddress.length > 0 ? classifyAddress(resolvedAddress) : null;
  if (hostClass === null && resolvedClass === null) return null;
  const input = inputForHost(hostname, inputs);
  if (input === null) return null;
  const addressClass = worse(hostClass, resolvedClass)!;
  const literal = parseIpLiteral(hostname);
  const via = resolvedClass !== null && hostClass === null ? 'resolved' : literal !== null ? 'literal' : 'name';
  const detail: Record<string, string | number | boolean> = { host: hostname, addressClass, via };
  if (literal !== null) detail.address = literal;
  if (typeof resolvedAddress === 'string' && resolvedAddress.length > 0) detail.resolvedAddress = resolvedAddress;
  const target =
    via === 'resolved' ? `resolves to ${resolvedAddress} (${addressClass})` : `is ${addressClass === 'metadata' ? 'a cloud metadata endpoint' : `a ${addressClass} address`}`;
  return {
    rule: 'ssrf',
    threatLevel: addressClass === 'metadata' ? 'critical' : 'high',
    confidence: 0.95,
    description: `Outbound request host "${truncate(hostname)}" comes from ${input.source} input ${input.path} and ${target}`,
    input,
    detail,
  };
}

function truncate(s: string): string {
  return s.length > 100 ? s.slice(0, 100) + '…' : s;
}
