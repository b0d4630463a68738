// End to end, one shop per framework (Fastify 5 and 4, Koa 3 and 2, Hono on
// @hono/node-server, NestJS on its Express and Fastify adapters, plain
// node:http), started the way users start them, in block mode. Each shop has
// the same SQL injections through the query string, a JSON body, a route
// param, a header and a cookie: each is answered with the contract's 403, and
// its event names the input and the framework's route pattern. Benign traffic
// is served unchanged and writes no event, and the app logs nothing after a
// block (no error handler's stack trace, no framework error log).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startApp, REGISTER, REGISTER_ESM, REPO_ROOT } from './helpers.js';
import type { RunningApp } from './helpers.js';
import type { SecurityEvent } from '../src/events/types.js';

const SQLI = "x' OR '1'='1";
const EXAMPLES = join(REPO_ROOT, 'examples');

interface Shop {
  name: string;
  dir: string;
  script: string;
  nodeArgs: string[];
  env?: Record<string, string>;
  /** Printed on start, to be sure which major runs. */
  banner?: RegExp;
  /** How the route param shows up: the framework's `params.id`, or a path segment for an app that routes itself. */
  params: { source: string; route: (path: string) => string };
  graphql?: boolean;
  /** Extra body forms the shop reads (form-urlencoded, multipart). */
  forms?: ('urlencoded' | 'multipart')[];
}

const FRAMEWORK_PARAMS = { source: 'params.id', route: () => '/products/:id' };

const SHOPS: Shop[] = [
  { name: 'fastify 5', dir: 'fastify-shop', script: 'server.js', nodeArgs: REGISTER, params: FRAMEWORK_PARAMS, graphql: true },
  { name: 'fastify 4 (compat/fastify4)', dir: 'fastify-shop', script: 'server-fastify4.js', nodeArgs: REGISTER, banner: /fastify 4\./, params: FRAMEWORK_PARAMS, graphql: true },
  { name: 'koa 3', dir: 'koa-shop', script: 'server.js', nodeArgs: REGISTER, params: FRAMEWORK_PARAMS },
  { name: 'koa 2 (compat/koa2)', dir: 'koa-shop', script: 'server-koa2.js', nodeArgs: REGISTER, banner: /koa 2\./, params: FRAMEWORK_PARAMS },
  { name: 'hono on @hono/node-server', dir: 'hono-shop', script: 'server.js', nodeArgs: REGISTER, params: FRAMEWORK_PARAMS, forms: ['multipart'] },
  { name: 'nest, express adapter (ESM)', dir: 'nest-shop', script: 'server.mjs', nodeArgs: REGISTER_ESM, banner: /\(express\)/, params: FRAMEWORK_PARAMS },
  { name: 'nest, fastify adapter (ESM)', dir: 'nest-shop', script: 'server.mjs', nodeArgs: REGISTER_ESM, env: { NEST_ADAPTER: 'fastify' }, banner: /\(fastify\)/, params: FRAMEWORK_PARAMS },
  {
    name: 'plain node:http, body read by the app',
    dir: 'http-shop',
    script: 'server.js',
    nodeArgs: REGISTER,
    // No router: the segment is the input, the path is the route.
    params: { source: 'path.2', route: (path) => path },
    forms: ['urlencoded'],
  },
];

interface Attack {
  source: string;
  route: string;
  request: (url: string, id: string) => Promise<Response>;
}

function attacks(shop: Shop): Attack[] {
  const paramPath = `/products/${encodeURIComponent('1 OR 1=1')}`;
  const list: Attack[] = [
    { source: 'query.q', route: '/products', request: (url, id) => fetch(`${url}/products?q=${encodeURIComponent(SQLI)}`, { headers: { 'x-request-id': id } }) },
    {
      source: 'body.username',
      route: '/login',
      request: (url, id) => fetch(`${url}/login`, { method: 'POST', headers: { 'x-request-id': id, 'content-type': 'application/json' }, body: JSON.stringify({ username: "admin' --", password: 'x' }) }),
    },
    { source: shop.params.source, route: shop.params.route(paramPath), request: (url, id) => fetch(`${url}${paramPath}`, { headers: { 'x-request-id': id } }) },
    { source: 'headers.x-user', route: '/me', request: (url, id) => fetch(`${url}/me`, { headers: { 'x-request-id': id, 'x-user': SQLI } }) },
    { source: 'cookies.user', route: '/account', request: (url, id) => fetch(`${url}/account`, { headers: { 'x-request-id': id, cookie: `theme=dark; user=${SQLI}` } }) },
  ];
  for (const form of shop.forms ?? []) {
    if (form === 'urlencoded') {
      list.push({
        source: 'body.username',
        route: '/login',
        request: (url, id) => fetch(`${url}/login`, { method: 'POST', headers: { 'x-request-id': id, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: "admin' --", password: 'x' }).toString() }),
      });
    } else {
      const body = new FormData();
      body.set('username', "admin' --");
      body.set('password', 'x');
      list.push({ source: 'body.username', route: '/login-form', request: (url, id) => fetch(`${url}/login-form`, { method: 'POST', headers: { 'x-request-id': id }, body }) });
    }
  }
  if (shop.graphql) {
    const gql = (url: string, id: string, payload: unknown) => fetch(`${url}/graphql`, { method: 'POST', headers: { 'x-request-id': id, 'content-type': 'application/json' }, body: JSON.stringify(payload) });
    // A literal argument is only inside the document text: found by the graphql source.
    list.push({ source: 'graphql.products.q', route: '/graphql', request: (url, id) => gql(url, id, { query: `{ products(q: ${JSON.stringify(SQLI)}) { id name } }` }) });
    list.push({ source: 'body.variables.q', route: '/graphql', request: (url, id) => gql(url, id, { query: 'query ($q: String) { products(q: $q) { id name } }', variables: { q: SQLI } }) });
  }
  return list;
}

/** Output lines that are neither the start banner, Vigil's own event log, nor Node's process warnings. */
function unexpectedOutput(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => !/listening on http:\/\//.test(line))
    .filter((line) => !/^\(node:\d+\)|^\(Use `node --trace/.test(line))
    .filter((line) => {
      try {
        const record = JSON.parse(line) as { name?: string; msg?: string };
        return !(record.name === 'vigil' && /^vigil (blocked|detected) /.test(record.msg ?? ''));
      } catch {
        return true;
      }
    });
}

for (const shop of SHOPS) {
  describe(`framework e2e: ${shop.name}, block mode`, () => {
    let app: RunningApp;
    const tag = shop.name.replace(/[^a-z0-9]+/gi, '-');
    before(async () => {
      const dir = join(EXAMPLES, shop.dir);
      app = await startApp(join(dir, shop.script), { cwd: dir, nodeArgs: shop.nodeArgs, env: { VIGIL_MODE: 'block', ...shop.env } });
      if (shop.banner !== undefined) assert.match(app.output(), shop.banner);
    });
    after(() => app.stop());

    attacks(shop).forEach((attack, i) => {
      it(`blocks SQL injection through ${attack.source} with the 403 contract and an event on ${attack.route}`, async () => {
        const id = `${tag}-attack-${i}`;
        const res = await attack.request(app.url, id);
        assert.equal(res.status, 403, `status for ${attack.source}`);
        assert.equal(res.headers.get('x-vigil-block'), 'true');
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
        assert.deepEqual(await res.json(), { error: 'Request blocked by security policy', requestId: id });
        const event = await waitForEvent(app, id);
        assert.ok(event, `no event for ${id} in ${app.eventsFile}`);
        assert.equal(event.rule, 'sql_injection');
        assert.equal(event.verdict, 'blocked');
        assert.equal(event.input?.source, attack.source);
        assert.equal(event.route, attack.route);
        assert.equal(event.sink?.library, 'better-sqlite3');
      });
    });

    it('serves benign traffic unchanged and writes no event for it', async () => {
      const get = (path: string, i: number, headers: Record<string, string> = {}) => fetch(`${app.url}${path}`, { headers: { 'x-request-id': `${tag}-benign-${i}`, ...headers } });
      let res = await get('/products?q=lamp', 0);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), [{ id: 4, name: 'Desk lamp', price: 25 }]);
      res = await get('/products/2', 1);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { id: 2, name: 'Phone', price: 599 });
      res = await get(`/safe/products?q=${encodeURIComponent("O'Reilly")}`, 2);
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as unknown[]).length, 1);
      res = await get('/me', 3, { 'x-user': 'bob' });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { id: 2, username: 'bob' });
      res = await get('/account', 4, { cookie: 'user=alice' });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), [{ id: 1, username: 'alice' }]);
      res = await fetch(`${app.url}/login`, { method: 'POST', headers: { 'x-request-id': `${tag}-benign-5`, 'content-type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: 'wonderland' }) });
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { secret: string }).secret, 'FLAG{alice-secret}');
      if (shop.graphql) {
        res = await fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'x-request-id': `${tag}-benign-6`, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ products(q: "lamp") { id name } }' }) });
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), { data: { products: [{ id: 4, name: 'Desk lamp' }] } });
      }
      // Events are flushed after the request's tick: give any (wrong) one time to appear.
      await new Promise((r) => setTimeout(r, 300));
      const benign = app.events().filter((e) => e.requestId?.startsWith(`${tag}-benign-`));
      assert.deepEqual(benign, []);
    });

    it('keeps running and logs no error after the blocks', async () => {
      const res = await fetch(`${app.url}/health`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { ok: true });
      assert.equal(app.child.exitCode, null);
      assert.deepEqual(unexpectedOutput(app.output()), [], `unexpected app output:\n${app.output()}`);
    });
  });
}

async function waitForEvent(app: RunningApp, requestId: string): Promise<SecurityEvent | undefined> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const event = app.events().find((e) => e.requestId === requestId);
    if (event !== undefined || Date.now() > deadline) return event;
    await new Promise((r) => setTimeout(r, 25));
  }
}
