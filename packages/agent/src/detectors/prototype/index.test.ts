import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import qs from 'qs';
import type { UserObjectInput } from '../types.js';
import { detectPrototypePollution, findPrototypeKeys, newPrototypeKeys } from './index.js';

const json = (text: string): unknown => JSON.parse(text);
const body = (value: unknown): UserObjectInput[] => [{ source: 'body', path: 'body', value }];

// ---------------------------------------------------------------------------
// findPrototypeKeys

test('findPrototypeKeys: __proto__ anywhere, as JSON.parse creates it', () => {
  assert.deepEqual(findPrototypeKeys(json('{"__proto__": {"isAdmin": true}}')), ['__proto__']);
  assert.deepEqual(findPrototypeKeys(json('{"user": {"settings": {"__proto__": {"isAdmin": true}}}}')), ['user.settings.__proto__']);
  assert.deepEqual(findPrototypeKeys(json('[{"a": 1}, {"__proto__": {"x": 1}}]')), ['1.__proto__']);
  assert.deepEqual(findPrototypeKeys(json('{"a": {"__proto__": 1}, "b": {"__proto__": 2}}')).sort(), ['a.__proto__', 'b.__proto__']);
});

test('findPrototypeKeys: constructor followed by prototype', () => {
  assert.deepEqual(findPrototypeKeys(json('{"constructor": {"prototype": {"isAdmin": true}}}')), ['constructor.prototype']);
  assert.deepEqual(findPrototypeKeys(json('{"a": {"constructor": {"prototype": {"x": 1}}}}')), ['a.constructor.prototype']);
  // query strings as qs hands them over (allowPrototypes lets constructor through; __proto__ is always dropped by qs)
  assert.deepEqual(findPrototypeKeys(qs.parse('constructor[prototype][isAdmin]=1', { allowPrototypes: true })), ['constructor.prototype']);
  assert.deepEqual(findPrototypeKeys(qs.parse('a[constructor][prototype][x]=1', { allowPrototypes: true })), ['a.constructor.prototype']);
});

test('findPrototypeKeys: path-like keys that setters split (dot-prop, lodash.set)', () => {
  assert.deepEqual(findPrototypeKeys({ '__proto__.isAdmin': true }), ['__proto__.isAdmin']);
  assert.deepEqual(findPrototypeKeys({ 'a[__proto__][x]': 1 }), ['a[__proto__][x]']);
  assert.deepEqual(findPrototypeKeys({ 'constructor.prototype.isAdmin': true }), ['constructor.prototype.isAdmin']);
  assert.deepEqual(findPrototypeKeys({ "x['constructor']['prototype']": 1 }), ["x['constructor']['prototype']"]);
});

test('findPrototypeKeys: an object whose prototype was assigned from input', () => {
  const polluted: Record<string, unknown> = {};
  polluted['__proto__'] = { isAdmin: true }; // what a naive parser or merge does
  assert.deepEqual(findPrototypeKeys({ user: polluted }), ['user.__proto__']);
  class Upload {
    name = 'a.txt';
  }
  assert.deepEqual(findPrototypeKeys({ file: new Upload(), when: new Date(0), none: Object.create(null) as object }), []);
});

test('findPrototypeKeys: benign objects with look-alike keys', () => {
  for (const v of [
    { name: 'Bob', constructor: 'Bob the builder' },
    { constructor: { name: 'Acme Builders' } },
    { proto: { a: 1 }, prototype: { b: 2 }, _proto_: 1, __proto: 1, proto__: 1 },
    { product: { prototype: 'v2 feedback', constructor: 'Lego' } },
    { 'my__proto__field': 1, 'prototype-design': 2 },
    { tags: ['__proto__', 'constructor', 'prototype'] }, // values, not keys
    json('{"a": {"b": {"c": [1, 2, {"d": null}]}}}'),
  ]) {
    assert.deepEqual(findPrototypeKeys(v), [], JSON.stringify(v));
  }
  for (const v of [null, undefined, 1, 'str', true]) assert.deepEqual(findPrototypeKeys(v), []);
});

test('findPrototypeKeys: bounded depth, size and cycles', () => {
  let deep: Record<string, unknown> = json('{"__proto__": {"x": 1}}') as Record<string, unknown>;
  for (let i = 0; i < 50; i++) deep = { a: deep };
  assert.deepEqual(findPrototypeKeys(deep), []); // beyond the default depth
  assert.equal(findPrototypeKeys(deep, 60).length, 1);
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  assert.deepEqual(findPrototypeKeys(cyclic), []);
  // The walk visits at most 10,000 objects: a prototype key behind 50,000 siblings is beyond it.
  const wide: Record<string, unknown> = {};
  for (let i = 0; i < 50_000; i++) wide[`k${i}`] = { v: i };
  wide.last = json('{"__proto__": 1}');
  assert.deepEqual(findPrototypeKeys({ wide }), []);
  assert.deepEqual(findPrototypeKeys({ wide: { last: wide.last } }), ['wide.last.__proto__']);
  // many dangerous keys: the list stays short
  const many: Record<string, unknown> = {};
  for (let i = 0; i < 100; i++) many[`k${i}`] = json('{"__proto__": 1}');
  assert.equal(findPrototypeKeys(many).length, 16);
});

// ---------------------------------------------------------------------------
// detectPrototypePollution

test('detectPrototypePollution: finding with the input path', () => {
  const f = detectPrototypePollution([
    { source: 'query', path: 'query', value: { q: 'shoes' } },
    { source: 'body', path: 'body', value: json('{"profile": {"__proto__": {"isAdmin": true}}}') },
  ]);
  assert.ok(f);
  assert.equal(f.rule, 'prototype_pollution');
  assert.equal(f.threatLevel, 'high');
  assert.ok(f.confidence >= 0.85);
  assert.equal(f.input?.source, 'body');
  assert.equal(f.input?.path, 'body.profile.__proto__');
  assert.equal(f.detail?.paths, 'profile.__proto__');
  assert.equal(detectPrototypePollution(body(json('{"constructor": {"prototype": {"polluted": 1}}}')))?.input?.path, 'body.constructor.prototype');
});

test('detectPrototypePollution: benign requests', () => {
  assert.equal(detectPrototypePollution([]), null);
  assert.equal(detectPrototypePollution(body({ constructor: 'Bob the builder', sku: 'LEGO-1' })), null);
  assert.equal(detectPrototypePollution(body(qs.parse('a[__proto__][x]=1&constructor[prototype][y]=2'))), null); // qs defaults drop them
  assert.equal(detectPrototypePollution([{ source: 'headers', path: 'headers', value: { 'user-agent': 'x' } }]), null);
});

// ---------------------------------------------------------------------------
// newPrototypeKeys

test('newPrototypeKeys: keys added to the prototype after the baseline', () => {
  const baseline = new Set(Object.getOwnPropertyNames(Object.prototype));
  assert.deepEqual(newPrototypeKeys(baseline), []);
  const proto = Object.prototype as Record<string, unknown>;
  try {
    proto.vigilTestPolluted = true;
    assert.deepEqual(newPrototypeKeys(baseline), ['vigilTestPolluted']);
  } finally {
    delete proto.vigilTestPolluted;
  }
  assert.deepEqual(newPrototypeKeys(baseline), []);
  // any prototype, e.g. a sandbox's
  const other = { a: 1 };
  assert.deepEqual(newPrototypeKeys(new Set(['a']), Object.assign(other, { b: 2 })), ['b']);
});

// ---------------------------------------------------------------------------
// Robustness

test('property: never throws, and finds a __proto__ key planted anywhere', () => {
  const tree = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, fc.jsonValue(), fc.dictionary(fc.string(), tie('node'), { maxKeys: 4 }), fc.array(tie('node'), { maxLength: 3 })),
  })).node;
  fc.assert(
    fc.property(tree, fc.array(fc.string({ minLength: 1, maxLength: 5 }).filter((k) => !k.includes('__proto__') && !k.includes('prototype')), { maxLength: 5 }), (value, path) => {
      findPrototypeKeys(value);
      detectPrototypePollution(body(value));
      // plant `{"__proto__": {...}}` at `path` through JSON text (own key, as JSON.parse makes it)
      let text = '{"__proto__": {"polluted": true}}';
      for (let i = path.length - 1; i >= 0; i--) text = `{${JSON.stringify(path[i])}: ${text}}`;
      const planted = JSON.parse(text) as unknown;
      assert.deepEqual(findPrototypeKeys(planted), [[...path, '__proto__'].join('.')]);
    }),
    { numRuns: 500 },
  );
  // proxies that throw do not escape
  const hostile = new Proxy({}, { ownKeys: () => { throw new Error('boom'); } });
  assert.deepEqual(findPrototypeKeys(hostile), []);
  assert.equal(detectPrototypePollution(body(hostile)), null);
});
