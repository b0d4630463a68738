// npm run demo: start the example shop under Vigil in block mode, send it a
// few attacks and ordinary requests, print what Vigil decided for each.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const shop = join(root, 'examples/express-shop');
const events = join(mkdtempSync(join(tmpdir(), 'vigil-demo-')), 'events.jsonl');

const child = spawn(process.execPath, ['--require', '@vigil/agent/register', 'server.js'], {
  cwd: shop,
  env: { ...process.env, PORT: '0', VIGIL_MODE: 'block', VIGIL_EVENTS_FILE: events, VIGIL_LOG_LEVEL: 'silent' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const base = await new Promise((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) resolve(m[1]);
  });
  child.once('exit', (code) => reject(new Error(`shop exited with ${code}`)));
});

const json = (body) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64');
const requests = [
  ['benign', 'search products', '/products?q=lamp'],
  ['benign', "search with an apostrophe (safe endpoint)", `/safe/products?q=${encodeURIComponent("O'Reilly")}`],
  ['benign', 'sort by two columns', `/products?sort=${encodeURIComponent('price desc, name')}`],
  ['benign', 'log in', '/login', json({ username: 'alice', password: 'wonderland' })],
  ['attack', 'UNION exfiltration in a LIKE', `/products?q=${encodeURIComponent("x' UNION SELECT id, username, secret FROM users--")}`],
  ['attack', 'tautology in a route param', `/products/${encodeURIComponent('0 OR 1=1')}`],
  ['attack', 'login bypass in a JSON body', '/login', json({ username: "alice'--", password: 'nope' })],
  ['attack', 'injection inside base64 JSON', `/search?f=${b64({ category: "x' UNION SELECT id, secret FROM users--" })}`],
  ['attack', 'ORDER BY with a subquery', `/products?sort=${encodeURIComponent('(SELECT secret FROM users LIMIT 1)')}`],
  ['benign', 'ping a host name', `/ping?host=${encodeURIComponent('example.com')}`],
  ['attack', 'command injection into ping', `/ping?host=${encodeURIComponent('example.com; cat /etc/passwd')}`],
  ['benign', 'read a public file with a space in its name', `/files?name=${encodeURIComponent('my photo.jpg')}`],
  ['attack', 'path traversal to /etc/passwd', `/files?name=${encodeURIComponent('../../../../../../etc/passwd')}`],
  ['benign', 'a user formula: price * qty', `/calc?expr=${encodeURIComponent('price * qty')}`],
  ['attack', 'code injection through the formula', `/calc?expr=${encodeURIComponent("require('child_process').execSync('id').toString()")}`],
  ['attack', 'SSRF to the shop itself (loopback)', (base) => `/fetch?url=${encodeURIComponent(`${base}/health`)}`],
];

const rows = [];
for (const [kind, what, path, init] of requests) {
  const res = await fetch(base + (typeof path === 'function' ? path(base) : path), init);
  const text = await res.text();
  const leaked = kind === 'attack' && /FLAG\{|root:x:0:0|uid=\d/.test(text);
  rows.push({ kind, what, status: res.status, vigil: res.headers.get('x-vigil-block') === 'true' ? 'BLOCKED' : 'passed', leaked: leaked ? 'ATTACK WORKED' : '' });
}
await new Promise((r) => setTimeout(r, 100));
child.kill('SIGTERM');

const width = (k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length));
const cols = ['kind', 'what', 'status', 'vigil', 'leaked'];
const line = (r) => cols.map((c) => String(r[c]).padEnd(width(c))).join('  ');
console.log(line(Object.fromEntries(cols.map((c) => [c, c]))));
console.log(cols.map((c) => '-'.repeat(width(c))).join('  '));
for (const r of rows) console.log(line(r));
const written = existsSync(events) ? readFileSync(events, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
console.log(`\n${written.length} security events written to ${events}`);
for (const e of written) console.log(`  ${e.verdict.padEnd(8)} ${e.rule.padEnd(14)} ${e.input ? `${e.input.source}${e.input.transform ? ` (${e.input.transform})` : ''}` : ''}: ${e.description}`);
const attacksPassed = rows.filter((r) => r.kind === 'attack' && r.vigil !== 'BLOCKED').length;
const benignBlocked = rows.filter((r) => r.kind === 'benign' && r.vigil === 'BLOCKED').length;
console.log(`\nattacks blocked: ${rows.filter((r) => r.kind === 'attack').length - attacksPassed}/${rows.filter((r) => r.kind === 'attack').length}, benign requests blocked: ${benignBlocked}`);
process.exitCode = attacksPassed + benignBlocked === 0 ? 0 : 1;
