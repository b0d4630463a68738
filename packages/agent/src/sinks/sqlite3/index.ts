import { sink } from '../runtime.js';
import { wrapSqlMethod } from '../sql-wrappers.js';
import type { ModuleSinkSpec } from '../types.js';

const METHODS = ['run', 'get', 'all', 'each', 'exec', 'prepare', 'map'] as const;
const SINKS = Object.fromEntries(METHODS.map((m) => [m, sink('sqlite3', m)]));

/** sqlite3: Database#run/get/all/each/exec/prepare/map take the SQL first and report errors to a callback. */
export const sqlite3: ModuleSinkSpec = {
  module: 'sqlite3',
  versions: '>=5 <7',
  patch(exports) {
    const proto = (exports as { Database: { prototype: object } }).Database.prototype;
    for (const m of METHODS) wrapSqlMethod(proto, m, SINKS[m]!, 'sqlite', 'callback-or-throw');
  },
};
