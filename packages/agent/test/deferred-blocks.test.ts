// A block thrown in a callback that runs later has no caller to catch it.
// Vigil has answered the request already: the app must keep running. An
// application's own uncaught error still ends the process as Node would.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startApp, REGISTER } from './helpers.js';

const APP = join(__dirname, 'fixtures', 'deferred-sink-app.cjs');

describe('blocks thrown outside any caller', () => {
  it('answer 403 and leave the process serving', async () => {
    const app = await startApp(APP, { nodeArgs: [...REGISTER], env: { VIGIL_MODE: 'block' } });
    try {
      const attack = await fetch(`${app.url}/?f=${encodeURIComponent('../../../../etc/passwd')}`);
      assert.equal(attack.status, 403);
      assert.doesNotMatch(await attack.text(), /root:/);
      const [event] = await app.waitForEvents(1);
      assert.equal(event?.rule, 'path_traversal');
      const ok = await fetch(`${app.url}/?f=hello.txt`);
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), 'hello');
      assert.equal(app.child.exitCode, null);
    } finally {
      await app.stop();
    }
  });

  it("an application's own uncaught error still ends the process with exit code 1 and its stack", async () => {
    const app = await startApp(APP, { nodeArgs: [...REGISTER], env: { VIGIL_MODE: 'block' } });
    const exited = new Promise<number | null>((resolve) => app.child.once('exit', (code) => resolve(code)));
    await fetch(`${app.url}/boom`).catch(() => undefined);
    assert.equal(await exited, 1);
    assert.match(app.output(), /Error: an application bug\n\s+at Timeout/);
  });
});
