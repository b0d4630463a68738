import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { callbackIndex, wrapMethod } from '../../hooks/wrap.js';
import { agentFor, failCallback, sink } from '../runtime.js';
import { requestStorage } from '../../context/request-context.js';
import type { Agent, BuiltinPatcher } from '../../core/agent.js';
import type { SinkRef } from '../types.js';

/** Functions taking one path first. */
const ONE_PATH = [
  'access', 'appendFile', 'chmod', 'chown', 'lchown', 'lstat', 'stat', 'statfs', 'mkdir', 'mkdtemp', 'open', 'opendir',
  'readdir', 'readFile', 'readlink', 'realpath', 'rm', 'rmdir', 'truncate', 'unlink', 'utimes', 'lutimes', 'writeFile', 'exists',
];
/** Functions taking two paths first (source, destination). */
const TWO_PATHS = ['rename', 'copyFile', 'cp', 'link', 'symlink'];
/** Functions with no callback or Sync twin that still open a path. */
const STREAMS = ['createReadStream', 'createWriteStream', 'watch', 'watchFile', 'openAsBlob'];

type Style = 'sync' | 'callback' | 'promise';

// fs functions call each other through the module (readFileSync → openSync,
// appendFile → writeFile, exists → access): inspect the outermost call only.
let depth = 0;

// A read or write stream opens its path a tick later through fs.open. The
// stream was checked when it was created; its own open, in the same request
// with the same path, is the same operation and is not inspected (or
// reported) twice.
const OPENS_ITSELF: ReadonlySet<string> = new Set(['createReadStream', 'createWriteStream']);
const streamOpens = new WeakMap<object, string[]>();

/**
 * fs and fs/promises: every path-taking function, with string, Buffer and
 * file: URL paths. Outside a request the wrapper costs one lookup and a
 * branch; Vigil's own files are opened once at start-up or by descriptor.
 */
export const fsSink: BuiltinPatcher = {
  name: 'fs',
  install(_agent: Agent) {
    for (const name of ONE_PATH) {
      wrapPath(fs, name, 1, 'callback');
      wrapPath(fs, `${name}Sync`, 1, 'sync');
      wrapPath(fs.promises, name, 1, 'promise');
    }
    for (const name of TWO_PATHS) {
      wrapPath(fs, name, 2, 'callback');
      wrapPath(fs, `${name}Sync`, 2, 'sync');
      wrapPath(fs.promises, name, 2, 'promise');
    }
    for (const name of STREAMS) wrapPath(fs, name, 1, 'sync');
    wrapPath(fs.promises, 'watch', 1, 'sync');
  },
};

function wrapPath(target: object, name: string, paths: 1 | 2, style: Style): void {
  if (typeof (target as Record<string, unknown>)[name] !== 'function') return;
  const ref = sink('fs', name);
  const opensItself = target === fs && OPENS_ITSELF.has(name);
  const streamOpen = target === fs && name === 'open';
  wrapMethod(target, name, (original) =>
    function fsSink(this: unknown, ...args: unknown[]) {
      const agent = depth === 0 ? agentFor('path') : undefined;
      if (agent === undefined) return original.apply(this, args);
      if (!(streamOpen && openedByStream(args[0]))) {
        const err = inspectPaths(agent, ref, args, paths);
        if (err !== undefined) {
          if (style === 'promise') return Promise.reject(err);
          const cb = style === 'callback' ? callbackIndex(args) : -1;
          if (cb < 0) throw err;
          failCallback(args[cb] as (e: Error) => void, err);
          return undefined;
        }
        if (opensItself) rememberStreamOpen(args[0]);
      }
      depth++;
      try {
        return original.apply(this, args);
      } finally {
        depth--;
      }
    },
  );
}

function rememberStreamOpen(value: unknown): void {
  const ctx = requestStorage.getStore();
  const path = asPath(value);
  if (ctx === undefined || path === undefined) return;
  const list = streamOpens.get(ctx);
  if (list === undefined) streamOpens.set(ctx, [path]);
  else list.push(path);
}

function openedByStream(value: unknown): boolean {
  const ctx = requestStorage.getStore();
  const list = ctx === undefined ? undefined : streamOpens.get(ctx);
  if (list === undefined) return false;
  const i = list.indexOf(asPath(value) as string);
  if (i < 0) return false;
  list.splice(i, 1);
  return true;
}

function inspectPaths(agent: Agent, ref: SinkRef, args: unknown[], paths: 1 | 2): Error | undefined {
  const path = asPath(args[0]);
  const path2 = paths === 2 ? asPath(args[1]) : undefined;
  if (path === undefined && path2 === undefined) return undefined;
  try {
    if (path !== undefined) agent.inspect(ref, path2 === undefined ? { kind: 'path', path } : { kind: 'path', path, path2 });
    else if (path2 !== undefined) agent.inspect(ref, { kind: 'path', path: path2 });
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

function asPath(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (value instanceof URL && value.protocol === 'file:') {
    try {
      return fileURLToPath(value);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
