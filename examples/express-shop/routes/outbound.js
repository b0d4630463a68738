'use strict';
// Outbound requests built from request input (SSRF) and queries built from
// request input for the shop's MongoDB (NoSQL injection). Vulnerable on
// purpose: no handler here checks where a URL points or what a body holds,
// except /webhook/verify, whose own check a re-binding name gets past.
const http = require('node:http');
const https = require('node:https');
const net = require('node:net');
const dns = require('node:dns');
const undici = require('undici');
const { MongoClient } = require('mongodb');

// The shop's own back-end service (inventory and exchange rates). Its host is
// configuration, never input: calls to it are not SSRF.
const INVENTORY_URL = process.env.SHOP_INVENTORY_URL ?? 'http://127.0.0.1:4001';

// ---------------------------------------------------------------------------
// Test plumbing, off unless the end-to-end tests set these variables.
//
// VIGIL_SHOP_TEST_DNS="internal.test=127.0.0.1,rebind.test=198.51.100.7|127.0.0.1"
//   names the shop resolves itself (the `lookup` option of http.get/request)
//   instead of asking DNS: a name from input that resolves to a loopback
//   address at connect time. Answers separated by `|` are given in turn, the
//   last one from then on (a re-binding name). Only loopback answers are ever
//   connected to; another answer is only shown to the app's own check.
// VIGIL_SHOP_TEST_EGRESS=stub
//   no request leaves this machine: a request to anything but a loopback
//   address (or a name above) is answered by a local stub ("the Internet")
//   instead of being sent: http/https through an Agent that connects to the
//   stub, fetch and undici through an undici MockAgent. Vigil still sees the
//   call the app makes.

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('0.0.0.0', 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

function isLoopbackAddress(address) {
  const family = net.isIP(address);
  return family !== 0 && LOOPBACK.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const testDns = new Map();
for (const entry of (process.env.VIGIL_SHOP_TEST_DNS ?? '').split(',')) {
  const eq = entry.indexOf('=');
  if (eq <= 0) continue;
  const answers = entry.slice(eq + 1).split('|').map((a) => a.trim()).filter((a) => net.isIP(a) !== 0);
  if (answers.length > 0) testDns.set(entry.slice(0, eq).trim().toLowerCase(), { answers, given: 0 });
}

/** The next answer for a test name (undefined for other names). */
function nextTestAnswer(hostname) {
  const entry = testDns.get(String(hostname).toLowerCase());
  if (entry === undefined) return undefined;
  const answer = entry.answers[Math.min(entry.given, entry.answers.length - 1)];
  entry.given++;
  return answer;
}

/** A dns.lookup for the `lookup` option: test names from VIGIL_SHOP_TEST_DNS, everything else from DNS. */
function testLookup(hostname, options, callback) {
  if (typeof options === 'function') {
    callback = options;
    options = {};
  }
  const answer = nextTestAnswer(hostname);
  if (answer === undefined) return dns.lookup(hostname, options, callback);
  if (!isLoopbackAddress(answer)) {
    const err = new Error(`getaddrinfo ENOTFOUND ${hostname} (the test resolver connects to loopback answers only)`);
    err.code = 'ENOTFOUND';
    return process.nextTick(callback, err);
  }
  const family = net.isIP(answer);
  if (options !== null && typeof options === 'object' && options.all) return process.nextTick(callback, null, [{ address: answer, family }]);
  process.nextTick(callback, null, answer, family);
}

/** Resolves a name the way the app checks it before connecting (first answer of a test name). */
async function resolveForCheck(hostname) {
  if (net.isIP(hostname) !== 0) return hostname;
  const answer = nextTestAnswer(hostname);
  if (answer !== undefined) return answer;
  if (egressStub !== undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return (await dns.promises.lookup(hostname)).address;
}

const IPV4_NUMBER = /^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$/;

/** Whether a host given to http.get is reached without leaving this machine (and without DNS). */
function staysLocal(host) {
  if (typeof host !== 'string') return false;
  const h = host.toLowerCase();
  if (h === 'localhost' || testDns.has(h)) return true;
  if (net.isIPv6(h)) return isLoopbackAddress(h);
  // IPv4 in any inet_aton notation (127.1, 0x7f.1, 2130706433): getaddrinfo reads it without DNS.
  if (!IPV4_NUMBER.test(h)) return false;
  try {
    return isLoopbackAddress(new URL(`http://${h}/`).hostname);
  } catch {
    return false;
  }
}

let egressStub;
if (process.env.VIGIL_SHOP_TEST_EGRESS === 'stub') {
  const stub = http.createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`stub: ${req.method} ${req.headers.host}${req.url}`);
  });
  stub.listen(0, '127.0.0.1');
  stub.unref();
  egressStub = stub;
  const toStub = () => net.connect(stub.address().port, '127.0.0.1');
  class HttpEgress extends http.Agent {
    createConnection(options, callback) {
      return staysLocal(options.host) ? super.createConnection(options, callback) : toStub();
    }
  }
  class HttpsEgress extends https.Agent {
    createConnection(options, callback) {
      // The stub speaks plain HTTP; the request does not notice.
      return staysLocal(options.host) ? super.createConnection(options, callback) : toStub();
    }
  }
  egressStub.agents = { 'http:': new HttpEgress(), 'https:': new HttpsEgress() };
  const mock = new undici.MockAgent();
  const localOrigin = (origin) => {
    try {
      const u = new URL(String(origin));
      const h = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
      return h === 'localhost' || isLoopbackAddress(h);
    } catch {
      return false;
    }
  };
  mock
    .get((origin) => !localOrigin(origin))
    .intercept({ path: () => true, method: () => true })
    .reply(200, (opts) => `stub: ${opts.method} ${new URL(String(opts.origin)).host}${opts.path}`)
    .persist();
  mock.enableNetConnect((host) => localOrigin(`http://${host}`));
  undici.setGlobalDispatcher(mock);
}

/** Options every user-directed http/https call adds: the test resolver and the test egress, when on. */
function testOptions(protocol) {
  const options = {};
  if (testDns.size > 0) options.lookup = testLookup;
  if (egressStub !== undefined) options.agent = egressStub.agents[protocol] ?? egressStub.agents['http:'];
  return options;
}

// ---------------------------------------------------------------------------

function text(value) {
  return typeof value === 'string' ? value : Array.isArray(value) ? String(value[0] ?? '') : '';
}

function failure(err) {
  return err?.cause?.code ?? err?.code ?? err?.message ?? 'error';
}

/** Reads an http.IncomingMessage and answers with its status and body. */
function relay(res, upstream) {
  let body = '';
  upstream.setEncoding('utf8');
  upstream.on('data', (chunk) => {
    if (body.length < 1 << 20) body += chunk;
  });
  upstream.on('end', () => res.json({ status: upstream.statusCode, body }));
  upstream.on('error', (err) => res.status(502).json({ error: 'upstream failed', reason: failure(err) }));
}

module.exports = function mount(app) {
  // --- SSRF ------------------------------------------------------------
  // vulnerable: "link preview" through the global fetch
  app.get('/fetch', async (req, res) => {
    try {
      const upstream = await fetch(text(req.query.url), { signal: AbortSignal.timeout(5000) });
      res.json({ status: upstream.status, body: await upstream.text() });
    } catch (err) {
      res.status(502).json({ error: 'upstream failed', reason: failure(err) });
    }
  });

  // vulnerable: a "port checker" that takes host and port as separate fields
  app.get('/proxy', (req, res) => {
    const host = text(req.query.host);
    const port = text(req.query.port) || 80;
    const path = text(req.query.path) || '/';
    const outgoing = http.get({ host, port, path, timeout: 5000, ...testOptions('http:') }, (upstream) => relay(res, upstream));
    outgoing.on('timeout', () => outgoing.destroy(new Error('upstream timeout')));
    outgoing.on('error', (err) => res.status(502).json({ error: 'upstream failed', reason: failure(err) }));
  });

  // vulnerable: http.request / https.request with a URL string
  app.get('/preview', (req, res) => {
    const url = text(req.query.url);
    const mod = url.toLowerCase().startsWith('https:') ? https : http;
    let outgoing;
    try {
      outgoing = mod.request(url, { method: 'GET', timeout: 5000, ...testOptions(mod === https ? 'https:' : 'http:') }, (upstream) => relay(res, upstream));
    } catch (err) {
      return res.status(400).json({ error: 'bad url', reason: failure(err) });
    }
    outgoing.on('timeout', () => outgoing.destroy(new Error('upstream timeout')));
    outgoing.on('error', (err) => res.status(502).json({ error: 'upstream failed', reason: failure(err) }));
    outgoing.end();
  });

  // vulnerable: the undici package's request()
  app.get('/mirror', async (req, res) => {
    try {
      const upstream = await undici.request(text(req.query.url), { headersTimeout: 5000, bodyTimeout: 5000 });
      res.json({ status: upstream.statusCode, body: await upstream.body.text() });
    } catch (err) {
      res.status(502).json({ error: 'upstream failed', reason: failure(err) });
    }
  });

  // checked, but only once: the app resolves the host, refuses internal
  // addresses, then connects — and the connection resolves the name again.
  app.get('/webhook/verify', async (req, res) => {
    let target;
    try {
      target = new URL(text(req.query.url));
    } catch {
      return res.status(400).json({ error: 'bad url' });
    }
    let address;
    try {
      address = await resolveForCheck(target.hostname);
    } catch (err) {
      return res.status(502).json({ error: 'cannot resolve', reason: failure(err) });
    }
    const internal = new net.BlockList();
    for (const [net4, prefix] of [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['169.254.0.0', 16], ['127.0.0.0', 8], ['0.0.0.0', 8]]) internal.addSubnet(net4, prefix, 'ipv4');
    if (net.isIP(address) !== 4 || internal.check(address, 'ipv4')) return res.status(400).json({ error: 'refused: internal address', address });
    const outgoing = http.get(target, { timeout: 5000, ...testOptions('http:') }, (upstream) => relay(res, upstream));
    outgoing.on('timeout', () => outgoing.destroy(new Error('upstream timeout')));
    outgoing.on('error', (err) => res.status(502).json({ error: 'upstream failed', reason: failure(err) }));
  });

  // safe: the shop's own service; the host is configuration, only the path holds input
  app.get('/inventory/:sku', (req, res) => {
    const outgoing = http.get(`${INVENTORY_URL}/stock/${encodeURIComponent(req.params.sku)}`, { timeout: 5000 }, (upstream) => relay(res, upstream));
    outgoing.on('error', (err) => res.status(502).json({ error: 'inventory unavailable', reason: failure(err) }));
  });
  app.get('/rates', async (req, res) => {
    try {
      const upstream = await fetch(`${INVENTORY_URL}/rates?currency=${encodeURIComponent(text(req.query.currency))}`);
      res.json({ status: upstream.status, body: await upstream.text() });
    } catch (err) {
      res.status(502).json({ error: 'rates unavailable', reason: failure(err) });
    }
  });

  // --- NoSQL (MongoDB) ---------------------------------------------------
  // No MongoDB server can be installed on the machines the tests run on: by
  // default the client points at a port where nothing listens, so a query
  // that gets past Vigil fails with a connection error and the shop answers
  // 503. SHOP_MONGO_URL points it at a real server (or a test stand-in).
  const mongo = new MongoClient(process.env.SHOP_MONGO_URL ?? 'mongodb://127.0.0.1:1/shop', {
    directConnection: true,
    serverSelectionTimeoutMS: 400,
    connectTimeoutMS: 400,
  });
  const users = () => mongo.db().collection('users');
  const unavailable = (err) => typeof err?.name === 'string' && /^Mongo(ServerSelection|Network|NetworkTimeout|TopologyClosed)Error$/.test(err.name);

  // vulnerable: the parsed body goes straight into the filter
  // ({"password": {"$ne": null}} as JSON, password[$ne]=x as a form)
  app.post('/mongo/login', async (req, res, next) => {
    const { username, password } = req.body ?? {};
    try {
      const user = await users().findOne({ username, password });
      if (!user) return res.status(401).json({ error: 'invalid credentials' });
      res.json({ username: user.username, role: user.role });
    } catch (err) {
      if (unavailable(err)) return res.status(503).json({ error: 'database unavailable' });
      next(err);
    }
  });

  // vulnerable: a $where predicate built by concatenation
  app.get('/mongo/products', async (req, res, next) => {
    const category = text(req.query.category);
    try {
      const rows = await mongo.db().collection('products').find({ $where: `this.category == '${category}'` }).toArray();
      res.json(rows);
    } catch (err) {
      if (unavailable(err)) return res.status(503).json({ error: 'database unavailable' });
      next(err);
    }
  });
};
