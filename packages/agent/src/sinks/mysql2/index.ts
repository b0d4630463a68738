import { sink } from '../runtime.js';
import { bindCallbackContext, wrapSqlMethod } from '../sql-wrappers.js';
import type { ModuleSinkSpec } from '../types.js';

const QUERY = sink('mysql2', 'query');
const EXECUTE = sink('mysql2', 'execute');

/**
 * `mysql2/promise` (the usual entry) never loads the package's main file: the
 * connection and pool classes are hooked in their own files as well. Whichever
 * runs first wraps the methods; the other finds them wrapped.
 */
export const mysql2ConnectionFile: ModuleSinkSpec = {
  module: 'mysql2',
  file: 'lib/connection.js',
  versions: '>=2 <4',
  patch(exports) {
    const proto = (exports as { prototype: object }).prototype;
    wrapSqlMethod(proto, 'query', QUERY, 'mysql', 'callback-or-throw');
    wrapSqlMethod(proto, 'execute', EXECUTE, 'mysql', 'callback-or-throw');
  },
};

export const mysql2PoolFile: ModuleSinkSpec = {
  module: 'mysql2',
  file: 'lib/pool.js',
  versions: '>=2 <4',
  patch(exports) {
    bindCallbackContext((exports as { prototype: object }).prototype, 'getConnection');
  },
};

/**
 * mysql2: Connection#query/#execute (strings, `{ sql }` options, or the Query
 * command a pool passes on). Pools and the promise API end up there; pool
 * waiters are bound to their own request.
 */
export const mysql2: ModuleSinkSpec = {
  module: 'mysql2',
  versions: '>=2 <4',
  patch(exports) {
    const { Connection, Pool } = exports as { Connection: { prototype: object }; Pool?: { prototype: object } };
    wrapSqlMethod(Connection.prototype, 'query', QUERY, 'mysql', 'callback-or-throw');
    wrapSqlMethod(Connection.prototype, 'execute', EXECUTE, 'mysql', 'callback-or-throw');
    if (Pool !== undefined) bindCallbackContext(Pool.prototype, 'getConnection');
  },
};
