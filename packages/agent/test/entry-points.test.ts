// Ways into a sink that do not go through a package's main file or a
// CommonJS module: drivers reached through another file (`mysql2/promise`
// never loads `mysql2`), and direct eval in an ES module. Started under Vigil
// as CommonJS and as ESM, such apps are still protected.
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

describe('direct eval in an ES module', () => {
  const script = join(FIXTURES, 'eval-app.mjs');
  const total = async (url: string, expr: string): Promise<Response> => fetch(`${url}/?expr=${encodeURIComponent(expr)}`);

  it('keeps the local scope for a benign formula and blocks code injection', async () => {
    const app = await startApp(script, { nodeArgs: [...REGISTER_ESM], env: { VIGIL_MODE: 'block' } });
    try {
      const ok = await total(app.url, 'unitPrice * qty');
      assert.equal(ok.status, 200, app.output());
      assert.deepEqual(await ok.json(), { total: 12 });
      const attack = await total(app.url, "process.getBuiltinModule('child_process').execSync('id').toString()");
      assert.equal(attack.status, 403, app.output());
      const [event] = await app.waitForEvents(1);
      assert.equal(event?.rule, 'code_injection');
      assert.equal(event?.sink?.operation, 'eval');
    } finally {
      await app.stop();
    }
  });

  it('under VIGIL_MODE=off the module runs as written', async () => {
    const app = await startApp(script, { nodeArgs: [...REGISTER_ESM], env: { VIGIL_MODE: 'off' } });
    try {
      assert.deepEqual(await (await total(app.url, 'unitPrice * qty')).json(), { total: 12 });
    } finally {
      await app.stop();
    }
  });
});
