import type { SqlDialectSpec } from './dialect.js';
import { STANDARD_KEYWORDS } from './keywords.js';

// SQLite: no backslash escapes anywhere; four identifier quote styles; an
// unterminated /* comment simply runs to the end of input.
export const sqlite: SqlDialectSpec = {
  name: 'sqlite',
  stringQuotes: "'",
  identifierQuotes: ['""', '``', '[]'],
  backslashEscapes: false,
  stringPrefixes: [{ letter: 'X', escapes: 'none' }],
  unicodePrefix: false,
  charsetIntroducers: false,
  dollarQuotes: false,
  nestedBlockComments: false,
  hashComments: false,
  dashCommentNeedsSpace: false,
  executableComments: false,
  prefixedNumbers: true,
  digitLeadingIdentifiers: false,
  dollarStartsIdentifier: false,
  atVariables: false,
  placeholders: {
    question: true,
    questionNumbered: true,
    dollarNumbered: false,
    dollarNamed: true,
    colonNamed: true,
    atNamed: true,
  },
  operators: ['->>', '->', '||', '==', '!=', '<>', '<=', '>=', '<<', '>>'],
  keywords: [
    ...STANDARD_KEYWORDS,
    'abort', 'attach', 'detach', 'glob', 'indexed', 'isnull', 'match', 'notnull', 'pragma', 'raise',
    'regexp', 'reindex', 'replace', 'vacuum',
  ],
};
