import { AsyncResource } from 'node:async_hooks';
import { callbackIndex, wrapMethod } from '../hooks/wrap.js';
import type { AnyFunction } from '../hooks/wrap.js';
import { agentFor, failCallback } from './runtime.js';
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
      const agent = agentFor('sql');
      if (agent !== undefined) {
        const query = sqlOf(args[0]);
        if (typeof query === 'string') {
          try {
            agent.inspect(sink, { kind: 'sql', query, dialect });
          } catch (err) {
            return fail(err as Error, args, failure, this);
          }
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
    failCallback(args[cb] as (e: Error) => void, err);
    return self;
  }
  // Query objects that carry their own callback (mysql2 `onResult`, mysql `_callback`: pool internals).
  const q = args[0] as { onResult?: unknown; _callback?: unknown } | null;
  const own = q?.onResult ?? q?._callback;
  if (typeof own === 'function') {
    failCallback(own as (e: Error) => void, err);
    return args[0];
  }
  if (failure === 'callback-or-reject') return Promise.reject(err);
  throw err;
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
