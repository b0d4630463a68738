// Shared by the bench scripts: timing helpers, starting an example app as a
// child process, and the setups each app is measured under.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median microseconds per call over `rounds` batches, after a warm-up (JIT tiers). */
export function micro(fn, { batch = 2000, rounds = 25 } = {}) {
  for (let i = 0; i < 5 * batch; i++) fn(i);
  const times = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) fn(i);
    times.push(Number(process.hrtime.bigint() - t0) / batch / 1000);
  }
  return median(times);
}

/**
 * Starts examples/<app.dir>/<app.entry> under `nodeArgs`; resolves once it prints its URL.
 * `launcher` runs Node inside another program (`['valgrind', '--tool=callgrind']`).
 */
export async function startApp(app, label, nodeArgs, env, launcher = []) {
  const argv = [process.execPath, ...nodeArgs, app.entry];
  const [command, ...args] = [...launcher, ...argv];
  const child = spawn(command, args, { cwd: join(root, 'examples', app.dir), env: { ...process.env, PORT: '0', ...app.env, ...env }, stdio: ['ignore', 'pipe', 'ignore'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (c) => reject(new Error(`${app.dir} under ${label} exited with ${c}`)));
  });
  return { url, child, stop: () => child.kill('SIGTERM') };
}

export const NO_AGENT = ['no agent', [], {}];
export const VIGIL = ['Vigil (block)', ['--require', '@vigil/agent/register'], { VIGIL_MODE: 'block', VIGIL_LOG_LEVEL: 'silent' }];
export const VIGIL_ESM = ['Vigil (block)', ['--import', '@vigil/agent/register'], { VIGIL_MODE: 'block', VIGIL_LOG_LEVEL: 'silent' }];
/** Only an AsyncLocalStorage around each request: the floor of any agent that tracks the current request. */
export const FLOOR = ['request context only', ['--require', join(root, 'bench/request-context-floor.cjs')], {}];
export const ZEN = ['Zen by Aikido (block)', ['--require', '@aikidosec/firewall'], { AIKIDO_BLOCK: 'true', AIKIDO_DEBUG: 'false' }];

/**
 * The app and path a per-app script measures (`node bench/<script>.mjs [app-dir] [path]`),
 * and the setups: no agent, Vigil (ESM register for an ESM entry), Zen with BENCH_ZEN.
 */
export function appUnderTest(argv = process.argv) {
  const dir = argv[2] ?? 'express-shop';
  const path = argv[3] ?? '/products?q=lamp';
  const entry = dir === 'nest-shop' ? 'server.mjs' : 'server.js';
  const setups = [NO_AGENT, ...(process.env.BENCH_FLOOR ? [FLOOR] : []), entry.endsWith('.mjs') ? VIGIL_ESM : VIGIL, ...(process.env.BENCH_ZEN ? [ZEN] : [])];
  return { dir, path, entry, setups };
}
