import { LruMap } from './lru.js';
import { SlidingCounter } from './window.js';
import type { WindowSample } from './window.js';

/**
 * Where the request-level layer keeps counts that several instances of an
 * app must share: rate-limit windows, attack-wave counts and temporary
 * blocks. The in-memory store is the default; the Redis store shares them
 * between processes and hosts.
 *
 * Counters are sliding windows (see window.ts): `incr` adds to the key's
 * window and answers with both fixed windows' counts, from which
 * `slidingCount(sample)` is the number of hits in the last `windowMs`.
 */
export interface BehaviorStore {
  readonly kind: 'memory' | 'redis';
  /** Adds `by` (default 1) hits to `key` and returns its window counts. The key expires after two windows. */
  incr(key: string, windowMs: number, by?: number): Promise<WindowSample>;
  /** The window counts without adding. */
  get(key: string, windowMs: number): Promise<WindowSample>;
  /** Sets `key` to `value` for `ttlMs` (temporary blocks). */
  setFlag(key: string, value: string, ttlMs: number): Promise<void>;
  /** The value of a flag and how long it has left, or null. */
  getFlag(key: string): Promise<{ value: string; ttlMs: number } | null>;
  close(): Promise<void>;
}

/** The default store: counters in a bounded LRU in this process. Synchronous underneath. */
export class MemoryStore implements BehaviorStore {
  readonly kind = 'memory' as const;
  private readonly counters: LruMap<string, SlidingCounter>;
  private readonly flags: LruMap<string, { value: string; until: number }>;

  constructor(maxKeys: number, maxAgeMs: number) {
    this.counters = new LruMap(maxKeys, maxAgeMs);
    this.flags = new LruMap(maxKeys, maxAgeMs);
  }

  get size(): number {
    return this.counters.size + this.flags.size;
  }

  /** Resizes the bounds (policy reload). */
  resize(maxKeys: number, maxAgeMs: number): void {
    for (const lru of [this.counters, this.flags] as LruMap<string, unknown>[]) {
      lru.maxSize = maxKeys;
      lru.maxAgeMs = maxAgeMs;
      lru.trim();
    }
  }

  incrSync(key: string, windowMs: number, by = 1, now: number = Date.now()): WindowSample {
    let counter = this.counters.get(key, now);
    if (counter === undefined) {
      if (by === 0) return { current: 0, previous: 0, elapsedMs: now % windowMs, windowMs };
      counter = new SlidingCounter();
      this.counters.set(key, counter, now);
    }
    return counter.add(now, windowMs, by);
  }

  setFlagSync(key: string, value: string, ttlMs: number, now: number = Date.now()): void {
    this.flags.set(key, { value, until: now + ttlMs }, now);
  }

  getFlagSync(key: string, now: number = Date.now()): { value: string; ttlMs: number } | null {
    const flag = this.flags.peek(key, now);
    if (flag === undefined) return null;
    if (flag.until <= now) {
      this.flags.delete(key);
      return null;
    }
    return { value: flag.value, ttlMs: flag.until - now };
  }

  incr(key: string, windowMs: number, by = 1): Promise<WindowSample> {
    return Promise.resolve(this.incrSync(key, windowMs, by));
  }

  get(key: string, windowMs: number): Promise<WindowSample> {
    return Promise.resolve(this.incrSync(key, windowMs, 0));
  }

  setFlag(key: string, value: string, ttlMs: number): Promise<void> {
    this.setFlagSync(key, value, ttlMs);
    return Promise.resolve();
  }

  getFlag(key: string): Promise<{ value: string; ttlMs: number } | null> {
    return Promise.resolve(this.getFlagSync(key));
  }

  close(): Promise<void> {
    this.counters.clear();
    this.flags.clear();
    return Promise.resolve();
  }
}
