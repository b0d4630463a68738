import { sink } from '../runtime.js';
import { bindCallbackContext, wrapSqlMethod } from '../sql-wrappers.js';
import type { ModuleSinkSpec } from '../types.js';

const QUERY = sink('mysql2', 'query');
const EXECUTE = sink('mysql2', 'execute');

type Klass = { prototype: object };

/** Connection#query/#execute: strings, `{ sql }` options, or the Query command a pool passes on. */
function hookConnection(Connection: Klass): void {
  wrapSqlMethod(Connection.prototype, 'query', QUERY, 'mysql', 'callback-or-throw');
  wrapSqlMethod(Connection.prototype, 'execute', EXECUTE, 'mysql', 'callback-or-throw');
}

/** Pool waiters are bound to their own request. */
function hookPool(Pool: Klass): void {
  bindCallbackContext(Pool.prototype, 'getConnection');
}

/**
 * mysql2: pools and the promise API end up at the connection's methods.
 * `mysql2/promise` (the usual entry) never loads the package's main file, so
 * the connection and pool classes are hooked in their own files as well;
 * whichever runs first wraps the methods, the other finds them wrapped.
 */
export const mysql2: ModuleSinkSpec = {
  module: 'mysql2',
  versions: '>=2 <4',
  patch(exports) {
    const { Connection, Pool } = exports as { Connection: Klass; Pool?: Klass };
    hookConnection(Connection);
    if (Pool !== undefined) hookPool(Pool);
  },
};

export const mysql2ConnectionFile: ModuleSinkSpec = { module: 'mysql2', file: 'lib/connection.js', versions: '>=2 <4', patch: (exports) => hookConnection(exports as Klass) };
export const mysql2PoolFile: ModuleSinkSpec = { module: 'mysql2', file: 'lib/pool.js', versions: '>=2 <4', patch: (exports) => hookPool(exports as Klass) };
