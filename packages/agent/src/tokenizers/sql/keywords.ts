// Words that shape a statement and are keywords in every supported dialect.
// Deliberately not here: words that are common column names and usable
// unquoted in some dialect (date, time, name, user, type, status, value, key,
// level, data, position, action, end, offset, escape …): treating them as
// keywords would make `ORDER BY date desc` look like injected syntax, and
// no injection needs them without other keywords or operators.
export const STANDARD_KEYWORDS: readonly string[] = [
  'all', 'alter', 'and', 'any', 'as', 'asc', 'begin', 'between', 'by', 'case', 'cast', 'check',
  'collate', 'commit', 'constraint', 'create', 'cross', 'current_user', 'declare', 'default',
  'delete', 'desc', 'distinct', 'drop', 'else', 'except', 'exec', 'execute',
  'exists', 'false', 'fetch', 'first', 'for', 'foreign', 'from', 'full', 'grant', 'group',
  'having', 'in', 'inner', 'insert', 'intersect', 'into', 'is', 'join', 'last', 'left', 'like',
  'limit', 'natural', 'not', 'null', 'nulls', 'on', 'or', 'order', 'outer', 'over',
  'partition', 'primary', 'procedure', 'recursive', 'references', 'returning', 'revoke',
  'right', 'rollback', 'savepoint', 'select', 'set', 'some', 'table', 'then', 'true',
  'truncate', 'union', 'unique', 'update', 'using', 'values', 'when', 'where', 'window', 'with',
];
