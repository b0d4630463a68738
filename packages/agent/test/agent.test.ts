// The agent in-process: policy hot reload, the fail-open guard, loading
// twice, metrics, setUser, and a block answered even when the app catches it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import http from 'node:http';
import type { IncomingMessage, ServerResponse, Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { start, getAgent, getMetrics, setUser, onEvent, VigilBlockedError } from '../src/index.js';
import type { SecurityEvent } from '../src/index.js';
import { kOriginal } from '../src/core/symbols.js';
import { attachedCount } from '../src/context/request-context.js';
import { tempDir } from './helpers.js';

const dir = tempDir();
const policyFile = join(dir, 'policy.yaml');
writeFileSync(policyFile, 'mode: monitor\n');
const agent = start({ policy: policyFile, logLevel: 'silent', policyPollMs: 50, metricsPort: 0 });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3') as typeof import('better-sqlite3');
const db = new Database(':memory:');
db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t (name) VALUES ('a'), ('b');");

const events: SecurityEvent[] = [];
onEvent((e) => events.push(e));

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler = (_req, res) => res.end();
let server: Server;
let base: string;

before(async () => {
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => server.close());

const injected = (req: IncomingMessage) => `SELECT name FROM t WHERE name = '${new URL(req.url!, 'http://x').searchParams.get('q') ?? ''}'`;
const ATTACK = `?q=${encodeURIComponent("' OR '1'='1")}`;

/** Internal errors counted for the components `component` (a pattern) matches, summed. */
function internalErrors(metrics: string, component: string): number {
  let sum = 0;
  for (const m of metrics.matchAll(new RegExp(`^rasp_internal_errors_total\\{component="${component}"\\} (\\d+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

/** Internal errors counted inside inspect, all sink kinds together. */
const inspectErrors = (metrics: string): number => internalErrors(metrics, 'inspect\\.[a-z]+');
/** Internal errors counted for the http source (request start, stream events, response end). */
const sourceHttpErrors = (metrics: string): number => internalErrors(metrics, 'source\\.http');

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('agent', () => {
  it('loading twice installs nothing twice', () => {
    assert.equal(start({ mode: 'block' }), agent);
    const emit = http.Server.prototype.emit as unknown as Record<symbol, unknown>;
    const original = emit[kOriginal] as Record<symbol, unknown>;
    assert.equal(typeof original, 'function');
    assert.equal(original[kOriginal], undefined, 'emit is wrapped more than once');
  });

  it('hot-reloads a good policy and keeps the last good one when the file breaks', async () => {
    handler = (req, res) => res.end(JSON.stringify(db.prepare(injected(req)).all()));
    assert.equal((await fetch(base + ATTACK)).status, 200, 'monitor mode lets the attack through');
    writeFileSync(policyFile, 'mode: block\n');
    await waitFor(() => agent.policy.mode === 'block', 'the block policy to load');
    assert.equal((await fetch(base + ATTACK)).status, 403);
    writeFileSync(policyFile, 'mode: block\nrules:\n  sql_injection: blok\n');
    assert.equal(agent.reloadPolicy(), false);
    assert.equal(agent.policy.mode, 'block');
    assert.equal((await fetch(base + ATTACK)).status, 403, 'the last good policy is still in force');
  });

  it('answers 403 even when the app catches the block and tries to answer itself', async () => {
    handler = (req, res) => {
      try {
        db.prepare(injected(req)).all();
        res.end('ran');
      } catch (err) {
        assert.ok(err instanceof VigilBlockedError);
        res.statusCode = 500;
        res.setHeader('content-type', 'text/plain');
        res.end('app error page');
      }
    };
    const res = await fetch(base + ATTACK, { headers: { 'x-request-id': 'caught-1' } });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('x-vigil-block'), 'true');
    assert.deepEqual(await res.json(), { error: 'Request blocked by security policy', requestId: 'caught-1' });
  });

  it('fails open when a detector throws, and counts it', async () => {
    const recent = agent.recent as unknown as { detectSql: () => never };
    const saved = recent.detectSql;
    recent.detectSql = () => {
      throw new Error('detector bug');
    };
    try {
      handler = (req, res) => res.end(JSON.stringify(db.prepare(injected(req)).all()));
      const res = await fetch(`${base}/?q=a`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), [{ name: 'a' }]);
      assert.match(await getMetrics(), /rasp_internal_errors_total\{component="inspect.sql"\} [1-9]/);
    } finally {
      recent.detectSql = saved;
    }
  });

  it("decodes an input's JSON without inspecting its own decoding, and still inspects the app's", async () => {
    // Collecting the inputs decodes JSON inside a value; were that decoding run
    // through the hooked JSON.parse, the prototype check would ask for the
    // request's inputs again while they are being collected, over and over.
    const text = '{"__proto__":{"admin":true}}';
    handler = (req, res) => {
      const q = new URL(req.url!, 'http://x').searchParams.get('q') ?? '';
      if (req.headers['x-parse'] === 'yes') JSON.parse(q);
      res.end(JSON.stringify(db.prepare(injected(req)).all()));
    };
    const seen = events.length;
    const errorsBefore = inspectErrors(await getMetrics());
    const quiet = await fetch(`${base}/?q=${encodeURIComponent(text)}`, { headers: { 'x-request-id': 'json-decoded-by-vigil' } });
    assert.equal(quiet.status, 200);
    assert.deepEqual(await quiet.json(), []);
    const parsed = await fetch(`${base}/?q=${encodeURIComponent(text)}`, { headers: { 'x-request-id': 'json-parsed-by-app', 'x-parse': 'yes' } });
    await parsed.text();
    const fresh = events.slice(seen);
    assert.deepEqual(
      fresh.map((e) => [e.requestId, e.rule]),
      [['json-parsed-by-app', 'prototype_pollution']],
    );
    assert.equal(inspectErrors(await getMetrics()), errorsBefore);
  });

  it('fails open when preparing an outbound request fails inside Vigil, and counts it', async () => {
    // A target only the app's own read of the options can make sense of: Vigil
    // reads `hostname` first and gets an error (standing in for a bug of its own);
    // the app's request must still go out, unchecked, and the error be counted.
    const upstream = createServer((_req, res) => res.end('upstream'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const port = (upstream.address() as { port: number }).port;
    try {
      handler = (_req, res) => {
        let reads = 0;
        const options = {
          get hostname() {
            if (reads++ === 0) throw new Error('first read fails');
            return '127.0.0.1';
          },
          port,
          path: '/',
        };
        http.get(options, (up) => {
          let body = '';
          up.on('data', (c: Buffer) => (body += c.toString()));
          up.on('end', () => res.end(body));
        });
      };
      const res = await fetch(`${base}/`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'upstream');
      assert.match(await getMetrics(), /rasp_internal_errors_total\{component="sink.outbound"\} [1-9]/);
    } finally {
      upstream.close();
    }
  });

  it('fails open when the end-of-request work throws inside the response emit, and counts it', async () => {
    // The work runs inside ServerResponse#emit('close'): a throw there would
    // reach whoever closed the response. It must not, the app's own 'close'
    // listener must still run, and nothing may stay attached.
    const guard = agent.prototypeGuard as unknown as { check: () => never };
    const saved = guard.check;
    guard.check = () => {
      throw new Error('end-of-request bug');
    };
    const before = sourceHttpErrors(await getMetrics());
    let appSawClose = false;
    try {
      handler = (_req, res) => {
        res.on('close', () => (appSawClose = true));
        res.end('served');
      };
      const res = await fetch(`${base}/`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'served');
      await waitFor(() => appSawClose, "the app's close listener");
      await waitFor(() => attachedCount() === 0, 'the request to be detached');
    } finally {
      guard.check = saved;
    }
    assert.ok(sourceHttpErrors(await getMetrics()) > before, 'the error is counted under source.http');
  });

  it('adds a listener whose name cannot be read, and counts the error', async () => {
    // Vigil reads an 'end' listener's name (Node's own clearIncoming is left
    // out of context); a listener whose name throws must still be added.
    const before = sourceHttpErrors(await getMetrics());
    handler = (req, res) => {
      const listener = () => res.end('read to the end');
      Object.defineProperty(listener, 'name', {
        get() {
          throw new Error('no name');
        },
      });
      req.on('end', listener);
      req.resume();
    };
    const res = await fetch(`${base}/`);
    assert.equal(await res.text(), 'read to the end');
    assert.ok(sourceHttpErrors(await getMetrics()) > before, 'the error is counted under source.http');
  });

  it('puts the user set with setUser on events, and counts events in metrics', async () => {
    handler = (req) => {
      setUser(req, { id: 'u-42', name: 'Ann' });
      try {
        db.prepare(injected(req)).all();
      } catch {
        /* answered by Vigil */
      }
    };
    const before = events.length;
    await fetch(base + ATTACK);
    await waitFor(() => events.length > before, 'the event');
    const event = events[events.length - 1]!;
    assert.equal(event.userId, 'u-42');
    assert.equal(event.verdict, 'blocked');
    const text = await getMetrics();
    assert.match(text, /rasp_events_total\{rule="sql_injection",mode="block",verdict="blocked"\} [1-9]/);
    assert.match(text, /rasp_blocked_requests_total\{rule="sql_injection"\} [1-9]/);
    assert.match(text, /rasp_agent_active 1/);
    assert.match(text, /rasp_detection_latency_seconds_count\{rule="sql_injection"\} [1-9]/);
    assert.match(text, /rasp_policy_reload_timestamp_seconds \d/);
  });

  it('serves metrics on the metrics port', async () => {
    const port = (getAgent() as unknown as { metricsServer: Server }).metricsServer.address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${port.port}/metrics`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /# TYPE rasp_events_total counter/);
  });
});
