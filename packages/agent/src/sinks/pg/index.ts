import { sink } from '../runtime.js';
import { bindCallbackContext, wrapSqlMethod } from '../sql-wrappers.js';
import type { ModuleSinkSpec } from '../types.js';

const QUERY = sink('pg', 'query');

/**
 * node-postgres: Client#query takes a string, a config `{ text, values, name }`
 * or a submittable with `.text`; Pool#query goes through Client#query.
 */
export const pg: ModuleSinkSpec = {
  module: 'pg',
  versions: '>=7 <9',
  patch(exports) {
    const { Client } = exports as { Client: { prototype: object } };
    wrapSqlMethod(Client.prototype, 'query', QUERY, 'postgres', 'callback-or-reject');
  },
};

export const pgPool: ModuleSinkSpec = {
  module: 'pg-pool',
  versions: '>=2 <4',
  patch(exports) {
    bindCallbackContext((exports as { prototype: object }).prototype, 'connect');
  },
};
