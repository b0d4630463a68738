import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { graphqlExecute } from './index.js';
import { RequestContext, requestStorage } from '../../context/request-context.js';
import { IpMatcher } from '../../context/ip.js';

// graphql-js is installed for the examples (examples/fastify-shop); the hook
// patches its execution module the way require-in-the-middle would.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const gql = require('graphql') as typeof import('graphql');

function context(): RequestContext {
  const req = { method: 'POST', url: '/graphql', headers: {}, socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage;
  return new RequestContext(req, undefined, new IpMatcher([]));
}

describe('graphql source', () => {
  const schema = gql.buildSchema(`
    input Filter { name: String, tags: [String] }
    type Query { products(q: String, limit: Int, filter: Filter): [String] }
  `);
  let seen: RequestContext | undefined;
  const rootValue = {
    products: () => {
      seen = requestStorage.getStore();
      return ['ok'];
    },
  };

  before(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    graphqlExecute.patch(require('graphql/execution/execute.js'), '16.0.0');
  });

  it('adds literal string arguments, nested input objects and lists, as graphql.<field>.<argument>', async () => {
    const ctx = context();
    const source = `{ products(q: "x' OR '1'='1", limit: 3, filter: { name: "ann", tags: ["a b", "c;d"] }) }`;
    const result = await requestStorage.run(ctx, () => gql.graphql({ schema, source, rootValue }));
    assert.deepEqual(result.errors, undefined);
    assert.equal(seen, ctx);
    const inputs = ctx.inputs().filter((i) => i.source === 'graphql' && i.transform === undefined);
    const byPath = Object.fromEntries(inputs.map((i) => [i.path, i.value]));
    assert.equal(byPath['graphql.products.q'], "x' OR '1'='1");
    assert.equal(byPath['graphql.products.filter.name'], 'ann');
    assert.equal(byPath['graphql.products.filter.tags.1'], 'c;d');
    assert.equal(Object.keys(byPath).some((p) => p.includes('limit')), false, 'numbers carry no text');
  });

  it('adds the variables as graphql.variables.<name>, once per execution of the same operation', async () => {
    const ctx = context();
    const variableValues = { q: "admin' --" };
    const source = 'query ($q: String) { products(q: $q) }';
    await requestStorage.run(ctx, () => gql.graphql({ schema, source, rootValue, variableValues }));
    const document = gql.parse(source);
    requestStorage.run(ctx, () => gql.executeSync({ schema, document, rootValue, variableValues }));
    const variables = ctx.inputs().filter((i) => i.path === 'graphql.variables.q');
    assert.equal(variables.length, 1);
    assert.equal(variables[0]!.value, "admin' --");
  });

  it('adds nothing outside a request', async () => {
    const result = await gql.graphql({ schema, source: '{ products(q: "x") }', rootValue });
    assert.deepEqual({ ...result.data }, { products: ['ok'] });
  });
});
