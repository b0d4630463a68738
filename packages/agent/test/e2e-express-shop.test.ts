// End to end: the example shop under Vigil, started the way users start it
// (--require for CommonJS, --import for ESM), attacked and used over HTTP.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startApp, REGISTER, REGISTER_ESM, SHOP_DIR } from './helpers.js';
import type { RunningApp } from './helpers.js';

const SQLI = "' OR '1'='1";

describe('express-shop, CommonJS, block mode', () => {
  let app: RunningApp;
  before(async () => {
    app = await startApp(join(SHOP_DIR, 'server.js'), { nodeArgs: REGISTER, env: { VIGIL_MODE: 'block' } });
  });
  after(() => app.stop());

  it('answers an SQL injection with 403, the block header and the request id, and writes a blocked event', async () => {
    const res = await fetch(`${app.url}/products?q=${encodeURIComponent(SQLI)}`, { headers: { 'x-request-id': 'req-sqli-1' } });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('x-vigil-block'), 'true');
    assert.deepEqual(await res.json(), { error: 'Request blocked by security policy', requestId: 'req-sqli-1' });
    const events = await app.waitForEvents(1);
    const event = events.find((e) => e.requestId === 'req-sqli-1');
    assert.ok(event, `no event for the request in ${app.eventsFile}`);
    assert.equal(event.rule, 'sql_injection');
    assert.equal(event.verdict, 'blocked');
    assert.equal(event.mode, 'block');
    assert.equal(event.input?.source, 'query.q');
    assert.equal(event.input?.value, SQLI);
    assert.deepEqual(event.sink, { library: 'better-sqlite3', operation: 'prepare', argument: `SELECT id, name, price FROM products WHERE name LIKE '%${SQLI}%'` });
    assert.equal(event.route, '/products');
    assert.equal(event.sourceIp, '127.0.0.1');
  });

  it('blocks a login bypass sent as JSON and does not leak the secret', async () => {
    const res = await fetch(`${app.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: "admin' --", password: 'x' }) });
    assert.equal(res.status, 403);
    assert.doesNotMatch(await res.text(), /FLAG\{/);
  });

  it('serves benign requests unchanged', async () => {
    const res = await fetch(`${app.url}/products?q=lamp`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), [{ id: 4, name: 'Desk lamp', price: 25 }]);
    const apostrophe = await fetch(`${app.url}/safe/products?q=${encodeURIComponent("O'Reilly")}`);
    assert.equal(apostrophe.status, 200);
    assert.equal(((await apostrophe.json()) as unknown[]).length, 1);
    const login = await fetch(`${app.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: 'wonderland' }) });
    assert.equal(login.status, 200);
    assert.equal(((await login.json()) as { secret: string }).secret, 'FLAG{alice-secret}');
  });
});

describe('express-shop, CommonJS, monitor mode', () => {
  let app: RunningApp;
  before(async () => {
    app = await startApp(join(SHOP_DIR, 'server.js'), { nodeArgs: REGISTER, env: { VIGIL_MODE: 'monitor' } });
  });
  after(() => app.stop());

  it('lets the attack through and records a detected event', async () => {
    const res = await fetch(`${app.url}/products?q=${encodeURIComponent(SQLI)}`);
    assert.equal(res.status, 200);
    // The injection worked: every product came back.
    assert.equal(((await res.json()) as unknown[]).length, 5);
    const events = await app.waitForEvents(1);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.verdict, 'detected');
    assert.equal(events[0]!.mode, 'monitor');
    assert.equal(events[0]!.rule, 'sql_injection');
  });
});

describe('express-shop, ESM, block mode', () => {
  let app: RunningApp;
  before(async () => {
    app = await startApp(join(SHOP_DIR, 'server.mjs'), { nodeArgs: REGISTER_ESM, env: { VIGIL_MODE: 'block' } });
  });
  after(() => app.stop());

  it('blocks SQL injection through an ESM-imported driver', async () => {
    const res = await fetch(`${app.url}/users?name=${encodeURIComponent("x' UNION SELECT 1, secret FROM users --")}`);
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('x-vigil-block'), 'true');
    const events = await app.waitForEvents(1);
    assert.equal(events[0]!.rule, 'sql_injection');
    assert.equal(events[0]!.verdict, 'blocked');
  });

  it('serves the benign request normally', async () => {
    const res = await fetch(`${app.url}/users?name=alice`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), [{ id: 1, username: 'alice' }]);
  });
});
