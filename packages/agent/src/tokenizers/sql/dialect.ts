// A SQL dialect is data: which characters quote what, which comment and
// placeholder forms exist, which words are keywords. The tokenizer reads the
// compiled form; adding a dialect is one small file.

import { internWord } from './words.js';

export interface SqlDialectSpec {
  readonly name: string;
  /** Characters that open (and close) string literals: `'`, and `"` in MySQL. */
  readonly stringQuotes: string;
  /** Quoted-identifier delimiters as open+close pairs: `""`, "``", `[]`. */
  readonly identifierQuotes: readonly string[];
  /** Backslash escapes in ordinary string literals (MySQL default sql_mode). */
  readonly backslashEscapes: boolean;
  /** One-letter string prefixes (`E'..'`, `X'..'`) and how their body is escaped. */
  readonly stringPrefixes: readonly { readonly letter: string; readonly escapes: 'dialect' | 'backslash' | 'none' }[];
  /** PostgreSQL `U&'..'` / `U&".."`. */
  readonly unicodePrefix: boolean;
  /** MySQL charset introducers: `_utf8mb4'x'`. */
  readonly charsetIntroducers: boolean;
  /** PostgreSQL `$$..$$` and `$tag$..$tag$`. */
  readonly dollarQuotes: boolean;
  readonly nestedBlockComments: boolean;
  /** `#` starts a comment (MySQL). */
  readonly hashComments: boolean;
  /** `--` starts a comment only when followed by whitespace, a control char or the end (MySQL). */
  readonly dashCommentNeedsSpace: boolean;
  /** `/*! .. *\/` and `/*M! .. *\/` hold code (MySQL, MariaDB). */
  readonly executableComments: boolean;
  /** `0x1F`, `0b101`, `0o17` number forms. */
  readonly prefixedNumbers: boolean;
  /** `1abc` is one identifier (MySQL), rather than a number then an identifier. */
  readonly digitLeadingIdentifiers: boolean;
  /** `$abc` is an identifier (MySQL). */
  readonly dollarStartsIdentifier: boolean;
  /** `@var` / `@@var` are identifiers (MySQL user and system variables). */
  readonly atVariables: boolean;
  readonly placeholders: {
    /** `?` */
    readonly question: boolean;
    /** `?1` (SQLite) */
    readonly questionNumbered: boolean;
    /** `$1` */
    readonly dollarNumbered: boolean;
    /** `$name` (SQLite) */
    readonly dollarNamed: boolean;
    /** `:name` */
    readonly colonNamed: boolean;
    /** `@name` (SQLite) */
    readonly atNamed: boolean;
  };
  /** Operators longer than one character; any other operator character is a one-character operator. */
  readonly operators: readonly string[];
  readonly keywords: readonly string[];
}

export const Q_NONE = 0;
export const Q_STRING = 1;
export const Q_IDENTIFIER = 2;

export const ESC_NONE = 0;
export const ESC_BACKSLASH = 1;
/** No prefix for this letter. */
export const ESC_NOT_PREFIX = 255;

export interface CompiledDialect {
  readonly spec: SqlDialectSpec;
  /** Q_* per ASCII code. */
  readonly quoteKind: Uint8Array;
  /** Closing character per opening quote character. */
  readonly quoteClose: Uint16Array;
  /** ESC_* per ASCII letter, ESC_NOT_PREFIX when the letter is no string prefix. */
  readonly prefixEscapes: Uint8Array;
  /** Multi-character operators by first character, longest first. */
  readonly operatorsByFirst: readonly (readonly string[] | undefined)[];
  /** 1 when the word id is a keyword in this dialect. */
  readonly keywordById: Uint8Array;
}

const compiled = new WeakMap<SqlDialectSpec, CompiledDialect>();

export function compileDialect(spec: SqlDialectSpec): CompiledDialect {
  const cached = compiled.get(spec);
  if (cached !== undefined) return cached;

  const quoteKind = new Uint8Array(128);
  const quoteClose = new Uint16Array(128);
  for (let i = 0; i < spec.stringQuotes.length; i++) {
    const c = spec.stringQuotes.charCodeAt(i);
    quoteKind[c] = Q_STRING;
    quoteClose[c] = c;
  }
  for (const pair of spec.identifierQuotes) {
    const c = pair.charCodeAt(0);
    quoteKind[c] = Q_IDENTIFIER;
    quoteClose[c] = pair.charCodeAt(1);
  }

  const prefixEscapes = new Uint8Array(128).fill(ESC_NOT_PREFIX);
  const dialectEscapes = spec.backslashEscapes ? ESC_BACKSLASH : ESC_NONE;
  for (const p of spec.stringPrefixes) {
    const esc = p.escapes === 'dialect' ? dialectEscapes : p.escapes === 'backslash' ? ESC_BACKSLASH : ESC_NONE;
    prefixEscapes[p.letter.toUpperCase().charCodeAt(0)] = esc;
    prefixEscapes[p.letter.toLowerCase().charCodeAt(0)] = esc;
  }

  const byFirst: string[][] = [];
  for (const op of spec.operators) {
    if (op.length < 2) continue;
    const c = op.charCodeAt(0);
    (byFirst[c] ??= []).push(op);
  }
  for (const list of byFirst) if (list !== undefined) list.sort((a, b) => b.length - a.length);

  const ids: number[] = [];
  for (const k of spec.keywords) ids.push(internWord(k));
  let max = 0;
  for (const id of ids) if (id > max) max = id;
  const keywordById = new Uint8Array(max + 1);
  for (const id of ids) keywordById[id] = 1;

  const out: CompiledDialect = { spec, quoteKind, quoteClose, prefixEscapes, operatorsByFirst: byFirst, keywordById };
  compiled.set(spec, out);
  return out;
}
