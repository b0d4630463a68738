import { createRequire } from 'node:module';
import { join } from 'node:path';
import { requestStorage } from '../context/request-context.js';
import type { BehaviorStore } from './store.js';
import type { WindowSample } from './window.js';

// The Redis store: counters shared by every instance of the app. ioredis is an
// optional peer dependency, loaded only when the policy asks for this store.
//
// Nothing on the request path waits for Redis: the behaviour layer decides
// with the last counts Redis sent and refreshes them in the background. Every
// command has a timeout, the client never queues commands while disconnected,
// and after an error the store reports itself unavailable for a second (the
// layer then fails open) while ioredis keeps reconnecting.

/**
 * One key per counter: a hash whose fields are fixed-window numbers, computed
 * from Redis's own clock so that every instance agrees on window boundaries.
 * ARGV: by (0 reads), window ms. Returns {current, previous, elapsed ms}.
 */
const INCR_LUA = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local by = tonumber(ARGV[1])
local w = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local idx = math.floor(now / w)
local cur
if by > 0 then
  cur = redis.call('HINCRBY', KEYS[1], idx, by)
  redis.call('PEXPIRE', KEYS[1], w * 2 + 1000)
  if redis.call('HLEN', KEYS[1]) > 2 then
    local fields = redis.call('HKEYS', KEYS[1])
    for i = 1, #fields do
      if tonumber(fields[i]) < idx - 1 then redis.call('HDEL', KEYS[1], fields[i]) end
    end
  end
else
  cur = tonumber(redis.call('HGET', KEYS[1], idx) or '0')
end
local prev = tonumber(redis.call('HGET', KEYS[1], idx - 1) or '0')
return {cur, prev, now - idx * w}
`;

/** A flag's value and remaining lifetime in one round trip. */
const FLAG_LUA = `
local v = redis.call('GET', KEYS[1])
if not v then return false end
return {v, redis.call('PTTL', KEYS[1])}
`;

/** The part of an ioredis client this store uses (ioredis types are not a dependency). */
interface RedisClient {
  readonly status: string;
  stream?: { unref?: () => void };
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  defineCommand(name: string, definition: { numberOfKeys: number; lua: string }): void;
  set(key: string, value: string, px: 'PX', ttl: number): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect(): void;
}

interface VigilCommands {
  vigilIncr(key: string, by: number, windowMs: number): Promise<[number, number, number]>;
  vigilFlag(key: string): Promise<[string, number] | null>;
}

type RedisConstructor = new (url: string, options: Record<string, unknown>) => RedisClient;

/** Loads ioredis from the agent's own dependencies or, failing that, from the app's. */
export function loadIoredis(): RedisConstructor {
  const attempts: (() => unknown)[] = [
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    () => require('ioredis'),
    () => createRequire(join(process.cwd(), 'noop.js'))('ioredis'),
  ];
  let lastError: unknown;
  for (const attempt of attempts) {
    try {
      const mod = attempt() as { Redis?: unknown; default?: unknown };
      const ctor = (mod.Redis ?? mod.default ?? mod) as RedisConstructor;
      if (typeof ctor === 'function') return ctor;
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(`the policy asks for the Redis store but ioredis cannot be loaded (npm install ioredis): ${(lastError as Error | undefined)?.message ?? 'not found'}`);
}

export interface RedisStoreOptions {
  /** Per-command timeout (ms). */
  timeoutMs: number;
  /** Called for every connection or command error (counted by the fail-open guard). */
  onError: (err: unknown) => void;
}

export class RedisStore implements BehaviorStore {
  readonly kind = 'redis' as const;
  /** Bumped on every (re)connection: counts remembered from before an outage are stale. */
  epoch = 0;
  errors = 0;
  private openUntil = 0;
  private readonly client: RedisClient;
  private readonly commands: VigilCommands;

  constructor(
    readonly url: string,
    private readonly options: RedisStoreOptions,
  ) {
    const Redis = loadIoredis();
    const timeout = options.timeoutMs;
    // Created outside any request's async context: the connection outlives requests.
    this.client = requestStorage.exit(
      () =>
        new Redis(url, {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          commandTimeout: timeout,
          connectTimeout: Math.max(1000, timeout * 10),
          enableAutoPipelining: true,
          autoResubscribe: false,
          retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
          reconnectOnError: () => false,
        }),
    );
    this.commands = this.client as unknown as VigilCommands;
    this.client.defineCommand('vigilIncr', { numberOfKeys: 1, lua: INCR_LUA });
    this.client.defineCommand('vigilFlag', { numberOfKeys: 1, lua: FLAG_LUA });
    this.client.on('connect', () => this.client.stream?.unref?.());
    this.client.on('ready', () => {
      this.epoch++;
      this.openUntil = 0;
    });
    this.client.on('error', (err: unknown) => this.fail(err));
  }

  /** Connected and not failing lately: worth asking. */
  get available(): boolean {
    return this.client.status === 'ready' && Date.now() >= this.openUntil;
  }

  get status(): string {
    return this.client.status;
  }

  private fail(err: unknown): void {
    this.errors++;
    this.openUntil = Date.now() + 1000;
    this.options.onError(err);
  }

  private guarded<T>(promise: Promise<T>): Promise<T> {
    return promise.catch((err: unknown) => {
      this.fail(err);
      throw err;
    });
  }

  incr(key: string, windowMs: number, by = 1): Promise<WindowSample> {
    return this.guarded(this.commands.vigilIncr(key, by, Math.max(1, Math.round(windowMs)))).then((r) => ({
      current: Number(r[0]),
      previous: Number(r[1]),
      elapsedMs: Number(r[2]),
      windowMs,
    }));
  }

  get(key: string, windowMs: number): Promise<WindowSample> {
    return this.incr(key, windowMs, 0);
  }

  setFlag(key: string, value: string, ttlMs: number): Promise<void> {
    return this.guarded(this.client.set(key, value, 'PX', Math.max(1, Math.round(ttlMs)))).then(() => undefined);
  }

  getFlag(key: string): Promise<{ value: string; ttlMs: number } | null> {
    return this.guarded(this.commands.vigilFlag(key)).then((r) => (r === null || r === undefined ? null : { value: String(r[0]), ttlMs: Number(r[1]) }));
  }

  async close(): Promise<void> {
    try {
      if (this.client.status === 'ready') await this.client.quit();
      else this.client.disconnect();
    } catch {
      this.client.disconnect();
    }
  }
}
