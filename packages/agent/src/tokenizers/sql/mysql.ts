import type { SqlDialectSpec } from './dialect.js';
import { STANDARD_KEYWORDS } from './keywords.js';

// MySQL and MariaDB in the default sql_mode (no ANSI_QUOTES, no
// NO_BACKSLASH_ESCAPES): "..." is a string and backslash escapes in both.
export const mysql: SqlDialectSpec = {
  name: 'mysql',
  stringQuotes: '\'"',
  identifierQuotes: ['``'],
  backslashEscapes: true,
  stringPrefixes: [
    { letter: 'N', escapes: 'dialect' },
    { letter: 'X', escapes: 'none' },
    { letter: 'B', escapes: 'none' },
  ],
  unicodePrefix: false,
  charsetIntroducers: true,
  dollarQuotes: false,
  nestedBlockComments: false,
  hashComments: true,
  dashCommentNeedsSpace: true,
  executableComments: true,
  prefixedNumbers: true,
  digitLeadingIdentifiers: true,
  dollarStartsIdentifier: true,
  atVariables: true,
  placeholders: {
    question: true,
    questionNumbered: false,
    dollarNumbered: false,
    dollarNamed: false,
    colonNamed: false,
    atNamed: false,
  },
  operators: ['<=>', '->>', '->', ':=', '&&', '||', '<>', '!=', '<=', '>=', '<<', '>>'],
  keywords: [
    ...STANDARD_KEYWORDS,
    'binary', 'describe', 'div', 'dumpfile', 'duplicate', 'explain', 'handler', 'high_priority',
    'ignore', 'infile', 'interval', 'load', 'lock', 'low_priority', 'mod', 'outfile', 'regexp',
    'replace', 'rlike', 'show', 'sounds', 'sql_calc_found_rows', 'straight_join', 'unlock', 'use',
    'xor',
  ],
};
