// End to end: the example shop started twice under `--require
// @vigil/agent/register`, both processes sharing rate limits and the
// temporary block list through Redis; and a Redis outage (on a Redis this
// file starts and kills itself) failing open, counted in the metrics, with
// the limit back once Redis is.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort, startApp, tempDir, REGISTER, SHOP_DIR } from './helpers.js';
import type { RunningApp } from './helpers.js';

const REDIS_URL = process.env.VIGIL_TEST_REDIS_URL;
if (REDIS_URL === undefined || REDIS_URL === '') {
  throw new Error('VIGIL_TEST_REDIS_URL is not set: run the tests with `npm test` (scripts/test.mjs starts redis-server), or export it');
}

const SERVER = join(SHOP_DIR, 'server.js');

/** Admission blocks are reported as medium-threat findings by the http source: let these rules block from medium. */
const RULES = {
  rate_limit: { mode: 'block', blockThreshold: 'medium' },
  ip_blocklist: { mode: 'block', blockThreshold: 'medium' },
};

async function get(app: RunningApp, path: string, ip: string): Promise<Response> {
  const res = await fetch(`${app.url}${path}`, { headers: { 'x-forwarded-for': ip } });
  await res.arrayBuffer();
  return res;
}

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('two shop processes sharing one Redis', () => {
  const prefix = `vigil-e2e-${randomUUID()}:`;
  let a: RunningApp;
  let b: RunningApp;
  before(async () => {
    const policy = {
      mode: 'block',
      trustedProxies: ['127.0.0.1'],
      rules: RULES,
      behavior: {
        store: 'redis',
        redisUrl: REDIS_URL,
        keyPrefix: prefix,
        syncIntervalMs: 200,
        rateLimits: [{ route: '/health', limit: 6, windowSeconds: 60 }],
        attackWave: { findings: 3, windowSeconds: 60, blockSeconds: 60 },
      },
    };
    [a, b] = await Promise.all([startApp(SERVER, { nodeArgs: REGISTER, policy }), startApp(SERVER, { nodeArgs: REGISTER, policy })]);
    // Wait until both talk to Redis: a first request from a throw-away client, counted once it is connected.
    for (const app of [a, b]) {
      await eventually('the app to reach Redis', async () => ((await get(app, '/health', '192.0.2.250')).status === 429 ? true : undefined));
    }
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('requests split between the two processes hit 429 once the shared count passes the limit', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 16; i++) {
      const res = await get(i % 2 === 0 ? a : b, '/health', '198.51.100.1');
      statuses.push(res.status);
      if (res.status === 429) retryAfter ??= res.headers.get('retry-after');
    }
    const passed = statuses.filter((s) => s === 200).length;
    console.log(`  A/B alternating, shared limit 6: ${statuses.join(' ')}`);
    // Nothing on the request path waits for Redis: each process decides on its own
    // hits plus the shared count of Redis's last reply. How many slip past the limit
    // depends on whether a reply lands before the next request, so what is asserted
    // is what holds whatever the timing:
    // no refusal before the limit is used up;
    assert.deepEqual(statuses.slice(0, 6), [200, 200, 200, 200, 200, 200], statuses.join(' '));
    // each process refuses by its seventh request (its own hits alone reach the limit), and keeps refusing;
    for (const [name, parity] of [['A', 0], ['B', 1]] as const) {
      const own = statuses.filter((_, i) => i % 2 === parity);
      const first = own.indexOf(429);
      assert.ok(first !== -1 && first <= 6, `process ${name} answers 429 by its 7th request: ${own.join(' ')}`);
      assert.ok(own.slice(first).every((s) => s === 429), `process ${name} keeps refusing: ${own.join(' ')}`);
    }
    // and the count is shared: two processes counting apart would let 12 through.
    assert.ok(passed < 12, `passed ${passed} of 16 with a shared limit of 6: ${statuses.join(' ')}`);
    assert.ok(Number(retryAfter) >= 1, `Retry-After ${retryAfter}`);
    // Events are flushed after the response's tick: wait for every 429 to have written its event.
    const refused = statuses.filter((s) => s === 429).length;
    const limited = await eventually(
      'one event per 429',
      async () => {
        const events = [...a.events(), ...b.events()].filter((e) => e.rule === 'rate_limit' && e.sourceIp === '198.51.100.1');
        return events.length >= refused ? events : undefined;
      },
      5000,
    );
    assert.equal(limited.length, refused, `one rate_limit event per 429: ${limited.length} events for ${refused} refusals`);
    assert.ok(limited.every((e) => e.verdict === 'blocked'));
    assert.equal((await get(a, '/health', '198.51.100.2')).status, 200, 'another client has its own count');
  });

  it('an attack wave on one process puts the IP on the block list of both', async () => {
    const ip = '198.51.100.66';
    for (let i = 0; i < 3; i++) {
      assert.equal((await get(a, `/products?q=${encodeURIComponent("' OR '1'='1")}`, ip)).status, 403, 'the sink blocks the injection');
    }
    const wave = await eventually('the attack-wave event', async () => a.events().find((e) => e.rule === 'ip_blocklist' && e.sourceIp === ip));
    assert.equal(wave.verdict, 'blocked');
    assert.equal((await get(a, '/products', ip)).status, 403, 'process A refuses the IP');
    // Process B learns it from Redis within its sync interval.
    await eventually('process B to refuse the IP', async () => ((await get(b, '/products', ip)).status === 403 ? true : undefined), 5000);
    assert.equal((await get(b, '/products', '198.51.100.67')).status, 200);
  });
});

describe('a Redis outage', () => {
  const redisServer = (() => {
    try {
      return execFileSync('sh', ['-c', 'command -v redis-server']).toString().trim();
    } catch {
      return '';
    }
  })();
  let port: number;
  let redis: ChildProcess | undefined;
  let app: RunningApp;
  let metricsPort: number;
  const dataDir = tempDir('vigil-redis-');

  async function startRedis(): Promise<void> {
    assert.ok(redisServer !== '', 'redis-server is not installed (Debian package redis-server)');
    const child = spawn(redisServer, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dataDir], { stdio: 'ignore' });
    redis = child;
    await eventually('redis-server to listen', async () => {
      if (child.exitCode !== null) assert.fail(`redis-server exited with ${child.exitCode}`);
      return new Promise<true | undefined>((resolve) => {
        const s = connect(port, '127.0.0.1');
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(undefined));
      });
    });
  }

  async function stopRedis(): Promise<void> {
    const child = redis;
    redis = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async function internalErrors(): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const m = /rasp_internal_errors_total\{component="behavior\.redis"\} (\d+)/.exec(text);
    return m === null ? 0 : Number(m[1]);
  }

  /** Requests from one client until the first 429; how many passed before it. */
  async function passedBeforeLimit(ip: string): Promise<number> {
    let passed = 0;
    return eventually(`a 429 for ${ip}`, async () => {
      const res = await get(app, '/health', ip);
      if (res.status === 429) return passed;
      assert.equal(res.status, 200);
      passed++;
      return undefined;
    });
  }

  before(async () => {
    port = await freePort();
    metricsPort = await freePort();
    await startRedis();
    app = await startApp(SERVER, {
      nodeArgs: REGISTER,
      env: { VIGIL_METRICS_PORT: String(metricsPort) },
      policy: {
        mode: 'block',
        trustedProxies: ['127.0.0.1'],
        rules: RULES,
        behavior: { store: 'redis', redisUrl: `redis://127.0.0.1:${port}`, redisTimeoutMs: 200, rateLimits: [{ route: '/health', limit: 4, windowSeconds: 60 }] },
      },
    });
  });
  after(async () => {
    await app?.stop();
    await stopRedis();
  });

  it('fails open while Redis is down, counts the error, and limits again once Redis is back', async () => {
    assert.ok((await passedBeforeLimit('198.51.100.10')) >= 4, 'the limit applies while Redis is up');
    assert.equal(await internalErrors(), 0);

    await stopRedis();
    await eventually('the connection error to be counted', async () => ((await internalErrors()) > 0 ? true : undefined));
    for (let i = 0; i < 12; i++) {
      assert.equal((await get(app, '/health', '198.51.100.10')).status, 200, 'requests pass while Redis is down');
    }
    assert.equal((await get(app, '/products', '198.51.100.11')).status, 200);
    assert.ok((await internalErrors()) >= 1);

    await startRedis(); // same port, empty: the old counts are gone
    const passed = await passedBeforeLimit('198.51.100.10');
    console.log(`  after Redis came back: ${passed} requests passed before the first 429 (limit 4; requests during the reconnect pass uncounted)`);
    assert.ok(passed >= 4, `only ${passed} passed after Redis came back`);
    const again = await get(app, '/health', '198.51.100.10');
    assert.equal(again.status, 429, 'the limit applies again');
    assert.ok(Number(again.headers.get('retry-after')) >= 1);
  });
});
