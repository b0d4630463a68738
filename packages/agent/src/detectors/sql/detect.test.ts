import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { UserInput } from '../types.js';
import { detectSqlInjection, type SqlDialect } from './index.js';

const q = (value: string, path = 'query.q'): UserInput => ({ source: 'query', path, value });

const T = {
  quoted: (p: string) => `SELECT * FROM users WHERE name = '${p}'`,
  numeric: (p: string) => `SELECT * FROM users WHERE id = ${p}`,
  login: (p: string) => `SELECT * FROM users WHERE user = '${p}' AND pass = 'x'`,
  orderBy: (p: string) => `SELECT * FROM products ORDER BY ${p} LIMIT 20`,
  inList: (p: string) => `SELECT * FROM users WHERE id IN (${p})`,
  insert: (p: string) => `INSERT INTO comments (author, body) VALUES ('${p}', 'hello')`,
};

/** [class, dialect, template, payload, markers expected on the finding (subset)] */
type Attack = [string, SqlDialect, (p: string) => string, string, string[]];

const ATTACKS: Attack[] = [
  // login bypass
  ['login bypass', 'postgres', T.login, "admin' --", ['comment_truncation']],
  ['login bypass', 'mysql', T.login, "admin'#", ['comment_truncation']],
  ['login bypass', 'mysql', T.login, "admin'-- -", ['comment_truncation']],
  ['login bypass', 'sqlite', T.login, "admin'/*", ['comment_truncation']],
  ['login bypass', 'postgres', T.login, "' OR '1'='1' --", ['tautology', 'comment_truncation']],
  ['login bypass', 'mysql', T.login, "' OR 1=1 LIMIT 1 -- ", ['tautology']],
  ['login bypass', 'sqlite', T.login, "x' OR 'a'='a", ['tautology']],
  ['login bypass', 'mysql', T.login, "' || 1=1 #", ['tautology']],
  ['login bypass', 'postgres', T.quoted, "' OR true --", ['tautology']],
  ['login bypass', 'postgres', T.quoted, "' OR name=name --", ['tautology']],
  // UNION exfiltration
  ['union', 'postgres', T.numeric, '1 UNION SELECT username, password FROM users', ['union_select']],
  ['union', 'mysql', T.quoted, "' UNION ALL SELECT NULL, @@version -- ", ['union_select']],
  ['union', 'sqlite', T.quoted, "' UNION SELECT name, sql FROM sqlite_master --", ['union_select', 'schema_probe']],
  ['union', 'postgres', T.orderBy, 'name UNION SELECT table_name FROM information_schema.tables', ['union_select', 'schema_probe']],
  ['union', 'mysql', T.inList, '1) UNION (SELECT user, authentication_string FROM mysql.user', ['union_select', 'schema_probe']],
  // stacked queries
  ['stacked', 'postgres', T.numeric, '1; DROP TABLE users', ['stacked_query']],
  ['stacked', 'mysql', T.quoted, "x'; DELETE FROM users; -- ", ['stacked_query']],
  ['stacked', 'sqlite', T.insert, "a', 'b'); ATTACH DATABASE '/tmp/x.db' AS x; --", ['stacked_query', 'file_function']],
  ['stacked', 'postgres', T.quoted, "'; COPY (SELECT '') TO PROGRAM 'id'--", ['stacked_query', 'file_function']],
  // time-based
  ['time', 'mysql', T.numeric, '1 AND SLEEP(5)', ['time_function']],
  ['time', 'mysql', T.quoted, "x' AND BENCHMARK(5000000, MD5('a')) -- ", ['time_function']],
  ['time', 'postgres', T.quoted, "' OR pg_sleep(5) IS NULL --", ['time_function']],
  ['time', 'postgres', T.numeric, '1; SELECT pg_sleep(5)', ['time_function', 'stacked_query']],
  ['time', 'sqlite', T.numeric, '1 AND 1=LIKE(\'ABCDEFG\', UPPER(HEX(RANDOMBLOB(500000000/2))))', ['time_function']],
  ['time', 'generic', T.quoted, "'; WAITFOR DELAY '0:0:5' --", ['time_function']],
  // boolean-based blind (no marker: AND is not a tautology, still injection)
  ['boolean', 'postgres', T.numeric, '1 AND 1=1', []],
  ['boolean', 'mysql', T.numeric, '1 AND 1=2', []],
  ['boolean', 'sqlite', T.quoted, "x' AND substr(password,1,1)='a", []],
  ['boolean', 'postgres', T.numeric, '1 AND ascii(substring(current_user,1,1))>64', []],
  // comment truncation
  ['comment', 'postgres', T.quoted, "bob'--", ['comment_truncation']],
  ['comment', 'sqlite', T.numeric, '5 /* AND tenant_id = 7', ['comment_truncation']],
  ['comment', 'mysql', T.numeric, '5 # rest', ['comment_truncation']],
  // MySQL executable comments and # comments
  ['mysql /*!*/', 'mysql', T.numeric, '1 /*!50000UNION*/ /*!50000SELECT*/ 1,2', ['union_select']],
  ['mysql /*!*/', 'mysql', T.numeric, '1/*!UNION*//*!SELECT*/password/*!FROM*/users', ['union_select']],
  ['mysql /*!*/', 'mysql', T.quoted, "x'/*!OR*/1=1#", ['tautology']],
  ['mysql #', 'mysql', T.quoted, "x' OR 1=1#", ['tautology', 'comment_truncation']],
  // PostgreSQL dollar quotes
  ['pg $$', 'postgres', T.numeric, '1 OR $$a$$=$$a$$', ['tautology']],
  ['pg $$', 'postgres', T.quoted, "x' || $$y$$ || '", []],
  ['pg $$', 'postgres', T.numeric, "1; SELECT $t$ $t$, pg_read_file('/etc/passwd')", ['stacked_query', 'file_function']],
  // file functions
  ['file', 'mysql', T.quoted, "' UNION SELECT LOAD_FILE('/etc/passwd') -- ", ['union_select', 'file_function']],
  ['file', 'mysql', T.numeric, "1 INTO OUTFILE '/var/www/x.php'", ['file_function']],
  ['file', 'postgres', T.quoted, "'; SELECT lo_import('/etc/passwd')--", ['file_function']],
  // identifier slots
  ['identifier', 'postgres', (p) => `SELECT "${p}" FROM t`, 'a", password, "b', []],
  ['identifier', 'mysql', (p) => `SELECT \`${p}\` FROM t`, 'a` FROM users -- ', ['comment_truncation']],
  ['identifier', 'sqlite', (p) => `SELECT [${p}] FROM t`, 'a] FROM users UNION SELECT sql FROM sqlite_master --', ['union_select', 'schema_probe']],
];

test('attacks: every class is detected with the expected markers', () => {
  for (const [cls, dialect, tpl, payload, markers] of ATTACKS) {
    const input = q(payload);
    const f = detectSqlInjection(tpl(payload), dialect, [input]);
    const label = `${cls} ${dialect} ${JSON.stringify(payload)}`;
    assert.ok(f !== null, label);
    assert.equal(f.rule, 'sql_injection', label);
    assert.equal(f.input, input, label);
    assert.ok(f.confidence >= 0.9 && f.confidence <= 1, label);
    assert.equal(f.detail?.dialect, dialect, label);
    const got = typeof f.detail?.markers === 'string' ? f.detail.markers.split(',') : [];
    for (const m of markers) assert.ok(got.includes(m), `${label}: marker ${m} in ${got.join(',')}`);
    const critical = got.some((m) => m !== 'schema_probe');
    assert.equal(f.threatLevel, critical ? 'critical' : 'high', label);
    assert.match(f.description, /^input query\.q /, label);
  }
});

test('finding description says what the input did', () => {
  const f = detectSqlInjection(T.login("' OR 1=1 --"), 'postgres', [q("' OR 1=1 --", 'body.name')]);
  assert.equal(f?.description, 'input body.name closes a string literal and adds OR (tautology, comment_truncation)');
  assert.equal(f?.threatLevel, 'critical');
  assert.equal(f?.detail?.tokenKinds, 'string,keyword,number,operator,comment');
  const g = detectSqlInjection(T.numeric('1 AND 1=1'), 'postgres', [q('1 AND 1=1')]);
  assert.equal(g?.description, 'input query.q adds AND to the SQL statement');
  assert.equal(g?.threatLevel, 'high');
  assert.equal(g?.confidence, 0.9);
});

/** [dialect, query, input]: never a finding. */
type Safe = [SqlDialect, string, string, string];
const SAFE: Safe[] = [
  ['postgres', T.orderBy('price desc, name'), 'price desc, name', 'ORDER BY list'],
  ['mysql', T.orderBy('price DESC, name ASC'), 'price DESC, name ASC', 'ORDER BY list'],
  ['postgres', T.orderBy('created_at desc nulls last, id'), 'created_at desc nulls last, id', 'NULLS LAST'],
  ['sqlite', T.orderBy('p.price, p.name'), 'p.price, p.name', 'qualified names'],
  ['postgres', T.orderBy('"Display Name" desc'), '"Display Name" desc', 'quoted identifier'],
  ['mysql', T.orderBy('end desc, top'), 'end desc, top', 'column names that are non-reserved keywords'],
  ['postgres', T.orderBy('e.order desc, e.select'), 'e.order desc, e.select', 'keywords after a dot are names'],
  ['postgres', T.inList('1, 2, 3'), '1, 2, 3', 'IN list of numbers'],
  ['mysql', T.numeric('-1'), '-1', 'negative number'],
  ['postgres', T.inList('4, -2'), '4, -2', 'negative in a list'],
  ['postgres', T.numeric('1.5e3'), '1.5e3', 'number'],
  ['postgres', T.numeric('users.id'), 'users.id', 'qualified name'],
  ['postgres', T.numeric('42'), '42', 'alphanumeric'],
  ['postgres', T.orderBy('select'), 'select', 'a keyword alone is alphanumeric'],
  ['postgres', T.numeric('1'), '1', 'too short'],
  // inputs inside properly quoted literals
  ['postgres', T.quoted("O''Brien"), "O'Brien", 'escaped quote'],
  ['mysql', T.quoted("O\\'Brien"), "O'Brien", 'backslash-escaped quote'],
  ['postgres', T.quoted("x'' OR ''1''=''1"), "x' OR '1'='1", 'escaped attack stays data'],
  ['mysql', T.quoted("\\' OR 1=1 -- "), "\\' OR 1=1 -- ", 'MySQL: \\\' does not end the string'],
  ['postgres', T.quoted('-- not a comment /* nor this */'), '-- not a comment /* nor this */', 'comment markers in a literal'],
  ['mysql', T.quoted('# nor this; DROP TABLE x'), '# nor this; DROP TABLE x', 'SQL in a literal'],
  ['postgres', T.numeric("$$ OR 1=1 --$$"), "$$ OR 1=1 --$$", 'a whole dollar-quoted string is a value'],
  ['postgres', T.quoted('$$ UNION SELECT 1 $$'), '$$ UNION SELECT 1 $$', 'dollar signs inside a standard literal'],
  // PostgreSQL JSON/array operators belong to the app, the input sits in the literal
  [
    'postgres',
    "SELECT data->>'name' FROM docs WHERE data @> '{\"tags\": [\"a b\"]}' AND data #>> '{a,b}' = 'x y' AND tags && ARRAY['p q']",
    'a b',
    'JSON operators',
  ],
  ['postgres', "SELECT * FROM docs WHERE data ?| array['a-b', 'c'] AND data->'k' <@ '[1]'", 'a-b', 'jsonb ?| with a literal'],
  // unescaped apostrophe that only unbalances the quotes: a syntax error, the app's own error surfaces
  ['postgres', T.quoted("O'Brien"), "O'Brien", "O'Brien unescaped"],
  ['mysql', T.login("O'Brien"), "O'Brien", "O'Brien unescaped, two literals"],
  ['sqlite', T.insert("D'Angelo"), "D'Angelo", "D'Angelo unescaped"],
  ['postgres', 'SELECT "a"b" FROM t', 'a"b', 'unbalanced quoted identifier'],
  // the value only occurs in the app's own text
  ['postgres', 'SELECT * FROM users WHERE name = $1 -- by name', '--', 'lone -- equal to the app comment'],
  ['mysql', 'SELECT a, b FROM t WHERE c = ?', ', b', 'comma fragment of the app text'],
];

test('benign: list fragments, literals, unbalanced quotes produce no finding', () => {
  for (const [dialect, query, value, why] of SAFE) {
    assert.equal(detectSqlInjection(query, dialect, [q(value)]), null, `${why}: ${query}`);
  }
});

test('an unterminated block comment opened by an input is reported; a line comment alone is not', () => {
  const query = 'SELECT * FROM t WHERE id = 5 /* AND tenant = 7';
  assert.ok(detectSqlInjection(query, 'sqlite', [q('/* AND tenant = 7')]));
  assert.equal(detectSqlInjection('SELECT * FROM t WHERE id = 5 -- AND tenant = 7', 'sqlite', [q('-- AND tenant = 7')]), null);
});

test('a string break without an unterminated literal at the end is injection', () => {
  // O'Brien's: the quotes balance again, so the query would run with changed structure
  assert.ok(detectSqlInjection(T.quoted("O'Brien's"), 'postgres', [q("O'Brien's")]));
  // the same value properly escaped
  assert.equal(detectSqlInjection(T.quoted("O''Brien''s"), 'postgres', [q("O'Brien's")]), null);
});

test('backslash escapes follow the dialect', () => {
  const payload = "\\' OR 1=1 -- ";
  const query = T.quoted(payload);
  assert.equal(detectSqlInjection(query, 'mysql', [q(payload)]), null); // one literal in MySQL
  assert.ok(detectSqlInjection(query, 'postgres', [q(payload)])); // standard strings: the quote ends it
  assert.ok(detectSqlInjection(query, 'sqlite', [q(payload)]));
});

test('cheap exits: too short, longer than the query, absent, alphanumeric', () => {
  const query = T.numeric('1 OR 1=1');
  assert.equal(detectSqlInjection(query, 'postgres', [q('1')]), null);
  assert.equal(detectSqlInjection(query, 'postgres', [q(query + ' ')]), null);
  assert.equal(detectSqlInjection(query, 'postgres', [q('2 OR 2=2')]), null);
  assert.equal(detectSqlInjection(query, 'postgres', [q('OR')]), null);
  assert.equal(detectSqlInjection(query, 'postgres', []), null);
  // the one that matters among many
  const f = detectSqlInjection(query, 'postgres', [q('1'), q('OR'), q('zzz zzz'), q('1 OR 1=1', 'body.id')]);
  assert.equal(f?.input?.path, 'body.id');
});

test('decoded forms supplied by the caller are traced', () => {
  const raw: UserInput = { source: 'query', path: 'query.id', value: '1%20UNION%20SELECT%20password%20FROM%20users' };
  const decoded: UserInput = { ...raw, value: '1 UNION SELECT password FROM users', transform: 'url' };
  const f = detectSqlInjection(T.numeric(decoded.value), 'mysql', [raw, decoded]);
  assert.equal(f?.input, decoded);
  assert.equal(f?.input?.transform, 'url');
});

test('every occurrence is checked, not only the first', () => {
  const p = "x' OR '1'='1";
  // first occurrence inside a dollar-quoted literal (harmless), second injected
  const query = `SELECT $$${p}$$ AS note, * FROM users WHERE name = '${p}'`;
  const f = detectSqlInjection(query, 'postgres', [q(p)]);
  assert.ok(f);
  assert.equal(f.detail?.offset, query.lastIndexOf(p));
});

test('very long inputs: bound, escaped, and injected', () => {
  const long = "Lorem ipsum dolor sit amet, it's -- /* 'quoted' */ ; ".repeat(400);
  assert.equal(detectSqlInjection('SELECT * FROM t WHERE body = $1', 'postgres', [q(long)]), null);
  assert.equal(detectSqlInjection(T.quoted(long.replace(/'/g, "''")), 'postgres', [q(long)]), null);
  assert.ok(detectSqlInjection(T.quoted(long), 'postgres', [q(long)]));
});

/** Query built from app text parts with `e` between them, and whether `v` occurs only inside the placed copies. */
function place(parts: string[], e: string, v: string): { query: string; onlyInside: boolean } {
  const regions: [number, number][] = [];
  let query = parts[0]!;
  for (let i = 1; i < parts.length; i++) {
    regions.push([query.length, query.length + e.length]);
    query += e + parts[i];
  }
  let onlyInside = true;
  for (let at = query.indexOf(v); at !== -1; at = query.indexOf(v, at + 1)) {
    if (!regions.some(([a, b]) => at >= a && at + v.length <= b)) onlyInside = false;
  }
  return { query, onlyInside };
}

const LITERAL_TEMPLATES: string[][] = [
  ["SELECT * FROM users WHERE name = '", "'"],
  ["SELECT * FROM users WHERE user = '", "' AND pass = '", "'"],
  ["INSERT INTO comments (author, body) VALUES ('", "', 'hello')"],
  ["SELECT * FROM t WHERE a LIKE '%", "%' ORDER BY b DESC"],
];

test('property: a value escaped into a literal never produces a finding', () => {
  const chars = fc.constantFrom("'", '"', '\\', '-', '-', '/', '*', '#', ';', ' ', 'a', 'O', 'R', '1', '=', '$', '`', '\n', '(', ')', ',');
  const value = fc.array(chars, { minLength: 2, maxLength: 40 }).map((a) => a.join(''));
  let checked = 0;
  fc.assert(
    fc.property(value, fc.constantFrom<SqlDialect>('postgres', 'mysql', 'sqlite', 'generic'), (v, d) => {
      const e = d === 'mysql' ? v.replace(/\\/g, '\\\\').replace(/'/g, "''") : v.replace(/'/g, "''");
      for (const parts of LITERAL_TEMPLATES) {
        const { query, onlyInside } = place(parts, e, v);
        // A value that also matches the app's own text (`) `, `('`) is a
        // coincidence input tracing cannot tell apart; covered separately.
        if (!onlyInside) continue;
        checked++;
        assert.equal(detectSqlInjection(query, d, [q(v)]), null, `${d} ${query}`);
      }
    }),
    { numRuns: 3000 },
  );
  assert.ok(checked > 8000, `${checked} placements checked`);
});

test('values that coincide with the app text around a literal', () => {
  const query = "INSERT INTO comments (author, body) VALUES ('ann', 'hello') ORDER BY x";
  // Only whitespace outside a literal, or only parts of app keywords: nothing added.
  for (const v of [" '", "' ", 'R ', 'ER B']) assert.equal(detectSqlInjection(query, 'postgres', [q(v)]), null, v);
  // Punctuation outside a literal is indistinguishable from injection (known limitation).
  for (const v of ["', '", "lo') O"]) assert.ok(detectSqlInjection(query, 'postgres', [q(v)]), v);
});

test('property: detection never throws on arbitrary queries and inputs', () => {
  fc.assert(
    fc.property(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.array(fc.string({ maxLength: 30 }), { maxLength: 5 }),
      fc.constantFrom<SqlDialect>('postgres', 'mysql', 'sqlite', 'generic'),
      (query, values, d) => {
        const inputs = values.map((v) => q(v));
        // also inputs cut from the query itself, so the tokenizing path runs
        if (query.length > 4) inputs.push(q(query.slice(1, query.length - 1)));
        const f = detectSqlInjection(query, d, inputs);
        if (f !== null) assert.equal(f.rule, 'sql_injection');
      },
    ),
    { numRuns: 2000 },
  );
});
