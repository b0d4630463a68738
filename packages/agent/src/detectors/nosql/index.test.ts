import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { InputSource, UserInput, UserObjectInput } from '../types.js';
import { detectNoSqlInjection } from './index.js';

const CORPUS = process.env.VIGIL_CORPUS ?? '/work/shared/corpus';
const haveCorpus = existsSync(`${CORPUS}/attacks/nosql.jsonl`);

interface Row {
  payload: string;
  kind?: string;
  encoding?: string;
  parsed?: Record<string, unknown>;
}
const load = (f: string): Row[] =>
  readFileSync(`${CORPUS}/${f}`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);

/** What the context layer gives a detector for a parsed body or query: the object, and its strings flattened. */
function requestOf(value: unknown, source: InputSource = 'body'): { objectInputs: UserObjectInput[]; inputs: UserInput[] } {
  const inputs: UserInput[] = [];
  const walk = (v: unknown, path: string, depth: number): void => {
    if (depth > 20) return;
    if (typeof v === 'string') inputs.push({ source, path, value: v });
    else if (typeof v === 'number' || typeof v === 'boolean') inputs.push({ source, path, value: String(v) });
    else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) walk((v as Record<string, unknown>)[k], `${path}.${k}`, depth + 1);
  };
  walk(value, source, 0);
  return { objectInputs: [{ source, path: source, value }], inputs };
}

const detect = (filter: unknown, value: unknown, source: InputSource = 'body') => {
  const { objectInputs, inputs } = requestOf(value, source);
  return detectNoSqlInjection(filter, objectInputs, inputs);
};

// ---------------------------------------------------------------------------
// Operator objects from the request

test('the parser\'s own operator object reaching the driver (identity)', () => {
  const body = JSON.parse('{"username": "admin", "password": {"$ne": null}}') as Record<string, unknown>;
  const f = detect({ username: body.username, password: body.password }, body);
  assert.ok(f);
  assert.equal(f.rule, 'nosql_injection');
  assert.equal(f.threatLevel, 'critical');
  assert.ok(f.confidence >= 0.9);
  assert.equal(f.input?.path, 'body.password');
  assert.equal(f.input?.source, 'body');
  assert.equal(f.detail?.filterPath, 'password');
  assert.equal(f.detail?.operators, '$ne');
  assert.equal(f.detail?.match, 'identity');

  // find(req.body) as a whole, with a top-level $where
  const where = { $where: 'sleep(5000) || true' };
  assert.equal(detect(where, where)?.detail?.filterPath, '(root)');
  // operators from the query string (qs)
  const query = { username: { $regex: '^adm' }, password: { $ne: '' } };
  assert.equal(detect({ user: query.username, pass: query.password }, query, 'query')?.input?.source, 'query');
  // inside app operators, arrays and pipelines
  const q2 = { role: { $ne: 'user' } };
  assert.ok(detect({ $and: [{ tenant: 't1' }, { role: q2.role }] }, q2));
  const pipeline = { pipeline: [{ $out: 'users' }] };
  assert.ok(detect(pipeline.pipeline, pipeline));
});

test('copies of request operator objects (spread, JSON round trip, qs strings coerced)', () => {
  const body = { username: 'admin', password: { $gt: '' } };
  assert.equal(detect({ ...body }, body)?.detail?.match, 'identity'); // a shallow copy keeps the node
  assert.equal(detect({ username: body.username, password: { ...body.password } }, body)?.detail?.match, 'copy');
  assert.equal(detect(JSON.parse(JSON.stringify({ u: body.username, p: body.password })), body)?.detail?.match, 'copy');
  // the app converts qs strings to numbers but keeps the operator
  const query = { age: { $gt: '17' } };
  assert.equal(detect({ age: { $gt: Number(query.age.$gt) } }, query, 'query')?.detail?.match, 'copy');
});

test('a JSON string the app parses', () => {
  const value = '{"$ne": null}';
  const inputs: UserInput[] = [{ source: 'body', path: 'body.password', value }];
  const f = detectNoSqlInjection({ username: 'admin', password: JSON.parse(value) }, [{ source: 'body', path: 'body', value: { password: value } }], inputs);
  assert.ok(f);
  assert.equal(f.input?.transform, 'json');
  assert.equal(f.input?.path, 'body.password');
});

test('operator text the app evaluates (string-built filters)', () => {
  const value = "', $where: '1 == 1'";
  const filter = new Function(`return ({ username: '${value} })`)() as object;
  const f = detectNoSqlInjection(filter, [], [{ source: 'query', path: 'query.u', value }]);
  assert.equal(f?.rule, 'nosql_injection');
  assert.equal(f?.detail?.match, 'text');
  const lit = '{$gt: ""}';
  assert.ok(detectNoSqlInjection({ password: { $gt: '' } }, [], [{ source: 'body', path: 'body.p', value: lit }]));
  // prose that quotes an operator is not object text
  assert.equal(detectNoSqlInjection({ deleted: { $ne: null } }, [], [{ source: 'body', path: 'body.c', value: 'Great post! {"$ne": null} is the classic one' }]), null);
});

test('$where / $function / $accumulator code reshaped by an input is code injection', () => {
  const name = "' || '1'=='1";
  const f = detectNoSqlInjection({ $where: `this.name == '${name}'` }, [], [{ source: 'body', path: 'body.name', value: name }]);
  assert.equal(f?.rule, 'code_injection');
  assert.equal(f?.input?.path, 'body.name');
  const age = '0 || true';
  assert.equal(detectNoSqlInjection({ $where: `this.age > ${age}` }, [], [{ source: 'query', path: 'query.age', value: age }])?.rule, 'code_injection');
  const body = '1; return true';
  assert.equal(
    detectNoSqlInjection({ $expr: { $function: { body: `function() { return this.x == ${body} }`, args: [], lang: 'js' } } }, [], [{ source: 'body', path: 'body.x', value: body }])?.rule,
    'code_injection',
  );
  assert.equal(detectNoSqlInjection({ $group: { _id: 1, s: { $accumulator: { init: `function(){ return ${body} }`, accumulate: 'function(s){return s}', accumulateArgs: [], merge: 'function(a,b){return a}', lang: 'js' } } } }, [], [{ source: 'body', path: 'body.x', value: body }])?.rule, 'code_injection');
});

test('$where with values in their slots is not injection', () => {
  const inputs = (v: string): UserInput[] => [{ source: 'query', path: 'query.v', value: v }];
  assert.equal(detectNoSqlInjection({ $where: `this.name == ${JSON.stringify("O'Brien")}` }, [], inputs("O'Brien")), null);
  assert.equal(detectNoSqlInjection({ $where: `this.name == '${'alice'}'` }, [], inputs('alice')), null);
  assert.equal(detectNoSqlInjection({ $where: `this.age > ${18}` }, [], inputs('18')), null);
  assert.equal(detectNoSqlInjection({ $where: `this.balance > ${-5}` }, [], inputs('-5')), null);
  assert.equal(detectNoSqlInjection({ $where: 'this.total > 100' }, [], inputs('10')), null);
  // short inputs that match across pieces of the app's own code
  assert.equal(detectNoSqlInjection({ $where: 'this.a.b > this.c' }, [], inputs('s.a')), null);
  assert.equal(detectNoSqlInjection({ $where: "this.name == 'O\\'Brien'" }, [], inputs('is')), null);
});

// ---------------------------------------------------------------------------
// Not injection

test('operators the app writes itself are never findings', () => {
  const body = { username: 'alice', password: 'hunter2', age: '30', tags: ['a', 'b'] };
  assert.equal(detect({ username: body.username, age: { $gt: 18 } }, body), null);
  assert.equal(detect({ $or: [{ owner: body.username }, { public: true }] }, body), null);
  assert.equal(detect({ tags: { $in: body.tags } }, body), null);
  assert.equal(detect({ $set: { name: body.username } }, body), null);
  assert.equal(detect([{ $match: { user: body.username } }, { $limit: 10 }], body), null);
  assert.equal(detect({ age: { $gt: 18 } }, {}), null);
});

test('$ inside string values and keys that only contain $ are benign', () => {
  const body = { price: '$19.99', note: 'use $ne for not-equal', 'amount$': 'x', q: '{"$ne": null} in docs' };
  assert.equal(detect({ price: body.price, note: body.note }, body), null);
  assert.equal(detect({ ...body }, body), null);
  assert.equal(detect({ deleted: { $ne: true }, note: body.note }, body), null);
});

test('not a filter: primitives, null, class instances', () => {
  assert.equal(detectNoSqlInjection(null, [], []), null);
  assert.equal(detectNoSqlInjection('x', [], []), null);
  assert.equal(detectNoSqlInjection(new Date(), [], []), null);
});

// ---------------------------------------------------------------------------
// Bounds

test('a hostile body (1 MB, 40k operators, 5k levels, a cycle) is walked within bounds', () => {
  // A 1 MB JSON body (a raised body-parser limit): 40k operator objects side by
  // side, 5k levels of nesting, plus a cyclic object the app built from it.
  const wide: Record<string, unknown> = {};
  for (let i = 0; i < 40_000; i++) wide[`k${i}`] = { $ne: i };
  let deepText = '{"$gt":1}';
  for (let i = 0; i < 5_000; i++) deepText = `{"a":${deepText},"$lt":${i}}`;
  const text = `{"wide":${JSON.stringify(wide)},"deep":${deepText}}`;
  const body = JSON.parse(text) as Record<string, unknown>;
  const cyclic: Record<string, unknown> = { $ne: null };
  cyclic.self = cyclic;
  body.cyclic = cyclic;
  const objectInputs: UserObjectInput[] = [{ source: 'body', path: 'body', value: body }];
  // It finishes (the cycle does not loop) and still answers right; its time is printed by `npm run bench`.
  assert.equal(detectNoSqlInjection({ a: { $gt: 2 }, b: { $in: [1, 2] } }, objectInputs, []), null);
  assert.ok(detectNoSqlInjection(body.wide, objectInputs, []));
  assert.ok(detectNoSqlInjection({ c: cyclic }, objectInputs, [])); // the cyclic node is still found by identity
  assert.ok(detectNoSqlInjection({ d: body.deep }, objectInputs, [])); // and the deep one near the top
});

// ---------------------------------------------------------------------------
// Corpus

const LOGIN_FIELDS = ['username', 'password'];

/** Whether the driver would see any `$` key (own keys, as BSON serialisation does). */
function hasOperator(v: unknown, depth = 0): boolean {
  if (v === null || typeof v !== 'object' || depth > 20) return false;
  return Object.keys(v).some((k) => k.startsWith('$') || hasOperator((v as Record<string, unknown>)[k], depth + 1));
}

/** The ways an app puts the request object into a filter. */
function placements(parsed: Record<string, unknown>): Array<[string, unknown]> {
  const login: Record<string, unknown> = {};
  for (const f of LOGIN_FIELDS) login[f] = f in parsed ? parsed[f] : f === 'username' ? parsed : 'x';
  const fields: Record<string, unknown> = {};
  for (const k of Object.keys(parsed)) fields[k] = parsed[k];
  return [
    ['find(req.body)', parsed],
    ['{ username: body.username, password: body.password }', login],
    ['{ ...body }', { ...parsed }],
    ['field by field', fields],
    ['JSON round trip', JSON.parse(JSON.stringify(parsed)) as unknown],
  ];
}

test('corpus: attacks/nosql.jsonl operator objects (json and query string)', { skip: !haveCorpus && 'corpus not found' }, () => {
  const rows = load('attacks/nosql.jsonl').filter((r) => r.parsed !== undefined);
  const perPlacement = new Map<string, [number, number]>();
  const missed: string[] = [];
  for (const r of rows) {
    const source: InputSource = r.encoding === 'querystring' ? 'query' : 'body';
    // the parsed object as the body parser or qs hands it over (JSON.parse gives own __proto__ keys)
    const parsed = JSON.parse(JSON.stringify(r.parsed)) as Record<string, unknown>;
    for (const [name, filter] of placements(parsed)) {
      if (!hasOperator(filter)) continue; // this placement dropped the operators: nothing injected
      const f = detect(filter, parsed, source);
      const [d, n] = perPlacement.get(name) ?? [0, 0];
      perPlacement.set(name, [d + (f ? 1 : 0), n + 1]);
      if (!f) missed.push(`${name}: ${r.payload}`);
    }
  }
  let det = 0;
  let tot = 0;
  for (const [name, [d, n]] of perPlacement) {
    console.log(`nosql ${name}: ${d}/${n} detected (${((d / n) * 100).toFixed(1)}%)`);
    det += d;
    tot += n;
  }
  if (missed.length) console.log(`  missed:\n    ${missed.join('\n    ')}`);
  assert.ok(rows.length > 100);
  assert.ok(det / tot >= 0.95, `${det}/${tot}`);
});

test('corpus: attacks/nosql.jsonl operator objects sent as strings', { skip: !haveCorpus && 'corpus not found' }, () => {
  const rows = load('attacks/nosql.jsonl').filter((r) => r.kind === 'operator' && r.encoding === 'string');
  let detected = 0;
  for (const r of rows) {
    // The app parses the field: JSON.parse, or a relaxed/JS parser for non-JSON text.
    let value: unknown;
    try {
      value = JSON.parse(r.payload);
    } catch {
      value = new Function(`return (${r.payload})`)();
    }
    const inputs: UserInput[] = [{ source: 'body', path: 'body.password', value: r.payload }];
    const f = detectNoSqlInjection({ username: 'admin', password: value }, [{ source: 'body', path: 'body', value: { password: r.payload } }], inputs);
    if (f) detected++;
    else console.log(`  missed (string): ${r.payload}`);
  }
  console.log(`nosql operator strings parsed by the app: ${detected}/${rows.length}`);
  assert.ok(rows.length >= 5);
  assert.equal(detected, rows.length);
});

/** $where templates an app might write. */
const WHERE_TEMPLATES: Array<[string, (p: string) => string]> = [
  ["this.username == '…'", (p) => `this.username == '${p}'`],
  ['this.username == "…"', (p) => `this.username == "${p}"`],
  ['this.age > …', (p) => `this.age > ${p}`],
  ["function() { return this.name == '…' }", (p) => `function() { return this.name == '${p}' }`],
];

/** V8 compiles (never runs) the code as a function body, as MongoDB's JavaScript engine would take it. */
function compiles(code: string): boolean {
  try {
    new Function(code);
    return true;
  } catch {
    return false;
  }
}

test('corpus: attacks/nosql.jsonl $where JavaScript in string-concatenated code', { skip: !haveCorpus && 'corpus not found' }, async () => {
  const acorn = await import('acorn');
  const rows = load('attacks/nosql.jsonl').filter((r) => r.kind === 'js');
  let applicable = 0;
  let detected = 0;
  const missed: string[] = [];
  for (const r of rows) {
    for (const [name, tpl] of WHERE_TEMPLATES) {
      const code = tpl(r.payload);
      if (!compiles(code)) continue;
      const s = code.indexOf(r.payload);
      // payload wholly inside one string literal: data, not code
      let confined = false;
      try {
        for (const t of acorn.tokenizer(code, { ecmaVersion: 'latest', allowReturnOutsideFunction: true })) {
          if (t.type === acorn.tokTypes.string && t.start <= s && t.end >= s + r.payload.length) confined = true;
        }
      } catch {
        confined = false;
      }
      if (confined) continue;
      applicable++;
      const f = detectNoSqlInjection({ $where: code }, [], [{ source: 'body', path: 'body.name', value: r.payload }]);
      if (f?.rule === 'code_injection') detected++;
      else missed.push(`${name}: ${r.payload}`);
    }
  }
  console.log(`nosql $where string-concat: ${detected}/${applicable} detected`);
  if (missed.length) console.log(`  missed:\n    ${missed.join('\n    ')}`);
  assert.ok(applicable >= 15);
  assert.ok(detected / applicable >= 0.95, `${detected}/${applicable}`);
});

test('corpus: attacks/nosql.jsonl string-concat filters the app evaluates', { skip: !haveCorpus && 'corpus not found' }, () => {
  const rows = load('attacks/nosql.jsonl').filter((r) => r.kind === 'string-concat');
  const templates = [
    (p: string) => `({ username: '${p}' })`,
    (p: string) => `({ username: '${p} })`,
    (p: string) => `({ username: 'admin'${p} })`,
    (p: string) => `({ ${p} })`,
    (p: string) => `({ active: ${p} })`,
    (p: string) => `({ username: '${p}' }] })`,
    (p: string) => `({ $or: [ { a: '${p} })`,
  ];
  let applicable = 0;
  let detected = 0;
  for (const r of rows) {
    for (const tpl of templates) {
      let filter: unknown;
      try {
        filter = new Function(`return ${tpl(r.payload)}`)();
      } catch {
        continue;
      }
      applicable++;
      if (detectNoSqlInjection(filter, [], [{ source: 'query', path: 'query.q', value: r.payload }])) detected++;
      else console.log(`  missed (concat): ${tpl(r.payload)}`);
    }
  }
  console.log(`nosql string-concat evaluated filters: ${detected}/${applicable}`);
  assert.ok(applicable >= 5);
  assert.ok(detected / applicable >= 0.95);
});

test('corpus: benign/nosql.jsonl produces no findings', { skip: !haveCorpus && 'corpus not found' }, () => {
  const rows = load('benign/nosql.jsonl').filter((r) => r.parsed !== undefined);
  const fps: string[] = [];
  let checks = 0;
  for (const r of rows) {
    const source: InputSource = r.encoding === 'querystring' ? 'query' : 'body';
    const parsed = JSON.parse(JSON.stringify(r.parsed)) as Record<string, unknown>;
    const filters: unknown[] = placements(parsed).map(([, f]) => f);
    // app-written operators next to the request's values
    filters.push({ ...parsed, deleted: { $ne: true }, createdAt: { $gt: 0 } });
    filters.push({ $or: [parsed, { public: true }], owner: { $in: ['a', 'b'] } });
    filters.push({ $set: parsed });
    for (const filter of filters) {
      checks++;
      if (detect(filter, parsed, source)) fps.push(r.payload);
    }
    // values placed correctly into $where
    for (const [k, v] of Object.entries(parsed)) {
      if (typeof v !== 'string' && typeof v !== 'number') continue;
      checks++;
      const code = typeof v === 'number' ? `this.${k.replace(/\W/g, '_')} > ${v}` : `this.f == ${JSON.stringify(v)}`;
      if (detectNoSqlInjection({ $where: code }, [{ source, path: source, value: parsed }], requestOf(parsed, source).inputs)) fps.push(`$where: ${code}`);
    }
  }
  console.log(`nosql benign: ${fps.length} findings over ${checks} filters`);
  assert.deepEqual(fps, []);
});

// ---------------------------------------------------------------------------
// Robustness

test('property: never throws on arbitrary filters and inputs', () => {
  const key = fc.oneof(fc.string(), fc.constantFrom('$ne', '$gt', '$where', '$function', '$accumulator', '__proto__', 'constructor', 'body'));
  const value = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, fc.anything(), fc.dictionary(key, tie('node'), { maxKeys: 4 }), fc.array(tie('node'), { maxLength: 3 }), fc.string()),
  })).node;
  fc.assert(
    fc.property(value, value, fc.array(fc.string(), { maxLength: 4 }), (filter, body, strings) => {
      const inputs = strings.map((s, i) => ({ source: 'body' as const, path: `body.s${i}`, value: s }));
      const objectInputs = [{ source: 'body' as const, path: 'body', value: body }];
      const f = detectNoSqlInjection(filter, objectInputs, inputs);
      if (f !== null) assert.ok(f.rule === 'nosql_injection' || f.rule === 'code_injection');
      // the body used as the filter itself: found whenever it carries an operator object
      detectNoSqlInjection(body, objectInputs, inputs);
    }),
    { numRuns: 1000 },
  );
});

test('property: any request operator object placed in a filter is found', () => {
  const op = fc.constantFrom('$ne', '$gt', '$gte', '$lt', '$regex', '$in', '$nin', '$exists', '$where', '$expr');
  const val = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }));
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 10 }).filter((k) => !k.startsWith('$')), op, val, (field, operator, v) => {
      const body = JSON.parse(JSON.stringify({ [field]: { [operator]: v } })) as Record<string, unknown>;
      assert.ok(detect({ [field]: body[field] }, body));
      assert.ok(detect(JSON.parse(JSON.stringify(body)), body));
    }),
    { numRuns: 300 },
  );
});

test('later checks of one request reuse its operator nodes and still answer per filter', () => {
  const body = { user: 'alice', pass: { $ne: null } };
  const objectInputs: UserObjectInput[] = [{ source: 'body', path: 'body', value: body }];
  const inputs: UserInput[] = [{ source: 'body', path: 'body.user', value: 'alice' }];
  assert.equal(detectNoSqlInjection({ user: 'alice' }, objectInputs, inputs), null);
  assert.equal(detectNoSqlInjection({ user: body.user, pass: body.pass }, objectInputs, inputs)?.rule, 'nosql_injection');
  assert.equal(detectNoSqlInjection({ user: body.user, pass: { ...body.pass } }, objectInputs, inputs)?.detail?.match, 'copy');
  // New inputs (the framework parsed more): looked at afresh.
  const more: UserInput[] = [...inputs, { source: 'query', path: 'query.f', value: '{"age":{"$gt":0}}' }];
  assert.equal(detectNoSqlInjection({ age: { $gt: 0 } }, objectInputs, more)?.rule, 'nosql_injection');
});
