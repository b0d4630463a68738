'use strict';
// A deliberately vulnerable shop on Fastify. The "vulnerable" handlers build
// SQL from request input; the "safe" one binds it. Never deploy it.
const { graphql, buildSchema } = require('graphql');
const { openShopDb, parseCookies } = require('./db');

/** `fastify` is the factory: Fastify 5 from this example, or Fastify 4 from compat/fastify4. */
function createApp(fastify) {
  const db = openShopDb();
  // warn level: a blocked request must not make Fastify log warnings or errors.
  const app = fastify({ logger: { level: 'warn' } });

  app.get('/health', async () => ({ ok: true }));

  // vulnerable: query string
  app.get('/products', async (request) => {
    const q = String(request.query.q ?? '');
    return db.prepare(`SELECT id, name, price FROM products WHERE name LIKE '%${q}%'`).all();
  });

  // vulnerable: route param (numeric slot)
  app.get('/products/:id', async (request, reply) => {
    const row = db.prepare(`SELECT id, name, price FROM products WHERE id = ${request.params.id}`).get();
    if (!row) return reply.code(404).send({ error: 'not found' });
    return row;
  });

  // vulnerable: JSON body (sync handler; the block is thrown straight out of it)
  app.post('/login', (request, reply) => {
    const { username, password } = request.body ?? {};
    const user = db.prepare(`SELECT id, username, secret FROM users WHERE username = '${username}' AND password = '${password}'`).get();
    if (!user) return reply.code(401).send({ error: 'invalid credentials' });
    reply.send({ id: user.id, username: user.username, secret: user.secret });
  });

  // vulnerable: header; the app catches the error and tries to answer 500 itself
  app.get('/me', async (request, reply) => {
    try {
      const user = db.prepare(`SELECT id, username FROM users WHERE username = '${request.headers['x-user']}'`).get();
      return user ?? reply.code(404).send({ error: 'no such user' });
    } catch (err) {
      return reply.code(500).send({ error: 'lookup failed', message: err.message });
    }
  });

  // vulnerable: cookie
  app.get('/account', async (request) => {
    const { user } = parseCookies(request.headers.cookie);
    return db.prepare(`SELECT id, username FROM users WHERE username = '${user}'`).all();
  });

  // safe: parameterised
  app.get('/safe/products', async (request) => {
    return db.prepare('SELECT id, name, price FROM products WHERE name LIKE ?').all(`%${String(request.query.q ?? '')}%`);
  });

  // GraphQL (graphql-js): the resolver builds SQL from its argument.
  const schema = buildSchema(`
    type Product { id: Int, name: String, price: Float }
    type Query { products(q: String): [Product] }
  `);
  const rootValue = {
    products: ({ q }) => db.prepare(`SELECT id, name, price FROM products WHERE name LIKE '%${q ?? ''}%'`).all(),
  };
  app.post('/graphql', async (request) => {
    const { query, variables, operationName } = request.body ?? {};
    return graphql({ schema, source: String(query ?? ''), rootValue, variableValues: variables, operationName });
  });

  return { app, db };
}

module.exports = { createApp };
