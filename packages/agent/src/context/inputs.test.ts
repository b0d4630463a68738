import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { collectInputs, DEFAULT_LIMITS } from './inputs.js';

const find = (inputs: ReturnType<typeof collectInputs>, value: string) => inputs.find((i) => i.value === value);

describe('request input flattening', () => {
  it('flattens nested bodies, arrays and keys with their source paths', () => {
    const inputs = collectInputs([
      { source: 'body', prefix: 'body', value: { user: { name: 'Ann', tags: ['a b', 'c d'] }, "k'ey": 1 } },
      { source: 'query', prefix: 'query', value: { q: 'lamp' } },
    ]);
    assert.equal(find(inputs, 'Ann')?.path, 'body.user.name');
    assert.equal(find(inputs, 'c d')?.path, 'body.user.tags.1');
    assert.equal(find(inputs, "k'ey")?.transform, 'key');
    assert.equal(find(inputs, 'lamp')?.source, 'query');
  });

  it('adds the decoded forms an app would see', () => {
    const payload = "' OR 1=1--";
    const b64 = Buffer.from(JSON.stringify({ category: payload })).toString('base64');
    const jwt = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify({ sub: "x' UNION SELECT 1--" })).toString('base64url')}.sig`;
    const inputs = collectInputs([
      {
        source: 'body',
        prefix: 'body',
        value: {
          b: b64,
          j: JSON.stringify({ inner: '../../etc/passwd' }),
          u: '%27%20OR%201%3D1',
          h: Buffer.from('; cat /etc/passwd').toString('hex'),
          w: '\uff07 OR 1=1',
          t: jwt,
        },
      },
    ]);
    assert.equal(find(inputs, payload)?.transform, 'base64+json');
    assert.equal(find(inputs, '../../etc/passwd')?.transform, 'json');
    assert.equal(find(inputs, "' OR 1=1")?.transform, 'url');
    assert.equal(find(inputs, '; cat /etc/passwd')?.transform, 'hex');
    assert.equal(find(inputs, "' OR 1=1")?.path, 'body.u');
    assert.ok(inputs.some((i) => i.transform === 'nfkc' && i.value === "' OR 1=1"));
    assert.equal(find(inputs, "x' UNION SELECT 1--")?.transform, 'jwt');
  });

  it('does not decode plain words or numbers as base64/hex', () => {
    const inputs = collectInputs([{ source: 'query', prefix: 'query', value: { a: 'password', b: '12345678', c: 'deadbeef' } }]);
    assert.equal(inputs.filter((i) => i.transform !== undefined).length, 0);
  });

  it('skips protocol headers and the raw cookie header', () => {
    const inputs = collectInputs([{ source: 'headers', prefix: 'headers', value: { cookie: 'sid=abc', 'user-agent': "sqlmap' --", 'content-length': '12' } }]);
    assert.deepEqual(inputs.map((i) => i.path), ['headers.user-agent']);
  });

  it('reuses the inputs of a header value seen before, whichever value came last, and never under another header', () => {
    const headers = (ua: string, ref: string) => collectInputs([{ source: 'headers', prefix: 'headers', value: { 'user-agent': ua, referer: ref } }]);
    // Fresh strings each time, as each request's parser makes them.
    const fresh = (text: string) => [...text].join('');
    const uaA = 'Mozilla/5.0 (X11; Linux x86_64) Gecko';
    const uaB = "curl/8.5.0' OR 1=1--";
    const refA = 'https://shop.example.com/products?page=2';
    const first = headers(fresh(uaA), fresh(refA));
    const second = headers(fresh(uaB), fresh(refA));
    // The referer's last value is refA; a user agent equal to it is still the user agent's own input.
    const third = headers(fresh(refA), fresh(uaA));
    const fourth = headers(fresh(uaA), fresh(refA));
    const pairs = (inputs: ReturnType<typeof collectInputs>) => inputs.map((i) => [i.path, i.value]);
    assert.deepEqual([first, second, third, fourth].map(pairs), [
      [['headers.user-agent', uaA], ['headers.referer', refA]],
      [['headers.user-agent', uaB], ['headers.referer', refA]],
      [['headers.user-agent', refA], ['headers.referer', uaA]],
      [['headers.user-agent', uaA], ['headers.referer', refA]],
    ]);
    // Computed once per header and value: the same objects come back, for the last value and for an earlier one.
    assert.equal(second[1], first[1]);
    assert.equal(fourth[0], first[0]);
    assert.equal(fourth[1], first[1]);
  });

  it('adds the code between template delimiters (what a template engine compiles)', () => {
    const inputs = collectInputs([
      { source: 'query', prefix: 'query', value: { a: "Hi <%= process.mainModule.require('fs') %>!", b: 'Total: ${process.env.HOME} and #{ x.y() }', c: '{{ constructor.constructor }}', d: '<%- inc -%>' } },
    ]);
    assert.equal(find(inputs, "process.mainModule.require('fs')")?.transform, 'template');
    assert.equal(find(inputs, 'process.env.HOME')?.path, 'query.b');
    assert.equal(find(inputs, 'x.y()')?.transform, 'template');
    assert.equal(find(inputs, 'constructor.constructor')?.transform, 'template');
    assert.equal(find(inputs, 'inc')?.transform, 'template');
    // Plain text with a stray brace or percent sign gives no fragment.
    const plain = collectInputs([{ source: 'query', prefix: 'query', value: { a: '50% off {today}', b: 'cost: $5 {each}' } }]);
    assert.equal(plain.filter((i) => i.transform === 'template').length, 0);
  });

  it('stays bounded on a hostile body', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    const wide = Array.from({ length: 100_000 }, (_, i) => `value-${i}`);
    const inputs = collectInputs([
      { source: 'body', prefix: 'body', value: deep },
      { source: 'body', prefix: 'body', value: wide },
    ]);
    assert.ok(inputs.length <= DEFAULT_LIMITS.maxInputs);
    assert.ok(inputs.length > 0);
  });
});
