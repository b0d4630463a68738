// A malformed or hostile request never crashes the agent or the app: broken
// percent-encoding, invalid cookies, deep and wide JSON bodies, odd headers.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { startApp, REGISTER, SHOP_DIR } from './helpers.js';
import type { RunningApp } from './helpers.js';

function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (d) => (out += d.toString()));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
    socket.end(request);
  });
}

describe('malformed requests under Vigil', () => {
  let app: RunningApp;
  before(async () => {
    app = await startApp(join(SHOP_DIR, 'server.js'), { nodeArgs: REGISTER, env: { VIGIL_MODE: 'block' } });
  });
  after(() => app.stop());

  it('answers broken encodings, cookies and headers without crashing', async () => {
    const requests = [
      'GET /products?q=%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      'GET /products/%%%%?q=%ZZ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      'GET /products?q=lamp HTTP/1.1\r\nHost: x\r\nCookie: a=%E0%A4%A; =; ;;b="unterminated\r\nConnection: close\r\n\r\n',
      'GET /products?q=lamp HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: ,,,[::1, 999.1.1.1\r\nUser-Agent: \u00ff\u00fe\r\nConnection: close\r\n\r\n',
      'GET /products?q[$gt]=&q[][]=1&q[__proto__][x]=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    ];
    for (const request of requests) {
      const response = await raw(app.port, request);
      assert.match(response, /^HTTP\/1\.1 (200|400|404|500) /, `${JSON.stringify(request)} -> ${response.slice(0, 80)}`);
    }
  });

  it('survives deep, wide and invalid JSON bodies', async () => {
    const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
    const wide = JSON.stringify(Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, `v${i}'`])));
    for (const body of [deep, wide, '{"username": "alice", "password": ', '[[[[[[[[[[[[[[', JSON.stringify({ username: 'x'.repeat(2_000_000), password: 'y' })]) {
      const res = await fetch(`${app.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.ok([400, 401, 403, 413, 500].includes(res.status), `status ${res.status}`);
      await res.arrayBuffer();
    }
  });

  it('is still up and serving afterwards, with no internal error logged', async () => {
    const res = await fetch(`${app.url}/products?q=lamp`);
    assert.equal(res.status, 200);
    assert.equal(app.child.exitCode, null);
    assert.doesNotMatch(app.output(), /vigil internal error|Uncaught|FATAL/i);
  });
});
