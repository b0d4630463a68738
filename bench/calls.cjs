'use strict';
// Per-call cost of hooked operations, run in its own process so that hooking
// (or not) is a process-wide fact: `node calls.cjs` vs
// `node --require @vigil/agent/register calls.cjs`. Prints JSON.
const { createServer } = require('node:http');
const fs = require('node:fs');
const Database = require('better-sqlite3');

const db = new Database(':memory:');
db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t (name) VALUES ('a')");
const SQL = "SELECT id, name FROM t WHERE name = 'lamp' AND id > 0 ORDER BY id";

function nsPerCall(fn, n) {
  for (let i = 0; i < 2000; i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / n;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const results = {};
results.sqliteOutside = median([1, 2, 3, 4, 5].map(() => nsPerCall(() => db.prepare(SQL), 20000)));
results.statSyncOutside = median([1, 2, 3, 4, 5].map(() => nsPerCall(() => fs.statSync(__filename), 100000 / 5)));
// Function is replaced to see code built from strings: what every `instanceof Function` and `new Function` pays for it.
let sink = 0;
results.instanceofFunction = median([1, 2, 3, 4, 5].map(() => nsPerCall(() => (sink += nsPerCall instanceof Function ? 1 : 0), 200000)));
results.newFunctionOutside = median([1, 2, 3, 4, 5].map(() => nsPerCall(() => new Function('a', 'return a + 1'), 20000)));

// Inside a request: a real http request whose handler runs the loop, with
// ten inputs of which none occurs in the SQL.
const server = createServer((req, res) => {
  const body = {};
  results.sqliteInside = median([1, 2, 3, 4, 5].map(() => nsPerCall(() => db.prepare(SQL), 20000)));
  results.statSyncInside = median([1, 2, 3, 4, 5].map(() => nsPerCall(() => fs.statSync(__filename), 100000 / 5)));
  res.end(JSON.stringify(body));
});
server.listen(0, '127.0.0.1', async () => {
  const q = Array.from({ length: 10 }, (_, i) => `p${i}=value-${i}-x`).join('&');
  await fetch(`http://127.0.0.1:${server.address().port}/search?${q}`, { headers: { 'user-agent': 'bench' } });
  server.close();
  console.log(JSON.stringify(results));
});
