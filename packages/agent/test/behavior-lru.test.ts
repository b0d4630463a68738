// The request-level layer's building blocks: the bounded LRU, the window
// counters, the in-memory store, and memory staying bounded under a million
// distinct client IPs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { IncomingMessage } from 'node:http';
import { LruMap } from '../src/behavior/lru.js';
import { DistinctCounter, SlidingCounter, TumblingCounter, ageSample, hash32, retryAfterMs, slidingCount } from '../src/behavior/window.js';
import { MemoryStore } from '../src/behavior/store.js';
import { Agent } from '../src/core/agent.js';
import { RequestContext } from '../src/context/request-context.js';

describe('LruMap', () => {
  it('keeps the most recently used entries within its size', () => {
    const lru = new LruMap<string, number>(3, 60_000);
    lru.set('a', 1, 0);
    lru.set('b', 2, 0);
    lru.set('c', 3, 0);
    assert.equal(lru.get('a', 1), 1); // a is now the most recent
    lru.set('d', 4, 2); // drops b, the least recent
    assert.equal(lru.size, 3);
    assert.equal(lru.peek('b', 2), undefined);
    assert.deepEqual([...lru.entries(2)].map(([k]) => k), ['d', 'a', 'c']);
  });

  it('treats entries idle past maxAge as absent and sweeps them from the old end', () => {
    const lru = new LruMap<string, number>(10, 1000);
    lru.set('old', 1, 0);
    lru.set('older', 2, 0);
    assert.equal(lru.get('old', 1001), undefined);
    assert.equal(lru.size, 1);
    lru.set('new', 3, 5000); // sweeps 'older'
    assert.equal(lru.size, 1);
    assert.equal(lru.get('new', 5500), 3);
    // A get refreshes the age; a peek does not.
    assert.equal(lru.get('new', 6400), 3);
    assert.equal(lru.peek('new', 7300), 3);
    assert.equal(lru.peek('new', 7500), undefined);
  });

  it('never holds more than maxSize entries, whatever is driven through it', () => {
    const lru = new LruMap<number, number>(1000, 60_000);
    let max = 0;
    for (let i = 0; i < 1_000_000; i++) {
      lru.set(i, i, i);
      if (lru.size > max) max = lru.size;
    }
    assert.equal(max, 1000);
    assert.equal(lru.peek(999_999, 1_000_000), 999_999);
    assert.equal(lru.peek(998_999, 1_000_000), undefined);
  });

  it('shrinks when its bound is lowered', () => {
    const lru = new LruMap<number, number>(100, 60_000);
    for (let i = 0; i < 100; i++) lru.set(i, i, 0);
    lru.maxSize = 10;
    lru.trim(0);
    assert.equal(lru.size, 10);
    assert.equal(lru.peek(99, 0), 99);
  });
});

describe('window counters', () => {
  it('sliding counter: the previous window counts by its overlap', () => {
    const c = new SlidingCounter();
    const w = 1000;
    for (let i = 0; i < 10; i++) c.add(10_000 + i, w); // 10 hits early in window 10
    assert.equal(c.count(10_500, w), 10);
    // Half-way into the next window, half of the previous one still overlaps.
    assert.equal(c.count(11_500, w), 5);
    assert.ok(Math.abs(c.count(11_900, w) - 1) < 1e-9);
    assert.equal(c.count(12_100, w), 0);
  });

  it('retry-after: when one more hit fits under the limit', () => {
    const w = 60_000;
    // 10 hits in the current window, limit 10: wait for the next window, then for 1/10 of it.
    assert.equal(retryAfterMs({ current: 10, previous: 0, elapsedMs: 30_000, windowMs: w }, 10), 30_000 + 6_000);
    // 5 now, 10 before, limit 10: room for 4 more from the previous window's share: (1 - 4/10) * w - elapsed
    assert.equal(retryAfterMs({ current: 5, previous: 10, elapsedMs: 12_000, windowMs: w }, 10), 24_000);
    assert.equal(retryAfterMs({ current: 1, previous: 0, elapsedMs: 0, windowMs: w }, 10), 0);
    // The estimate after waiting is indeed under the limit.
    const s = { current: 7, previous: 9, elapsedMs: 5_000, windowMs: w };
    const wait = retryAfterMs(s, 10);
    assert.ok(slidingCount(ageSample(s, wait)) + 1 <= 10 + 1e-9);
    assert.ok(slidingCount(ageSample(s, wait - 2_000)) + 1 > 10);
  });

  it('ageSample rolls windows forward', () => {
    const s = { current: 4, previous: 8, elapsedMs: 900, windowMs: 1000 };
    assert.deepEqual(ageSample(s, 50), { current: 4, previous: 8, elapsedMs: 950, windowMs: 1000 });
    assert.deepEqual(ageSample(s, 200), { current: 0, previous: 4, elapsedMs: 100, windowMs: 1000 });
    assert.equal(slidingCount(ageSample(s, 5000)), 0);
  });

  it('tumbling counter resets with its window and keeps a second count', () => {
    const c = new TumblingCounter();
    c.add(0, 100, 1, 1);
    c.add(50, 100, 1, 0);
    assert.deepEqual([c.count, c.other], [2, 1]);
    c.add(150, 100, 1, 0);
    assert.deepEqual([c.count, c.other], [1, 0]);
  });

  it('distinct counter: exact for a handful, close for hundreds, 32 bytes throughout', () => {
    const d = new DistinctCounter();
    for (let i = 0; i < 5; i++) for (let r = 0; r < 3; r++) d.add(hash32(`/page/${i}`), 0, 60_000);
    assert.equal(d.estimate(), 5);
    for (let i = 5; i < 150; i++) d.add(hash32(`/page/${i}`), 1, 60_000);
    const n = d.estimate();
    assert.ok(n > 120 && n < 180, `estimate ${n} for 150`);
    // A new window starts from nothing.
    assert.equal(d.add(hash32('/x'), 60_001, 60_000), 1);
  });
});

describe('MemoryStore', () => {
  it('counts per key over sliding windows and holds flags with a TTL', async () => {
    const store = new MemoryStore(100, 60_000);
    // Explicit clock: a window boundary between two real-time calls would split the count.
    store.incrSync('a', 1000, 1, 5_100);
    assert.equal(store.incrSync('a', 1000, 2, 5_900).current, 3);
    const next = store.incrSync('a', 1000, 0, 6_250);
    assert.deepEqual([next.current, next.previous], [0, 3]);
    // The async form is the same store.
    assert.equal((await store.incr('c', 60_000, 4)).current, 4);
    assert.equal(slidingCount(await store.get('b', 1000)), 0);
    store.setFlagSync('f', 'ip_blocklist|x', 1000, 0);
    assert.deepEqual(store.getFlagSync('f', 400), { value: 'ip_blocklist|x', ttlMs: 600 });
    assert.equal(store.getFlagSync('f', 1000), null);
  });

  it('is bounded in keys', () => {
    const store = new MemoryStore(500, 60_000);
    for (let i = 0; i < 100_000; i++) store.incrSync(`k${i}`, 1000, 1, i);
    assert.ok(store.size <= 500);
  });
});

/** global.gc, also when the file was started without --expose-gc. */
function gcFunction(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function heapAfterGc(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('bounded memory under a million client IPs', () => {
  it('keeps the profile table at its bound and the heap growth under 40 MB', () => {
    const gc = gcFunction();
    const maxProfiles = 10_000;
    const agent = new Agent({
      logLevel: 'silent',
      policy: {
        mode: 'monitor',
        behavior: {
          maxProfiles,
          rateLimits: [{ limit: 100, windowSeconds: 60 }, { route: '/login', method: 'POST', limit: 5, windowSeconds: 60 }],
          notFound: { limit: 3, windowSeconds: 60 },
        },
      },
    });
    const behavior = agent.behavior;
    const trusted = agent.policy.trustedProxies;
    const request = (i: number): RequestContext => {
      const ip = `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
      const req = { headers: { 'user-agent': `agent-${i % 7}`, host: 'shop' }, url: `/p/${i % 50}`, method: i % 3 === 0 ? 'POST' : 'GET', socket: { remoteAddress: ip } };
      return new RequestContext(req as unknown as IncomingMessage, undefined, trusted);
    };
    const drive = (from: number, to: number): void => {
      for (let i = from; i < to; i++) {
        const ctx = request(i);
        behavior.admit(ctx);
        behavior.finished(ctx, i % 5 === 0 ? 404 : 200);
      }
    };
    const before = heapAfterGc(gc);
    drive(0, 50_000); // fills the tables to their bounds
    const filled = heapAfterGc(gc);
    let maxSeen = 0;
    for (let start = 50_000; start < 1_000_000; start += 50_000) {
      drive(start, start + 50_000);
      maxSeen = Math.max(maxSeen, behavior.profileCount);
      assert.ok(behavior.profileCount <= maxProfiles, `profiles ${behavior.profileCount} > ${maxProfiles}`);
    }
    const after = heapAfterGc(gc);
    const mb = (n: number): string => (n / 1048576).toFixed(1);
    console.log(`  1,000,000 IPs: profiles ≤ ${maxSeen} (bound ${maxProfiles}); heap ${mb(before)} MB → ${mb(filled)} MB at the bound → ${mb(after)} MB after all (growth ${mb(after - before)} MB)`);
    assert.equal(maxSeen, maxProfiles);
    assert.ok(after - before < 40 * 1048576, `heap grew by ${mb(after - before)} MB`);
    // Once at the bound, more distinct clients cost nothing more.
    assert.ok(after - filled < 8 * 1048576, `heap grew by ${mb(after - filled)} MB after reaching the bound`);
  });
});
