// Apps reach drivers through files other than the package's main one
// (`mysql2/promise` never loads `mysql2`): started under Vigil as CommonJS
// and as ESM, such an app is still protected.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startApp, REGISTER, REGISTER_ESM } from './helpers.js';

const FIXTURES = join(__dirname, 'fixtures');

for (const [label, script, nodeArgs] of [
  ['CommonJS', 'mysql2-promise-app.cjs', REGISTER],
  ['ESM', 'mysql2-promise-app.mjs', REGISTER_ESM],
] as const) {
  describe(`mysql2/promise alone, ${label}`, () => {
    it('blocks an injection and serves a benign name', async () => {
      assert.ok(process.env.VIGIL_TEST_MYSQL_URL, 'VIGIL_TEST_MYSQL_URL is not set: npm test starts MariaDB');
      const app = await startApp(join(FIXTURES, script), { nodeArgs: [...nodeArgs], env: { VIGIL_MODE: 'block' } });
      try {
        const ok = await fetch(`${app.url}/?name=${encodeURIComponent('OBrien')}`);
        assert.equal(ok.status, 200, app.output());
        assert.deepEqual(await ok.json(), [{ name: 'OBrien' }]);
        const attack = await fetch(`${app.url}/?name=${encodeURIComponent("x' UNION SELECT @@version -- ")}`);
        assert.equal(attack.status, 403, app.output());
        const [event] = await app.waitForEvents(1);
        assert.equal(event?.rule, 'sql_injection');
        assert.equal(event?.sink?.library, 'mysql2');
      } finally {
        await app.stop();
      }
    });
  });
}
