import type { SqlDialectSpec } from './dialect.js';
import { STANDARD_KEYWORDS } from './keywords.js';

// PostgreSQL with standard_conforming_strings on (the default since 9.1):
// backslashes are literal in '..' and escape only in E'..'.
export const postgres: SqlDialectSpec = {
  name: 'postgres',
  stringQuotes: "'",
  identifierQuotes: ['""'],
  backslashEscapes: false,
  stringPrefixes: [
    { letter: 'E', escapes: 'backslash' },
    { letter: 'B', escapes: 'none' },
    { letter: 'X', escapes: 'none' },
    { letter: 'N', escapes: 'dialect' },
  ],
  unicodePrefix: true,
  charsetIntroducers: false,
  dollarQuotes: true,
  nestedBlockComments: true,
  hashComments: false,
  dashCommentNeedsSpace: false,
  executableComments: false,
  prefixedNumbers: true,
  digitLeadingIdentifiers: false,
  dollarStartsIdentifier: false,
  atVariables: false,
  placeholders: {
    question: false, // `?` is the jsonb key-exists operator
    questionNumbered: false,
    dollarNumbered: true,
    dollarNamed: false,
    colonNamed: false,
    atNamed: false,
  },
  operators: [
    '::', '->>', '->', '#>>', '#>', '#-', '@>', '<@', '?|', '?&', '@?', '@@', '||', '|/', '||/',
    '<>', '!=', '<=', '>=', '<<', '>>', '&&', '~~', '!~~', '~~*', '!~~*', '~*', '!~', '!~*',
    '-|-', '<->', '&<', '&>', '^@',
  ],
  keywords: [
    ...STANDARD_KEYWORDS,
    'analyze', 'array', 'copy', 'do', 'ilike', 'isnull', 'lateral', 'listen', 'notify', 'notnull',
    'only', 'similar', 'vacuum',
  ],
};
