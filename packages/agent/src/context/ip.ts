import ipaddr from 'ipaddr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Matches addresses against a list of IPs and CIDR ranges (IPv4, IPv6, IPv4-mapped IPv6). */
export class IpMatcher {
  private readonly v4: Range[] = [];
  private readonly v6: Range[] = [];
  readonly size: number;

  constructor(entries: readonly string[] | undefined) {
    for (const entry of entries ?? []) {
      const range = parseRange(entry);
      if (range === null) continue;
      (range[0].kind() === 'ipv4' ? this.v4 : this.v6).push(range);
    }
    this.size = this.v4.length + this.v6.length;
  }

  matches(address: string | undefined): boolean {
    if (this.size === 0 || address === undefined) return false;
    const parsed = parseAddress(address);
    if (parsed === null) return false;
    const list = parsed.kind() === 'ipv4' ? this.v4 : this.v6;
    for (const range of list) {
      if (parsed.match(range as [never, number])) return true;
    }
    return false;
  }
}

function parseRange(entry: string): Range | null {
  try {
    if (entry.includes('/')) {
      const [addr, bits] = ipaddr.parseCIDR(entry);
      return [unmap(addr), addr.kind() === 'ipv6' && unmap(addr).kind() === 'ipv4' ? Math.max(0, bits - 96) : bits];
    }
    const addr = unmap(ipaddr.parse(entry));
    return [addr, addr.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return null;
  }
}

/** Parses an address, unwrapping IPv4-mapped IPv6 (`::ffff:10.0.0.1`) to IPv4. */
export function parseAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  let text = address.trim();
  if (text.startsWith('[')) text = text.slice(1, text.indexOf(']') > 0 ? text.indexOf(']') : undefined);
  const zone = text.indexOf('%');
  if (zone > 0) text = text.slice(0, zone);
  if (!ipaddr.isValid(text)) return null;
  try {
    return unmap(ipaddr.parse(text));
  } catch {
    return null;
  }
}

function unmap(addr: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) return (addr as ipaddr.IPv6).toIPv4Address();
  return addr;
}

/**
 * The client's address: the socket peer, unless the peer is a trusted proxy,
 * in which case X-Forwarded-For is read from the right, skipping trusted hops.
 * Reading the left-most entry would let any client choose its own IP.
 */
export function clientIp(socketAddress: string | undefined, forwardedFor: string | string[] | undefined, trusted: IpMatcher): string | undefined {
  const peer = normalise(socketAddress);
  if (forwardedFor === undefined || trusted.size === 0 || !trusted.matches(peer)) return peer;
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  const hops = header.split(',');
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalise(stripPort((hops[i] ?? '').trim()));
    if (hop === undefined || parseAddress(hop) === null) break;
    client = hop;
    if (!trusted.matches(hop)) break;
  }
  return client;
}

function stripPort(hop: string): string {
  if (hop.startsWith('[')) return hop.slice(1, hop.indexOf(']') > 0 ? hop.indexOf(']') : undefined);
  const colon = hop.indexOf(':');
  return colon > 0 && hop.indexOf(':', colon + 1) === -1 ? hop.slice(0, colon) : hop;
}

function normalise(address: string | undefined): string | undefined {
  if (address === undefined || address === '') return undefined;
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
