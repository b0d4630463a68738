import { sink } from '../runtime.js';
import { wrapSqlMethod } from '../sql-wrappers.js';
import type { ModuleSinkSpec } from '../types.js';

const PREPARE = sink('node:sqlite', 'prepare');
const EXEC = sink('node:sqlite', 'exec');

/** node:sqlite (Node 22.5+): DatabaseSync#prepare/#exec, synchronous. */
export const nodeSqlite: ModuleSinkSpec = {
  module: 'node:sqlite',
  versions: '*',
  builtin: true,
  patch(exports) {
    const proto = (exports as { DatabaseSync: { prototype: object } }).DatabaseSync.prototype;
    wrapSqlMethod(proto, 'prepare', PREPARE, 'sqlite', 'throw');
    wrapSqlMethod(proto, 'exec', EXEC, 'sqlite', 'throw');
  },
};
