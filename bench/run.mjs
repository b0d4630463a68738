// npm run bench: prints per-detector microseconds, the per-call cost of
// hooked operations, and HTTP throughput of every example app with and
// without Vigil (the express shop also under Zen by Aikido, the open peer),
// as ratios from one run. `npm run bench -- apps` runs one section.
// Figures only; nothing here asserts on time.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import autocannon from 'autocannon';

import { root, median, micro, startApp, NO_AGENT, VIGIL, VIGIL_ESM, ZEN } from './lib.mjs';

const require = createRequire(import.meta.url);
const dist = (p) => require(join(root, 'packages/agent/dist', p));
const only = process.argv[2];


function detectors() {
  const { detectSqlInjection } = dist('detectors/sql/index.js');
  const { detectShellInjection } = dist('detectors/shell/index.js');
  const { detectPathTraversal } = dist('detectors/path/index.js');
  const { detectSsrf } = dist('detectors/ssrf/index.js');
  const { detectCodeInjection } = dist('detectors/code/index.js');
  const { detectNoSqlInjection } = dist('detectors/nosql/index.js');
  const input = (path, value) => ({ source: 'query', path, value });
  const inputs10 = [
    input('query.q', 'Desk lamp'),
    input('query.sort', 'price desc, name'),
    ...Array.from({ length: 8 }, (_, i) => input(`query.p${i}`, `not-in-the-query-${i}`)),
  ];
  const sql200 = "SELECT p.id, p.name, p.price, c.title FROM products p JOIN categories c ON c.id = p.category_id WHERE p.name LIKE '%Desk lamp%' AND p.active = 1 ORDER BY price desc, name LIMIT 20";
  const sql2000 = sql200 + ' UNION ALL ' + Array.from({ length: 9 }, () => sql200.replace('Desk lamp', 'x')).join(' UNION ALL ');
  const rows = [
    ['sql: 200-char query, 10 inputs, 2 occur', () => detectSqlInjection(sql200, 'postgres', inputs10)],
    ['sql: 2,000-char query, 10 inputs, 2 occur', () => detectSqlInjection(sql2000, 'postgres', inputs10)],
    ['sql: attack (tautology in a literal)', () => detectSqlInjection("SELECT * FROM users WHERE name = '' OR '1'='1'", 'mysql', [input('query.q', "' OR '1'='1")])],
    ['shell: `convert <file> out.png`, input with spaces', () => detectShellInjection('convert "my photo.jpg" out.png', [input('query.f', 'my photo.jpg'), ...inputs10])],
    ['shell: attack', () => detectShellInjection('ping -c 1 127.0.0.1; id', [input('query.h', '127.0.0.1; id')])],
    ['path: /app/uploads/<file>', () => detectPathTraversal('/app/uploads/report.pdf', [input('query.f', 'report.pdf'), ...inputs10], { cwd: '/app' })],
    ['path: traversal', () => detectPathTraversal('/app/uploads/../../etc/passwd', [input('query.f', '../../etc/passwd')], { cwd: '/app' })],
    ['ssrf: public host from input', () => detectSsrf('example.com', '93.184.216.34', [input('query.url', 'https://example.com/x'), ...inputs10])],
    ['ssrf: metadata address', () => detectSsrf('169.254.169.254', null, [input('query.url', 'http://169.254.169.254/latest')])],
    ['code: formula price * qty', () => detectCodeInjection('price * qty', [input('query.f', 'price * qty')])],
    ['code: attack', () => detectCodeInjection("require('child_process').execSync('id')", [input('query.f', "require('child_process').execSync('id')")])],
    ['nosql: filter with an operator from input', () => {
      const body = { user: 'alice', pass: { $ne: null } };
      return detectNoSqlInjection({ user: body.user, pass: body.pass }, [{ source: 'body', path: 'body', value: body }], []);
    }],
  ];
  // A hostile 1 MB body: 40k operator objects side by side, 5k levels deep, and a cycle.
  const wide = {};
  for (let i = 0; i < 40_000; i++) wide[`k${i}`] = { $ne: i };
  let deepText = '{"$gt":1}';
  for (let i = 0; i < 5_000; i++) deepText = `{"a":${deepText},"$lt":${i}}`;
  const hostile = JSON.parse(`{"wide":${JSON.stringify(wide)},"deep":${deepText}}`);
  hostile.cyclic = { $ne: null };
  hostile.cyclic.self = hostile.cyclic;
  const hostileInputs = [{ source: 'body', path: 'body', value: hostile }];
  const NO_STRINGS = [];
  rows.push(['nosql: hostile 1 MB body, first check of the request', () => detectNoSqlInjection({ a: { $gt: 2 } }, [...hostileInputs], NO_STRINGS)]);
  rows.push(['nosql: hostile 1 MB body, later checks of the request', () => detectNoSqlInjection({ a: { $gt: 2 } }, hostileInputs, NO_STRINGS)]);
  console.log('\n## Detectors (median microseconds per check)\n');
  for (const [name, fn] of rows) console.log(`${micro(fn, name.includes('first check') ? { batch: 5, rounds: 9 } : undefined).toFixed(2).padStart(8)} µs  ${name}`);
}

function calls() {
  const run = (args) => JSON.parse(execFileSync(process.execPath, [...args, join(root, 'bench/calls.cjs')], { cwd: root, env: { ...process.env, VIGIL_MODE: 'block', VIGIL_LOG_LEVEL: 'silent' } }).toString());
  const plain = run([]);
  const vigil = run(['--require', '@vigil/agent/register']);
  console.log('\n## Hooked calls (nanoseconds per call; ratio to unhooked)\n');
  const row = (label, a, b) => console.log(`${label.padEnd(58)} ${a.toFixed(0).padStart(7)} ns -> ${b.toFixed(0).padStart(7)} ns  x${(b / a).toFixed(3)}`);
  row('better-sqlite3 prepare, outside any request', plain.sqliteOutside, vigil.sqliteOutside);
  row('better-sqlite3 prepare, inside a request, no input matches', plain.sqliteInside, vigil.sqliteInside);
  row('fs.statSync x100,000, outside any request', plain.statSyncOutside, vigil.statSyncOutside);
  row('fs.statSync, inside a request, no input matches', plain.statSyncInside, vigil.statSyncInside);
  row('x instanceof Function', plain.instanceofFunction, vigil.instanceofFunction);
  row('new Function(...), outside any request', plain.newFunctionOutside, vigil.newFunctionOutside);
}

async function load(url, seconds) {
  const result = await autocannon({ url, connections: 10, duration: seconds, pipelining: 1 });
  return result.requests.average;
}

/**
 * Requests per second for each setup on one app. The setups take turns
 * (A B C A B C …) so a slow spell of a shared machine hits all of them; the
 * figure is the median of the rounds.
 */
async function throughput(app, path, setups, seconds, rounds) {
  const rates = setups.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < setups.length; i++) {
      const [label, args, env] = setups[i];
      const running = await startApp(app, label, args, env);
      try {
        await load(running.url + path, 1); // warm-up
        rates[i].push(await load(running.url + path, seconds));
        if (process.env.BENCH_VERBOSE) console.error(`round ${r + 1} ${label}: ${rates[i].at(-1).toFixed(0)} req/s`);
      } finally {
        running.stop();
      }
    }
  }
  return rates.map((xs) => median(xs));
}

function printRates(title, setups, rates) {
  console.log(`\n## HTTP: ${title}\n`);
  const base = rates[0];
  setups.forEach(([label], i) => {
    const perRequest = 1e6 / rates[i] - 1e6 / base;
    const extra = i === 0 ? '' : `  ${perRequest >= 0 ? '+' : ''}${perRequest.toFixed(1)} µs per request`;
    console.log(`${label.padEnd(24)} ${rates[i].toFixed(0).padStart(7)} req/s  ${((rates[i] / base) * 100).toFixed(1).padStart(6)} % of no agent${extra}`);
  });
}

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const EXPRESS = { dir: 'express-shop', entry: 'server.js', env: {} };

/** The express shop's SQLite search, against no agent, Vigil and Zen (the peer comparison). */
async function http(path = '/products?q=lamp', extraEnv = {}, title = 'Express 5 + better-sqlite3') {
  const setups = [NO_AGENT, VIGIL, ZEN].map(([l, a, e]) => [l, a, { ...e, ...extraEnv }]);
  const rates = await throughput(EXPRESS, path, setups, SECONDS, ROUNDS);
  printRates(`express-shop GET ${path} (${title}), 10 connections, ${SECONDS}s × ${ROUNDS} rounds, median`, setups, rates);
  console.log(`\nVigil / Zen throughput: x${(rates[1] / rates[2]).toFixed(2)}`);
}

/** Every example app's vulnerable search endpoint (a SQLite LIKE query built from ?q=), with and without Vigil. */
async function apps() {
  const list = [
    { dir: 'http-shop', entry: 'server.js', env: {}, name: 'plain node:http' },
    { dir: 'express-shop', entry: 'server.js', env: {}, name: 'Express 5' },
    { dir: 'fastify-shop', entry: 'server.js', env: {}, name: 'Fastify 5' },
    { dir: 'koa-shop', entry: 'server.js', env: {}, name: 'Koa 3' },
    { dir: 'hono-shop', entry: 'server.js', env: {}, name: 'Hono on @hono/node-server' },
    { dir: 'nest-shop', entry: 'server.mjs', env: {}, name: 'NestJS (Express adapter, ESM)', esm: true },
    { dir: 'nest-shop', entry: 'server.mjs', env: { NEST_ADAPTER: 'fastify' }, name: 'NestJS (Fastify adapter, ESM)', esm: true },
  ];
  console.log(`\n## HTTP: every example app, GET /products?q=lamp, 10 connections, ${SECONDS}s × ${ROUNDS} rounds, median\n`);
  for (const app of list) {
    const setups = [NO_AGENT, app.esm ? VIGIL_ESM : VIGIL];
    const [none, vigil] = await throughput(app, '/products?q=lamp', setups, SECONDS, ROUNDS);
    const perRequest = 1e6 / vigil - 1e6 / none;
    console.log(`${app.name.padEnd(32)} ${none.toFixed(0).padStart(7)} -> ${vigil.toFixed(0).padStart(7)} req/s  ${((vigil / none) * 100).toFixed(1).padStart(6)} %  ${perRequest >= 0 ? '+' : ''}${perRequest.toFixed(1)} µs per request`);
  }
}

console.log(`Vigil bench — ${process.version}, ${new Date().toISOString()}`);
if (!only || only === 'detectors') detectors();
if (!only || only === 'calls') calls();
if (!only || only === 'http') await http();
if (!only || only === 'apps') await apps();
if (!only || only === 'fetch') {
  // The shop's /rates calls its own back-end with fetch: a loopback service started here.
  const { createServer } = await import('node:http');
  const backend = createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"currency":"USD","rate":1.08}'));
  await new Promise((r) => backend.listen(0, '127.0.0.1', r));
  try {
    await http('/rates?currency=USD', { SHOP_INVENTORY_URL: `http://127.0.0.1:${backend.address().port}` }, 'fetch to a loopback service');
  } finally {
    backend.close();
  }
}
