import type { ModuleSinkSpec } from './types.js';
import type { BuiltinPatcher } from '../core/agent.js';
import { httpSource } from '../sources/http/index.js';
import { betterSqlite3 } from './better-sqlite3/index.js';
import { pg, pgPool } from './pg/index.js';
import { mysql2, mysql2ConnectionFile, mysql2PoolFile } from './mysql2/index.js';
import { mysqlConnection, mysqlPool } from './mysql/index.js';
import { sqlite3 } from './sqlite3/index.js';
import { nodeSqlite } from './node-sqlite/index.js';
import { childProcessSink } from './child_process/index.js';
import { fsSink } from './fs/index.js';
import { outboundSink } from './http/index.js';
import { codeSink } from './code/index.js';
import { jsonSink } from './json/index.js';
import { mongodb } from './mongodb/index.js';
import { nodeSerialize, funcster, serializeToJs, jsYaml } from './deserialize/index.js';

import { fastifyHooks, fastifyReply } from '../sources/fastify/index.js';
import { koaApplication, koaContext } from '../sources/koa/index.js';
import { honoEntry, honoRequest, honoRequestEsm, honoContext, honoContextEsm } from '../sources/hono/index.js';
import { graphqlExecute } from '../sources/graphql/index.js';
import { nestExceptionFilter } from '../sources/nest/index.js';

/** Built-in modules patched in place at start-up (sources first). */
export const BUILTIN_PATCHERS: readonly BuiltinPatcher[] = [httpSource, childProcessSink, fsSink, outboundSink, codeSink, jsonSink];

/** Packages hooked when the app loads them. */
export const MODULE_SINKS: readonly ModuleSinkSpec[] = [betterSqlite3, pg, pgPool, mysql2, mysql2ConnectionFile, mysql2PoolFile, mysqlConnection, mysqlPool, sqlite3, nodeSqlite, mongodb, nodeSerialize, funcster, serializeToJs, jsYaml,
  // Framework sources (hooked like sinks: module, version range, patch).
  fastifyHooks, fastifyReply, koaApplication, koaContext, honoEntry, honoRequest, honoRequestEsm, honoContext, honoContextEsm, graphqlExecute, nestExceptionFilter];
