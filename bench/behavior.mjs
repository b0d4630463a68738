// node bench/behavior.mjs: the request-level layer's cost per request.
//   - the pattern sensors (SQL injection, XSS, path traversal) on a request with 20 inputs
//   - admit()+finished() with the behavioural sensors, and a rate-limit check in memory and with Redis
//   - Redis round trips of the shared counter
//   - the pattern sensors' detection and false-positive rates on the public corpora
// Figures only; nothing here asserts on time. Uses the built agent (npm run build).
// Redis: VIGIL_TEST_REDIS_URL or VIGIL_REDIS_URL if set, else a throw-away redis-server is started.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { startTestServers } from '../scripts/test-servers.mjs';
import { median, micro } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const dist = (p) => require(join(root, 'packages/agent/dist', p));

const { scanInputs } = dist('detectors/patterns/index.js');
const { collectInputs } = dist('context/inputs.js');
const { Agent } = dist('core/agent.js');
const { RequestContext } = dist('context/request-context.js');
const { RedisStore } = dist('behavior/redis-store.js');



const rows = [];
const row = (name, us) => rows.push([name, us]);

// ---- pattern sensors on a request with 20 inputs ----------------------------------
const query = {
  q: 'ergonomic desk lamp',
  sort: 'price desc, name',
  page: '3',
  category: 'home & office',
  ref: 'https://www.example.com/blog/2024/lighting-guide?utm_source=news',
  coupon: 'SPRING-2024',
  color: 'matte black',
  note: "Please don't ship before Monday; I'm away (thanks!)",
};
const headers = {
  host: 'shop.example.com',
  'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
  'accept-language': 'en-GB,en;q=0.9,fr;q=0.7',
  referer: 'https://shop.example.com/products?q=lamp&page=2',
  'x-request-id': '4f1c2b7e-9a0d-4c1e-8f5a-2b3c4d5e6f70',
  origin: 'https://shop.example.com',
  'content-type': 'application/json',
  'sec-ch-ua': '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"',
  'sec-ch-ua-platform': '"Windows"',
  'x-forwarded-proto': 'https',
  dnt: '1',
};
const parts = [
  { source: 'query', prefix: 'query', value: query },
  { source: 'headers', prefix: 'headers', value: headers },
];
// Exactly 20 inputs: the 8 query values and 12 header values above.
const inputs = [
  ...Object.entries(query).map(([k, v]) => ({ source: 'query', path: `query.${k}`, value: v })),
  ...Object.entries(headers).map(([k, v]) => ({ source: 'headers', path: `headers.${k}`, value: v })),
];
const attackInputs = [...inputs.slice(0, 19), { source: 'query', path: 'query.q', value: "' UNION SELECT username, password FROM users--" }];
row(`patterns: ${inputs.length} benign inputs (8 query, 12 headers), every one scanned`, micro(() => scanInputs(inputs)));
row(`patterns: ${attackInputs.length} inputs, the last one an SQL injection`, micro(() => scanInputs(attackInputs)));
row(`patterns: the agent's input extraction (collectInputs, decoded forms) + scan`, micro(() => scanInputs(collectInputs(parts))));

// ---- admit + finished ----------------------------------------------------------------
function harness(policy) {
  const agent = new Agent({ logLevel: 'silent', policy });
  const trusted = agent.policy.trustedProxies;
  const reqFor = (i, ips) => ({
    headers,
    url: `/products?q=${i % 10}&page=${i % 3}`,
    method: 'GET',
    socket: { remoteAddress: `10.0.${(i % ips) >> 8}.${(i % ips) & 255}` },
  });
  const once = (i, ips = 256) => {
    const ctx = new RequestContext(reqFor(i, ips), undefined, trusted);
    agent.behavior.admit(ctx);
    agent.behavior.finished(ctx, 200);
  };
  return { agent, once };
}

const base = harness({ mode: 'monitor' });
const baseline = micro((i) => base.once(i));
row('admit+finished, nothing configured (context creation included)', baseline);
const onlyLimit = harness({ mode: 'monitor', behavior: { rateLimits: [{ limit: 1e9, windowSeconds: 60 }], scannerUserAgents: false, pathDiversity: false, notFound: false, userAgentRotation: false, errorRate: false, blockedRequests: false, attackWave: false } });
row('rate-limit check, memory store (admit+finished)', micro((i) => onlyLimit.once(i)) - baseline);
const defaults = harness({ mode: 'monitor', behavior: { rateLimits: [{ limit: 1e9, windowSeconds: 60 }, { route: '/login', method: 'POST', limit: 5, windowSeconds: 60 }] } });
row('all behavioural sensors + 2 rate limits, memory (admit+finished)', micro((i) => defaults.once(i)) - baseline);
const withPatterns = harness({ mode: 'monitor', sensors: { patterns: true }, behavior: { rateLimits: [{ limit: 1e9, windowSeconds: 60 }] } });
row('same + pattern sensors over query/headers (admit+finished; repeated header values not rescanned)', micro((i) => withPatterns.once(i)) - baseline);

// ---- Redis ---------------------------------------------------------------------------
let servers;
let url = process.env.VIGIL_TEST_REDIS_URL || process.env.VIGIL_REDIS_URL;
if (!url) {
  servers = await startTestServers({ only: ['redis'] });
  for (const p of servers.problems) console.error(`redis: ${p}`);
  url = servers.env.VIGIL_TEST_REDIS_URL;
}
const until = async (cond) => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
};
if (url) {
  const prefix = `vigil-bench-${process.pid}:`;
  const shared = harness({ mode: 'monitor', behavior: { store: 'redis', redisUrl: url, keyPrefix: prefix, rateLimits: [{ limit: 1e9, windowSeconds: 60 }], scannerUserAgents: false, pathDiversity: false, notFound: false, userAgentRotation: false, errorRate: false, blockedRequests: false, attackWave: false } });
  shared.agent.behavior.config();
  await until(() => shared.agent.behavior.store.available);
  // Synchronous part only: each admit decides on the mirror and sends one pipelined command.
  const times = [];
  for (let r = 0; r < 15; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 1000; i++) shared.once(i);
    times.push(Number(process.hrtime.bigint() - t0) / 1000 / 1000);
    await shared.agent.behavior.store.get(`${prefix}drain`, 1000); // let the replies arrive between batches
  }
  row('rate-limit check, Redis store: time on the request path (admit+finished)', median(times) - baseline);

  const store = new RedisStore(url, { timeoutMs: 1000, onError: () => {} });
  await until(() => store.available);
  const n = 2000;
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await store.incr(`${prefix}seq`, 60_000);
  row('Redis incr (Lua), sequential round trip', Number(process.hrtime.bigint() - t0) / n / 1000);
  t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: 20_000 }, (_, i) => store.incr(`${prefix}p${i % 500}`, 60_000)));
  row('Redis incr (Lua), 20,000 pipelined: per command', Number(process.hrtime.bigint() - t0) / 20_000 / 1000);
  await store.close();
  await shared.agent.behavior.close();
} else {
  console.log('no Redis: set VIGIL_TEST_REDIS_URL or install redis-server for the Redis figures');
}
if (servers) await servers.stop();

// ---- the pattern sensors on the public corpora: detection and false-positive rates ----
const corpus = [process.env.VIGIL_CORPUS, join(root, '..', 'shared', 'corpus')].find((d) => d && existsSync(d));
if (corpus) {
  console.log(`\npattern sensors on ${corpus} (each payload as one query input, default options):`);
  for (const kind of ['attacks', 'benign']) {
    for (const file of readdirSync(join(corpus, kind)).filter((f) => f.endsWith('.jsonl')).sort()) {
      const payloads = readFileSync(join(corpus, kind, file), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).payload).filter((p) => typeof p === 'string');
      const fired = payloads.filter((value) => scanInputs([{ source: 'query', path: 'query.q', value }]) !== null).length;
      const label = kind === 'attacks' ? 'detected' : 'false positives';
      console.log(`  ${`${kind}/${file}`.padEnd(26)} ${String(fired).padStart(5)} / ${String(payloads.length).padEnd(5)} ${label.padEnd(16)} ${((fired / payloads.length) * 100).toFixed(1).padStart(5)} %`);
    }
  }
} else {
  console.log('\nno corpus (../shared/corpus or VIGIL_CORPUS): detection and false-positive rates not printed');
}

const width = Math.max(...rows.map(([n]) => n.length));
console.log('\nper request (median, µs):');
for (const [name, us] of rows) console.log(`  ${name.padEnd(width)}  ${us.toFixed(2).padStart(8)}`);
