// The other supported major version of each hooked library, installed nested
// under compat/<name> by npm ci, gets the same checks as the one the other
// tests use: hooked, attack blocked before it runs, benign input served.
// Mostly that is the previous major; for better-sqlite3 it is the current one
// (13), because 13 needs Node >= 22 and the repo's own copy must run on Node 20.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server, IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { start, onEvent, VigilBlockedError } from '../src/index.js';
import type { SecurityEvent } from '../src/index.js';
import { REPO_ROOT } from './helpers.js';

const agent = start({ mode: 'block', logLevel: 'silent' });
const events: SecurityEvent[] = [];
onEvent((e) => events.push(e));

/** Loads `name` as installed under compat/<dir>, asserting its major version. */
function load<T>(dir: string, name: string, major: number): T {
  const req = createRequire(join(REPO_ROOT, 'compat', dir, 'package.json'));
  // Some packages do not export ./package.json: read it from disk.
  const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'compat', dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  assert.equal(Number(version.split('.')[0]), major, `compat/${dir} has ${name}@${version}`);
  return req(name) as T;
}

const lastEvent = () => events[events.length - 1];

describe('express 4', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const express = load<any>('express4', 'express', 4);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3') as typeof import('better-sqlite3');
  const db = new Database(':memory:');
  db.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO items (name) VALUES ('a'), ('b');");
  let server: Server;
  let base: string;

  before(async () => {
    const app = express();
    app.use(express.json());
    app.get('/items/:id', (req: { params: { id: string } }, res: { json(v: unknown): void }) => res.json(db.prepare(`SELECT name FROM items WHERE id = ${req.params.id}`).all()));
    app.post('/items/search', (req: { body: { name: string } }, res: { json(v: unknown): void }) => res.json(db.prepare(`SELECT name FROM items WHERE name = '${req.body.name}'`).all()));
    // Express 4 does not catch async errors: a sync throw reaches its error handler.
    app.use((err: Error, _req: unknown, res: { status(n: number): { json(v: unknown): void } }, _next: unknown) => res.status(500).json({ error: err.message }));
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => server.close());

  it('reads route params and the route pattern, and blocks through them', async () => {
    const ok = await fetch(`${base}/items/1`);
    assert.deepEqual(await ok.json(), [{ name: 'a' }]);
    const res = await fetch(`${base}/items/${encodeURIComponent('1 OR 1=1')}`);
    assert.equal(res.status, 403);
    assert.equal(lastEvent()?.input?.source, 'params.id');
    assert.equal(lastEvent()?.route, '/items/:id');
  });

  it('reads the parsed JSON body and blocks through it', async () => {
    const post = (name: string) => fetch(`${base}/items/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
    assert.deepEqual(await (await post('b')).json(), [{ name: 'b' }]);
    const res = await post("x' OR 'a'='a");
    assert.equal(res.status, 403);
    assert.equal(lastEvent()?.input?.source, 'body.name');
  });
});

/** A plain http server whose handler runs `run(sql)` with the query's `name`. */
async function sqlServer(run: (sql: string, req: IncomingMessage) => Promise<unknown>): Promise<{ base: string; close: () => void }> {
  const server = createServer((req, res) => {
    const name = new URL(req.url!, 'http://x').searchParams.get('name') ?? '';
    run(`SELECT 1 AS one WHERE 'alice' = '${name}'`, req).then(
      (rows) => res.end(JSON.stringify(rows)),
      (err: Error) => res.writeHead(500).end(err instanceof VigilBlockedError ? 'blocked' : err.message),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => server.close() };
}

async function expectBlockedAndServed(base: string): Promise<void> {
  const ok = await fetch(`${base}/?name=alice`);
  assert.equal(ok.status, 200, await ok.clone().text());
  const attack = await fetch(`${base}/?name=${encodeURIComponent("x' OR '1'='1")}`);
  assert.equal(attack.status, 403);
  assert.equal(lastEvent()?.rule, 'sql_injection');
}

describe('mysql2 2', () => {
  it('is hooked', async () => {
    const mysql2 = load<typeof import('mysql2')>('mysql2-v2', 'mysql2', 2);
    const url = process.env.VIGIL_TEST_MYSQL_URL;
    assert.ok(url, 'VIGIL_TEST_MYSQL_URL is not set: npm test starts MariaDB');
    const pool = mysql2.createPool({ uri: url, connectionLimit: 1 });
    const srv = await sqlServer((sql) => new Promise((resolve, reject) => pool.query(sql, (err, rows) => (err ? reject(err) : resolve(rows)))));
    try {
      await expectBlockedAndServed(srv.base);
      // The blocked query released its connection: the pool (limit 1) still serves.
      await expectBlockedAndServed(srv.base);
    } finally {
      srv.close();
      await new Promise((r) => pool.end(r));
    }
  });
});

describe('sqlite3 5', () => {
  it('is hooked', async () => {
    const sqlite3 = load<typeof import('sqlite3')>('sqlite3-v5', 'sqlite3', 5);
    const db = new sqlite3.Database(':memory:');
    const srv = await sqlServer((sql) => new Promise((resolve, reject) => db.all(sql, (err, rows) => (err ? reject(err) : resolve(rows)))));
    try {
      await expectBlockedAndServed(srv.base);
    } finally {
      srv.close();
      await new Promise((r) => db.close(r));
    }
  });
});

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

describe('better-sqlite3 13', () => {
  // 13 ships Node-API prebuilds built for Node >= 22; on Node 20 loading it crashes the process.
  it('is hooked', { skip: NODE_MAJOR < 22 ? 'better-sqlite3 13 requires Node >= 22' : false }, async () => {
    const Database = load<typeof import('better-sqlite3')>('better-sqlite3-v13', 'better-sqlite3', 13);
    const db = new Database(':memory:');
    const viaPrepare = await sqlServer(async (sql) => db.prepare(sql).all());
    // exec is the other entry point.
    const viaExec = await sqlServer(async (sql) => (db.exec(sql), []));
    try {
      await expectBlockedAndServed(viaPrepare.base);
      await expectBlockedAndServed(viaExec.base);
    } finally {
      viaPrepare.close();
      viaExec.close();
      db.close();
    }
  });
});

describe('mongodb 6', () => {
  // No MongoDB server can be installed on this machine: the check happens
  // before any network I/O, which is as far as the driver goes without one.
  it('is hooked: an operator from the request body is rejected before the driver connects', async () => {
    const { MongoClient } = load<typeof import('mongodb')>('mongodb6', 'mongodb', 6);
    const client = new MongoClient('mongodb://127.0.0.1:1', { serverSelectionTimeoutMS: 300 });
    const users = client.db('shop').collection('users');
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (d: Buffer) => (raw += d));
      req.on('end', () => {
        const body = JSON.parse(raw) as { user: unknown; pass: unknown };
        (req as unknown as { body: unknown }).body = body;
        users.findOne({ user: body.user, pass: body.pass }).then(
          () => res.end('found'),
          (err: Error) => res.writeHead(err instanceof VigilBlockedError ? 500 : 503).end(err.name),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const post = (body: unknown) => fetch(base, { method: 'POST', body: JSON.stringify(body) });
    try {
      const attack = await post({ user: 'alice', pass: { $ne: null } });
      assert.equal(attack.status, 403);
      assert.equal(lastEvent()?.rule, 'nosql_injection');
      const benign = await post({ user: 'alice', pass: 'secret' });
      assert.equal(benign.status, 503, 'a benign filter reaches the driver, which cannot connect');
      assert.match(await benign.text(), /Mongo/);
    } finally {
      server.close();
      await client.close();
    }
  });
});

describe('hooked versions', () => {
  it('patched every compat module it loaded', () => {
    const patched = [...agent.moduleHooks.patched].join(' ');
    const expectations = ['mysql2@2.', 'sqlite3@5.', 'mongodb@6.', ...(NODE_MAJOR >= 22 ? ['better-sqlite3@13.'] : [])];
    for (const expected of expectations) assert.ok(patched.includes(expected), `${expected} not in ${patched}`);
  });
});
