// Vigil lives in other people's processes: starting it must not fill the
// app's heap with parsers it may never use, nor print warnings into the app's
// output. Both are checked on a real Node started under the agent.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REGISTER, REGISTER_ESM, REPO_ROOT, tempDir } from './helpers.js';

const run = promisify(execFile);
const LAZY = ['acorn', 'yaml', 'prom-client'];

/** Runs `then` (async JS) under Vigil, then prints which of LAZY the process has loaded. */
function loadedScript(then: string): string {
  return `(async () => {\n${then}\nconst lazy = ${JSON.stringify(LAZY)};\nconsole.log(JSON.stringify(lazy.filter((name) => Object.keys(require.cache).some((file) => file.includes('/node_modules/' + name + '/')))));\n})();`;
}

async function loadedUnder(then: string, env: Record<string, string> = {}): Promise<string[]> {
  const { stdout } = await run(process.execPath, [...REGISTER, '-e', loadedScript(then)], { cwd: REPO_ROOT, env: { ...process.env, VIGIL_LOG_LEVEL: 'silent', VIGIL_MODE: 'block', ...env } });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '[]') as string[];
}

describe('what starting Vigil loads', () => {
  it('no JavaScript parser, YAML parser or Prometheus client until one is needed', async () => {
    assert.deepEqual(await loadedUnder(''), []);
  });

  it('a policy file loads the YAML parser (and the policy is in force)', async () => {
    const policy = join(tempDir(), 'vigil.yaml');
    writeFileSync(policy, 'ssrf:\n  denyHosts: [internal.example]\n');
    const check = "if (require('@vigil/agent').getAgent().policy.file.ssrf?.denyHosts?.[0] !== 'internal.example') throw new Error('policy not applied');";
    assert.deepEqual(await loadedUnder(check, { VIGIL_POLICY: policy }), ['yaml']);
  });

  it('a scrape loads the Prometheus client, and the metrics read what happened before it', async () => {
    const scrape = "const text = await require('@vigil/agent').getMetrics(); if (!/^rasp_agent_active 1$/m.test(text)) throw new Error(text);";
    assert.deepEqual(await loadedUnder(scrape), ['prom-client']);
  });

  it('code built from request input loads the JavaScript parser to judge it', async () => {
    const formula = `const { withContext } = require('@vigil/agent');
const req = { method: 'GET', url: '/?f=' + encodeURIComponent('price * qty'), headers: {} };
const total = withContext(req, () => Function('price', 'qty', 'return price * qty')(3, 4));
if (total !== 12) throw new Error('formula blocked: ' + total);`;
    assert.deepEqual(await loadedUnder(formula), ['acorn']);
  });
});

/** Vigil's own modules loaded only with the first operation (or policy rule) that needs them. */
const OWN_LAZY = ['detectors/shell/', 'detectors/path/', 'detectors/ssrf/', 'detectors/code/', 'detectors/nosql/', 'detectors/deserialize/', 'detectors/prototype/', 'detectors/patterns/', 'behavior/'];

async function ownModulesUnder(then: string, env: Record<string, string> = {}): Promise<string[]> {
  const script = `(async () => {\n${then}\nconst own = ${JSON.stringify(OWN_LAZY)};\nconsole.log(JSON.stringify(own.filter((dir) => Object.keys(require.cache).some((file) => file.includes('/packages/agent/dist/' + dir)))));\n})();`;
  // A recursion in a lazy load spins without end: fail in a minute, not at the suite's timeout.
  const { stdout } = await run(process.execPath, [...REGISTER, '-e', script], { cwd: REPO_ROOT, timeout: 60_000, env: { ...process.env, VIGIL_LOG_LEVEL: 'silent', VIGIL_MODE: 'block', ...env } });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '[]') as string[];
}

describe("what starting Vigil loads of its own", () => {
  it('only the SQL detector: the other detectors and the request-level layer wait for their first use', async () => {
    assert.deepEqual(await ownModulesUnder(''), []);
  });

  it("a request's first file read loads the path detector from inside the hooked read, and blocks the traversal", async () => {
    // Loading a module reads its file through the fs functions Vigil hooks: the
    // detector's own load must not be inspected (it would load itself again, without end).
    const traversal = `const { withContext, VigilBlockedError } = require('@vigil/agent');
const fs = require('node:fs');
const req = { method: 'GET', url: '/?f=' + encodeURIComponent('../../../../etc/passwd'), headers: {} };
let blocked = false;
try { withContext(req, () => fs.readFileSync('/srv/files/' + '../../../../etc/passwd', 'utf8')); } catch (err) { blocked = err instanceof VigilBlockedError; }
if (!blocked) throw new Error('traversal not blocked');`;
    assert.deepEqual(await ownModulesUnder(traversal), ['detectors/path/']);
  });

  it('a policy with IP lists loads the request-level layer', async () => {
    const policy = join(tempDir(), 'vigil.yaml');
    writeFileSync(policy, 'ipLists:\n  deny: [203.0.113.7]\n');
    const http = `const http = require('node:http');
const server = http.createServer((req, res) => res.end('ok'));
await new Promise((r) => server.listen(0, '127.0.0.1', r));
await new Promise((r) => http.get('http://127.0.0.1:' + server.address().port + '/', (res) => { res.resume(); res.on('end', r); }));
server.close();`;
    assert.deepEqual(await ownModulesUnder(http, { VIGIL_POLICY: policy }), ['detectors/patterns/', 'behavior/']);
  });
});

describe('starting an ES module app under Vigil', () => {
  it('prints nothing on stderr (no deprecation or experimental warning from the loader hooks)', async () => {
    const app = join(tempDir(), 'app.mjs');
    writeFileSync(app, "import { createServer } from 'node:http';\nconsole.log(typeof createServer);\n");
    const { stdout, stderr } = await run(process.execPath, [...REGISTER_ESM, app], { cwd: REPO_ROOT, env: { ...process.env, VIGIL_LOG_LEVEL: 'silent' } });
    assert.equal(stdout.trim(), 'function');
    assert.equal(stderr, '');
  });
});
