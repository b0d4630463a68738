// The ESM flavour of the shop: node --import @vigil/agent/register server.mjs
// It imports its framework, driver and built-ins as ES modules, to prove that
// Vigil protects ESM apps through the same hooks.
import express from 'express';
import Database from 'better-sqlite3';
import { execSync } from 'node:child_process';

const db = new Database(':memory:');
db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, secret TEXT); INSERT INTO users (username, secret) VALUES ('alice', 'FLAG{alice-secret}'), ('bob', 'FLAG{bob-secret}');");

const app = express();
app.use(express.json());
app.get('/health', (req, res) => res.json({ ok: true, esm: true }));
app.get('/users', (req, res) => {
  const rows = db.prepare(`SELECT id, username FROM users WHERE username = '${req.query.name ?? ''}'`).all();
  res.json(rows);
});
app.get('/echo', (req, res) => {
  res.type('text/plain').send(execSync(`echo ${req.query.text ?? ''}`).toString());
});
// eslint-disable-next-line @typescript-eslint/no-unused-vars
app.use((err, req, res, next) => res.status(500).json({ error: 'internal error', message: err.message }));

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`express-shop (esm) listening on http://127.0.0.1:${server.address().port}`);
});
