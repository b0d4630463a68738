// A blocked exec/execFile reports to its callback, even from a deferred
// callback where a throw would be uncaught and end the process; nothing runs.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { start, VigilBlockedError } from '../src/index.js';
import { tempDir } from './helpers.js';

start({ mode: 'block', logLevel: 'silent' });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { exec } = require('node:child_process') as typeof import('node:child_process');

const marker = join(tempDir(), 'pwned');
let server: Server;
let base: string;
let lastError: unknown;

before(async () => {
  server = createServer((req, res) => {
    const host = new URL(req.url!, 'http://x').searchParams.get('host') ?? '';
    // Deferred: a synchronous throw here would be an uncaught exception.
    setTimeout(() => {
      const child = exec(`echo ${host}`, (err, stdout) => {
        lastError = err;
        res.end(err ? 'failed' : stdout);
      });
      child.stdout?.on('data', () => undefined);
    }, 1);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => server.close());

describe('blocked exec with a callback', () => {
  it('delivers VigilBlockedError to the callback, answers 403, and spawns nothing', async () => {
    const res = await fetch(`${base}/?host=${encodeURIComponent(`x; touch ${marker}`)}`);
    assert.equal(res.status, 403);
    assert.ok(lastError instanceof VigilBlockedError);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(existsSync(marker), false);
  });

  it('still runs benign commands', async () => {
    const res = await fetch(`${base}/?host=${encodeURIComponent('example.com')}`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'example.com\n');
  });
});
