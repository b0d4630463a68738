import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import fc from 'fast-check';
import type { UserInput } from '../types.js';
import { classifyAddress, classifyHostname, detectSsrf, inputForHost, parseIpLiteral } from './index.js';

const CORPUS = process.env.VIGIL_CORPUS ?? '/work/shared/corpus';
const haveCorpus = existsSync(`${CORPUS}/attacks/ssrf.jsonl`);

interface Row {
  payload: string;
  note?: string;
}
const load = (f: string): Row[] =>
  readFileSync(`${CORPUS}/${f}`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);

const q = (value: string, path = 'query.url'): UserInput[] => [{ source: 'query', path, value }];

// ---------------------------------------------------------------------------
// parseIpLiteral

test('parseIpLiteral: every IPv4 notation a resolver or WHATWG URL accepts', () => {
  const table: Array<[string, string]> = [
    ['127.0.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0X7F000001', '127.0.0.1'],
    ['017700000001', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['00177.00000.00000.00001', '127.0.0.1'],
    ['0x7f.0x0.0x0.0x1', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'],
    ['127.000.000.001', '127.0.0.1'],
    ['127.0.0.1.', '127.0.0.1'],
    ['169.16689662', '169.254.169.254'],
    ['169.254.43518', '169.254.169.254'],
    ['0xa9.16689662', '169.254.169.254'],
    ['0251.0376.0251.0376', '169.254.169.254'],
    ['0', '0.0.0.0'],
    ['0x0', '0.0.0.0'],
    ['00', '0.0.0.0'],
    ['4294967295', '255.255.255.255'],
    ['１２７．０．０．１', '127.0.0.1'],
    ['127。0。0。1', '127.0.0.1'],
    ['①②⑦.⓪.⓪.①', '127.0.0.1'],
    ['%31%32%37%2e%30%2e%30%2e%31', '127.0.0.1'],
  ];
  for (const [input, expected] of table) assert.equal(parseIpLiteral(input), expected, input);
});

test('parseIpLiteral: IPv6 with brackets, zone ids, mapped and compatible forms', () => {
  const table: Array<[string, string]> = [
    ['::1', '::1'],
    ['[::1]', '::1'],
    ['[0:0:0:0:0:0:0:1]', '::1'],
    ['[0000::1]', '::1'],
    ['::', '::'],
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
    ['::ffff:7f00:1', '::ffff:7f00:1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['[fe80::1%25eth0]', 'fe80::1'],
    ['FD00:EC2::254', 'fd00:ec2::254'],
  ];
  for (const [input, expected] of table) assert.equal(parseIpLiteral(input), expected, input);
});

test('parseIpLiteral: names and malformed literals are null', () => {
  for (const h of [
    'example.com',
    'localhost',
    '1.2.3.4.5',
    '256.1.1.1',
    '4294967296',
    '0x41414141A9FEA9FE',
    '425.510.425.510',
    '1..1',
    '0x7f.example.com',
    '192-168-1-1.example.com',
    '08.0.0.1', // 8 is not an octal digit
    '',
    '.',
    '[::1',
    '1:2:3:4:5:6:7:8:9',
  ]) {
    assert.equal(parseIpLiteral(h), null, h);
  }
});

test('parseIpLiteral agrees with WHATWG URL on generated IPv4 notations (decimal, octal, hex, short)', () => {
  fc.assert(
    fc.property(fc.ipV4Extended(), (ip) => {
      const expected = new URL(`http://${ip}/`).hostname;
      assert.equal(parseIpLiteral(ip), expected);
    }),
    { numRuns: 500 },
  );
});

test('parseIpLiteral agrees with WHATWG URL on generated IPv6 addresses', () => {
  fc.assert(
    fc.property(fc.ipV6(), (ip) => {
      const expected = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
      assert.equal(parseIpLiteral(ip), expected);
    }),
    { numRuns: 300 },
  );
});

// ---------------------------------------------------------------------------
// classifyAddress

test('classifyAddress: forbidden classes', () => {
  const table: Array<[string, string]> = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.1.1', 'linkLocal'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['192.0.0.192', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['100.64.0.1', 'carrierNat'],
    ['100.127.255.255', 'carrierNat'],
    ['198.18.0.1', 'reserved'],
    ['224.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['ff02::1', 'reserved'],
    // IPv6 forms that reach an IPv4 address
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['::7f00:1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b::', 'unspecified'],
    ['2002:c0a8:101::1', 'private'],
    // any notation
    ['0x7f.1', 'loopback'],
    ['2852039166', 'metadata'],
  ];
  for (const [address, expected] of table) assert.equal(classifyAddress(address), expected, address);
});

test('classifyAddress: public addresses, just outside the ranges, documentation ranges', () => {
  for (const a of [
    '8.8.8.8',
    '1.1.1.1',
    '93.184.215.14',
    '100.0.0.1',
    '100.63.255.255',
    '100.128.0.0',
    '172.15.255.255',
    '172.32.0.1',
    '192.169.0.1',
    '11.0.0.1',
    '169.255.0.1',
    '126.255.255.255',
    '128.0.0.1',
    '203.0.114.10',
    '192.0.2.10', // TEST-NET-1
    '2001:db8::1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    'example.com',
    '',
  ]) {
    assert.equal(classifyAddress(a), null, a);
  }
});

// ---------------------------------------------------------------------------
// classifyHostname

test('classifyHostname: internal names before resolution', () => {
  const table: Array<[string, string]> = [
    ['localhost', 'loopback'],
    ['LocalHost', 'loopback'],
    ['localhost.', 'loopback'],
    ['foo.localhost', 'loopback'],
    ['localhost.localdomain', 'loopback'],
    ['ip6-localhost', 'loopback'],
    ['metadata', 'metadata'],
    ['metadata.google.internal', 'metadata'],
    ['metadata.google.internal.', 'metadata'],
    ['instance-data', 'metadata'],
    ['instance-data.ec2.internal', 'metadata'],
    ['kubernetes.default', 'private'],
    ['kubernetes.default.svc', 'private'],
    ['kubernetes.default.svc.cluster.local', 'private'],
    ['redis.prod.svc', 'private'],
    ['host.docker.internal', 'private'],
    ['ip-10-0-0-1.ec2.internal', 'private'],
    ['printer.local', 'private'],
    ['redis', 'private'],
    ['127.0.0.1.nip.io', 'loopback'],
    ['169.254.169.254.nip.io', 'metadata'],
    ['app.10-0-0-1.sslip.io', 'private'],
    ['customer1.app.localhost.my.company.127.0.0.1.nip.io', 'loopback'],
    ['7f000001.c0a80001.rbndr.us', 'loopback'],
    ['make-1.2.3.4-rebind-169.254-169.254-rr.1u.ms', 'metadata'],
    ['localtest.me', 'loopback'],
    ['anything.lvh.me', 'loopback'],
    ['ⓛⓞⓒⓐⓛⓗⓞⓢⓣ', 'loopback'],
    ['ＬＯＣＡＬＨＯＳＴ', 'loopback'],
    ['%6c%6f%63%61%6c%68%6f%73%74', 'loopback'],
    ['[::1]', 'loopback'],
    ['0x7f000001', 'loopback'],
  ];
  for (const [host, expected] of table) assert.equal(classifyHostname(host), expected, host);
});

test('classifyHostname: public names, including ones that merely look internal', () => {
  for (const h of [
    'example.com',
    'api.github.com',
    'localhost-docs.example.com',
    'metadata.example.com',
    'internal-news.example.com',
    '192-168-1-1.example.com',
    'www.127.example',
    '0x7f.example.com',
    '10minutemail.example.net',
    'xn--mnchen-3ya.example',
    'example.com.',
    '8.8.8.8',
    '8.8.8.8.nip.io',
    'localhost.example.com',
    '',
  ]) {
    assert.equal(classifyHostname(h), null, h);
  }
});

// ---------------------------------------------------------------------------
// inputForHost

test('inputForHost: the input that supplied the host', () => {
  const cases: Array<[string, string]> = [
    ['127.0.0.1', 'http://evil.example@127.0.0.1/'],
    ['127.0.0.1', 'http://1.1.1.1 &@127.0.0.1# @3.3.3.3/'],
    ['localhost', 'http://LOCALHOST:8080/admin'],
    ['localhost', 'localhost'],
    ['localhost', 'localhost:6379'],
    ['localhost.', 'http://localhost./'],
    ['[::1]', 'http://[::1]:8080/'],
    ['::1', '[::1]'],
    ['127.0.0.1', 'http:127.0.0.1/'],
    ['127.0.0.1', '2130706433'], // another notation of the same address
    ['127.0.0.1', 'http://0x7f.1/'],
    ['169.254.169.254', 'http://%31%36%39%2e%32%35%34%2e%31%36%39%2e%32%35%34/latest/'],
    ['localhost', 'http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/'],
    ['[::ffff:7f00:1]', 'http://[::ffff:127.0.0.1]/'],
    ['0.0.0.0', '0'],
  ];
  for (const [host, value] of cases) {
    const inputs = [...q('hello', 'query.name'), ...q(value)];
    assert.equal(inputForHost(host, inputs)?.value, value, `${host} <- ${value}`);
  }
});

test('inputForHost: hosts no input supplied', () => {
  const cases: Array<[string, string]> = [
    ['localhost', 'why is localhost slow?'], // prose, not a host position
    ['localhost', 'https://example.com/localhost'], // path
    ['127.0.0.1', 'https://example.com/docs/127.0.0.1-explained'],
    ['127.0.0.1', 'http://127.0.0.1@example.com/'], // userinfo, the real host is example.com
    ['localhost', 'https://localhost-docs.example.com/'],
    ['10.0.0.5', '10.0.0.55'],
    ['10.0.0.5', 'see 10.0.0.5 for details'],
    ['api.internal', 'payments'],
  ];
  for (const [host, value] of cases) assert.equal(inputForHost(host, q(value)), null, `${host} <- ${value}`);
  assert.equal(inputForHost('localhost', []), null);
});

// ---------------------------------------------------------------------------
// detectSsrf

test('detectSsrf: host from input in a forbidden class', () => {
  const f = detectSsrf('169.254.169.254', '169.254.169.254', q('http://169.254.169.254/latest/meta-data/'));
  assert.ok(f);
  assert.equal(f.rule, 'ssrf');
  assert.equal(f.threatLevel, 'critical');
  assert.ok(f.confidence >= 0.9);
  assert.equal(f.input?.path, 'query.url');
  assert.equal(f.detail?.addressClass, 'metadata');

  const loop = detectSsrf('127.0.0.1', null, q('http://evil.example@127.0.0.1/'));
  assert.equal(loop?.threatLevel, 'high');
  assert.equal(loop?.detail?.addressClass, 'loopback');

  assert.equal(detectSsrf('LOCALHOST.', null, q('http://LOCALHOST./'))?.detail?.addressClass, 'loopback');
  assert.equal(detectSsrf('[::1]', '::1', q('http://[::1]:8080/admin'))?.detail?.addressClass, 'loopback');
  assert.equal(detectSsrf('metadata.google.internal', null, q('metadata.google.internal'))?.threatLevel, 'critical');
});

test('detectSsrf: DNS rebinding — public name from input resolving inward', () => {
  const f = detectSsrf('rebind.attacker.example', '10.0.0.7', q('https://rebind.attacker.example/hook'));
  assert.ok(f);
  assert.equal(f.detail?.via, 'resolved');
  assert.equal(f.detail?.resolvedAddress, '10.0.0.7');
  // Same name resolving to a public address: nothing to report.
  assert.equal(detectSsrf('rebind.attacker.example', '93.184.215.14', q('https://rebind.attacker.example/hook')), null);
  // Mapped IPv6 answer counts as its IPv4 address.
  assert.equal(detectSsrf('x.attacker.example', '::ffff:169.254.169.254', q('x.attacker.example'))?.threatLevel, 'critical');
});

test('detectSsrf: hosts the app chose itself are never findings', () => {
  const inputs = [...q('hello world', 'body.comment'), ...q('42', 'query.page')];
  assert.equal(detectSsrf('localhost', '127.0.0.1', inputs), null);
  assert.equal(detectSsrf('10.0.0.5', null, inputs), null);
  assert.equal(detectSsrf('169.254.169.254', null, inputs), null);
  assert.equal(detectSsrf('payments.internal', '10.1.2.3', inputs), null);
  assert.equal(detectSsrf('api.example.com', '10.1.2.3', inputs), null);
  assert.equal(detectSsrf('localhost', '127.0.0.1', []), null);
});

test('detectSsrf: public hosts from input are not findings', () => {
  assert.equal(detectSsrf('example.com', '93.184.215.14', q('https://example.com/?redirect=http://localhost:3000')), null);
  assert.equal(detectSsrf('8.8.8.8', '8.8.8.8', q('8.8.8.8')), null);
  assert.equal(detectSsrf('example.com', null, q('http://127.0.0.1@example.com/')), null);
});

// ---------------------------------------------------------------------------
// Corpus

/** Simulated resolver for the corpus' names: what each resolves to (the rebinding answer for rebinding names). */
const RESOLVER: Record<string, string> = {
  localhost: '127.0.0.1',
  'foo.localhost': '127.0.0.1',
  'localhost.localdomain': '127.0.0.1',
  localhost4: '127.0.0.1',
  'localhost4.localdomain4': '127.0.0.1',
  'ipv6-localhost': '::1',
  'ip6-localhost': '::1',
  'ip6-loopback': '::1',
  'localtest.me': '127.0.0.1',
  'lvh.me': '127.0.0.1',
  '127.0.0.1.nip.io': '127.0.0.1',
  '169.254.169.254.nip.io': '169.254.169.254',
  'customer1.app.localhost.my.company.127.0.0.1.nip.io': '127.0.0.1',
  '7f000001.c0a80001.rbndr.us': '192.168.0.1',
  'make-1.2.3.4-rebind-169.254-169.254-rr.1u.ms': '169.254.169.254',
  metadata: '169.254.169.254',
  'metadata.google.internal': '169.254.169.254',
  'instance-data': '169.254.169.254',
  'instance-data.ec2.internal': '169.254.169.254',
  'kubernetes.default.svc': '10.96.0.1',
  'kubernetes.default.svc.cluster.local': '10.96.0.1',
  'host.docker.internal': '192.168.65.254',
  'gateway.docker.internal': '192.168.65.1',
  'kubernetes.docker.internal': '127.0.0.1',
  'host.containers.internal': '10.88.0.1',
};
const PUBLIC_ANSWER = '93.184.215.14';

const stripHost = (h: string): string => {
  let x = h;
  try {
    x = decodeURIComponent(x).normalize('NFKC'); // opaque hosts of non-special schemes stay percent-encoded
  } catch {
    // keep as is
  }
  x = x.toLowerCase();
  if (x.startsWith('[') && x.endsWith(']')) x = x.slice(1, -1);
  while (x.endsWith('.') && x.length > 1) x = x.slice(0, -1);
  return x;
};

/** The address the test's resolver or the literal gives; canonicalised by Node's own URL parser. */
function resolve(hostname: string): string {
  const h = stripHost(hostname);
  if (isIP(h)) return h;
  try {
    const viaUrl = stripHost(new URL(`http://${h}/`).hostname);
    if (isIP(viaUrl)) return viaUrl;
  } catch {
    // not a host a special-scheme URL accepts
  }
  return RESOLVER[h] ?? PUBLIC_ANSWER;
}

const INTERNAL_RANGES = ['unspecified', 'broadcast', 'multicast', 'linkLocal', 'loopback', 'carrierGradeNat', 'private', 'reserved', 'uniqueLocal', 'ipv4Mapped', 'rfc6052', 'rfc6145'];
async function isInternalAddress(address: string): Promise<boolean> {
  // An oracle independent of the detector: ipaddr.js' own range names.
  const ipaddr = (await import('ipaddr.js')).default;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as InstanceType<typeof ipaddr.IPv6>;
    if (v6.range() === 'rfc6052' || (v6.parts.slice(0, 6).every((p) => p === 0) && address !== '::' && address !== '::1')) {
      const v4 = ipaddr.IPv4.parse(`${v6.parts[6]! >> 8}.${v6.parts[6]! & 255}.${v6.parts[7]! >> 8}.${v6.parts[7]! & 255}`);
      return INTERNAL_RANGES.includes(v4.range()) || v4.toString() === '100.100.100.200';
    }
  }
  return INTERNAL_RANGES.includes(parsed.range()) || parsed.toString() === '100.100.100.200';
}

const SCHEME_WITH_SLASHES = /^[a-z][a-z0-9+.-]*:\/\//i;
const SPECIAL_NO_SLASHES = /^(https?|wss?|ftp):/i;

/** The hostname a request built from the payload would carry: URL as given, or `'http://' + p`, or a bare IP for a host field. */
function hostnameFor(p: string): string | null {
  const t = p.trim();
  const asUrl = SCHEME_WITH_SLASHES.test(t) || SPECIAL_NO_SLASHES.test(t) || t.startsWith('//') || t.startsWith('\\\\');
  try {
    const u = new URL(asUrl ? (t.startsWith('//') || t.startsWith('\\\\') ? `http:${t}` : t) : `http://${t}`);
    if (u.hostname) return u.hostname;
  } catch {
    // fall through
  }
  if (!asUrl && isIP(stripHost(t))) return t; // http.request({ host: '::1' })
  return null;
}

test('corpus: attacks/ssrf.jsonl detection rate over literal and internal-name hosts', { skip: !haveCorpus && 'corpus not found' }, async () => {
  const rows = load('attacks/ssrf.jsonl');
  let applicable = 0;
  let detected = 0;
  let detectedBeforeResolution = 0;
  const missed: string[] = [];
  for (const { payload } of rows) {
    const hostname = hostnameFor(payload);
    if (hostname === null) continue;
    const resolved = resolve(hostname);
    const internal = await isInternalAddress(resolved);
    if (!internal) continue; // public target (or needs a redirect): not an SSRF by host
    applicable++;
    const inputs = q(payload);
    if (detectSsrf(hostname, resolved, inputs)) detected++;
    else missed.push(`${payload} -> ${hostname} (${resolved})`);
    if (detectSsrf(hostname, null, inputs)) detectedBeforeResolution++;
  }
  const rate = detected / applicable;
  console.log(
    `ssrf attacks: ${detected}/${applicable} detected (${(rate * 100).toFixed(1)}%), ` +
      `${detectedBeforeResolution}/${applicable} before DNS resolution; ${rows.length - applicable} entries not applicable (public host, redirect, unparsable)`,
  );
  if (missed.length) console.log(`  missed:\n    ${missed.join('\n    ')}`);
  assert.ok(applicable > 250, `expected most entries to be applicable, got ${applicable}`);
  assert.ok(rate >= 0.95, `detection rate ${rate}`);
});

test('corpus: benign/ssrf.jsonl produces no findings', { skip: !haveCorpus && 'corpus not found' }, () => {
  const rows = load('benign/ssrf.jsonl');
  const fps: string[] = [];
  let checked = 0;
  for (const { payload } of rows) {
    const hostname = hostnameFor(payload);
    if (hostname === null) continue;
    checked++;
    const inputs = q(payload);
    if (detectSsrf(hostname, resolve(hostname), inputs)) fps.push(payload);
    if (detectSsrf(hostname, null, inputs)) fps.push(`${payload} (unresolved)`);
  }
  console.log(`ssrf benign: ${fps.length} findings over ${checked} requests`);
  assert.ok(checked > 180);
  assert.deepEqual(fps, []);
});

test('corpus: app-chosen internal hosts with benign inputs in the request', { skip: !haveCorpus && 'corpus not found' }, () => {
  const inputs = load('benign/ssrf.jsonl').map((r, i) => ({ source: 'body' as const, path: `body.f${i}`, value: r.payload }));
  // The app calls its own services while handling a request full of benign URLs.
  for (const [host, address] of [
    ['10.0.0.5', '10.0.0.5'],
    ['169.254.169.254', '169.254.169.254'],
    ['payments.internal', '10.1.2.3'],
    ['127.0.0.1', '127.0.0.1'],
  ] as const) {
    assert.equal(detectSsrf(host, address, inputs), null, host);
  }
  // Known and accepted: an input that itself holds a URL to the same internal
  // host is indistinguishable from the app's own call.
  assert.equal(detectSsrf('localhost', '127.0.0.1', inputs)?.input?.value, 'https://example.com/?redirect=http://localhost:3000');
});

// ---------------------------------------------------------------------------
// Robustness

test('property: never throws on arbitrary hosts, addresses and inputs', () => {
  const inputArb = fc.array(
    fc.record({
      source: fc.constantFrom('query' as const, 'body' as const, 'headers' as const),
      path: fc.string(),
      value: fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.webUrl(), fc.ipV4Extended(), fc.domain()),
    }),
    { maxLength: 5 },
  );
  const hostArb = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.domain(), fc.ipV4Extended(), fc.ipV6(), fc.constantFrom('[', '[]', '%', '%zz', '.', '..', '::', '0x', '0.'));
  fc.assert(
    fc.property(hostArb, fc.option(fc.oneof(fc.string(), fc.ipV4(), fc.ipV6())), inputArb, (host, resolved, inputs) => {
      parseIpLiteral(host);
      classifyAddress(host);
      classifyHostname(host);
      inputForHost(host, inputs);
      const f = detectSsrf(host, resolved, inputs);
      if (f !== null) assert.equal(f.rule, 'ssrf');
    }),
    { numRuns: 1000 },
  );
});

test('property: a host from input is found whatever the case and surrounding URL', () => {
  fc.assert(
    fc.property(fc.constantFrom('localhost', '127.0.0.1', '169.254.169.254', '10.0.0.1'), fc.mixedCase(fc.constant('http://')), fc.boolean(), (host, scheme, withPort) => {
      const url = `${scheme}${host.toUpperCase()}${withPort ? ':8080' : ''}/path?q=1`;
      assert.ok(detectSsrf(host, null, q(url)));
    }),
  );
});
