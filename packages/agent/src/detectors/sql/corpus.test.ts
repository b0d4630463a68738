import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { UserInput } from '../types.js';
import {
  F_UNTERMINATED,
  TK_COMMENT,
  TK_IDENTIFIER,
  TK_KEYWORD,
  TK_NUMBER,
  TK_PLACEHOLDER,
  TK_QUOTED_IDENTIFIER,
  TK_STRING,
  TK_WHITESPACE,
  tokenize,
} from '../../tokenizers/sql/index.js';
import { detectSqlInjection, type SqlDialect } from './index.js';

const CORPUS = process.env.VIGIL_CORPUS ?? '/work/shared/corpus';
const haveCorpus = existsSync(`${CORPUS}/attacks/sqli.jsonl`);
const load = (f: string): Array<{ payload: string; dialect?: string }> =>
  readFileSync(`${CORPUS}/${f}`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { payload: string; dialect?: string });

const input = (value: string): UserInput[] => [{ source: 'query', path: 'query.q', value }];

/** Corpus dialect → the tokenizer dialects the payload is tried in. */
function dialectsFor(d: string | undefined): SqlDialect[] {
  switch (d) {
    case 'mysql':
      return ['mysql'];
    case 'postgresql':
      return ['postgres'];
    case 'sqlite':
      return ['sqlite'];
    case 'generic':
      return ['postgres', 'mysql', 'sqlite'];
    default:
      return ['generic']; // mssql, oracle
  }
}

/**
 * The independent "changes structure" criterion: the significant token
 * sequence with every value (literal, number, name, placeholder) reduced to
 * V, adjacent values merged (two values in a row are a syntax error or an
 * alias, not a new clause), a sign folded into its number, keywords and
 * operators kept. null when the server would reject the query before running
 * anything (it ends in an unterminated literal and has no `;`).
 */
function structure(query: string, d: SqlDialect): string | null {
  const b = tokenize(query, d);
  const out: string[] = [];
  let semicolon = false;
  for (let i = 0; i < b.count; i++) {
    const k = b.kinds[i]!;
    const t = query.slice(b.starts[i], b.ends[i]);
    if (k === TK_WHITESPACE) continue;
    if (t === ';') semicolon = true;
    if (k === TK_STRING || k === TK_NUMBER || k === TK_IDENTIFIER || k === TK_QUOTED_IDENTIFIER || k === TK_PLACEHOLDER) {
      const prev = out[out.length - 1];
      if (k === TK_NUMBER && (prev === '-' || prev === '+') && !['V', ')'].includes(out[out.length - 2] ?? '')) out.pop();
      if (out[out.length - 1] !== 'V') out.push('V');
    } else if (k === TK_COMMENT) out.push('C');
    else if (k === TK_KEYWORD) out.push(t.toUpperCase());
    else out.push(t);
  }
  const last = b.count - 1;
  const lk = b.kinds[last];
  if (last >= 0 && (lk === TK_STRING || lk === TK_QUOTED_IDENTIFIER) && b.flags[last]! & F_UNTERMINATED && !semicolon) return null;
  return out.join(' ');
}

const TEMPLATES: Array<{ name: string; build: (p: string) => string; harmless: string }> = [
  { name: 'quoted string', build: (p) => `SELECT * FROM users WHERE name = '${p}'`, harmless: 'abc' },
  { name: 'numeric', build: (p) => `SELECT * FROM users WHERE id = ${p}`, harmless: '1' },
  { name: 'LIKE', build: (p) => `SELECT * FROM products WHERE title LIKE '%${p}%'`, harmless: 'abc' },
  { name: 'ORDER BY', build: (p) => `SELECT * FROM products ORDER BY ${p}`, harmless: 'name' },
  { name: 'IN list', build: (p) => `SELECT * FROM users WHERE id IN (${p})`, harmless: '1' },
  { name: 'INSERT values', build: (p) => `INSERT INTO comments (author, body) VALUES ('${p}', 'hello')`, harmless: 'abc' },
  { name: 'login', build: (p) => `SELECT * FROM users WHERE user = '${p}' AND pass = 'x'`, harmless: 'abc' },
];

test('corpus: attacks/sqli.jsonl detection rate per template over structure-changing payloads', { skip: !haveCorpus && 'corpus not found' }, () => {
  const rows = load('attacks/sqli.jsonl');
  assert.ok(rows.length > 1000);
  for (const tpl of TEMPLATES) {
    let applicable = 0;
    let detected = 0;
    let flaggedOther = 0;
    const missed: string[] = [];
    const baseline = new Map<SqlDialect, string | null>();
    for (const { payload, dialect } of rows) {
      for (const d of dialectsFor(dialect)) {
        if (!baseline.has(d)) baseline.set(d, structure(tpl.build(tpl.harmless), d));
        const query = tpl.build(payload);
        const s = structure(query, d);
        const f = detectSqlInjection(query, d, input(payload));
        if (s === null || s === baseline.get(d)) {
          if (f) flaggedOther++; // stays data, or a query the server rejects
          continue;
        }
        applicable++;
        if (f) detected++;
        else missed.push(`${d} ${JSON.stringify(payload)}`);
      }
    }
    const rate = detected / applicable;
    console.log(
      `sqli ${tpl.name}: ${detected}/${applicable} structure-changing placements detected (${(rate * 100).toFixed(2)}%); ` +
        `${flaggedOther} more flagged among payloads that stay data or make the query unparsable`,
    );
    if (missed.length) console.log(`  missed: ${missed.join(', ')}`);
    assert.ok(applicable >= 500, `${tpl.name}: only ${applicable} applicable`);
    assert.ok(rate >= 0.97, `${tpl.name}: ${detected}/${applicable}`);
  }
});

const BENIGN_FILES = haveCorpus ? readdirSync(`${CORPUS}/benign`).filter((f) => f.endsWith('.jsonl')) : [];

const BOUND: Record<SqlDialect, string[]> = {
  postgres: [
    'SELECT * FROM users WHERE name = $1',
    "SELECT id, title FROM products WHERE title ILIKE '%' || $1 || '%' ORDER BY price DESC, name LIMIT 20",
    "UPDATE docs SET body = $1, meta = meta || '{\"edited\": true}'::jsonb WHERE id = $2 AND data->>'owner' = $3 AND tags ?| $4",
  ],
  mysql: [
    'SELECT * FROM users WHERE name = ?',
    'INSERT INTO comments (author, body, created_at) VALUES (?, ?, NOW())',
    "SELECT * FROM products WHERE title LIKE CONCAT('%', ?, '%') ORDER BY price DESC, name",
  ],
  sqlite: [
    'SELECT * FROM users WHERE name = ?',
    'SELECT * FROM notes WHERE title = :title OR body LIKE @pattern',
    'INSERT INTO t (a, b) VALUES ($a, ?2)',
  ],
  generic: ['SELECT * FROM users WHERE name = ?', 'SELECT * FROM users WHERE name = $1'],
};

const LITERAL: Array<(e: string) => string> = [
  (e) => `SELECT * FROM users WHERE name = '${e}'`,
  (e) => `SELECT * FROM products WHERE title LIKE '%${e}%' ORDER BY price DESC, name`,
  (e) => `INSERT INTO comments (author, body) VALUES ('${e}', 'hello')`,
  (e) => `SELECT * FROM users WHERE user = '${e}' AND pass = '${e}'`,
  (e) => `UPDATE posts SET body = '${e}' WHERE id = 5; -- audit`,
];

const escape = (v: string, d: SqlDialect): string =>
  d === 'mysql' ? v.replace(/\\/g, '\\\\').replace(/'/g, "''") : v.replace(/'/g, "''");

const OWN_BENIGN = [
  "O'Brien",
  "D'Angelo-O'Neil",
  'price desc, name',
  "-- not a comment",
  "/* not a comment */ either",
  "SELECT * FROM users WHERE id = 1 OR 1=1; DROP TABLE users; --",
  "it's 1' OR '1'='1 in a tutorial",
  "Robert'); DROP TABLE Students;--",
  "data->>'name' @> '{\"a\":1}' #>> '{a,b}' ?| array['x']",
  "$$dollar$$ $tag$quoted$tag$ E'\\n'",
  'back\\slash\\',
  "x".repeat(5000) + "' OR 1=1 --" + "y".repeat(5000),
  'Line one\nLine two -- with dashes\r\n# and a hash',
];

test('corpus: benign values, bound or properly escaped, produce zero findings', { skip: !haveCorpus && 'corpus not found' }, () => {
  const values: string[] = [...OWN_BENIGN];
  for (const f of BENIGN_FILES) for (const row of load(`benign/${f}`)) values.push(row.payload);
  assert.ok(values.length > 1500);
  const offenders: string[] = [];
  let placements = 0;
  for (const d of ['postgres', 'mysql', 'sqlite', 'generic'] as SqlDialect[]) {
    for (const v of values) {
      const inputs = input(v);
      for (const query of BOUND[d]) {
        placements++;
        const f = detectSqlInjection(query, d, inputs);
        if (f) offenders.push(`bound ${d} ${JSON.stringify(v)}: ${f.description}`);
      }
      const e = escape(v, d);
      for (const tpl of LITERAL) {
        placements++;
        const f = detectSqlInjection(tpl(e), d, inputs);
        if (f) offenders.push(`escaped ${d} ${JSON.stringify(v)}: ${f.description}`);
      }
    }
  }
  console.log(`sqli benign: ${offenders.length} findings in ${placements} placements of ${values.length} values`);
  for (const o of offenders) console.log(`  offender: ${o}`);
  assert.equal(offenders.length, 0);
});
