import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { detectShapeAnomaly, sqlMarkers, sqlShape, type SqlDialect } from './index.js';

test('sqlShape: the exact format', () => {
  assert.equal(
    sqlShape("select * from t where a in (1, 2, 'x') and b = 'it''s' and c = -5 and d = $1 -- note\n", 'postgres'),
    'SELECT * FROM t WHERE a IN ( ? ) AND b = ? AND c = ? AND d = ? --',
  );
  assert.equal(sqlShape('INSERT INTO t (a, b) VALUES (1, \'a\'), (2, \'b\'), (?, ?)', 'mysql'), 'INSERT INTO t ( a , b ) VALUES ( ? )');
  assert.equal(sqlShape('SELECT a - 1, x::int FROM t /* hint */', 'postgres'), 'SELECT a - ? , x :: int FROM t /**/');
  assert.equal(sqlShape('SELECT 1 /*!50000 UNION */', 'mysql'), 'SELECT ? /*! UNION */');
});

test('sqlShape: same statement with different values has one shape', () => {
  const same: Array<[SqlDialect, string[]]> = [
    ['postgres', [
      "SELECT * FROM users WHERE id = 5 AND name = 'bob'",
      "select *\n  from users\n where id = 42 and name = 'O''Brien'",
      'SELECT * FROM users WHERE id = $1 AND name = $2',
      "SELECT * FROM users WHERE id = -7 AND name = $$x$$",
      "SELECT * FROM users WHERE id = 0x1F AND name = E'\\''",
    ]],
    ['mysql', [
      'SELECT * FROM p WHERE id IN (1) AND tag = "a"',
      "SELECT * FROM p WHERE id IN (1, 2, 3, 4) AND tag = 'b\\'c'",
      'SELECT * FROM p WHERE id IN (?, ?) AND tag = ?',
    ]],
    ['sqlite', [
      "INSERT INTO t (a, b) VALUES (1, 'x')",
      "INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'), (3, NULL)",
      'INSERT INTO t (a, b) VALUES (?1, :b)',
    ]],
    ['postgres', ['SELECT 1 -- first', 'SELECT 2 -- second, longer comment']],
  ];
  for (const [d, queries] of same) {
    const shapes = new Set(queries.map((x) => sqlShape(x, d)));
    assert.equal(shapes.size, 1, `${d}: ${[...shapes].join(' | ')}`);
  }
});

test('sqlShape: a different structure has a different shape', () => {
  const base = sqlShape("SELECT * FROM users WHERE name = 'bob'", 'postgres');
  for (const other of [
    "SELECT * FROM users WHERE name = '' OR 1=1 --'",
    "SELECT * FROM users WHERE name = 'x' UNION SELECT password FROM users--'",
    'SELECT * FROM users WHERE name = bob',
    "SELECT * FROM users WHERE name = 'a'; DROP TABLE users",
  ]) {
    assert.notEqual(sqlShape(other, 'postgres'), base, other);
  }
  // a list of expressions is not folded
  assert.notEqual(sqlShape('SELECT * FROM t WHERE a IN (1, 2)', 'postgres'), sqlShape('SELECT * FROM t WHERE a IN (1, b)', 'postgres'));
});

test('property: literal values never change the shape', () => {
  const lit = fc.oneof(
    fc.integer().map(String),
    fc.string({ maxLength: 20 }).map((s) => `'${s.replace(/'/g, "''")}'`),
    fc.constant('$1'),
  );
  fc.assert(
    fc.property(lit, lit, lit, lit, (a, b, c, d) => {
      assert.equal(
        sqlShape(`SELECT * FROM t WHERE a = ${a} AND b IN (${b}, ${c})`, 'postgres'),
        sqlShape(`SELECT * FROM t WHERE a = ${d} AND b IN (${a})`, 'postgres'),
      );
    }),
    { numRuns: 500 },
  );
});

/** [dialect, query, markers exactly] */
const MARKERS: Array<[SqlDialect, string, string[]]> = [
  ['postgres', "SELECT * FROM users WHERE name = 'bob' AND age > 3", []],
  ['postgres', 'SELECT * FROM u WHERE a = 1 OR 1=1', ['tautology']],
  ['postgres', "SELECT * FROM u WHERE a = '' OR 'a'='a'", ['tautology']],
  ['postgres', 'SELECT * FROM u WHERE a = 1 OR true', ['tautology']],
  ['postgres', 'SELECT * FROM u WHERE a = 1 OR x = x', ['tautology']],
  ['postgres', 'SELECT * FROM u WHERE a = 1 OR (2 > 1)', ['tautology']],
  ['mysql', 'SELECT * FROM u WHERE a = 1 || 1=1', ['tautology']],
  ['postgres', "SELECT 'a' || 'b' FROM u WHERE c = 1", []], // || is concatenation here
  ['postgres', 'SELECT * FROM u WHERE a = 1 OR b = 2', []],
  ['postgres', 'SELECT * FROM u WHERE a = 1 OR b = c', []],
  ['postgres', 'SELECT * FROM u WHERE a = 1 OR 0', []],
  ['postgres', 'SELECT a FROM u UNION ALL SELECT b FROM v', ['union_select']],
  ['postgres', 'SELECT a FROM u UNION (SELECT b FROM v)', ['union_select']],
  ['mysql', 'SELECT a FROM u /*!50000UNION*/ /*!50000SELECT*/ 1', ['union_select']],
  ['postgres', "SELECT 'union select' FROM u", []],
  ['postgres', 'SELECT 1; DROP TABLE users', ['stacked_query']],
  ['postgres', 'SELECT 1;', []],
  ['postgres', 'SELECT 1; -- trailing', ['comment_truncation']],
  ['postgres', 'SELECT 1 -- note\nFROM t', []],
  ['postgres', 'SELECT /* hint */ 1', []],
  ['sqlite', 'SELECT 1 /* open', ['comment_truncation']],
  ['mysql', 'SELECT * FROM u WHERE a = 1 # rest', ['comment_truncation']],
  ['mysql', 'SELECT SLEEP(5)', ['time_function']],
  ['mysql', 'SELECT BENCHMARK(1000000, MD5(1))', ['time_function']],
  ['postgres', 'SELECT pg_sleep(5)', ['time_function']],
  ['generic', "SELECT 1; WAITFOR DELAY '0:0:5'", ['stacked_query', 'time_function']],
  ['sqlite', 'SELECT randomblob(1000000000)', ['time_function']],
  ['sqlite', 'SELECT randomblob(16)', []],
  ['sqlite', 'SELECT zeroblob(500000000/2)', ['time_function']],
  ['postgres', 'SELECT sleep FROM schedules', []], // a column, not a call
  ['mysql', "SELECT LOAD_FILE('/etc/passwd')", ['file_function']],
  ['mysql', "SELECT * FROM u INTO OUTFILE '/tmp/x'", ['file_function']],
  ['mysql', "LOAD DATA INFILE '/tmp/x' INTO TABLE t", ['file_function']],
  ['postgres', "SELECT pg_read_file('/etc/passwd')", ['file_function']],
  ['postgres', "SELECT lo_import('/etc/passwd')", ['file_function']],
  ['postgres', "COPY t FROM PROGRAM 'id'", ['file_function']],
  ['postgres', "COPY t TO '/tmp/out.csv'", ['file_function']],
  ['postgres', 'COPY t FROM STDIN', []],
  ['sqlite', "ATTACH DATABASE '/tmp/x.db' AS x", ['file_function']],
  ['postgres', 'SELECT * FROM information_schema.tables', ['schema_probe']],
  ['postgres', 'SELECT * FROM "information_schema"."columns"', ['schema_probe']],
  ['sqlite', 'SELECT sql FROM sqlite_master', ['schema_probe']],
  ['postgres', 'SELECT * FROM pg_catalog.pg_tables', ['schema_probe']],
  ['mysql', 'SELECT user, authentication_string FROM mysql.user', ['schema_probe']],
  ['mysql', 'SELECT user FROM accounts', []],
  ['postgres', "SELECT 'information_schema' AS s", []],
];

test('sqlMarkers: each marker, present and absent', () => {
  for (const [d, query, expected] of MARKERS) assert.deepEqual(sqlMarkers(query, d), expected, `${d} ${query}`);
});

test('detectShapeAnomaly: stored payload concatenated into a known query', () => {
  const build = (v: string) => `SELECT * FROM users WHERE name = '${v}'`;
  const shapes = new Set([sqlShape(build('alice'), 'postgres')]);
  const markers = new Set(sqlMarkers(build('alice'), 'postgres'));
  const known = { shapes, markers };

  // the same statement with another value: known shape
  assert.equal(detectShapeAnomaly(build('bob'), 'postgres', known), null);
  // a second-order payload no request input explains
  const f = detectShapeAnomaly(build("x' UNION SELECT password FROM users--"), 'postgres', known);
  assert.ok(f);
  assert.equal(f.rule, 'sql_structure');
  assert.equal(f.threatLevel, 'high');
  assert.equal(f.confidence, 0.7);
  assert.equal(f.input, undefined);
  assert.equal(f.detail?.markers, 'union_select,comment_truncation');
  assert.match(f.description, /union_select/);
  // a new benign shape without markers
  assert.equal(detectShapeAnomaly("SELECT * FROM users WHERE email = 'a@b.c' LIMIT 1", 'postgres', known), null);
  // a new shape whose markers the call site already produces
  const withUnion = { shapes, markers: new Set(['union_select', 'comment_truncation']) };
  assert.equal(detectShapeAnomaly(build("x' UNION SELECT password FROM users--"), 'postgres', withUnion), null);
  // once the attack's shape is learned it is known (the baseline owns that decision)
  const learned = { shapes: new Set([...shapes, sqlShape(build("y' UNION SELECT password FROM users--"), 'postgres')]), markers };
  assert.equal(detectShapeAnomaly(build("x' UNION SELECT password FROM users--"), 'postgres', learned), null);
});

test('detectShapeAnomaly: decoded payload in each dialect', () => {
  const cases: Array<[SqlDialect, string, string, string]> = [
    ['mysql', 'SELECT * FROM t WHERE id = 1', 'SELECT * FROM t WHERE id = 1 AND SLEEP(5)', 'time_function'],
    ['sqlite', "SELECT * FROM t WHERE n = 'a'", "SELECT * FROM t WHERE n = 'a' UNION SELECT sql FROM sqlite_master", 'schema_probe'],
    ['postgres', 'SELECT * FROM t WHERE id = 1', 'SELECT * FROM t WHERE id = 1; DROP TABLE t', 'stacked_query'],
  ];
  for (const [d, knownQuery, attack, marker] of cases) {
    const known = { shapes: new Set([sqlShape(knownQuery, d)]), markers: new Set(sqlMarkers(knownQuery, d)) };
    const f = detectShapeAnomaly(attack, d, known);
    assert.ok(f, attack);
    assert.ok(String(f.detail?.markers).split(',').includes(marker), `${attack}: ${f.detail?.markers}`);
  }
});
