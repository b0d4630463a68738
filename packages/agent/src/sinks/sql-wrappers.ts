import { AsyncResource } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { callbackIndex, wrapMethod } from '../hooks/wrap.js';
import type { AnyFunction } from '../hooks/wrap.js';
import { currentAgent } from '../core/agent.js';
import { requestStorage } from '../context/request-context.js';
import type { SqlDialect } from '../detectors/sql/index.js';
import type { SinkRef } from './types.js';

// Shared shapes of SQL driver entry points. Each driver's spec says which
// methods have which shape; the checking and failing live here once.

/** How a driver call reports failure when Vigil blocks it. */
export type SqlFailure = 'throw' | 'callback-or-throw' | 'callback-or-reject';

/**
 * Wraps `proto[method]` so the SQL text (extracted from the first argument by
 * `sqlOf`) is inspected before the driver sees it.
 */
export function wrapSqlMethod(proto: object, method: string, sink: SinkRef, dialect: SqlDialect, failure: SqlFailure, sqlOf: (arg: unknown) => unknown = sqlText): void {
  wrapMethod(proto, method, (original) =>
    function sqlSink(this: unknown, ...args: unknown[]) {
      const agent = currentAgent();
      if (agent !== undefined && agent.active) {
        // One context lookup per call: it is the costliest part of a wrapper that finds nothing.
        const ctx = requestStorage.getStore();
        if (ctx !== undefined || agent.wantsWithoutContext('sql')) {
          const query = sqlOf(args[0]);
          if (typeof query === 'string') {
            try {
              agent.inspect(sink, { kind: 'sql', query, dialect }, ctx);
            } catch (err) {
              return fail(err as Error, args, failure, this);
            }
          }
          if (ctx !== undefined) bindCallbacks(args);
        }
      }
      return original.apply(this, args);
    },
  );
}

function fail(err: Error, args: unknown[], failure: SqlFailure, self: unknown): unknown {
  if (failure === 'throw') throw err;
  const cb = callbackIndex(args);
  if (cb >= 0) {
    // mysql-family callers chain `.once('end', release)` on what query() returns:
    // hand back a command that ends right after the callback, so pools release.
    const command = new EventEmitter();
    process.nextTick(() => {
      (args[cb] as (e: Error) => void)(err);
      command.emit('end');
    });
    return failure === 'callback-or-throw' ? command : self;
  }
  // A query object carrying its own callback (mysql2 `onResult`, mysql `_callback`): pool internals.
  const q = args[0] as { onResult?: unknown; _callback?: unknown; emit?: unknown } | null;
  const own = q?.onResult ?? q?._callback;
  if (typeof own === 'function') {
    process.nextTick(() => {
      (own as (e: Error) => void).call(q, err);
      if (typeof q?.emit === 'function') (q.emit as (e: string) => void).call(q, 'end');
    });
    return q;
  }
  if (failure === 'callback-or-reject') return Promise.reject(err);
  throw err;
}

/**
 * A pooled connection answers from its socket, whose async context is the
 * request that opened it. Binding the caller's callbacks keeps each result
 * in the request that asked for it.
 */
function bindCallbacks(args: unknown[]): void {
  const cb = callbackIndex(args);
  if (cb >= 0) args[cb] = AsyncResource.bind(args[cb] as AnyFunction);
  const q = args[0] as { onResult?: unknown; _callback?: unknown } | null;
  if (q !== null && typeof q === 'object') {
    if (typeof q.onResult === 'function') q.onResult = AsyncResource.bind(q.onResult as AnyFunction);
    if (typeof q._callback === 'function') q._callback = AsyncResource.bind(q._callback as AnyFunction);
  }
}

/** The SQL of a string or of a query config object (`{ text }`, `{ sql }`). */
export function sqlText(arg: unknown): unknown {
  if (typeof arg === 'string') return arg;
  if (arg !== null && typeof arg === 'object') {
    const o = arg as { text?: unknown; sql?: unknown };
    return typeof o.text === 'string' ? o.text : o.sql;
  }
  return undefined;
}

/**
 * Pools hand a free connection to the next waiter from inside `release()`,
 * i.e. in the async context of whichever request released it. Binding the
 * waiter's callback to its caller keeps each query in its own request.
 */
export function bindCallbackContext(proto: object, method: string): void {
  wrapMethod(proto, method, (original: AnyFunction) =>
    function boundCallback(this: unknown, ...args: unknown[]) {
      const cb = callbackIndex(args);
      if (cb >= 0) args[cb] = AsyncResource.bind(args[cb] as AnyFunction);
      return original.apply(this, args);
    },
  );
}
