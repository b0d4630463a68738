// Shared by the end-to-end tests: start an example app as a child process
// under Vigil, talk to it over real HTTP, read the events it wrote.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { SecurityEvent } from '../src/events/types.js';

export const REPO_ROOT = resolve(__dirname, '../../..');
export const SHOP_DIR = join(REPO_ROOT, 'examples/express-shop');

export interface RunningApp {
  url: string;
  port: number;
  child: ChildProcess;
  eventsFile: string;
  output: () => string;
  events: () => SecurityEvent[];
  /** Waits until at least `n` events are in the file (events are flushed after the request's tick). */
  waitForEvents: (n: number, timeoutMs?: number) => Promise<SecurityEvent[]>;
  stop: () => Promise<void>;
}

export interface StartOptions {
  /** Node flags before the script: ['--require', '@vigil/agent/register'] */
  nodeArgs?: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Policy object written to a temp file and passed as VIGIL_POLICY. */
  policy?: unknown;
}

export function tempDir(prefix = 'vigil-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startApp(script: string, opts: StartOptions = {}): Promise<RunningApp> {
  const dir = tempDir();
  const eventsFile = join(dir, 'events.jsonl');
  const env: Record<string, string> = { ...(process.env as Record<string, string>), PORT: '0', VIGIL_EVENTS_FILE: eventsFile, VIGIL_LOG_LEVEL: 'warn', ...opts.env };
  if (opts.policy !== undefined) {
    const policyFile = join(dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify(opts.policy));
    env.VIGIL_POLICY = policyFile;
  }
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), script], { cwd: opts.cwd ?? SHOP_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`app did not start in time:\n${out}`)), 20_000);
    const onData = () => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePort(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`app exited with ${code} before listening:\n${out}`));
    });
  });
  const events = (): SecurityEvent[] => {
    if (!existsSync(eventsFile)) return [];
    const out: SecurityEvent[] = [];
    for (const line of readFileSync(eventsFile, 'utf8').split('\n')) {
      if (line === '') continue;
      try {
        out.push(JSON.parse(line) as SecurityEvent);
      } catch {
        // The app is still writing this line: it is read on the next poll.
      }
    }
    return out;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    eventsFile,
    output: () => out,
    events,
    waitForEvents: async (n, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const list = events();
        if (list.length >= n || Date.now() > deadline) return list;
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    stop: async () => {
      // Already gone (an exit code, or ended by a signal): 'exit' will not come again.
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}

export const REGISTER = ['--require', '@vigil/agent/register'];
export const REGISTER_ESM = ['--import', '@vigil/agent/register'];

/** A port nothing listens on (just now): for servers a test starts itself, or a dead address to connect to. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
