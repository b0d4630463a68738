// Every hooked SQL driver, against a real server: PostgreSQL (pg), MariaDB
// (mysql2, mysql), SQLite files (better-sqlite3, sqlite3, node:sqlite), and
// two ORMs reaching them (knex on pg, sequelize on mysql2). For each, a
// vulnerable endpoint concatenates input into SQL: the attack is answered 403
// and never reaches the database (rows intact, secret not returned); benign
// input through the same endpoint works.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { start, VigilBlockedError } from '../src/index.js';
import { tempDir } from './helpers.js';

start({ mode: 'block', logLevel: 'silent' });
/* eslint-disable @typescript-eslint/no-require-imports */
const pg = require('pg') as typeof import('pg');
const mysql2 = require('mysql2') as typeof import('mysql2');
const mysql2p = require('mysql2/promise') as typeof import('mysql2/promise');
const mysql = require('mysql') as { createConnection(uri: string): { query(sql: string, cb: (err: Error | null, rows?: unknown) => void): void; end(cb?: () => void): void } };
const sqlite3 = require('sqlite3') as typeof import('sqlite3');
const BetterSqlite = require('better-sqlite3') as typeof import('better-sqlite3');
const knexFactory = require('knex') as (cfg: object) => { raw(sql: string): Promise<{ rows: unknown[] }>; destroy(): Promise<void> };
const { Sequelize } = require('sequelize') as typeof import('sequelize');
/* eslint-enable @typescript-eslint/no-require-imports */

interface Driver {
  name: string;
  /** Runs SQL, resolves rows. */
  run(sql: string): Promise<unknown[]>;
  setup(): Promise<void>;
  teardown(): Promise<void>;
}

const TABLE = `vigil_sql_${process.pid}`;
const seedSql = [
  `CREATE TABLE ${TABLE} (id INTEGER PRIMARY KEY, name VARCHAR(64), secret VARCHAR(64))`,
  `INSERT INTO ${TABLE} (id, name, secret) VALUES (1, 'alice', 'FLAG{alice}')`,
  `INSERT INTO ${TABLE} (id, name, secret) VALUES (2, 'bob', 'FLAG{bob}')`,
];

function pgUrl(): string {
  const url = process.env.VIGIL_TEST_PG_URL;
  assert.ok(url, 'VIGIL_TEST_PG_URL is not set: npm test starts PostgreSQL');
  return url;
}
function mysqlUrl(): string {
  const url = process.env.VIGIL_TEST_MYSQL_URL;
  assert.ok(url, 'VIGIL_TEST_MYSQL_URL is not set: npm test starts MariaDB');
  return url;
}

const cbRows = (resolve: (r: unknown[]) => void, reject: (e: Error) => void) => (err: Error | null, rows?: unknown) => (err ? reject(err) : resolve((rows ?? []) as unknown[]));

function drivers(): Driver[] {
  const list: Driver[] = [];
  {
    let client: import('pg').Client;
    list.push({
      name: 'pg Client (promise)',
      setup: async () => {
        client = new pg.Client({ connectionString: pgUrl() });
        await client.connect();
        await client.query(`DROP TABLE IF EXISTS ${TABLE}`);
        for (const s of seedSql) await client.query(s);
      },
      run: async (sql) => (await client.query(sql)).rows,
      teardown: async () => {
        await client.query(`DROP TABLE IF EXISTS ${TABLE}`);
        await client.end();
      },
    });
  }
  {
    let pool: import('pg').Pool;
    list.push({
      name: 'pg Pool (callback)',
      setup: async () => {
        pool = new pg.Pool({ connectionString: pgUrl(), max: 2 });
        await pool.query(`DROP TABLE IF EXISTS ${TABLE}`);
        for (const s of seedSql) await pool.query(s);
      },
      run: (sql) => new Promise((resolve, reject) => pool.query(sql, (err: Error | undefined, res: { rows: unknown[] } | undefined) => (err ? reject(err) : resolve(res!.rows)))),
      teardown: async () => {
        await pool.query(`DROP TABLE IF EXISTS ${TABLE}`);
        await pool.end();
      },
    });
  }
  {
    let conn: import('mysql2').Connection;
    list.push({
      name: 'mysql2 Connection (callback)',
      setup: async () => {
        conn = mysql2.createConnection({ uri: mysqlUrl() });
        const q = (s: string) => new Promise((res, rej) => conn.query(s, cbRows(res, rej)));
        await q(`DROP TABLE IF EXISTS ${TABLE}`);
        for (const s of seedSql) await q(s);
      },
      run: (sql) => new Promise((resolve, reject) => conn.query(sql, cbRows(resolve, reject))),
      teardown: async () => {
        await new Promise((res, rej) => conn.query(`DROP TABLE IF EXISTS ${TABLE}`, cbRows(res, rej)));
        conn.end();
      },
    });
  }
  {
    let pool: import('mysql2/promise').Pool;
    list.push({
      name: 'mysql2/promise Pool (execute)',
      setup: async () => {
        pool = mysql2p.createPool({ uri: mysqlUrl(), connectionLimit: 2 });
        await pool.query(`DROP TABLE IF EXISTS ${TABLE}`);
        for (const s of seedSql) await pool.query(s);
      },
      run: async (sql) => (await pool.execute(sql))[0] as unknown[],
      teardown: async () => {
        await pool.query(`DROP TABLE IF EXISTS ${TABLE}`);
        await pool.end();
      },
    });
  }
  {
    let conn: ReturnType<typeof mysql.createConnection>;
    list.push({
      name: 'mysql (mysqljs)',
      setup: async () => {
        conn = mysql.createConnection(mysqlUrl());
        const q = (s: string) => new Promise((res, rej) => conn.query(s, cbRows(res, rej)));
        await q(`DROP TABLE IF EXISTS ${TABLE}`);
        for (const s of seedSql) await q(s);
      },
      run: (sql) => new Promise((resolve, reject) => conn.query(sql, cbRows(resolve, reject))),
      teardown: async () => {
        await new Promise((res, rej) => conn.query(`DROP TABLE IF EXISTS ${TABLE}`, cbRows(res, rej)));
        await new Promise<void>((r) => conn.end(() => r()));
      },
    });
  }
  {
    let db: import('better-sqlite3').Database;
    list.push({
      name: 'better-sqlite3 (file)',
      setup: async () => {
        db = new BetterSqlite(join(tempDir(), 'shop.db'));
        for (const s of seedSql) db.exec(s);
      },
      run: async (sql) => db.prepare(sql).all(),
      teardown: async () => void db.close(),
    });
  }
  {
    let db: import('sqlite3').Database;
    list.push({
      name: 'sqlite3 (file, callback)',
      setup: async () => {
        db = new sqlite3.Database(join(tempDir(), 'shop.db'));
        for (const s of seedSql) await new Promise((res, rej) => db.run(s, (err: Error | null) => (err ? rej(err) : res(undefined))));
      },
      run: (sql) => new Promise((resolve, reject) => db.all(sql, cbRows(resolve, reject))),
      teardown: () => new Promise((r) => db.close(() => r())),
    });
  }
  {
    let knex: ReturnType<typeof knexFactory>;
    list.push({
      name: 'knex.raw on pg',
      setup: async () => {
        knex = knexFactory({ client: 'pg', connection: pgUrl(), pool: { min: 0, max: 2 } });
        await knex.raw(`DROP TABLE IF EXISTS ${TABLE}_knex`);
        for (const s of seedSql) await knex.raw(s.replace(TABLE, `${TABLE}_knex`));
      },
      run: async (sql) => (await knex.raw(sql.replace(TABLE, `${TABLE}_knex`))).rows,
      teardown: async () => {
        await knex.raw(`DROP TABLE IF EXISTS ${TABLE}_knex`);
        await knex.destroy();
      },
    });
  }
  {
    let sequelize: import('sequelize').Sequelize;
    list.push({
      name: 'sequelize.query on mysql2',
      setup: async () => {
        sequelize = new Sequelize(mysqlUrl(), { dialect: 'mysql', logging: false });
        await sequelize.query(`DROP TABLE IF EXISTS ${TABLE}_seq`);
        for (const s of seedSql) await sequelize.query(s.replace(TABLE, `${TABLE}_seq`));
      },
      run: async (sql) => (await sequelize.query(sql.replace(TABLE, `${TABLE}_seq`)))[0] as unknown[],
      teardown: async () => {
        await sequelize.query(`DROP TABLE IF EXISTS ${TABLE}_seq`);
        await sequelize.close();
      },
    });
  }
  return list;
}

let current: Driver;
let server: Server;
let base: string;

before(async () => {
  server = createServer((req, res) => {
    const name = new URL(req.url!, 'http://x').searchParams.get('name') ?? '';
    current.run(`SELECT id, name, secret FROM ${TABLE} WHERE name = '${name}'`).then(
      (rows) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(rows)),
      (err: Error) => res.writeHead(500).end(err instanceof VigilBlockedError ? 'blocked' : err.message),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => server.close());

const get = async (name: string) => {
  const res = await fetch(`${base}/?name=${encodeURIComponent(name)}`);
  return { status: res.status, body: await res.text(), blocked: res.headers.get('x-vigil-block') === 'true' };
};

for (const driver of drivers()) {
  describe(driver.name, () => {
    before(async () => {
      current = driver;
      await driver.setup();
    });
    after(() => driver.teardown());

    it('serves benign input through the vulnerable endpoint', async () => {
      const res = await get('alice');
      assert.equal(res.status, 200, res.body);
      assert.deepEqual((JSON.parse(res.body) as { name: string }[]).map((r) => r.name), ['alice']);
    });

    it('blocks a tautology before the server sees it: no secret comes back', async () => {
      const res = await get("nobody' OR '1'='1");
      assert.equal(res.status, 403);
      assert.ok(res.blocked);
      assert.doesNotMatch(res.body, /FLAG\{/);
    });

    it('blocks a stacked DELETE: the table still holds its rows', async () => {
      const res = await get("x'; DELETE FROM " + TABLE + '; --');
      assert.equal(res.status, 403);
      current = driver;
      const rows = await driver.run(`SELECT id FROM ${TABLE}`);
      assert.equal(rows.length, 2);
    });

    it('blocks UNION exfiltration', async () => {
      const res = await get(`x' UNION SELECT id, secret, secret FROM ${TABLE} --`);
      assert.equal(res.status, 403);
      assert.doesNotMatch(res.body, /FLAG\{/);
    });
  });
}

describe('node:sqlite', () => {
  it('is hooked where the running Node has it', async () => {
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    let mod: { DatabaseSync: new (file: string) => { exec(sql: string): void; prepare(sql: string): { all(): unknown[] } } } | undefined;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require('node:sqlite') as typeof mod;
    } catch {
      mod = undefined;
    }
    if (mod === undefined) {
      // Unflagged from 22.13 / 23.4: older Nodes simply do not have it.
      assert.ok(major < 22 || (major === 22 && minor < 13), `node:sqlite missing on ${process.version}`);
      return;
    }
    const db = new mod.DatabaseSync(':memory:');
    for (const s of seedSql) db.exec(s);
    current = { name: 'node:sqlite', setup: async () => undefined, teardown: async () => undefined, run: async (sql) => db.prepare(sql).all() };
    assert.equal((await get('bob')).status, 200);
    const attack = await get("x' OR '1'='1");
    assert.equal(attack.status, 403);
    assert.doesNotMatch(attack.body, /FLAG\{/);
  });
});
