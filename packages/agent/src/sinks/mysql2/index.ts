import { sink } from '../runtime.js';
import { bindCallbackContext, wrapSqlMethod } from '../sql-wrappers.js';
import type { ModuleSinkSpec } from '../types.js';

const QUERY = sink('mysql2', 'query');
const EXECUTE = sink('mysql2', 'execute');

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
