import type { SqlDialect } from '../detectors/sql/index.js';

/**
 * What a sink hands to the inspector: the operation's meaning-bearing
 * argument, already extracted. Sinks never decide; they describe.
 */
export type Operation =
  | { kind: 'sql'; query: string; dialect: SqlDialect }
  | { kind: 'shell'; command: string }
  | { kind: 'exec'; file: string; args: readonly string[] }
  | { kind: 'path'; path: string; path2?: string }
  | { kind: 'outbound'; hostname: string; address?: string; port?: number; url?: string }
  | { kind: 'code'; code: string }
  | { kind: 'nosql'; filter: unknown }
  /** An object the request's data was just parsed into (JSON.parse of a body). */
  | { kind: 'prototype'; value: unknown }
  | { kind: 'deserialize'; payload: string; format: 'node-serialize' | 'funcster' | 'yaml' | 'js' };

export type OperationKind = Operation['kind'];

/** Names the hooked function in events: `{ library: 'pg', operation: 'query' }`. */
export interface SinkRef {
  readonly library: string;
  readonly operation: string;
}

/** How a blocked call fails, the way the library normally fails. */
export type FailStyle = 'sync' | 'callback' | 'promise' | 'callback-or-promise';

/**
 * A module a sink hooks, declared as data: the module (or one of its files),
 * the version range it was written and tested for (bounded on both ends),
 * and the function that patches the exports.
 */
export interface ModuleSinkSpec {
  /** Package name or built-in (`pg`, `better-sqlite3`, `child_process`). */
  readonly module: string;
  /** File inside the package to hook instead of its main entry (`lib/client.js`). */
  readonly file?: string;
  /** Semver range, e.g. `>=8 <9`. Ignored for built-ins. */
  readonly versions: string;
  readonly builtin?: boolean;
  /** Patches the module's exports in place. Must be idempotent. */
  patch(exports: unknown, version: string | undefined): void;
}
