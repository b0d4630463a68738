'use strict';
// A deliberately vulnerable shop. Every handler under "vulnerable" builds its
// operation from request input the way real apps get it wrong; the "safe"
// ones do it right. Vigil's demo and end-to-end tests drive it. Never deploy it.
const express = require('express');
const { openShopDb } = require('./db');

function createApp() {
  const db = openShopDb();
  const app = express();
  app.use(express.json());
  app.use(express.urlencoded({ extended: true }));

  app.get('/health', (req, res) => res.json({ ok: true }));

  // --- SQL -------------------------------------------------------------
  // vulnerable: string-built LIKE
  app.get('/products', (req, res) => {
    const q = String(req.query.q ?? '');
    const sort = req.query.sort ? ` ORDER BY ${req.query.sort}` : '';
    const rows = db.prepare(`SELECT id, name, price FROM products WHERE name LIKE '%${q}%'${sort}`).all();
    res.json(rows);
  });

  // vulnerable: numeric slot from a route param
  app.get('/products/:id', (req, res) => {
    const row = db.prepare(`SELECT id, name, price FROM products WHERE id = ${req.params.id}`).get();
    if (!row) return res.status(404).json({ error: 'not found' });
    res.json(row);
  });

  // vulnerable: login built by concatenation
  app.post('/login', (req, res) => {
    const { username, password } = req.body ?? {};
    const user = db.prepare(`SELECT id, username, secret FROM users WHERE username = '${username}' AND password = '${password}'`).get();
    if (!user) return res.status(401).json({ error: 'invalid credentials' });
    res.json({ id: user.id, username: user.username, secret: user.secret });
  });

  // vulnerable: a filter the client sends base64-encoded JSON (decoded by the app)
  app.get('/search', (req, res) => {
    let filter = {};
    try {
      filter = JSON.parse(Buffer.from(String(req.query.f ?? ''), 'base64').toString('utf8'));
    } catch {
      return res.status(400).json({ error: 'bad filter' });
    }
    const rows = db.prepare(`SELECT id, name FROM products WHERE category = '${filter.category}'`).all();
    res.json(rows);
  });

  // stored: comments saved safely, searched unsafely later (second-order)
  app.post('/comments', (req, res) => {
    const info = db.prepare('INSERT INTO comments (author, body) VALUES (?, ?)').run(String(req.body.author ?? ''), String(req.body.body ?? ''));
    res.status(201).json({ id: Number(info.lastInsertRowid) });
  });
  app.get('/comments/:id/related', (req, res) => {
    const comment = db.prepare('SELECT author FROM comments WHERE id = ?').get(Number(req.params.id));
    if (!comment) return res.status(404).json({ error: 'not found' });
    const rows = db.prepare(`SELECT id, body FROM comments WHERE author = '${comment.author}'`).all();
    res.json(rows);
  });

  // safe: parameterised
  app.get('/safe/products', (req, res) => {
    const rows = db.prepare('SELECT id, name, price FROM products WHERE name LIKE ?').all(`%${String(req.query.q ?? '')}%`);
    res.json(rows);
  });

  // More vulnerable endpoints, one file per attack class.
  for (const mount of [require('./routes/os'), require('./routes/outbound'), require('./routes/code')]) mount(app, { db });

  // The app's own error handler: hides details, answers 500.
  // Express knows an error handler by its four parameters.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  app.use((err, req, res, next) => {
    res.status(500).json({ error: 'internal error', message: err.message });
  });

  return { app, db };
}

module.exports = { createApp };
