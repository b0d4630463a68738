// Second-order SQL injection: a payload stored by one request (safely, with
// parameters) and concatenated into a query by a later one. No input of the
// later request explains it. Two defences: the recent-inputs ring (the
// payload came through this process earlier) and the learned baseline of
// query shapes per call site (the payload is older than the process).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApp, REGISTER, SHOP_DIR, tempDir } from './helpers.js';
import type { RunningApp } from './helpers.js';
import type { BaselineFile } from '../src/policy/baseline.js';

const PAYLOAD = "nobody' OR 1=1 --";
const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('second-order injection through the recent-inputs ring', () => {
  let app: RunningApp;
  after(() => app?.stop());

  it('blocks the later query that reuses a payload an earlier request stored', async () => {
    app = await startApp(join(SHOP_DIR, 'server.js'), { nodeArgs: REGISTER, env: { VIGIL_MODE: 'block' } });
    const stored = await fetch(`${app.url}/comments`, json({ author: PAYLOAD, body: 'hi' }));
    assert.equal(stored.status, 201, 'storing with parameters is not an injection');
    const { id } = (await stored.json()) as { id: number };
    const res = await fetch(`${app.url}/comments/${id}/related`);
    assert.equal(res.status, 403);
    const events = await app.waitForEvents(1);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.rule, 'sql_injection');
    assert.equal(events[0]!.input?.source, 'stored(body.author)');
    // A benign stored author still works.
    const benign = await fetch(`${app.url}/comments`, json({ author: "O'Hara", body: 'nice' }));
    assert.equal(benign.status, 201);
    assert.equal((await fetch(`${app.url}/comments/1/related`)).status, 200);
  });
});

describe('second-order injection through the learned baseline', () => {
  const dir = tempDir();
  const baselineFile = join(dir, 'baseline.json');
  let app: RunningApp | undefined;
  after(() => app?.stop());

  it('learns query shapes per call site in learn mode and saves them on stop', async () => {
    app = await startApp(join(SHOP_DIR, 'server.js'), { nodeArgs: REGISTER, env: { VIGIL_MODE: 'learn', VIGIL_BASELINE: baselineFile } });
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${app.url}/comments/1/related`)).status, 200);
    assert.equal((await fetch(`${app.url}/products?q=lamp`)).status, 200);
    await app.stop();
    app = undefined;
    assert.ok(existsSync(baselineFile), 'baseline written on SIGTERM');
    const baseline = JSON.parse(readFileSync(baselineFile, 'utf8')) as BaselineFile;
    const sites = Object.entries(baseline.sites);
    const related = sites.find(([, s]) => s.shapes.some((shape) => shape.includes('FROM comments WHERE author = ?')));
    assert.ok(related, `no call site learned the related-comments query: ${JSON.stringify(baseline)}`);
    assert.match(related[0], /^app\.js:\d+$/);
  });

  it('flags a stored payload older than the process as a new shape with injection markers', async () => {
    app = await startApp(join(SHOP_DIR, 'server.js'), {
      nodeArgs: REGISTER,
      env: { VIGIL_BASELINE: baselineFile, SHOP_LEGACY_COMMENT_AUTHOR: PAYLOAD },
      policy: { mode: 'block', rules: { sql_structure: 'block' } },
    });
    // Comment 1 is alice's: known shape, served.
    assert.equal((await fetch(`${app.url}/comments/1/related`)).status, 200);
    // Comment 2 carries the imported payload: no request input, new shape, tautology + comment.
    const res = await fetch(`${app.url}/comments/2/related`);
    assert.equal(res.status, 403);
    const events = await app.waitForEvents(1);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.rule, 'sql_structure');
    assert.equal(events[0]!.input, undefined);
    assert.match(String(events[0]!.context.callSite), /^app\.js:\d+$/);
  });

  it('keeps the baseline rule in monitor by default under a global block', async () => {
    await app?.stop();
    app = await startApp(join(SHOP_DIR, 'server.js'), { nodeArgs: REGISTER, env: { VIGIL_MODE: 'block', VIGIL_BASELINE: baselineFile, SHOP_LEGACY_COMMENT_AUTHOR: PAYLOAD } });
    const res = await fetch(`${app.url}/comments/2/related`);
    assert.equal(res.status, 200);
    const events = await app.waitForEvents(1);
    assert.equal(events[0]!.rule, 'sql_structure');
    assert.equal(events[0]!.verdict, 'detected');
  });
});
