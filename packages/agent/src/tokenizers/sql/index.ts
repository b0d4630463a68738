// SQL tokenizer: public surface. Imports nothing from the agent or Node.js.

import { compileDialect, type CompiledDialect, type SqlDialectSpec } from './dialect.js';
import { generic } from './generic.js';
import { TOKEN_KIND_NAMES } from './kinds.js';
import { mysql } from './mysql.js';
import { postgres } from './postgres.js';
import { sqlite } from './sqlite.js';
import { TokenBuffer, tokenizeInto } from './tokenizer.js';

export * from './kinds.js';
export { compileDialect, type CompiledDialect, type SqlDialectSpec } from './dialect.js';
export { internWord, lookupWord, wordText } from './words.js';
export { TokenBuffer, tokenizeInto } from './tokenizer.js';
export { generic, mysql, postgres, sqlite };

export type SqlDialectName = 'postgres' | 'mysql' | 'sqlite' | 'generic';

export const DIALECTS: Readonly<Record<SqlDialectName, SqlDialectSpec>> = { postgres, mysql, sqlite, generic };

const COMPILED: Readonly<Record<SqlDialectName, CompiledDialect>> = {
  postgres: compileDialect(postgres),
  mysql: compileDialect(mysql),
  sqlite: compileDialect(sqlite),
  generic: compileDialect(generic),
};

/** The compiled dialect for a name; unknown names get `generic`. */
export function dialectByName(name: string): CompiledDialect {
  switch (name) {
    case 'postgres':
      return COMPILED.postgres;
    case 'mysql':
      return COMPILED.mysql;
    case 'sqlite':
      return COMPILED.sqlite;
    default:
      return COMPILED.generic;
  }
}

/** A materialised token, for tests, tooling and debugging (not for hot paths). */
export interface SqlToken {
  readonly kind: number;
  readonly kindName: string;
  readonly start: number;
  readonly end: number;
  readonly flags: number;
  readonly text: string;
}

/** Tokenizes into a fresh buffer. */
export function tokenize(text: string, dialect: SqlDialectName | SqlDialectSpec): TokenBuffer {
  const d = typeof dialect === 'string' ? dialectByName(dialect) : compileDialect(dialect);
  return tokenizeInto(new TokenBuffer(16 + (text.length >> 2)), text, d);
}

/** Tokens as objects with their text. */
export function tokenList(text: string, dialect: SqlDialectName | SqlDialectSpec): SqlToken[] {
  const buf = tokenize(text, dialect);
  const out: SqlToken[] = [];
  for (let i = 0; i < buf.count; i++) {
    const kind = buf.kinds[i]!;
    out.push({
      kind,
      kindName: TOKEN_KIND_NAMES[kind]!,
      start: buf.starts[i]!,
      end: buf.ends[i]!,
      flags: buf.flags[i]!,
      text: text.slice(buf.starts[i], buf.ends[i]),
    });
  }
  return out;
}
