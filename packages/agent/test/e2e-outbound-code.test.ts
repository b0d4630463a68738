// End to end: SSRF, code injection, NoSQL injection, unsafe deserialization
// and prototype pollution in the example shop. Every attack is first sent to
// the shop WITHOUT Vigil, to prove the endpoint really is vulnerable, then to
// the shop under Vigil in block mode, with an oracle that does not trust
// Vigil's word: the internal service's secret is not returned and the service
// saw no request, the marker file the payload writes does not exist, the
// polluted property is gone, the database stand-in saw no connection. Benign
// requests to the same endpoints must answer the same with and without Vigil
// and produce no event. Samples of the shared corpus run through the same
// endpoints.
//
// Nothing here leaves 127.0.0.1: the shop runs with VIGIL_SHOP_TEST_EGRESS=stub
// (any request to a non-loopback target is answered by a local stub instead of
// being sent; names are never resolved through DNS), and the code corpus runs
// under a small harness that stops (and records) what evaluated code reaches:
// child processes, file writes, system files, sockets, DNS, process.exit.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize, Long } from 'bson';
import { startApp, tempDir, REGISTER, SHOP_DIR, REPO_ROOT } from './helpers.js';
import type { RunningApp, StartOptions } from './helpers.js';
import type { SecurityEvent } from '../src/events/types.js';

const SERVER = join(SHOP_DIR, 'server.js');
const CORPUS = process.env.VIGIL_CORPUS ?? join(REPO_ROOT, '../shared/corpus');
const HAVE_CORPUS = existsSync(join(CORPUS, 'attacks/ssrf.jsonl'));

// ---------------------------------------------------------------------------
// HTTP client (node:http: full control of Host, fresh connection each time)

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  json?: unknown;
  form?: string;
  timeoutMs?: number;
}

function send(app: RunningApp, path: string, opts: SendOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] = 'application/json';
  } else if (opts.form !== undefined) {
    body = opts.form;
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(path, app.url),
      { method: opts.method ?? (body === undefined ? 'GET' : 'POST'), headers, agent: false, timeout: opts.timeoutMs ?? 15_000 },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (data += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(body);
  });
}

const q = encodeURIComponent;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let sequence = 0;
const requestId = (tag: string) => `${tag}-${++sequence}`;

function parse<T = Record<string, unknown>>(reply: Reply): T {
  return JSON.parse(reply.body) as T;
}

function assertBlocked(reply: Reply, what: string): void {
  assert.equal(reply.status, 403, `${what}: expected 403, got ${reply.status} ${reply.body.slice(0, 300)}`);
  assert.equal(reply.headers['x-vigil-block'], 'true', what);
}

/** The shop's events so far; a line it is still writing is left for the next read. */
function eventsIn(app: RunningApp): SecurityEvent[] {
  if (!existsSync(app.eventsFile)) return [];
  const text = readFileSync(app.eventsFile, 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as SecurityEvent);
}

/** The events a request produced (waits for the first one, up to timeoutMs). */
async function eventsOf(app: RunningApp, id: string, timeoutMs = 3000): Promise<SecurityEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = eventsIn(app).filter((e) => e.requestId === id);
    if (list.length > 0 || Date.now() > deadline) return list;
    await sleep(25);
  }
}

async function assertNoEvents(app: RunningApp, ids: readonly string[]): Promise<void> {
  await sleep(300); // events are written after the request's tick
  const set = new Set(ids);
  const found = eventsIn(app).filter((e) => e.requestId !== undefined && set.has(e.requestId));
  assert.deepEqual(
    found.map((e) => `${e.requestId}: ${e.rule} ${e.description}`),
    [],
    'benign requests produced events',
  );
}

/** Sends the same benign request to both shops: same status and body, and no event under Vigil. */
async function assertSameAnswer(plain: RunningApp, guarded: RunningApp, path: string, opts: SendOptions = {}, ids?: string[]): Promise<Reply> {
  const id = requestId('benign');
  const headers = { ...opts.headers, 'x-request-id': id };
  const without = await send(plain, path, { ...opts, headers });
  const withVigil = await send(guarded, path, { ...opts, headers });
  assert.equal(withVigil.status, without.status, `${path}: ${withVigil.status} under Vigil, ${without.status} without (${withVigil.body.slice(0, 200)})`);
  assert.equal(withVigil.body, without.body, `${path}: different answer under Vigil`);
  ids?.push(id);
  return without;
}

function loadCorpus(file: string): { payload: string; note?: string }[] {
  return readFileSync(join(CORPUS, file), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { payload: string; note?: string });
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

// ---------------------------------------------------------------------------
// The internal service: a canary that serves a secret on every path except
// the two the shop legitimately uses (its inventory and exchange rates).

interface Canary {
  port: number;
  secret: string;
  /** HTTP requests it has answered. */
  hits: number;
  server: http.Server;
}

async function startCanary(): Promise<Canary> {
  const canary: Canary = { port: 0, secret: `CANARY{internal-${randomUUID()}}`, hits: 0, server: http.createServer() };
  canary.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    canary.hits++;
    const url = new URL(req.url ?? '/', 'http://internal');
    res.setHeader('content-type', 'application/json');
    if (url.pathname.startsWith('/stock/')) return res.end(JSON.stringify({ sku: decodeURIComponent(url.pathname.slice(7)), stock: 7 }));
    if (url.pathname === '/rates') return res.end(JSON.stringify({ currency: url.searchParams.get('currency'), rate: 1.08 }));
    res.end(JSON.stringify({ service: 'internal metadata', secret: canary.secret }));
  });
  canary.port = await listen(canary.server);
  return canary;
}

// ---------------------------------------------------------------------------
// A MongoDB wire-protocol stand-in (no MongoDB server can be installed here):
// answers the handshake, and `find` over a two-user collection with equality,
// $ne, $gt, $eq and $regex, which is enough to show an operator bypass.
// Records connections and every filter it receives.

interface StandIn {
  port: number;
  connections: number;
  filters: Record<string, unknown>[];
  server: net.Server;
}

const USERS = [
  { _id: 1, username: 'admin', password: 'correct horse battery staple', role: 'admin' },
  { _id: 2, username: 'alice', password: 'wonderland', role: 'customer' },
];

function matchesFilter(doc: Record<string, unknown>, filter: Record<string, unknown>): boolean {
  for (const [key, cond] of Object.entries(filter)) {
    if (key.startsWith('$')) return false; // $where and friends: not evaluated by the stand-in
    const value = doc[key];
    if (cond !== null && typeof cond === 'object') {
      for (const [op, arg] of Object.entries(cond as Record<string, unknown>)) {
        const ok =
          op === '$ne' ? !(value === arg || (arg === null && value === undefined))
          : op === '$eq' ? value === arg
          : op === '$gt' ? typeof value === typeof arg && (value as string) > (arg as string)
          : op === '$regex' ? new RegExp(String(arg)).test(String(value))
          : false;
        if (!ok) return false;
      }
    } else if (value !== cond) {
      return false;
    }
  }
  return true;
}

async function startStandIn(): Promise<StandIn> {
  const standIn: StandIn = { port: 0, connections: 0, filters: [], server: net.createServer() };
  let nextId = 1;
  const answer = (cmd: Record<string, unknown>): Record<string, unknown> => {
    const name = Object.keys(cmd)[0];
    if (name === 'hello' || name === 'isMaster' || name === 'ismaster') {
      return {
        helloOk: true,
        ismaster: true,
        isWritablePrimary: true,
        maxBsonObjectSize: 16 * 1024 * 1024,
        maxMessageSizeBytes: 48_000_000,
        maxWriteBatchSize: 100_000,
        localTime: new Date(),
        logicalSessionTimeoutMinutes: 30,
        connectionId: standIn.connections,
        minWireVersion: 0,
        maxWireVersion: 21,
        readOnly: false,
        ok: 1,
      };
    }
    if (name === 'find') {
      const filter = (cmd.filter ?? {}) as Record<string, unknown>;
      standIn.filters.push(filter);
      const docs = USERS.filter((u) => cmd.find === 'users' && matchesFilter(u, filter));
      const limit = Math.abs(Number(cmd.limit ?? 0));
      return { cursor: { firstBatch: limit > 0 ? docs.slice(0, limit) : docs, id: Long.fromNumber(0), ns: `${String(cmd.$db)}.${String(cmd.find)}` }, ok: 1 };
    }
    return { ok: 1 };
  };
  standIn.server.on('connection', (socket: net.Socket) => {
    standIn.connections++;
    let buffer = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('data', (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      while (buffer.length >= 4 && buffer.length >= buffer.readInt32LE(0)) {
        const length = buffer.readInt32LE(0);
        const msg = buffer.subarray(0, length);
        buffer = buffer.subarray(length);
        const reqId = msg.readInt32LE(4);
        const opCode = msg.readInt32LE(12);
        let cmd: Record<string, unknown> = {};
        if (opCode === 2004) {
          // OP_QUERY (the handshake): flags, collection name, skip, return, query
          const at = msg.indexOf(0, 20) + 1 + 8;
          cmd = deserialize(msg.subarray(at, at + msg.readInt32LE(at)));
        } else if (opCode === 2013) {
          // OP_MSG: flag bits, then sections; kind 0 is the command body
          const end = length - (msg.readUInt32LE(16) & 1 ? 4 : 0);
          for (let at = 20; at < end; ) {
            const kind = msg[at++];
            const size = msg.readInt32LE(at);
            if (kind === 0) cmd = deserialize(msg.subarray(at, at + size));
            at += size;
          }
        } else {
          socket.destroy();
          return;
        }
        const doc = serialize(answer(cmd));
        const head = opCode === 2004 ? Buffer.alloc(36) : Buffer.alloc(21);
        if (opCode === 2004) {
          head.writeInt32LE(1, 12); // OP_REPLY
          head.writeBigInt64LE(0n, 20);
          head.writeInt32LE(1, 32); // numberReturned
        } else {
          head.writeInt32LE(2013, 12);
        }
        const out = Buffer.concat([head, doc]);
        out.writeInt32LE(out.length, 0);
        out.writeInt32LE(nextId++, 4);
        out.writeInt32LE(reqId, 8);
        socket.write(out);
      }
    });
  });
  standIn.port = await listen(standIn.server);
  return standIn;
}

// ---------------------------------------------------------------------------

describe('express-shop: SSRF, code injection, NoSQL, deserialization and prototype pollution, with and without Vigil', () => {
  let canary: Canary;
  let plain: RunningApp; // no Vigil
  let guarded: RunningApp; // Vigil, block mode
  let markers: string;
  let env: Record<string, string>;
  const started: RunningApp[] = [];
  const start = async (opts: StartOptions): Promise<RunningApp> => {
    const app = await startApp(SERVER, opts);
    started.push(app);
    return app;
  };

  before(async () => {
    canary = await startCanary();
    markers = tempDir('vigil-markers-');
    env = {
      SHOP_INVENTORY_URL: `http://127.0.0.1:${canary.port}`,
      VIGIL_SHOP_TEST_DNS: 'internal.test=127.0.0.1,rebind.test=198.51.100.7|127.0.0.1',
      VIGIL_SHOP_TEST_EGRESS: 'stub',
    };
    [plain, guarded] = await Promise.all([start({ env }), start({ nodeArgs: REGISTER, env: { ...env, VIGIL_MODE: 'block' } })]);
  });

  after(async () => {
    // stop() waits for an 'exit' that a shop killed by a signal has already emitted: skip those.
    await Promise.all(started.filter((app) => app.child.exitCode === null && app.child.signalCode === null).map((app) => app.stop()));
    canary.server.closeAllConnections();
    await close(canary.server);
  });

  let markerCount = 0;
  const marker = (tag: string) => join(markers, `${tag}-${++markerCount}`);

  // -------------------------------------------------------------------------
  describe('SSRF', () => {
    interface SsrfCase {
      name: string;
      path: () => string;
      sink?: [string, string];
      input?: string;
      via?: string;
    }
    const P = () => canary.port;
    const cases: SsrfCase[] = [
      { name: 'global fetch(url)', path: () => `/fetch?url=${q(`http://127.0.0.1:${P()}/latest/meta-data/iam`)}`, sink: ['fetch', 'fetch'], input: 'query.url' },
      { name: 'fetch, IPv4 as one decimal number', path: () => `/fetch?url=${q(`http://2130706433:${P()}/`)}` },
      { name: 'http.get({ host, port, path }) with host and port as separate fields', path: () => `/proxy?host=127.0.0.1&port=${P()}&path=/admin`, sink: ['http', 'get'], input: 'query.host' },
      { name: 'http.get, host localhost', path: () => `/proxy?host=localhost&port=${P()}&path=/` },
      { name: 'http.request(url)', path: () => `/preview?url=${q(`http://127.0.0.1:${P()}/`)}`, sink: ['http', 'request'], input: 'query.url' },
      { name: 'http.request, hex IPv4', path: () => `/preview?url=${q(`http://0x7f.0.0.1:${P()}/`)}` },
      { name: 'undici.request(url)', path: () => `/mirror?url=${q(`http://127.0.0.1:${P()}/`)}`, sink: ['undici', 'connect'], input: 'query.url' },
      { name: 'undici.request, localhost', path: () => `/mirror?url=${q(`http://localhost:${P()}/`)}` },
      { name: 'a name from input that resolves to 127.0.0.1 at connect time', path: () => `/proxy?host=internal.test&port=${P()}&path=/`, input: 'query.host', via: 'resolved' },
      { name: 'a re-binding name that passes the app own check, then connects to 127.0.0.1', path: () => `/webhook/verify?url=${q(`http://rebind.test:${P()}/hook`)}`, input: 'query.url', via: 'resolved' },
    ];

    it('every endpoint returns the internal secret without Vigil', async () => {
      for (const c of cases) {
        const reply = await send(plain, c.path());
        assert.equal(reply.status, 200, `${c.name}: ${reply.body}`);
        assert.ok(reply.body.includes(canary.secret), `${c.name}: the secret did not come back without Vigil: ${reply.body}`);
      }
    });

    it('under Vigil every one is blocked before the internal service sees a request, with an ssrf event', async () => {
      for (const c of cases) {
        const id = requestId('ssrf');
        const hitsBefore = canary.hits;
        const reply = await send(guarded, c.path(), { headers: { 'x-request-id': id } });
        assertBlocked(reply, c.name);
        assert.ok(!reply.body.includes(canary.secret), `${c.name}: secret leaked`);
        assert.equal(canary.hits, hitsBefore, `${c.name}: the internal service was reached`);
        const [event] = await eventsOf(guarded, id);
        assert.ok(event, `${c.name}: no event`);
        assert.equal(event.rule, 'ssrf', c.name);
        assert.equal(event.verdict, 'blocked', c.name);
        if (c.sink) assert.deepEqual([event.sink?.library, event.sink?.operation], c.sink, c.name);
        if (c.input) assert.equal(event.input?.source, c.input, c.name);
        if (c.via) {
          assert.equal(event.context.via, c.via, c.name);
          assert.equal(event.context.resolvedAddress, '127.0.0.1', c.name);
        }
      }
    });

    it('benign outbound requests answer the same with and without Vigil, and produce no event', async () => {
      const ids: string[] = [];
      const paths = [
        `/fetch?url=${q('https://example.com/catalog.json')}`,
        `/fetch?url=${q('https://example.com/login?next=http://localhost/admin')}`,
        `/proxy?host=example.com&port=80&path=/status`,
        `/preview?url=${q('https://cdn.example.net/img/lamp.png')}`,
        `/preview?url=${q('http://example.org/out?to=169.254.169.254')}`,
        `/mirror?url=${q('https://api.example.org/v1/products?q=127.0.0.1')}`,
      ];
      for (const path of paths) {
        const reply = await assertSameAnswer(plain, guarded, path, {}, ids);
        assert.equal(reply.status, 200, `${path}: ${reply.body}`);
        assert.match(reply.body, /stub: GET /);
      }
      await assertNoEvents(guarded, ids);
    });

    // A shop that has served no attack yet: what Vigil remembers of earlier
    // requests (second-order tracing) does not play a part here.
    const freshGuarded = () => start({ nodeArgs: REGISTER, env: { ...env, VIGIL_MODE: 'block' } });
    // The Host header a client of a deployed shop sends: its public name.
    const publicHost = { host: 'shop.example' };

    it("calls to the shop's own configured service (no input in the host) work and produce no event", async () => {
      const fresh = await freshGuarded();
      const ids: string[] = [];
      const stock = await assertSameAnswer(plain, fresh, '/inventory/lamp-42', { headers: publicHost }, ids);
      assert.deepEqual(JSON.parse(parse<{ body: string }>(stock).body), { sku: 'lamp-42', stock: 7 });
      const rates = await assertSameAnswer(plain, fresh, '/rates?currency=USD', { headers: publicHost }, ids);
      assert.deepEqual(JSON.parse(parse<{ body: string }>(rates).body), { currency: 'USD', rate: 1.08 });
      await assertNoEvents(fresh, ids);
    });

    it(
      "calls to the shop's own service still work after a client sent an internal URL in an earlier request",
      async () => {
        const fresh = await freshGuarded();
        assertBlocked(await send(fresh, cases[0]!.path()), 'attack');
        const ids: string[] = [];
        await assertSameAnswer(plain, fresh, '/inventory/lamp-42', { headers: publicHost }, ids);
        await assertNoEvents(fresh, ids);
      },
    );

    it(
      "calls to the shop's own service at 127.0.0.1 work when the client reached the shop as 127.0.0.1 too",
      async () => {
        const fresh = await freshGuarded();
        const ids: string[] = [];
        await assertSameAnswer(plain, fresh, '/inventory/lamp-42', {}, ids);
        await assertNoEvents(fresh, ids);
      },
    );

    it('without the test egress (the real fetch, undici and http agents) the same attacks are blocked', async () => {
      const { VIGIL_SHOP_TEST_EGRESS: _, ...direct } = env;
      const app = await start({ nodeArgs: REGISTER, env: { ...direct, VIGIL_MODE: 'block' } });
      for (const c of cases) {
        const hitsBefore = canary.hits;
        const reply = await send(app, c.path());
        assertBlocked(reply, c.name);
        assert.ok(!reply.body.includes(canary.secret), `${c.name}: secret leaked`);
        assert.equal(canary.hits, hitsBefore, `${c.name}: the internal service was reached`);
      }
    });

    it('corpus: every SSRF payload that reaches the internal service without Vigil is stopped by Vigil; benign URLs answer the same', { skip: !HAVE_CORPUS && 'corpus not found' }, async () => {
      const urlEndpoints = ['/fetch?url=', '/preview?url=', '/mirror?url='];
      const attacks = loadCorpus('attacks/ssrf.jsonl');
      const stats = { sent: 0, succeededWithout: 0, blockedWith: 0, leakedWith: 0, blockedTotal: 0 };
      const leaks: string[] = [];
      for (let i = 0; i < attacks.length; i++) {
        const payload = attacks[i]!.payload;
        const path = corpusSsrfPath(payload, i, urlEndpoints, canary.port);
        const id = `corpus-ssrf-${i}`;
        const [without, withVigil] = await Promise.all([
          send(plain, path, { headers: { 'x-request-id': id } }),
          send(guarded, path, { headers: { 'x-request-id': id } }),
        ]);
        stats.sent++;
        if (withVigil.status === 403) stats.blockedTotal++;
        if (!without.body.includes(canary.secret)) continue;
        stats.succeededWithout++;
        if (withVigil.status === 403) stats.blockedWith++;
        if (withVigil.body.includes(canary.secret)) {
          stats.leakedWith++;
          leaks.push(`${path}  <-  ${JSON.stringify(payload)}`);
        }
      }
      console.log(`# SSRF corpus (attacks/ssrf.jsonl, ${attacks.length} payloads): ${JSON.stringify(stats)}`);
      assert.deepEqual(leaks, [], 'payloads that reached the internal service under Vigil');
      assert.ok(stats.succeededWithout >= 20, `only ${stats.succeededWithout} corpus payloads reached the canary without Vigil: the templates are wrong`);

      const benign = loadCorpus('benign/ssrf.jsonl');
      const bstats = { sent: 0, answered200Without: 0, identical: 0, differing: 0, events: 0 };
      const differing: string[] = [];
      const ids: string[] = [];
      for (let i = 0; i < benign.length; i++) {
        const payload = benign[i]!.payload;
        const path = corpusSsrfPath(payload, i, urlEndpoints, undefined);
        const id = `corpus-ssrf-benign-${i}`;
        const [without, withVigil] = await Promise.all([
          send(plain, path, { headers: { 'x-request-id': id } }),
          send(guarded, path, { headers: { 'x-request-id': id } }),
        ]);
        bstats.sent++;
        if (without.status !== 200) continue;
        bstats.answered200Without++;
        ids.push(id);
        if (withVigil.status === without.status && withVigil.body === without.body) bstats.identical++;
        else {
          bstats.differing++;
          differing.push(`${path}  <-  ${JSON.stringify(payload)}: ${withVigil.status} ${withVigil.body.slice(0, 120)}`);
        }
      }
      await sleep(300);
      const idSet = new Set(ids);
      bstats.events = eventsIn(guarded).filter((e) => e.requestId !== undefined && idSet.has(e.requestId)).length;
      console.log(`# SSRF corpus (benign/ssrf.jsonl, ${benign.length} values): ${JSON.stringify(bstats)}`);
      assert.deepEqual(differing, [], 'benign URLs answered differently under Vigil');
      assert.equal(bstats.events, 0);
    });
  });

  // -------------------------------------------------------------------------
  describe('code injection', () => {
    it('benign formulas answer the same with and without Vigil (direct eval keeps the local scope), with no event', async () => {
      const ids: string[] = [];
      const expected: [string, unknown][] = [
        [`/calc?expr=${q('price * qty')}`, 30],
        [`/calc?expr=${q('Math.max(price, qty)')}`, 10],
        [`/calc?expr=${q('total > 50 ? 10 : 0')}`, 0],
        [`/calc?expr=${q('(price + 2) * qty / 4')}`, 9],
        [`/calc?expr=${q('Math.round(price / qty * 100) / 100')}`, 3.33],
        [`/formula?f=${q('price * qty')}`, 30],
        [`/formula?f=${q('Math.min(price, qty) + 1')}`, 4],
        [`/sandbox?code=${q('price * qty + 1')}`, 31],
        [`/sandbox?code=${q("'total: ' + (price * qty)")}`, 'total: 30'],
      ];
      for (const [tpl, card] of [
        ['Dear <%= name %>, your total is <%= total %>.', 'Dear Alice, your total is 30.'],
        ['Thanks ${name}!', 'Thanks Alice!'],
        ['Plain text, 50% off {today}', 'Plain text, 50% off {today}'],
      ]) {
        const reply = await assertSameAnswer(plain, guarded, `/card?template=${q(tpl)}`, {}, ids);
        assert.equal(parse(reply).card, card, tpl);
      }
      for (const [path, result] of expected) {
        const reply = await assertSameAnswer(plain, guarded, path, {}, ids);
        assert.equal(reply.status, 200, `${path}: ${reply.body}`);
        assert.equal(parse(reply).result, result, path);
      }
      for (const name of ['Alice', "O'Brien-Smith", 'Zoë', '50% {off}', 'Dr. Jane (admin)']) {
        const reply = await assertSameAnswer(plain, guarded, `/greet?name=${q(name)}`, {}, ids);
        assert.equal(parse(reply).greeting, `Hello ${name}, welcome back!`);
      }
      await assertNoEvents(guarded, ids);
    });

    interface CodeCase {
      name: string;
      path: (file: string) => string;
      sink: [string, string];
    }
    const cases: CodeCase[] = [
      { name: 'eval: require child_process', path: (m) => `/calc?expr=${q(`require('child_process').execSync('touch ${m}')`)}`, sink: ['global', 'eval'] },
      { name: 'eval: require fs', path: (m) => `/calc?expr=${q(`require('fs').writeFileSync('${m}', 'x')`)}`, sink: ['global', 'eval'] },
      { name: 'eval: Function constructor escape', path: (m) => `/calc?expr=${q(`[].constructor.constructor('return process')().mainModule.require('child_process').execSync('touch ${m}')`)}`, sink: ['global', 'eval'] },
      { name: 'new Function', path: (m) => `/formula?f=${q(`process.mainModule.require('child_process').execSync('touch ${m}')`)}`, sink: ['global', 'Function'] },
      { name: 'new Function: module loader', path: (m) => `/formula?f=${q(`global.process.mainModule.constructor._load('fs').writeFileSync('${m}', 'x')`)}`, sink: ['global', 'Function'] },
      { name: 'vm.runInNewContext: sandbox escape', path: (m) => `/sandbox?code=${q(`this.constructor.constructor('return process')().mainModule.require('child_process').execSync('touch ${m}')`)}`, sink: ['vm', 'runInNewContext'] },
      { name: 'template literal: ${…}', path: (m) => `/greet?name=${q(`\${require('fs').writeFileSync('${m}', 'x')}`)}`, sink: ['global', 'eval'] },
      { name: 'server-side template (lodash <%= %>)', path: (m) => `/card?template=${q(`Hi <%= global.process.mainModule.require('child_process').execSync('touch ${m}') %>`)}`, sink: ['global', 'Function'] },
      { name: 'server-side template (lodash ${…})', path: (m) => `/card?template=${q(`\${process.mainModule.require('fs').writeFileSync('${m}', 'x')}`)}`, sink: ['global', 'Function'] },
      { name: 'template literal: breakout', path: (m) => `/greet?name=${q(`\` + require('child_process').execSync('touch ${m}') + \``)}`, sink: ['global', 'eval'] },
    ];

    it('every attack runs code without Vigil (the marker file appears)', async () => {
      for (const c of cases) {
        const file = marker('plain-code');
        const reply = await send(plain, c.path(file));
        assert.ok(existsSync(file), `${c.name}: no marker without Vigil (${reply.status} ${reply.body.slice(0, 200)})`);
      }
    });

    it('under Vigil every one is blocked: 403, no marker file, a code_injection event at the evaluator', async () => {
      for (const c of cases) {
        const file = marker('guarded-code');
        const id = requestId('code');
        const reply = await send(guarded, c.path(file), { headers: { 'x-request-id': id } });
        assertBlocked(reply, c.name);
        await sleep(50);
        assert.ok(!existsSync(file), `${c.name}: marker written under Vigil`);
        const [event] = await eventsOf(guarded, id);
        assert.ok(event, `${c.name}: no event`);
        assert.equal(event.rule, 'code_injection', c.name);
        assert.equal(event.verdict, 'blocked', c.name);
        assert.deepEqual([event.sink?.library, event.sink?.operation], c.sink, c.name);
      }
    });

    it("this.constructor.constructor('return process')() reaches the process without Vigil (vm) and is blocked with it (vm and eval)", async () => {
      const payload = q("this.constructor.constructor('return process')()");
      const escaped = await send(plain, `/sandbox?code=${payload}`);
      assert.equal(escaped.status, 200);
      assert.equal(parse(escaped).result, '[object process]');
      // In /calc `this` is undefined (a strict-mode handler), so there it fails either way without Vigil.
      assertBlocked(await send(guarded, `/sandbox?code=${payload}`), 'vm');
      assertBlocked(await send(guarded, `/calc?expr=${payload}`), 'eval');
    });

    it('process.exit() ends the shop without Vigil and is blocked with Vigil', async () => {
      const victim = await start({ env });
      const exited = new Promise<number | null>((resolve) => victim.child.once('exit', (code) => resolve(code)));
      await send(victim, `/calc?expr=${q('process.exit()')}`).catch(() => undefined);
      assert.equal(await exited, 0, 'the shop without Vigil kept running');
      assertBlocked(await send(guarded, `/calc?expr=${q('process.exit()')}`), 'process.exit()');
      assert.equal((await send(guarded, '/health')).status, 200);
    });
  });

  // -------------------------------------------------------------------------
  describe('NoSQL injection (MongoDB driver; no server: the client points at 127.0.0.1:1)', () => {
    const attacks: { name: string; path: string; opts: SendOptions; rule: string; sink: string }[] = [
      { name: 'JSON {"$ne": null}', path: '/mongo/login', opts: { json: { username: 'admin', password: { $ne: null } } }, rule: 'nosql_injection', sink: 'findOne' },
      { name: 'form password[$ne]=x (qs extended parsing)', path: '/mongo/login', opts: { form: 'username=admin&password[$ne]=x' }, rule: 'nosql_injection', sink: 'findOne' },
      { name: 'JSON $gt on both fields', path: '/mongo/login', opts: { json: { username: { $gt: '' }, password: { $gt: '' } } }, rule: 'nosql_injection', sink: 'findOne' },
      { name: 'JSON $regex', path: '/mongo/login', opts: { json: { username: 'admin', password: { $regex: '.*' } } }, rule: 'nosql_injection', sink: 'findOne' },
      { name: '$where string breakout', path: `/mongo/products?category=${q("x' || '1'=='1")}`, opts: {}, rule: 'code_injection', sink: 'find' },
      { name: '$where string with a sleep', path: `/mongo/products?category=${q("x' || sleep(5000) || '")}`, opts: {}, rule: 'code_injection', sink: 'find' },
    ];

    it('without Vigil the operator payloads reach the driver (which then fails to connect: 503)', async () => {
      for (const a of attacks) {
        const reply = await send(plain, a.path, a.opts);
        assert.equal(reply.status, 503, `${a.name}: ${reply.body}`);
        assert.deepEqual(parse(reply), { error: 'database unavailable' });
      }
    });

    it('under Vigil they are blocked with 403 before the driver does any I/O', async () => {
      for (const a of attacks) {
        const id = requestId('nosql');
        const reply = await send(guarded, a.path, { ...a.opts, headers: { 'x-request-id': id } });
        // 403, not the driver's 503: the block came before server selection (the
        // wire-protocol stand-in below shows no connection is even opened).
        assertBlocked(reply, a.name);
        const [event] = await eventsOf(guarded, id);
        assert.ok(event, `${a.name}: no event`);
        assert.equal(event.rule, a.rule, a.name);
        assert.deepEqual([event.sink?.library, event.sink?.operation], ['mongodb', a.sink], a.name);
      }
    });

    it('benign queries reach the driver and fail with the connection error (503, not a Vigil error), the same with and without Vigil', async () => {
      const ids: string[] = [];
      for (const [path, opts] of [
        ['/mongo/login', { json: { username: 'alice', password: 'wonderland' } }],
        ['/mongo/login', { form: 'username=alice&password=p%40ss%24word' }],
        ['/mongo/login', { json: { username: "O'Brien", password: '{"$ne": null} is my password' } }],
        [`/mongo/products?category=${q('desk lamps')}`, {}],
      ] as [string, SendOptions][]) {
        const reply = await assertSameAnswer(plain, guarded, path, opts, ids);
        assert.equal(reply.status, 503, `${path}: ${reply.body}`);
        assert.deepEqual(parse(reply), { error: 'database unavailable' });
      }
      await assertNoEvents(guarded, ids);
    });

    it('against a wire-protocol stand-in: the bypass logs in as admin without Vigil; under Vigil the stand-in sees no connection', async () => {
      const [standPlain, standGuarded] = await Promise.all([startStandIn(), startStandIn()]);
      try {
        const [plainDb, guardedDb] = await Promise.all([
          start({ env: { SHOP_MONGO_URL: `mongodb://127.0.0.1:${standPlain.port}/shop` } }),
          start({ nodeArgs: REGISTER, env: { VIGIL_MODE: 'block', SHOP_MONGO_URL: `mongodb://127.0.0.1:${standGuarded.port}/shop` } }),
        ]);
        for (const a of attacks.slice(0, 4)) {
          const reply = await send(plainDb, a.path, a.opts);
          assert.equal(reply.status, 200, `${a.name}: ${reply.body}`);
          assert.deepEqual(parse(reply), { username: 'admin', role: 'admin' }, a.name);
        }
        assert.equal((await send(plainDb, attacks[4]!.path)).status, 200);
        assert.ok(
          standPlain.filters.some((f) => f.$where === "this.category == 'x' || '1'=='1'"),
          'the injected $where code did not reach the server',
        );

        for (const a of attacks) assertBlocked(await send(guardedDb, a.path, a.opts), a.name);
        await sleep(200);
        assert.equal(standGuarded.connections, 0, 'the driver connected although every query was blocked');
        assert.deepEqual(standGuarded.filters, []);

        const ids: string[] = [];
        const ok = await assertSameAnswer(plainDb, guardedDb, '/mongo/login', { json: { username: 'alice', password: 'wonderland' } }, ids);
        assert.deepEqual(parse(ok), { username: 'alice', role: 'customer' });
        const wrong = await assertSameAnswer(plainDb, guardedDb, '/mongo/login', { form: 'username=alice&password=nope' }, ids);
        assert.equal(wrong.status, 401);
        await assertNoEvents(guardedDb, ids);
        assert.ok(standGuarded.connections > 0);
      } finally {
        // The shops are stopped by the outer after(); their drivers' sockets go with them.
        for (const s of [standPlain, standGuarded]) s.server.close();
      }
    });
  });

  // -------------------------------------------------------------------------
  describe('unsafe deserialization (node-serialize)', () => {
    const exploit = (file: string) => JSON.stringify({ name: 'mallory', rce: `_$$ND_FUNC$$_function(){require('fs').writeFileSync('${file}', 'x')}()` });

    it('the IIFE payload writes the marker without Vigil', async () => {
      const file = marker('plain-deser');
      const reply = await send(plain, '/profile/import', { json: { profile: exploit(file) } });
      assert.equal(reply.status, 200, reply.body);
      assert.ok(existsSync(file), 'no marker without Vigil');
    });

    it('under Vigil it is blocked before unserialize runs: 403, no marker, a deserialization event', async () => {
      const file = marker('guarded-deser');
      const id = requestId('deser');
      const reply = await send(guarded, '/profile/import', { json: { profile: exploit(file) }, headers: { 'x-request-id': id } });
      assertBlocked(reply, 'node-serialize');
      await sleep(50);
      assert.ok(!existsSync(file), 'marker written under Vigil');
      const [event] = await eventsOf(guarded, id);
      assert.ok(event);
      assert.equal(event.rule, 'deserialization');
      assert.equal(event.input?.source, 'body.profile');
      assert.deepEqual([event.sink?.library, event.sink?.operation], ['node-serialize', 'unserialize']);
    });

    it('a benign serialized profile imports the same with and without Vigil, with no event', async () => {
      const ids: string[] = [];
      for (const profile of [
        JSON.stringify({ name: 'alice', theme: 'dark', tags: ['lamps', 'desks'] }),
        JSON.stringify({ name: 'bob', bio: 'I write function(){} in JavaScript and _$$ in docs', address: { city: 'Zürich' } }),
      ]) {
        const reply = await assertSameAnswer(plain, guarded, '/profile/import', { json: { profile } }, ids);
        assert.equal(reply.status, 200, reply.body);
      }
      await assertNoEvents(guarded, ids);
    });
  });

  // -------------------------------------------------------------------------
  describe('prototype pollution (a naive deep merge of the JSON body; a dotted-path setter)', () => {
    // JSON.parse makes "__proto__" an own key, as express.json() does.
    const polluteByMerge = (app: RunningApp, id: string): Promise<Reply> =>
      send(app, '/settings', { json: JSON.parse('{"__proto__": {"polluted": "yes"}}'), headers: { 'x-request-id': id } });
    // A form: no JSON.parse on the way.
    const polluteByPath = (app: RunningApp, id: string): Promise<Reply> =>
      send(app, '/settings/field', { form: 'path=__proto__.polluted&value=yes', headers: { 'x-request-id': id } });
    const check = async (app: RunningApp) => parse<{ polluted: unknown }>(await send(app, '/settings/check')).polluted;
    const pollutionEvents = (app: RunningApp) => eventsIn(app).filter((e) => e.rule === 'prototype_pollution');
    let plainPp: RunningApp;
    let blockPp: RunningApp;

    before(async () => {
      [plainPp, blockPp] = await Promise.all([start({ env }), start({ nodeArgs: REGISTER, env: { ...env, VIGIL_MODE: 'block' } })]);
    });

    it('without Vigil both pollute Object.prototype for every later request', async () => {
      for (const pollute of [polluteByMerge, polluteByPath]) {
        const app = await start({ env });
        assert.equal(await check(app), null);
        assert.equal((await pollute(app, requestId('pp'))).status, 200);
        assert.equal(await check(app), 'yes');
      }
    });

    it('benign settings updates answer the same with and without Vigil, with no event', async () => {
      const ids: string[] = [];
      const merged = await assertSameAnswer(plainPp, blockPp, '/settings', { json: { theme: 'dark', notifications: { sms: true }, note: 'constructor and prototype are words' } }, ids);
      assert.deepEqual(parse(merged), { theme: 'dark', currency: 'EUR', notifications: { email: true, sms: true } });
      const field = await assertSameAnswer(plainPp, blockPp, '/settings/field', { form: 'path=notifications.push&value=off' }, ids);
      assert.deepEqual(parse(field), { theme: 'dark', currency: 'EUR', notifications: { email: true, sms: true, push: 'off' } });
      await assertNoEvents(blockPp, ids);
    });

    it('block mode: the __proto__ JSON body is blocked where it is parsed, before the merge runs', async () => {
      const id = requestId('pp');
      assertBlocked(await polluteByMerge(blockPp, id), 'deep merge');
      const [event] = await eventsOf(blockPp, id);
      assert.ok(event, 'no prototype_pollution event');
      assert.equal(event.rule, 'prototype_pollution');
      assert.equal(event.verdict, 'blocked');
      assert.equal(event.route, '/settings');
      assert.equal(await check(blockPp), null);
    });

    it('block mode: the path-setter pollution is reported after the fact with its request, and removed again', async () => {
      const before = pollutionEvents(blockPp).length;
      const id = requestId('pp');
      assert.equal((await polluteByPath(blockPp, id)).status, 200);
      const [event] = await eventsOf(blockPp, id);
      assert.ok(event, 'no prototype_pollution event');
      assert.equal(event.rule, 'prototype_pollution');
      assert.equal(event.mode, 'block');
      assert.equal(event.route, '/settings/field');
      assert.equal(event.context.pollutedKeys, 'polluted');
      assert.equal(await check(blockPp), null, 'the polluted key was not removed');
      assert.equal((await send(blockPp, '/health')).status, 200);
      await sleep(200);
      assert.equal(pollutionEvents(blockPp).length, before + 1, 'later requests were reported too');
    });

    it('monitor mode: the pollution is recorded once (detected) and stays', async () => {
      const app = await start({ nodeArgs: REGISTER, env: { ...env, VIGIL_MODE: 'monitor' } });
      const id = requestId('pp');
      assert.equal((await polluteByPath(app, id)).status, 200);
      const [event] = await eventsOf(app, id);
      assert.ok(event, 'no prototype_pollution event');
      assert.equal(event.verdict, 'detected');
      assert.equal(event.mode, 'monitor');
      assert.equal(await check(app), 'yes');
      assert.equal((await send(app, '/health')).status, 200);
      await sleep(200);
      assert.equal(pollutionEvents(app).length, 1, 'every later request was reported as polluting');
    });

    it('monitor mode: a __proto__ JSON body is reported where it is parsed and after the merge, not once per nested parse', async () => {
      const app = await start({ nodeArgs: REGISTER, env: { ...env, VIGIL_MODE: 'monitor' } });
      const id = requestId('pp');
      assert.equal((await polluteByMerge(app, id)).status, 200);
      await eventsOf(app, id);
      await sleep(300);
      const events = eventsIn(app).filter((e) => e.requestId === id);
      assert.ok(events.length >= 1 && events.length <= 2, `${events.length} events for one request`);
      assert.ok(events.every((e) => e.rule === 'prototype_pollution' && e.verdict === 'detected'));
      assert.equal(await check(app), 'yes');
    });

    it(
      'monitor mode: an attack after a prototype pollution is still reported',
      async () => {
        const app = await start({ nodeArgs: REGISTER, env: { ...env, VIGIL_MODE: 'monitor' } });
        await polluteByPath(app, requestId('pp'));
        const id = requestId('code');
        await send(app, `/calc?expr=${q("require('os').hostname()")}`, { headers: { 'x-request-id': id } });
        const events = await eventsOf(app, id);
        assert.equal(events[0]?.rule, 'code_injection');
      },
    );
  });

  // -------------------------------------------------------------------------
  describe('code injection corpus, under a harness that stops what evaluated code reaches', { skip: !HAVE_CORPUS && 'corpus not found' }, () => {
    const ENDPOINTS = [
      ['calc', '/calc?expr='],
      ['formula', '/formula?f='],
      ['sandbox', '/sandbox?code='],
      ['greet', '/greet?name='],
    ] as const;

    it('every payload that succeeds without Vigil fails with Vigil; benign values answer the same', async () => {
      const dir = tempDir('vigil-harness-');
      const harness = join(dir, 'harness.cjs');
      writeFileSync(harness, HARNESS);
      const harnessEnv = (log: string): Record<string, string> => ({
        HARNESS_LOG: log,
        HARNESS_ROOT: REPO_ROOT,
        SHOP_INVENTORY_URL: env.SHOP_INVENTORY_URL!,
        DATABASE_URL: 'postgres://shop:canary-env-db-password@127.0.0.1/shop',
        SECRET: 'canary-env-secret',
        CANARY_ENV_MARKER: '1',
        VIGIL_LOG_LEVEL: 'error',
      });
      const attacks = sampleCodeAttacks(loadCorpus('attacks/code.jsonl'));
      const benign = loadCorpus('benign/code.jsonl');

      const run = async (withVigil: boolean) => {
        const log = join(dir, withVigil ? 'guarded.jsonl' : 'plain.jsonl');
        writeFileSync(log, '');
        const opts: StartOptions = {
          nodeArgs: ['--max-old-space-size=192', '--require', harness, ...(withVigil ? REGISTER : [])],
          env: { ...harnessEnv(log), ...(withVigil ? { VIGIL_MODE: 'block' } : {}) },
        };
        let app = await start(opts);
        const results = new Map<string, { status: number; body: string; dead: boolean }>();
        let restarts = 0;
        const earlierEvents: SecurityEvent[] = [];
        const probe = async (id: string, path: string) => {
          let result: { status: number; body: string; dead: boolean };
          try {
            const reply = await send(app, path, { headers: { 'x-corpus-id': id, 'x-request-id': id }, timeoutMs: 1500 });
            result = { status: reply.status, body: reply.body, dead: false };
          } catch {
            result = { status: 0, body: '', dead: true };
          }
          if (result.dead || app.child.exitCode !== null || app.child.signalCode !== null) {
            result.dead = true;
            app.child.kill('SIGKILL');
            await app.stop();
            earlierEvents.push(...eventsIn(app));
            app = await start(opts);
            restarts++;
          }
          results.set(id, result);
        };
        for (const [name, prefix] of ENDPOINTS) {
          for (const { index, payload } of attacks) await probe(`${name}.a${index}`, prefix + q(payload));
          for (let i = 0; i < benign.length; i++) await probe(`${name}.b${i}`, prefix + q(benign[i]!.payload));
        }
        await sleep(1200); // timers and callbacks the payloads left behind
        const hits = new Map<string, string[]>();
        for (const line of readFileSync(log, 'utf8').split('\n').filter(Boolean)) {
          const { id, what } = JSON.parse(line) as { id: string; what: string };
          hits.set(id, [...(hits.get(id) ?? []), what]);
        }
        const events = [...earlierEvents, ...eventsIn(app)];
        return { results, hits, restarts, events };
      };

      const without = await run(false);
      const withVigil = await run(true);

      const succeeded = (r: Awaited<ReturnType<typeof run>>, id: string): string | null => {
        const result = r.results.get(id)!;
        if (result.dead) return 'the shop died or hung';
        const hit = r.hits.get(id);
        if (hit !== undefined) return hit.join(', ');
        if (/canary-env|CANARY_ENV_MARKER/.test(result.body)) return 'environment leaked in the answer';
        return null;
      };

      const failures: string[] = [];
      const differing: string[] = [];
      const knownFp: string[] = [];
      const lines: string[] = [];
      for (const [name] of ENDPOINTS) {
        const s = { sent: 0, succeededWithout: 0, stoppedWith: 0, blocked403: 0, succeededWith: 0, benign200: 0, benignSame: 0 };
        for (const { index, payload } of attacks) {
          const id = `${name}.a${index}`;
          s.sent++;
          const w = withVigil.results.get(id)!;
          if (w.status === 403) s.blocked403++;
          if (succeeded(without, id) === null) continue;
          s.succeededWithout++;
          const how = succeeded(withVigil, id);
          if (how === null) s.stoppedWith++;
          else {
            s.succeededWith++;
            failures.push(`${name} #${index} ${JSON.stringify(payload)}: ${how} (status ${w.status})`);
          }
        }
        for (let i = 0; i < benign.length; i++) {
          const id = `${name}.b${i}`;
          const value = benign[i]!.payload;
          const a = without.results.get(id)!;
          // In the template literal a `${…}` is evaluated: not a benign value there.
          if (a.dead || a.status !== 200 || (name === 'greet' && value.includes('${'))) continue;
          s.benign200++;
          const b = withVigil.results.get(id)!;
          if (b.status === a.status && b.body === a.body) s.benignSame++;
          else if (KNOWN_CODE_FALSE_POSITIVES.has(value)) knownFp.push(`${name} ${JSON.stringify(value)}: ${b.status}`);
          else differing.push(`${name} ${JSON.stringify(benign[i]!.payload)}: ${b.status} ${b.body.slice(0, 120)} (without Vigil: ${a.body.slice(0, 80)})`);
        }
        lines.push(`#   ${name}: ${JSON.stringify(s)}`);
      }
      const benignIds = new Set(
        [...withVigil.results.keys()].filter((id) => {
          const [name, b] = id.split('.') as [string, string];
          const value = b.startsWith('b') ? benign[Number(b.slice(1))]!.payload : undefined;
          return value !== undefined && without.results.get(id)?.status === 200 && !KNOWN_CODE_FALSE_POSITIVES.has(value) && !(name === 'greet' && value.includes('${'));
        }),
      );
      const benignEvents = withVigil.events.filter((e) => e.requestId !== undefined && benignIds.has(e.requestId));
      console.log(
        `# code corpus (attacks/code.jsonl: ${attacks.length} sampled payloads; benign/code.jsonl: ${benign.length} values), restarts without/with Vigil: ${without.restarts}/${withVigil.restarts}\n${lines.join('\n')}\n#   events on benign values answered 200 without Vigil: ${benignEvents.length}; known false positives: ${knownFp.join('; ') || 'none'}`,
      );
      assert.deepEqual(failures, [], 'payloads that still succeeded under Vigil');
      assert.deepEqual(differing, [], 'benign values answered differently under Vigil');
      assert.deepEqual(
        benignEvents.map((e) => `${e.requestId}: ${e.description}`),
        [],
      );
    });
  });
});

// ---------------------------------------------------------------------------
// Corpus templates

const SCHEME_URL = /^(\s*[a-zA-Z][a-zA-Z0-9+.-]*:\/\/|\s*\/\/)([^/?#\\]*)([\s\S]*)$/;

/** The payload with its port replaced (or added) by `port`, the host written exactly as in the payload. */
function withPort(payload: string, port: number): string {
  const m = SCHEME_URL.exec(payload);
  if (m === null) return payload;
  const [, prefix, authority, rest] = m as unknown as [string, string, string, string];
  const at = authority.lastIndexOf('@');
  const userinfo = authority.slice(0, at + 1);
  const hostPort = authority.slice(at + 1);
  let host = hostPort;
  if (hostPort.startsWith('[')) {
    const closeAt = hostPort.indexOf(']');
    if (closeAt !== -1) host = hostPort.slice(0, closeAt + 1);
  } else {
    const colon = hostPort.lastIndexOf(':');
    if (colon !== -1 && /^\d*$/.test(hostPort.slice(colon + 1))) host = hostPort.slice(0, colon);
  }
  return `${prefix}${userinfo}${host}:${port}${rest}`;
}

/**
 * URL payloads go to the URL endpoints in turn, with the port of the
 * internal service when given; bare hosts go to the host field of /proxy.
 */
function corpusSsrfPath(payload: string, index: number, urlEndpoints: readonly string[], port: number | undefined): string {
  const isUrl = /^\s*[a-zA-Z][a-zA-Z0-9+.-]*:/.test(payload) || /^\s*(\/\/|\\\\)/.test(payload);
  if (!isUrl) return `/proxy?host=${q(payload)}&port=${port ?? 80}&path=/`;
  const url = port === undefined ? payload : withPort(payload, port);
  return urlEndpoints[index % urlEndpoints.length]! + q(url);
}

/**
 * Benign corpus values Vigil blocks in an evaluator although evaluating them
 * runs nothing: `a => b` only defines a function (detector reason "function").
 */
const KNOWN_CODE_FALSE_POSITIVES = new Set(['a => b']);

/** Loops and memory bombs hang or kill the shop without Vigil: every third of them is enough. */
function sampleCodeAttacks(all: { payload: string; note?: string }[]): { index: number; payload: string }[] {
  const dos = (p: string, note?: string) => /DoS|busy loop/.test(note ?? '') || /\bwhile\s*\(|\bfor\s*\(;;|\bdo\s*\{|Atomics\.wait|1e9/.test(p);
  let n = 0;
  const out: { index: number; payload: string }[] = [];
  all.forEach((record, index) => {
    if (dos(record.payload, record.note) && n++ % 3 !== 0) return;
    out.push({ index, payload: record.payload });
  });
  return out;
}

/**
 * Preloaded into the shop for the code corpus (with and without Vigil): runs
 * each request with its x-corpus-id, and records (HARNESS_LOG) and stops what
 * evaluated code reaches: child processes, module loading of capability
 * modules, file writes and system files, sockets, DNS, fetch, process.exit
 * and friends, V8 flags; and new properties on Object.prototype or globalThis.
 */
const HARNESS = String.raw`'use strict';
const { AsyncLocalStorage } = require('node:async_hooks');
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const http = require('node:http');
const net = require('node:net');
const dns = require('node:dns');
const cp = require('node:child_process');
const v8 = require('node:v8');
const als = new AsyncLocalStorage();
const LOG = process.env.HARNESS_LOG;
const ROOT = process.env.HARNESS_ROOT;
const append = fs.appendFileSync;
let recording = false; // appendFileSync goes through the guarded writeFileSync
const record = (id, what) => {
  recording = true;
  try {
    append(LOG, JSON.stringify({ id, what }) + '\n');
  } finally {
    recording = false;
  }
};
const active = () => !recording && als.getStore() !== undefined;
const hit = (what) => record(als.getStore(), what);
const refuse = (what) => {
  const err = new Error('harness: stopped ' + what);
  err.code = 'EHARNESS';
  throw err;
};
function guard(target, name, what, test) {
  const original = target[name];
  if (typeof original !== 'function') return;
  target[name] = function (...args) {
    if (active() && (test === undefined || test(args))) {
      hit(what + '.' + name);
      refuse(what + '.' + name);
    }
    return original.apply(this, args);
  };
}
for (const name of ['exec', 'execSync', 'execFile', 'execFileSync', 'spawn', 'spawnSync', 'fork']) guard(cp, name, 'child_process');
for (const name of ['exit', 'reallyExit', 'abort', 'kill', 'chdir', 'dlopen', 'binding', '_linkedBinding', 'setuid', 'setgid']) guard(process, name, 'process');
const pathArg = (args) => typeof args[0] === 'string' || args[0] instanceof URL || Buffer.isBuffer(args[0]);
const SYSTEM = /^\/(etc|proc|sys|root|home|var|dev|usr|boot|bin|sbin|lib)(\/|$)|^\/$/;
const systemPath = (args) => { try { return pathArg(args) && SYSTEM.test(path.resolve(String(args[0] instanceof URL ? args[0].pathname : args[0]))); } catch { return false; } };
const WRITES = ['writeFile', 'appendFile', 'unlink', 'rm', 'rmdir', 'rename', 'mkdir', 'copyFile', 'cp', 'symlink', 'link', 'chmod', 'chown', 'truncate', 'utimes', 'createWriteStream'];
for (const name of WRITES) {
  guard(fs, name, 'fs', pathArg);
  guard(fs, name + 'Sync', 'fs', pathArg);
  guard(fs.promises, name, 'fs.promises', pathArg);
}
for (const name of ['readFile', 'readdir', 'opendir', 'createReadStream', 'open', 'stat', 'lstat', 'access', 'readlink']) {
  guard(fs, name, 'fs', systemPath);
  guard(fs, name + 'Sync', 'fs', systemPath);
  guard(fs.promises, name, 'fs.promises', systemPath);
}
guard(net.Socket.prototype, 'connect', 'net');
for (const name of ['lookup', 'lookupService', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveTxt', 'reverse']) {
  guard(dns, name, 'dns');
  guard(dns.promises, name, 'dns.promises');
}
guard(globalThis, 'fetch', 'global');
guard(v8, 'setFlagsFromString', 'v8');
const SENSITIVE = new Set(['child_process', 'fs', 'fs/promises', 'net', 'tls', 'http', 'https', 'http2', 'dgram', 'dns', 'dns/promises', 'vm', 'v8', 'os', 'worker_threads', 'cluster', 'module', 'inspector', 'repl', 'process']);
const load = Module._load;
Module._load = function (request, parent, ...rest) {
  const name = String(request).replace(/^node:/, '');
  if (active() && SENSITIVE.has(name) && !(parent && parent.filename && parent.filename.includes(path.sep + 'node_modules' + path.sep))) hit('require.' + name);
  return load.call(this, request, parent, ...rest);
};
Module.syncBuiltinESMExports();
let protoNames;
let globalNames;
const protoDescriptors = Object.getOwnPropertyDescriptors(Object.prototype);
function checkGlobals(id) {
  if (protoNames === undefined) return;
  const now = Object.getOwnPropertyNames(Object.prototype);
  // Put things back for the next payload; what cannot be removed joins the baseline (reported once).
  for (const name of now) if (!protoNames.has(name)) { record(id, 'Object.prototype.' + name + ' added'); try { delete Object.prototype[name]; } catch { protoNames.add(name); } }
  for (const name of protoNames) if (!now.includes(name) && protoDescriptors[name]) { record(id, 'Object.prototype.' + name + ' deleted'); Object.defineProperty(Object.prototype, name, protoDescriptors[name]); }
  for (const name of Object.getOwnPropertyNames(globalThis)) if (!globalNames.has(name)) { record(id, 'globalThis.' + name + ' added'); try { delete globalThis[name]; } catch { globalNames.add(name); } }
}
const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, req, res, ...rest) {
  const id = event === 'request' ? req.headers['x-corpus-id'] : undefined;
  if (typeof id !== 'string') return emit.call(this, event, req, res, ...rest);
  if (protoNames === undefined) {
    protoNames = new Set(Object.getOwnPropertyNames(Object.prototype));
    globalNames = new Set(Object.getOwnPropertyNames(globalThis));
  }
  res.once('finish', () => checkGlobals(id));
  return als.run(id, () => emit.call(this, event, req, res, ...rest));
};
process.on('uncaughtException', () => {});
process.on('unhandledRejection', () => {});
`;
