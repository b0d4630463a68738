import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestContext, attachContext, attachedContext, attachedCount, copyingBodies, detachRequest, detachResponse, parseFlatQuery } from './request-context.js';
import { IpMatcher } from './ip.js';

/** An Express-like request: `query` is a getter that parses on every read (as in Express 5), counted. */
function expressLikeRequest(url: string, parsedQuery: unknown, extra: Record<string, unknown> = {}): { req: IncomingMessage; queryReads: () => number } {
  let reads = 0;
  const req = {
    method: 'GET',
    url,
    headers: { host: 'shop.example', 'user-agent': 'test' },
    socket: { remoteAddress: '127.0.0.1' },
    params: {},
    ...extra,
  };
  Object.defineProperty(req, 'query', {
    get() {
      reads++;
      return parsedQuery;
    },
  });
  return { req: req as unknown as IncomingMessage, queryReads: () => reads };
}

const noProxies = new IpMatcher([]);

describe('parseFlatQuery', () => {
  it('splits pairs, decodes escapes and + as space, keeps repeats and empty values', () => {
    const q = parseFlatQuery('?a=1&b=x%20y+z&a=2&c&d=&&e=%27%20OR%201%3D1', 1);
    assert.deepEqual({ ...q }, { a: ['1', '2'], b: 'x y z', c: '', d: '', e: "' OR 1=1" });
  });

  it('keeps a malformed escape as the client sent it', () => {
    assert.equal(parseFlatQuery('p=100%&q=%E0%A4%A')['p'], '100%');
    assert.equal(parseFlatQuery('q=%E0%A4%A')['q'], '%E0%A4%A');
  });

  it('treats __proto__ as an ordinary key (no prototype change)', () => {
    const q = parseFlatQuery('__proto__=x&constructor=y');
    assert.equal(Object.getPrototypeOf(q), null);
    assert.equal(q['__proto__'], 'x');
    assert.equal(q['constructor'], 'y');
  });
});

describe('RequestContext inputs', () => {
  it('reads flat query strings from the URL without asking the framework to parse again', () => {
    const { req, queryReads } = expressLikeRequest('/products?q=lamp%27%20OR%201%3D1&page=2', { q: "lamp' OR 1=1", page: '2' });
    const ctx = new RequestContext(req, undefined, noProxies);
    const inputs = ctx.inputs();
    assert.deepEqual(
      inputs.filter((i) => i.source === 'query').map((i) => [i.path, i.value]),
      [
        ['query.q', "lamp' OR 1=1"],
        ['query.page', '2'],
      ],
    );
    assert.equal(queryReads(), 0);
  });

  it('a repeated key is an array to every parser: its values keep their index paths; keys with syntax are inputs', () => {
    const { req, queryReads } = expressLikeRequest("/p?tag=a%20b&tag=c%3Bd&x'y=1", {});
    const inputs = new RequestContext(req, undefined, noProxies).inputs().filter((i) => i.source === 'query');
    assert.deepEqual(
      inputs.map((i) => [i.path, i.value, i.transform]),
      [
        ['query.tag.0', 'a b', undefined],
        ['query.tag.1', 'c;d', undefined],
        ["query.x'y", "x'y", 'key'],
        ["query.x'y", '1', undefined],
      ],
    );
    assert.equal(queryReads(), 0);
  });

  it('finds a repeated key among many, and reads a short query after a long one with nothing left over', () => {
    const many = Array.from({ length: 40 }, (_, i) => `k${i}=v${i}`).join('&');
    const long = expressLikeRequest(`/p?${many}&k39=again`, {}).req;
    const paths = new RequestContext(long, undefined, noProxies).inputs().filter((i) => i.source === 'query').map((i) => i.path);
    assert.equal(paths.length, 41);
    assert.deepEqual(paths.slice(-2), ['query.k39.0', 'query.k39.1']);
    // The pairs of the long query string must not leak into the next request's inputs.
    const short = expressLikeRequest('/p?q=lamp', {}).req;
    const inputs = new RequestContext(short, undefined, noProxies).inputs().filter((i) => i.source === 'query');
    assert.deepEqual(inputs.map((i) => [i.path, i.value]), [['query.q', 'lamp']]);
  });

  it('a JSON number in a parsed body is input as the text the app would make of it', () => {
    const { req } = expressLikeRequest('/fetch', {}, { method: 'POST', headers: { host: 'x', 'content-length': '24' }, body: { host: 2130706433, n: 1.5 } });
    const inputs = new RequestContext(req, undefined, noProxies).inputs();
    assert.equal(inputs.find((i) => i.value === '2130706433')?.path, 'body.host');
    assert.equal(inputs.find((i) => i.value === '1.5')?.path, 'body.n');
  });

  it("uses the framework's parse for bracket keys, whose nesting differs between parsers", () => {
    const { req, queryReads } = expressLikeRequest('/users?user[name]=x%27--', { user: { name: "x'--" } });
    const ctx = new RequestContext(req, undefined, noProxies);
    const input = ctx.inputs().find((i) => i.value === "x'--");
    assert.equal(input?.path, 'query.user.name');
    assert.ok(queryReads() > 0);
    const escaped = expressLikeRequest('/users?user%5Bname%5D=x%27--', { user: { name: "x'--" } });
    new RequestContext(escaped.req, undefined, noProxies).inputs();
    assert.ok(escaped.queryReads() > 0);
  });

  it("gives structural detectors the framework's objects, only when asked", () => {
    const operator = { $ne: null };
    const { req, queryReads } = expressLikeRequest('/login?user=admin', { user: operator });
    const ctx = new RequestContext(req, undefined, noProxies);
    ctx.inputs();
    assert.equal(queryReads(), 0);
    const objects = ctx.objectInputs();
    assert.equal(objects.find((o) => o.source === 'query')?.value, ctx.query);
    assert.deepEqual((objects.find((o) => o.source === 'query')?.value as { user: unknown }).user, operator);
  });

  it('still adds decoded forms of query values (base64 JSON the app decodes)', () => {
    const payload = Buffer.from(JSON.stringify({ category: "' UNION SELECT secret FROM users--" })).toString('base64');
    const { req } = expressLikeRequest(`/search?f=${encodeURIComponent(payload)}`, { f: payload });
    const ctx = new RequestContext(req, undefined, noProxies);
    const decoded = ctx.inputs().find((i) => i.value === "' UNION SELECT secret FROM users--");
    assert.equal(decoded?.path, 'query.f.category');
    assert.equal(decoded?.transform, 'base64+json');
  });

  it('recomputes once the framework has parsed a body, and reads cookies from the header', () => {
    const { req } = expressLikeRequest('/comments', {}, { headers: { cookie: 'sid=abc; pref=%22x%22' } });
    const ctx = new RequestContext(req, undefined, noProxies);
    assert.equal(ctx.inputs().find((i) => i.source === 'body'), undefined);
    assert.equal(ctx.inputs().find((i) => i.path === 'cookies.pref')?.value, '"x"');
    (req as unknown as { body: unknown }).body = { author: "x' OR '1'='1" };
    assert.equal(ctx.inputs().find((i) => i.source === 'body')?.value, "x' OR '1'='1");
  });

  it('reads a served request\'s body only when one came on the wire (length or chunked)', () => {
    const res = {} as unknown as ServerResponse;
    const served = (headers: Record<string, string>) => {
      const { req } = expressLikeRequest('/items', {}, { headers: { host: 'shop.example', ...headers }, body: { name: "x' OR 1=1--" } });
      return new RequestContext(req, res, noProxies).inputs().some((i) => i.source === 'body');
    };
    assert.equal(served({}), false);
    assert.equal(served({ 'content-length': '0' }), false);
    assert.equal(served({ 'content-length': '24', 'content-type': 'application/json' }), true);
    assert.equal(served({ 'transfer-encoding': 'chunked' }), true);
    // A context made in code (withContext) has no wire: its body always counts.
    const { req } = expressLikeRequest('/job', {}, { body: { name: "x' OR 1=1--" } });
    assert.ok(new RequestContext(req, undefined, noProxies).inputs().some((i) => i.source === 'body'));
  });
});

describe('body copies in flight', () => {
  // The http source skips a request's 'data'/'end' events without reading the request while no copy is in flight.
  const context = () => new RequestContext(expressLikeRequest('/upload', {}).req, undefined, noProxies);

  it('a copy counts from its start until the body ends, overflows, or the response closes first', () => {
    assert.equal(copyingBodies(), false);
    const ended = context();
    ended.teeBody('json', 1024);
    assert.equal(copyingBodies(), true);
    ended.bodyChunk(Buffer.from('{"q":"lamp"}'));
    ended.bodyEnd();
    ended.closed();
    assert.equal(copyingBodies(), false);
    assert.deepEqual(ended.body, { q: 'lamp' });

    const overflow = context();
    overflow.teeBody('text', 4);
    overflow.bodyChunk('too long');
    assert.equal(copyingBodies(), false);
    overflow.bodyEnd();
    assert.equal(copyingBodies(), false);

    const abandoned = context();
    abandoned.teeBody('form', 1024);
    abandoned.bodyChunk('a=1');
    abandoned.closed();
    abandoned.closed();
    assert.equal(copyingBodies(), false);
    assert.equal(abandoned.body, undefined);
  });
});

describe('served requests registry', () => {
  it('finds each of many requests in flight by its request and its response, and keeps none once detached', () => {
    // More than the short array holds: the rest go to the overflow Map.
    const served = Array.from({ length: 80 }, (_, i) => {
      const { req } = expressLikeRequest(`/r/${i}`, {});
      const res = { n: i } as unknown as ServerResponse;
      const ctx = new RequestContext(req, res, noProxies);
      attachContext(req, res, ctx);
      return { req, res, ctx };
    });
    assert.equal(attachedCount(), 160);
    for (const { req, res, ctx } of served) {
      assert.equal(attachedContext(req), ctx);
      assert.equal(attachedContext(res), ctx);
    }
    assert.equal(attachedContext({}), undefined);
    // Responses close in an order unlike arrival; every other request stays attached a while (the app listens to its stream).
    const order = served.map((_, i) => (i * 37) % served.length);
    for (const i of order) {
      const { req, res, ctx } = served[i]!;
      detachResponse(ctx);
      assert.equal(attachedContext(res), undefined);
      if (i % 2 === 0) detachRequest(ctx);
      assert.equal(attachedContext(req), i % 2 === 0 ? undefined : ctx);
      for (const other of served) if (other.ctx !== ctx && other.ctx.requestAttached) assert.equal(attachedContext(other.req), other.ctx);
    }
    for (const { ctx } of served) detachRequest(ctx);
    assert.equal(attachedCount(), 0);
    for (const { req, res } of served) {
      assert.equal(attachedContext(req), undefined);
      assert.equal(attachedContext(res), undefined);
    }
  });
});
