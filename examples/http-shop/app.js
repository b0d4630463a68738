'use strict';
// A deliberately vulnerable shop on plain node:http: the app routes, parses
// the query and reads the body itself. The "vulnerable" handlers build SQL
// from request input; the "safe" one binds it. Never deploy it.
const http = require('node:http');
const { openShopDb, parseCookies } = require('./db');

function send(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Reads and parses the body the way small apps do: 'data' chunks, then JSON or a form. */
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        if (String(req.headers['content-type']).startsWith('application/json')) resolve(JSON.parse(text || '{}'));
        else resolve(Object.fromEntries(new URLSearchParams(text)));
      } catch (err) {
        reject(err);
      }
    });
  });
}

function createServer() {
  const db = openShopDb();

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const path = url.pathname;
    try {
      if (req.method === 'GET' && path === '/health') return send(res, 200, { ok: true });

      // vulnerable: query string
      if (req.method === 'GET' && path === '/products') {
        const q = url.searchParams.get('q') ?? '';
        return send(res, 200, db.prepare(`SELECT id, name, price FROM products WHERE name LIKE '%${q}%'`).all());
      }

      // vulnerable: a path segment (the app's own "route param")
      const m = /^\/products\/([^/]+)$/.exec(path);
      if (req.method === 'GET' && m) {
        const row = db.prepare(`SELECT id, name, price FROM products WHERE id = ${decodeURIComponent(m[1])}`).get();
        return row ? send(res, 200, row) : send(res, 404, { error: 'not found' });
      }

      // vulnerable: body the app reads from the stream itself
      if (req.method === 'POST' && path === '/login') {
        const { username, password } = await readBody(req);
        const user = db.prepare(`SELECT id, username, secret FROM users WHERE username = '${username}' AND password = '${password}'`).get();
        if (!user) return send(res, 401, { error: 'invalid credentials' });
        return send(res, 200, { id: user.id, username: user.username, secret: user.secret });
      }

      // vulnerable: header
      if (req.method === 'GET' && path === '/me') {
        return send(res, 200, db.prepare(`SELECT id, username FROM users WHERE username = '${req.headers['x-user']}'`).get() ?? {});
      }

      // vulnerable: cookie
      if (req.method === 'GET' && path === '/account') {
        const { user } = parseCookies(req.headers.cookie);
        return send(res, 200, db.prepare(`SELECT id, username FROM users WHERE username = '${user}'`).all());
      }

      // safe: parameterised
      if (req.method === 'GET' && path === '/safe/products') {
        return send(res, 200, db.prepare('SELECT id, name, price FROM products WHERE name LIKE ?').all(`%${url.searchParams.get('q') ?? ''}%`));
      }

      return send(res, 404, { error: 'not found' });
    } catch (err) {
      // The app's own error answer (after a block Vigil already answered 403; this write is dropped).
      return send(res, 500, { error: 'internal error', message: err.message });
    }
  });
  return { server, db };
}

module.exports = { createServer };
