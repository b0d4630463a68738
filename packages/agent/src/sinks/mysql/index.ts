import { sink } from '../runtime.js';
import { bindCallbackContext, wrapSqlMethod } from '../sql-wrappers.js';
import type { ModuleSinkSpec } from '../types.js';

const QUERY = sink('mysql', 'query');

/** mysql (mysqljs): Connection#query; Pool#query passes its Query object on to a connection. */
export const mysqlConnection: ModuleSinkSpec = {
  module: 'mysql',
  file: 'lib/Connection.js',
  versions: '>=2 <3',
  patch(exports) {
    wrapSqlMethod((exports as { prototype: object }).prototype, 'query', QUERY, 'mysql', 'callback-or-throw');
  },
};

export const mysqlPool: ModuleSinkSpec = {
  module: 'mysql',
  file: 'lib/Pool.js',
  versions: '>=2 <3',
  patch(exports) {
    bindCallbackContext((exports as { prototype: object }).prototype, 'getConnection');
  },
};
