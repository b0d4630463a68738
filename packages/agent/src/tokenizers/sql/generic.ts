import type { SqlDialectSpec } from './dialect.js';
import { STANDARD_KEYWORDS } from './keywords.js';

// Standard SQL for drivers whose dialect is unknown: '' strings with
// doubling, "" and `` identifiers, the common placeholder forms.
export const generic: SqlDialectSpec = {
  name: 'generic',
  stringQuotes: "'",
  identifierQuotes: ['""', '``'],
  backslashEscapes: false,
  stringPrefixes: [
    { letter: 'N', escapes: 'dialect' },
    { letter: 'X', escapes: 'none' },
    { letter: 'B', escapes: 'none' },
  ],
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
    questionNumbered: false,
    dollarNumbered: true,
    dollarNamed: false,
    colonNamed: true,
    atNamed: false,
  },
  operators: ['::', '->>', '->', '||', '==', '!=', '<>', '<=', '>=', '<<', '>>', ':='],
  keywords: [...STANDARD_KEYWORDS, 'waitfor', 'ilike', 'xor', 'div', 'mod', 'regexp', 'rlike', 'glob'],
};
