'use strict';
// A deliberately vulnerable shop on Hono (served by @hono/node-server). The
// "vulnerable" handlers build SQL from request input; the "safe" one binds it.
// Never deploy it.
const { Hono } = require('hono');
const { getCookie } = require('hono/cookie');
const { openShopDb } = require('./db');

function createApp() {
  const db = openShopDb();
  const app = new Hono();

  app.get('/health', (c) => c.json({ ok: true }));

  // vulnerable: query string
  app.get('/products', (c) => {
    const q = c.req.query('q') ?? '';
    return c.json(db.prepare(`SELECT id, name, price FROM products WHERE name LIKE '%${q}%'`).all());
  });

  // vulnerable: route param (numeric slot)
  app.get('/products/:id', (c) => {
    const row = db.prepare(`SELECT id, name, price FROM products WHERE id = ${c.req.param('id')}`).get();
    return row ? c.json(row) : c.json({ error: 'not found' }, 404);
  });

  // vulnerable: JSON body (parsed lazily by Hono)
  app.post('/login', async (c) => {
    const { username, password } = await c.req.json();
    const user = db.prepare(`SELECT id, username, secret FROM users WHERE username = '${username}' AND password = '${password}'`).get();
    if (!user) return c.json({ error: 'invalid credentials' }, 401);
    return c.json({ id: user.id, username: user.username, secret: user.secret });
  });

  // vulnerable: form body
  app.post('/login-form', async (c) => {
    const { username, password } = await c.req.parseBody();
    const user = db.prepare(`SELECT id, username FROM users WHERE username = '${username}' AND password = '${password}'`).get();
    return user ? c.json(user) : c.json({ error: 'invalid credentials' }, 401);
  });

  // vulnerable: header; the handler catches the error and tries to answer 500 itself
  app.get('/me', (c) => {
    try {
      return c.json(db.prepare(`SELECT id, username FROM users WHERE username = '${c.req.header('x-user')}'`).get() ?? {});
    } catch (err) {
      return c.json({ error: 'lookup failed', message: err.message }, 500);
    }
  });

  // vulnerable: cookie
  app.get('/account', (c) => {
    return c.json(db.prepare(`SELECT id, username FROM users WHERE username = '${getCookie(c, 'user')}'`).all());
  });

  // safe: parameterised
  app.get('/safe/products', (c) => {
    return c.json(db.prepare('SELECT id, name, price FROM products WHERE name LIKE ?').all(`%${c.req.query('q') ?? ''}%`));
  });

  return { app, db };
}

module.exports = { createApp };
