import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseAllDocuments, stringify as yamlStringify, visit } from 'yaml';
import type { UserInput } from '../types.js';
import { detectUnsafeDeserialization } from './index.js';

const CORPUS = process.env.VIGIL_CORPUS ?? '/work/shared/corpus';
const haveCorpus = existsSync(`${CORPUS}/benign/general.jsonl`);
const load = (f: string): Array<{ payload: string; parsed?: unknown }> =>
  readFileSync(`${CORPUS}/${f}`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { payload: string; parsed?: unknown });

/** The request's inputs: an unrelated cookie, and the profile cookie (its decoded form when `transform` is given). */
const cookie = (value: string, transform?: string): UserInput[] => [
  { source: 'cookies', path: 'cookies.session', value: 's%3Aabc123' },
  transform === undefined ? { source: 'cookies', path: 'cookies.profile', value } : { source: 'cookies', path: 'cookies.profile', value, transform },
];

// ---------------------------------------------------------------------------
// node-serialize

const ND_IIFE = `{"rce":"_$$ND_FUNC$$_function(){require('child_process').exec('id', function(error, stdout, stderr) { console.log(stdout) });}()"}`;

test('node-serialize: function marker with an IIFE runs on unserialize', () => {
  const f = detectUnsafeDeserialization(ND_IIFE, 'node-serialize', cookie(ND_IIFE, 'base64'));
  assert.ok(f);
  assert.equal(f.rule, 'deserialization');
  assert.equal(f.threatLevel, 'critical');
  assert.equal(f.confidence, 0.98);
  assert.equal(f.detail?.runsOnLoad, true);
  assert.equal(f.detail?.marker, '_$$ND_FUNC$$_');
  assert.equal(f.input?.transform, 'base64');
  assert.equal(f.input?.path, 'cookies.profile');
});

test('node-serialize: function without invocation still creates a function', () => {
  const p = '{"greet":"_$$ND_FUNC$$_function(){ return 1 }"}';
  const f = detectUnsafeDeserialization(p, 'node-serialize', []);
  assert.equal(f?.detail?.runsOnLoad, false);
  assert.equal(f?.threatLevel, 'critical');
  // not traceable to input: a stored payload, lower confidence, no input
  assert.equal(f?.confidence, 0.8);
  assert.equal(f?.input, undefined);
  assert.equal(detectUnsafeDeserialization('{"a":"_$$ND_FUNC$$_function(){}\\n()"}', 'node-serialize', [])?.detail?.runsOnLoad, true);
});

test('node-serialize: JSON-escaped marker is decoded first', () => {
  const p = '{"rce":"_$$\\u004e\\u0044_FUNC$$_\\u0066unction(){ process.exit() }()"}';
  const f = detectUnsafeDeserialization(p, 'node-serialize', []);
  assert.equal(f?.detail?.runsOnLoad, true);
});

test('node-serialize: ordinary serialized objects', () => {
  for (const p of ['{"username":"ajin","country":"India","city":"Delhi"}', '{"note":"_$$ is not the marker","price":"$5"}', '{"fn":"function(){}"}', '[1,2,3]', '"just a string"']) {
    assert.equal(detectUnsafeDeserialization(p, 'node-serialize', cookie(p)), null, p);
  }
});

// ---------------------------------------------------------------------------
// funcster

test('funcster: __js_function objects', () => {
  const p = '{"rce":{"__js_function":"function(){ process.exit() }()"}}';
  const f = detectUnsafeDeserialization(p, 'funcster', [{ source: 'body', path: 'body', value: p }]);
  assert.equal(f?.threatLevel, 'critical');
  assert.equal(f?.detail?.runsOnLoad, true);
  assert.equal(f?.confidence, 0.98);
  assert.equal(detectUnsafeDeserialization('{"f":{"__js_function":"function(a){ return a }"}}', 'funcster', [])?.detail?.runsOnLoad, false);
  assert.equal(detectUnsafeDeserialization('{"f":{"\\u005f_js_function":"function(){}"}}', 'funcster', [])?.rule, 'deserialization');
  assert.equal(detectUnsafeDeserialization('{"js_function":"x","a":1}', 'funcster', []), null);
});

// ---------------------------------------------------------------------------
// YAML

test('yaml: js/function and js/eval tags in every notation', () => {
  const critical = [
    'toString: !!js/function "function (){ return process.mainModule.require(\'child_process\').execSync(\'id\') }"',
    '"toString": !<tag:yaml.org,2002:js/function> "function (){ return 1 }"',
    '%TAG !js! tag:yaml.org,2002:js/\n---\nfoo: !js!function "function(){}"',
    '%TAG ! tag:yaml.org,2002:js/\n---\nfoo: !function "function(){}"',
    'foo: !<tag:yaml.org,2002:js%2Ffunction> "function(){}"',
    '- !!js/function >\n  function () { return 1 }',
    '[a, !!js/function "function(){}"]',
    '{a: !!js/function "function(){}"}',
    '--- !!js/function "function(){}"',
    'x: !!js/eval "process.exit()"',
  ];
  for (const doc of critical) {
    const f = detectUnsafeDeserialization(doc, 'yaml', []);
    assert.equal(f?.threatLevel, 'critical', doc);
  }
  assert.equal(detectUnsafeDeserialization('x: !!js/eval "process.exit()"', 'yaml', [])?.detail?.runsOnLoad, true);
  const re = detectUnsafeDeserialization('pattern: !!js/regexp /(a+)+$/', 'yaml', []);
  assert.equal(re?.threatLevel, 'low');
  assert.equal(re?.detail?.marker, '!!js/regexp');
});

test('yaml: documents that only mention the tags, and ordinary tags', () => {
  for (const doc of [
    'title: "Hello !!js/function"',
    "title: 'it''s !!js/function'",
    'note: a !!js/function b',
    '# example: !!js/function "function(){}"',
    'msg: Hi!\nmore: Wow!!',
    'date: !!timestamp 2001-12-14t21:59:43.10-05:00',
    'n: !!str 123',
    'u: !!js/undefined ""',
    'anchors: &a {x: 1}\nref: *a',
    'list: [a, b, "c, !!js/function"]',
    'custom: !Ref MyBucket',
  ]) {
    assert.equal(detectUnsafeDeserialization(doc, 'yaml', []), null, doc);
  }
});

test('yaml: the tags the detector reports are the tags a YAML parser sees', () => {
  const docs = [
    'a: !!js/function "function(){}"',
    'a: "!!js/function"',
    '%TAG !j! tag:yaml.org,2002:js/\n---\na: !j!function "function(){}"',
    'a: [x, !!js/function "function(){}"]',
    'a: x !!js/function',
    '# !!js/function\na: 1',
  ];
  for (const doc of docs) {
    let parserSees = false;
    for (const d of parseAllDocuments(doc)) {
      if (!('contents' in d)) continue;
      visit(d, {
        Node(_, node) {
          if ('tag' in node && node.tag === 'tag:yaml.org,2002:js/function') parserSees = true;
        },
      });
    }
    assert.equal(detectUnsafeDeserialization(doc, 'yaml', []) !== null, parserSees, doc);
  }
});

// ---------------------------------------------------------------------------
// serialize-to-js

test('js: serialize-to-js data is fine, code is not', () => {
  const data = `{a: 1, b: [1, 2, "x"], c: new Date("2020-01-01T00:00:00.000Z"), d: /re/g, e: Buffer.from("aGk=", "base64"), f: new Map([["k", 1]]), g: undefined, h: -1, i: 'str', j: {nested: [true, null, NaN, Infinity]}, "k-l": \`t\`}`;
  assert.equal(detectUnsafeDeserialization(data, 'js', []), null);
  const table: Array<[string, boolean]> = [
    ["{a: (function(){ require('child_process').execSync('id') })()}", true],
    ['{toString: function(){ return 1 }}', false],
    ['{get x() { return 1 }}', false],
    ['{a: 1}); process.exit(); ({b: 2}', true],
    ["require('fs')", true],
    ['{a: process.env}', true],
    ['{a: `${process.env.SECRET}`}', true],
    ['{a: new Function("return 1")}', true],
    ['[() => 1]', false],
  ];
  for (const [payload, runs] of table) {
    const f = detectUnsafeDeserialization(payload, 'js', []);
    assert.equal(f?.threatLevel, 'critical', payload);
    assert.equal(f?.detail?.runsOnLoad, runs, payload);
  }
  assert.equal(detectUnsafeDeserialization('{a: 1', 'js', []), null); // SyntaxError: nothing runs
});

// ---------------------------------------------------------------------------
// Where the payload came from

test('input tracing: whole payload, payload inside an input, input inside the payload', () => {
  const p = '{"rce":"_$$ND_FUNC$$_function(){ process.exit() }()"}';
  assert.equal(detectUnsafeDeserialization(p, 'node-serialize', [{ source: 'body', path: 'body.data', value: `prefix ${p}` }])?.input?.path, 'body.data');
  // the app wraps the user's field into its own document
  const field = '_$$ND_FUNC$$_function(){ process.exit() }()';
  const doc = `{"name":"x","bio":"${field}"}`;
  const f = detectUnsafeDeserialization(doc, 'node-serialize', [{ source: 'body', path: 'body.bio', value: field }]);
  assert.equal(f?.input?.path, 'body.bio');
  assert.equal(f?.confidence, 0.98);
  // an unrelated short input is not the source
  assert.equal(detectUnsafeDeserialization(doc, 'node-serialize', [{ source: 'query', path: 'query.q', value: 'x' }])?.input, undefined);
});

// ---------------------------------------------------------------------------
// Corpus

test('corpus: deserialization markers in attacks/code.jsonl', { skip: !haveCorpus && 'corpus not found' }, () => {
  const rows = load('attacks/code.jsonl');
  let nd = 0;
  let ndFound = 0;
  let fn = 0;
  let fnFound = 0;
  for (const { payload } of rows) {
    if (payload.includes('ND_FUNC') || payload.includes('\\u004e\\u0044_FUNC')) {
      nd++;
      // as a field value of a serialized object, the way it reaches unserialize
      const doc = `{"x":${JSON.stringify(payload).replace(/\\\\u/g, '\\u')}}`;
      if (detectUnsafeDeserialization(doc, 'node-serialize', [{ source: 'cookies', path: 'cookies.profile', value: doc }])) ndFound++;
    }
    if (payload.includes('__js_function')) {
      fn++;
      if (detectUnsafeDeserialization(payload, 'funcster', [{ source: 'body', path: 'body', value: payload }])) fnFound++;
    }
  }
  console.log(`deserialize corpus markers: node-serialize ${ndFound}/${nd}, funcster ${fnFound}/${fn}`);
  assert.ok(nd >= 2 && fn >= 1);
  assert.equal(ndFound, nd);
  assert.equal(fnFound, fn);
});

test('corpus: benign values serialized in every format produce no findings', { skip: !haveCorpus && 'corpus not found' }, () => {
  const values: unknown[] = [];
  for (const f of ['benign/general.jsonl', 'benign/code.jsonl', 'benign/xss.jsonl', 'benign/shell.jsonl']) for (const r of load(f)) values.push({ v: r.payload });
  for (const r of load('benign/nosql.jsonl')) if (r.parsed !== undefined) values.push(r.parsed);
  const fps: string[] = [];
  for (const v of values) {
    const json = JSON.stringify(v);
    const inputs: UserInput[] = [{ source: 'body', path: 'body', value: json }];
    if (detectUnsafeDeserialization(json, 'node-serialize', inputs)) fps.push(`node-serialize ${json}`);
    if (detectUnsafeDeserialization(json, 'funcster', inputs)) fps.push(`funcster ${json}`);
    if (detectUnsafeDeserialization(json, 'js', inputs)) fps.push(`js ${json}`);
    const yamlDoc = yamlStringify(v);
    if (detectUnsafeDeserialization(yamlDoc, 'yaml', [{ source: 'body', path: 'body', value: yamlDoc }])) fps.push(`yaml ${yamlDoc}`);
  }
  console.log(`deserialize benign: ${fps.length} findings over ${values.length * 4} serialized documents`);
  assert.deepEqual(fps, []);
});

// ---------------------------------------------------------------------------
// Robustness

test('property: never throws on arbitrary payloads', () => {
  const fmt = fc.constantFrom('node-serialize' as const, 'funcster' as const, 'yaml' as const, 'js' as const);
  const payload = fc.oneof(
    fc.string(),
    fc.string({ unit: 'grapheme' }),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.tuple(fc.string(), fc.constantFrom('_$$ND_FUNC$$_', '__js_function', '!!js/function', '!<tag:yaml.org,2002:js/', '%TAG !x! ', 'function(){}()', '\\u'), fc.string()).map(([a, b, c]) => a + b + c),
  );
  fc.assert(
    fc.property(payload, fmt, fc.array(fc.string(), { maxLength: 3 }), (p, format, strings) => {
      const f = detectUnsafeDeserialization(p, format, strings.map((s, i) => ({ source: 'body' as const, path: `body.${i}`, value: s })));
      if (f !== null) assert.equal(f.rule, 'deserialization');
    }),
    { numRuns: 2000 },
  );
});

test('property: any function smuggled into a serialized object is found', () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.string({ minLength: 1, maxLength: 8 }), fc.boolean(), (data, key, iife) => {
      const fnSrc = `function(){ return ${JSON.stringify(key)} }${iife ? '()' : ''}`;
      const nd = JSON.stringify({ data, [key]: `_$$ND_FUNC$$_${fnSrc}` });
      assert.equal(detectUnsafeDeserialization(nd, 'node-serialize', [])?.detail?.runsOnLoad, iife);
      const fs = JSON.stringify({ data, [key]: { __js_function: fnSrc } });
      assert.ok(detectUnsafeDeserialization(fs, 'funcster', []));
      const y = `${yamlStringify({ data })}fn: !!js/function ${JSON.stringify(fnSrc)}\n`;
      assert.ok(detectUnsafeDeserialization(y, 'yaml', []));
    }),
    { numRuns: 300 },
  );
});
