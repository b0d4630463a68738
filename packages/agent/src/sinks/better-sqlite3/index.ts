import { sink } from '../runtime.js';
import { wrapSqlMethod } from '../sql-wrappers.js';
import type { ModuleSinkSpec } from '../types.js';

const PREPARE = sink('better-sqlite3', 'prepare');
const EXEC = sink('better-sqlite3', 'exec');

/** better-sqlite3: every statement goes through Database#prepare or Database#exec (sync API: a block throws). */
export const betterSqlite3: ModuleSinkSpec = {
  module: 'better-sqlite3',
  versions: '>=9 <14',
  patch(exports) {
    const proto = (exports as { prototype: object }).prototype;
    wrapSqlMethod(proto, 'prepare', PREPARE, 'sqlite', 'throw');
    wrapSqlMethod(proto, 'exec', EXEC, 'sqlite', 'throw');
  },
};
