'use strict';
// A deliberately vulnerable shop on Koa (koa-bodyparser, @koa/router). The
// "vulnerable" handlers build SQL from request input; the "safe" one binds it.
// Never deploy it.
const Router = require('@koa/router');
const bodyParser = require('koa-bodyparser');
const { openShopDb } = require('./db');

/** `Koa` is the Application class: Koa 3 from this example, or Koa 2 from compat/koa2. */
function createApp(Koa) {
  const db = openShopDb();
  const app = new Koa();
  const router = new Router();

  // Errors go to Koa's own ctx.onerror (500 and a log line), except where a handler catches them.
  app.use(bodyParser());

  router.get('/health', (ctx) => {
    ctx.body = { ok: true };
  });

  // vulnerable: query string
  router.get('/products', (ctx) => {
    const q = String(ctx.query.q ?? '');
    ctx.body = db.prepare(`SELECT id, name, price FROM products WHERE name LIKE '%${q}%'`).all();
  });

  // vulnerable: route param (numeric slot)
  router.get('/products/:id', (ctx) => {
    const row = db.prepare(`SELECT id, name, price FROM products WHERE id = ${ctx.params.id}`).get();
    if (!row) ctx.throw(404, 'not found');
    ctx.body = row;
  });

  // vulnerable: JSON body
  router.post('/login', (ctx) => {
    const { username, password } = ctx.request.body ?? {};
    const user = db.prepare(`SELECT id, username, secret FROM users WHERE username = '${username}' AND password = '${password}'`).get();
    if (!user) {
      ctx.status = 401;
      ctx.body = { error: 'invalid credentials' };
      return;
    }
    ctx.body = { id: user.id, username: user.username, secret: user.secret };
  });

  // vulnerable: header; the handler catches the error and tries to answer 500 itself
  router.get('/me', (ctx) => {
    try {
      ctx.body = db.prepare(`SELECT id, username FROM users WHERE username = '${ctx.get('x-user')}'`).get() ?? {};
    } catch (err) {
      ctx.status = 500;
      ctx.body = { error: 'lookup failed', message: err.message };
    }
  });

  // vulnerable: cookie
  router.get('/account', (ctx) => {
    ctx.body = db.prepare(`SELECT id, username FROM users WHERE username = '${ctx.cookies.get('user')}'`).all();
  });

  // safe: parameterised
  router.get('/safe/products', (ctx) => {
    ctx.body = db.prepare('SELECT id, name, price FROM products WHERE name LIKE ?').all(`%${String(ctx.query.q ?? '')}%`);
  });

  app.use(router.routes()).use(router.allowedMethods());
  return { app, db };
}

module.exports = { createApp };
