'use strict';
// The shop's data: an in-memory SQLite database seeded at start-up.
const Database = require('better-sqlite3');

function openShopDb() {
  const db = new Database(':memory:');
  db.exec(`
    CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL NOT NULL, category TEXT NOT NULL);
    CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT UNIQUE NOT NULL, password TEXT NOT NULL, secret TEXT NOT NULL);
    CREATE TABLE comments (id INTEGER PRIMARY KEY, author TEXT NOT NULL, body TEXT NOT NULL);
  `);
  const addProduct = db.prepare('INSERT INTO products (name, price, category) VALUES (?, ?, ?)');
  for (const [name, price, category] of [
    ['Laptop', 999.0, 'electronics'],
    ['Phone', 599.0, 'electronics'],
    ["O'Reilly book", 39.5, 'books'],
    ['Desk lamp', 25.0, 'home'],
    ['Coffee mug', 9.5, 'home'],
  ]) addProduct.run(name, price, category);
  const addUser = db.prepare('INSERT INTO users (username, password, secret) VALUES (?, ?, ?)');
  addUser.run('alice', 'wonderland', 'FLAG{alice-secret}');
  addUser.run('bob', 'builder', 'FLAG{bob-secret}');
  const addComment = db.prepare('INSERT INTO comments (author, body) VALUES (?, ?)');
  addComment.run('alice', 'Great lamp!');
  // A row imported long ago (tests use it for second-order injection that no current request explains).
  if (process.env.SHOP_LEGACY_COMMENT_AUTHOR) addComment.run(process.env.SHOP_LEGACY_COMMENT_AUTHOR, 'imported');
  return db;
}

module.exports = { openShopDb };
