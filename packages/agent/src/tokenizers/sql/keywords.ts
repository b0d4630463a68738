// Words that shape a statement and are keywords in every supported dialect.
// Deliberately not here: words that are common column names and only
// non-reserved keywords (date, time, name, user, type, status, value, key,
// level, data, position, action …): treating them as keywords would make
// `ORDER BY date desc` look like injected syntax.
export const STANDARD_KEYWORDS: readonly string[] = [
  'all', 'alter', 'and', 'any', 'as', 'asc', 'begin', 'between', 'by', 'case', 'cast', 'check',
  'collate', 'commit', 'constraint', 'create', 'cross', 'current_user', 'declare', 'default',
  'delete', 'desc', 'distinct', 'drop', 'else', 'end', 'escape', 'except', 'exec', 'execute',
  'exists', 'false', 'fetch', 'first', 'for', 'foreign', 'from', 'full', 'grant', 'group',
  'having', 'in', 'inner', 'insert', 'intersect', 'into', 'is', 'join', 'last', 'left', 'like',
  'limit', 'natural', 'not', 'null', 'nulls', 'offset', 'on', 'or', 'order', 'outer', 'over',
  'partition', 'primary', 'procedure', 'recursive', 'references', 'returning', 'revoke',
  'right', 'rollback', 'savepoint', 'select', 'set', 'some', 'table', 'then', 'true',
  'truncate', 'union', 'unique', 'update', 'using', 'values', 'when', 'where', 'window', 'with',
];
