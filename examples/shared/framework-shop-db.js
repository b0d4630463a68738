'use strict';
// The shop's data: an in-memory SQLite database seeded at start-up.
const Database = require('better-sqlite3');

function openShopDb() {
  const db = new Database(':memory:');
  db.exec(`
    CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL NOT NULL);
    CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT UNIQUE NOT NULL, password TEXT NOT NULL, secret TEXT NOT NULL);
  `);
  const addProduct = db.prepare('INSERT INTO products (name, price) VALUES (?, ?)');
  for (const [name, price] of [
    ['Laptop', 999.0],
    ['Phone', 599.0],
    ["O'Reilly book", 39.5],
    ['Desk lamp', 25.0],
    ['Coffee mug', 9.5],
  ]) addProduct.run(name, price);
  const addUser = db.prepare('INSERT INTO users (username, password, secret) VALUES (?, ?, ?)');
  addUser.run('alice', 'wonderland', 'FLAG{alice-secret}');
  addUser.run('bob', 'builder', 'FLAG{bob-secret}');
  return db;
}

/** Cookie header → { name: value } (the shops parse cookies by hand to need no plugin). */
function parseCookies(header) {
  const out = {};
  for (const pair of String(header ?? '').split(';')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      /* keep raw */
    }
    if (!(name in out)) out[name] = value;
  }
  return out;
}

module.exports = { openShopDb, parseCookies };
