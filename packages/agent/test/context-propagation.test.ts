// The request context must survive every way app code continues later:
// await, timers, event emitters, streams, fs callbacks, and the connection
// pools of pg and mysql2, whose waiters are woken inside another request's
// release(). Real servers: PostgreSQL and MariaDB started by npm test.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { EventEmitter } from 'node:events';
import { AsyncResource } from 'node:async_hooks';
import { connect } from 'node:net';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readFile } from 'node:fs';
import { start, currentRequestId } from '../src/index.js';
import { attachedCount } from '../src/context/request-context.js';
import { markInternalServer } from '../src/sources/http/index.js';

start({ mode: 'monitor', logLevel: 'silent' });
// Drivers load after Vigil, as in an app started with --require.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pg = require('pg') as typeof import('pg');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const mysql = require('mysql2') as typeof import('mysql2');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sqlite3 = require('sqlite3') as typeof import('sqlite3');

type Handler = (req: IncomingMessage) => Promise<unknown>;
let handler: Handler = async () => undefined;
let server: Server;
let base: string;

before(async () => {
  server = createServer((req, res) => {
    handler(req).then(
      (value) => res.end(JSON.stringify({ id: currentRequestId(), value })),
      (err: Error) => res.writeHead(500).end(err.message),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => server.close());

async function call(id: string): Promise<{ id: string; value: unknown }> {
  const res = await fetch(`${base}/`, { headers: { 'x-request-id': id } });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as { id: string; value: unknown };
}

describe('request context propagation', () => {
  it('survives await, timers and immediates', async () => {
    handler = async () => {
      await new Promise((r) => setTimeout(r, 5));
      const afterTimer = currentRequestId();
      const afterImmediate = await new Promise((r) => setImmediate(() => r(currentRequestId())));
      return [afterTimer, afterImmediate];
    };
    const out = await call('ctx-timers');
    assert.deepEqual(out.value, ['ctx-timers', 'ctx-timers']);
  });

  it('survives event emitters, streams and fs callbacks', async () => {
    handler = async () => {
      const emitter = new EventEmitter();
      const fromEmitter = new Promise((r) => emitter.once('x', () => r(currentRequestId())));
      setTimeout(() => emitter.emit('x'), 1);
      const seen: unknown[] = [];
      await pipeline(
        Readable.from(['a', 'b']),
        new Transform({
          transform(chunk, _enc, cb) {
            seen.push(currentRequestId());
            cb(null, chunk);
          },
        }),
        async (source: AsyncIterable<unknown>) => {
          for await (const _ of source) seen.push(currentRequestId());
        },
      );
      const fromFs = await new Promise((r) => readFile(__filename, () => r(currentRequestId())));
      return [await fromEmitter, ...new Set(seen), fromFs];
    };
    const out = await call('ctx-streams');
    assert.deepEqual(out.value, ['ctx-streams', 'ctx-streams', 'ctx-streams']);
  });

  it('survives reading the body from the request stream itself', async () => {
    handler = (req) =>
      new Promise((resolve) => {
        const seen: unknown[] = [];
        req.on('data', () => seen.push(currentRequestId()));
        req.on('end', () => resolve([...seen, currentRequestId()]));
      });
    const res = await fetch(`${base}/`, { method: 'POST', body: 'x'.repeat(100_000), headers: { 'x-request-id': 'ctx-body' } });
    const out = (await res.json()) as { value: string[] };
    assert.ok(out.value.length >= 2);
    assert.deepEqual([...new Set(out.value)], ['ctx-body']);
  });

  it("runs the app's own 'end' listener in its request when Node listens on 'end' too", async () => {
    // Answered before the body is read: Node's server then adds its own 'end'
    // listener (clearIncoming), which Vigil leaves in the connection's context;
    // a listener of the app's beside it must still see its request.
    const seen = new Promise<unknown>((resolve) => {
      const own = createServer((req, res) => {
        res.on('finish', () => {
          req.on('end', () => resolve([req.listenerCount('end'), currentRequestId()]));
          req.resume();
        });
        res.end('ok');
      });
      own.listen(0, '127.0.0.1', () => {
        const port = (own.address() as { port: number }).port;
        void fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'x'.repeat(200_000), headers: { 'x-request-id': 'ctx-late-end' } })
          .then((res) => res.text())
          .finally(() => own.close());
      });
    });
    assert.deepEqual(await seen, [2, 'ctx-late-end']);
  });

  it('runs a request listener added outside any request in the request it listens to', async () => {
    // Added from an async scope opened before any request: no context to inherit
    // at registration, so Vigil finds the request's own.
    const outside = new AsyncResource('outside-any-request');
    handler = (req) =>
      new Promise((resolve) => {
        outside.runInAsyncScope(() => {
          assert.equal(currentRequestId(), undefined);
          const seen: unknown[] = [];
          req.on('data', () => seen.push(currentRequestId()));
          req.on('end', () => resolve([...new Set([...seen, currentRequestId()])]));
        });
      });
    const res = await fetch(`${base}/`, { method: 'POST', body: 'x'.repeat(50_000), headers: { 'x-request-id': 'ctx-outside' } });
    assert.deepEqual(((await res.json()) as { value: unknown }).value, ['ctx-outside']);
  });

  it("runs a request 'close' listener in its request after the response has closed", async () => {
    const closed = new Promise<unknown>((resolve) => {
      handler = async (req) => {
        req.on('close', () => resolve(currentRequestId()));
        return 'answered';
      };
    });
    assert.equal((await call('ctx-close')).value, 'answered');
    assert.equal(await closed, 'ctx-close');
  });

  it('keeps no request or response once it is served, read or not, listened to or not', async () => {
    handler = async (req) => {
      const mode = req.headers['x-mode'];
      if (mode === 'read') await new Promise((resolve) => req.on('data', () => undefined).on('end', resolve));
      if (mode === 'close') req.on('close', () => undefined);
      return mode;
    };
    const modes = ['read', 'unread', 'close'];
    for (let i = 0; i < 30; i++) {
      const mode = modes[i % modes.length]!;
      const res = await fetch(`${base}/`, { method: 'POST', body: 'y'.repeat(i * 997), headers: { 'x-mode': mode } });
      assert.equal(res.status, 200);
      await res.text();
    }
    // A client that gives up mid-body: its request is aborted, never answered.
    await new Promise<void>((resolve) => {
      const socket = connect(Number(new URL(base).port), '127.0.0.1', () => {
        socket.write('POST / HTTP/1.1\r\nHost: x\r\nX-Mode: read\r\nContent-Length: 100000\r\n\r\n' + 'z'.repeat(10_000));
        setTimeout(() => socket.destroy(), 30);
      });
      socket.on('close', () => resolve());
    });
    // Closing events run after the client has its answer: give them their turn.
    for (let i = 0; i < 20 && attachedCount() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(attachedCount(), 0);
  });

  it("gives no context to the requests of Vigil's own servers, and still does to the app's", async () => {
    const seen: Record<string, boolean> = {};
    const serve = (name: string) => (_req: IncomingMessage, res: ServerResponse) => {
      seen[name] = currentRequestId() !== undefined;
      res.end();
    };
    const own = createServer(serve('own'));
    markInternalServer(own);
    const app = createServer(serve('app'));
    for (const s of [own, app]) await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    try {
      for (const s of [own, app]) await (await fetch(`http://127.0.0.1:${(s.address() as { port: number }).port}/`)).text();
    } finally {
      own.close();
      app.close();
    }
    assert.deepEqual(seen, { own: false, app: true });
  });

  it('keeps each request its own inside a saturated pg pool (callback waiters)', async () => {
    const url = process.env.VIGIL_TEST_PG_URL;
    assert.ok(url, 'VIGIL_TEST_PG_URL is not set: npm test starts PostgreSQL');
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      let releaseFirst: () => void = () => undefined;
      const firstHolds = new Promise<void>((r) => (releaseFirst = r));
      handler = async (req) => {
        if (req.headers['x-request-id'] === 'pg-first') {
          const client = await pool.connect();
          await firstHolds;
          // The waiter is woken inside this release(), i.e. in pg-first's context.
          client.release();
          return 'released';
        }
        return new Promise((resolve, reject) =>
          pool.query('SELECT 1 AS one', (err: Error | undefined) => (err ? reject(err) : resolve(currentRequestId()))),
        );
      };
      const first = call('pg-first');
      await new Promise((r) => setTimeout(r, 50));
      const second = call('pg-second');
      await new Promise((r) => setTimeout(r, 50));
      releaseFirst();
      assert.equal((await second).value, 'pg-second');
      assert.equal((await first).value, 'released');
    } finally {
      await pool.end();
    }
  });

  it('keeps each request its own inside a saturated mysql2 pool', async () => {
    const url = process.env.VIGIL_TEST_MYSQL_URL;
    assert.ok(url, 'VIGIL_TEST_MYSQL_URL is not set: npm test starts MariaDB');
    const pool = mysql.createPool({ uri: url, connectionLimit: 1 });
    try {
      let releaseFirst: () => void = () => undefined;
      const firstHolds = new Promise<void>((r) => (releaseFirst = r));
      handler = async (req) => {
        if (req.headers['x-request-id'] === 'my-first') {
          const conn = await new Promise<import('mysql2').PoolConnection>((resolve, reject) => pool.getConnection((err, c) => (err ? reject(err) : resolve(c))));
          await firstHolds;
          conn.release();
          return 'released';
        }
        return new Promise((resolve, reject) => pool.query('SELECT 1 AS one', (err) => (err ? reject(err) : resolve(currentRequestId()))));
      };
      const first = call('my-first');
      await new Promise((r) => setTimeout(r, 50));
      const second = call('my-second');
      await new Promise((r) => setTimeout(r, 50));
      releaseFirst();
      assert.equal((await second).value, 'my-second');
      assert.equal((await first).value, 'released');
    } finally {
      await new Promise((r) => pool.end(r));
    }
  });

  it('survives sqlite3 callbacks', async () => {
    const db = new sqlite3.Database(':memory:');
    try {
      handler = async () => new Promise((resolve, reject) => db.all('SELECT 1 AS one', (err) => (err ? reject(err) : resolve(currentRequestId()))));
      assert.equal((await call('sqlite3-cb')).value, 'sqlite3-cb');
    } finally {
      await new Promise((r) => db.close(r));
    }
  });
});
