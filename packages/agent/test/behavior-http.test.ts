// The request-level layer behind a real node http server in this process:
// Vigil answers 429 with Retry-After and 403 itself before the app runs, and
// picks up policy changes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { start, onEvent } from '../src/index.js';
import type { SecurityEvent } from '../src/index.js';
import { tempDir } from './helpers.js';

const dir = tempDir();
const policyFile = join(dir, 'policy.json');

// The http source reports an admission block as a medium-threat finding, so
// these rules block from medium up (harmless once it reports the admission's own finding).
const policy = (extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    mode: 'block',
    trustedProxies: ['127.0.0.1'],
    rules: { rate_limit: { mode: 'block', blockThreshold: 'medium' }, ip_blocklist: { mode: 'block', blockThreshold: 'medium' } },
    ipLists: { deny: ['203.0.113.0/24'] },
    behavior: { rateLimits: [{ route: '/limited', limit: 2, windowSeconds: 60 }] },
    ...extra,
  });
writeFileSync(policyFile, policy());
const agent = start({ policy: policyFile, logLevel: 'silent', policyPollMs: 50 });
const events: SecurityEvent[] = [];
onEvent((e) => events.push(e));

let server: Server;
let base: string;
let appCalls = 0;

before(async () => {
  server = createServer((_req, res) => {
    appCalls++;
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(async () => {
  server.close();
  await agent.behavior.close();
});

describe('request-level answers over HTTP', () => {
  it('429 with Retry-After once the per-route limit is used up; the app never sees the request', async () => {
    const statuses: number[] = [];
    const callsBefore = appCalls;
    let last: Response | undefined;
    for (let i = 0; i < 4; i++) {
      last = await fetch(`${base}/limited`, { headers: { 'x-forwarded-for': '198.51.100.10' } });
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [200, 200, 429, 429]);
    assert.equal(appCalls - callsBefore, 2);
    assert.ok(last !== undefined);
    const retry = Number(last.headers.get('retry-after'));
    assert.ok(retry >= 1 && retry <= 120, `Retry-After ${retry}`);
    assert.equal(last.headers.get('x-vigil-block'), 'true');
    const body = (await last.json()) as { error: string; requestId: string };
    assert.equal(body.error, 'Request blocked by security policy');
    assert.equal((await fetch(`${base}/other`, { headers: { 'x-forwarded-for': '198.51.100.10' } })).status, 200);
    assert.equal((await fetch(`${base}/limited`, { headers: { 'x-forwarded-for': '198.51.100.11' } })).status, 200, 'another client has its own count');
    const limited = events.filter((e) => e.rule === 'rate_limit');
    assert.equal(limited.length, 2);
    assert.equal(limited[0]?.verdict, 'blocked');
    assert.equal(limited[0]?.sourceIp, '198.51.100.10');
  });

  it('403 for a denied client address (trusted-proxy aware)', async () => {
    const res = await fetch(`${base}/`, { headers: { 'x-forwarded-for': '203.0.113.77' } });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('retry-after'), null);
    assert.equal(events.at(-1)?.rule, 'ip_blocklist');
  });

  it('follows the policy file: limits removed, requests pass', async () => {
    writeFileSync(policyFile, policy({ behavior: {} }));
    const deadline = Date.now() + 5000;
    while (agent.policy.file.behavior?.rateLimits !== undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    assert.equal((await fetch(`${base}/limited`, { headers: { 'x-forwarded-for': '198.51.100.10' } })).status, 200);
  });
});
