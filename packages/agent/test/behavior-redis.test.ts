// The Redis store against a real Redis (npm test starts one and exports
// VIGIL_TEST_REDIS_URL): atomic shared windows, flags with TTLs, no waiting
// and failing open when Redis is not there, and two agents in one process
// sharing one rate limit through it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { RedisStore } from '../src/behavior/redis-store.js';
import { slidingCount } from '../src/behavior/window.js';
import { Agent } from '../src/core/agent.js';
import { RequestContext } from '../src/context/request-context.js';
import type { PolicyFile } from '../src/policy/schema.js';
import { freePort } from './helpers.js';

const REDIS_URL = process.env.VIGIL_TEST_REDIS_URL;
if (REDIS_URL === undefined || REDIS_URL === '') {
  throw new Error('VIGIL_TEST_REDIS_URL is not set: run the tests with `npm test` (scripts/test.mjs starts redis-server), or export it');
}

const prefix = `vigil-test-${randomUUID()}:`;
const stores: RedisStore[] = [];
const agents: Agent[] = [];

function store(url = REDIS_URL as string, errors: unknown[] = []): RedisStore {
  const s = new RedisStore(url, { timeoutMs: 500, onError: (err) => errors.push(err) });
  stores.push(s);
  return s;
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

after(async () => {
  await Promise.all([...stores.map((s) => s.close()), ...agents.map((a) => a.behavior.close())]);
});

describe('RedisStore', () => {
  let s: RedisStore;
  before(async () => {
    s = store();
    await until(() => s.available, 'Redis to connect');
  });

  it('incr adds to a sliding window and get reads it', async () => {
    const key = `${prefix}w1`;
    await s.incr(key, 60_000);
    const sample = await s.incr(key, 60_000, 4);
    assert.equal(sample.current + sample.previous, 5);
    assert.ok(sample.elapsedMs >= 0 && sample.elapsedMs < 60_000);
    assert.equal(slidingCount(await s.get(key, 60_000)), slidingCount(sample));
    assert.equal(slidingCount(await s.get(`${prefix}absent`, 60_000)), 0);
  });

  it('the previous window slides out', async () => {
    const key = `${prefix}w2`;
    // Windows follow Redis's clock: sleep to just past this window's end, so
    // the count is in the previous window however slow the machine is (up to a window).
    const windowMs = 1000;
    const first = await s.incr(key, windowMs, 10);
    await new Promise((r) => setTimeout(r, windowMs - first.elapsedMs + 20));
    const later = await s.get(key, windowMs);
    assert.equal(later.current, 0);
    assert.equal(later.previous, 10);
    assert.ok(slidingCount(later) < 10);
    await new Promise((r) => setTimeout(r, 2 * windowMs));
    assert.equal(slidingCount(await s.get(key, windowMs)), 0);
  });

  it('is atomic across clients: 2 × 300 concurrent increments count 600', async () => {
    const other = store();
    await until(() => other.available, 'second client');
    const key = `${prefix}atomic`;
    await Promise.all([...Array.from({ length: 300 }, () => s.incr(key, 60_000)), ...Array.from({ length: 300 }, () => other.incr(key, 60_000))]);
    const final = await s.get(key, 60_000);
    assert.equal(final.current + final.previous, 600);
  });

  it('flags carry a value and a TTL, and expire', async () => {
    const key = `${prefix}flag`;
    await s.setFlag(key, 'ip_blocklist|attack wave', 300);
    const flag = await s.getFlag(key);
    assert.equal(flag?.value, 'ip_blocklist|attack wave');
    assert.ok(flag !== null && flag.ttlMs > 0 && flag.ttlMs <= 300);
    await new Promise((r) => setTimeout(r, 350));
    assert.equal(await s.getFlag(key), null);
  });

  it('without a Redis: never available, commands fail at once instead of waiting, errors are reported', async () => {
    const errors: unknown[] = [];
    const dead = store(`redis://127.0.0.1:${await freePort()}`, errors);
    await until(() => errors.length > 0, 'a connection error');
    assert.equal(dead.available, false);
    await assert.rejects(dead.incr(`${prefix}x`, 1000));
    await dead.close();
  });
});

describe('two agents sharing a rate limit through Redis', () => {
  const policy = (url: string): PolicyFile => ({
    mode: 'block',
    behavior: { store: 'redis', redisUrl: url, keyPrefix: prefix, redisTimeoutMs: 500, rateLimits: [{ route: '/shared', limit: 6, windowSeconds: 60 }] },
  });
  const ctx = (agent: Agent, ip: string): RequestContext =>
    new RequestContext({ headers: { host: 'x' }, url: '/shared', method: 'GET', socket: { remoteAddress: ip } } as unknown as IncomingMessage, undefined, agent.policy.trustedProxies);

  it('requests split between them hit 429 once the shared count passes the limit', async () => {
    const a = new Agent({ logLevel: 'silent', policy: policy(REDIS_URL as string) });
    const b = new Agent({ logLevel: 'silent', policy: policy(REDIS_URL as string) });
    agents.push(a, b);
    a.behavior.config();
    b.behavior.config();
    await until(() => (a.behavior.store as RedisStore).available && (b.behavior.store as RedisStore).available, 'both agents to connect');
    const answers: string[] = [];
    for (let i = 0; i < 14; i++) {
      const agent = i % 2 === 0 ? a : b;
      answers.push(agent.behavior.admit(ctx(agent, '198.51.100.200')).action);
      // Requests arrive over the network: give the background count a round trip.
      await new Promise((r) => setTimeout(r, 15));
    }
    const allowed = answers.filter((x) => x === 'allow').length;
    assert.ok(allowed >= 6 && allowed <= 8, `allowed ${allowed} of 14 (limit 6, shared): ${answers.join(' ')}`);
    assert.ok(answers.slice(10).every((x) => x === 'block'), answers.join(' '));
    // Both processes answer 429 once the shared count is used up.
    assert.ok(answers.some((x, i) => x === 'block' && i % 2 === 0) && answers.some((x, i) => x === 'block' && i % 2 === 1));
  });

  it('fails open when Redis is unreachable, counting the error under behavior.redis', async () => {
    const agent = new Agent({ logLevel: 'silent', policy: policy(`redis://127.0.0.1:${await freePort()}`) });
    agents.push(agent);
    agent.behavior.config();
    await until(() => agent.guard.count > 0, 'the connection error to be counted');
    for (let i = 0; i < 20; i++) assert.equal(agent.behavior.admit(ctx(agent, '198.51.100.201')).action, 'allow');
    const metrics = await agent.metrics.text();
    assert.match(metrics, /rasp_internal_errors_total\{component="behavior\.redis"\} [1-9]/);
  });
});
