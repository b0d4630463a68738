import childProcess from 'node:child_process';
import { promisify } from 'node:util';
import { EventEmitter } from 'node:events';
import { Readable, Writable } from 'node:stream';
import { callbackIndex, wrapMethod } from '../../hooks/wrap.js';
import { agentFor, sink } from '../runtime.js';
import type { Agent, BuiltinPatcher } from '../../core/agent.js';
import type { SinkRef } from '../types.js';

type Shape = 'command' | 'file';

/** Public functions and how they take what they run: a shell command line, or a file plus argv. */
const FUNCTIONS: readonly [name: string, shape: Shape][] = [
  ['exec', 'command'],
  ['execSync', 'command'],
  ['execFile', 'file'],
  ['execFileSync', 'file'],
  ['spawn', 'file'],
  ['spawnSync', 'file'],
  ['fork', 'file'],
];

// exec() calls module.exports.execFile() internally: inspect the outermost call only.
let depth = 0;

/**
 * child_process: a call that runs a shell (exec*, or shell: true / a shell
 * path) is checked as a shell command line; a shell-less call only for
 * option injection. No child is ever spawned for a blocked call: exec and
 * execFile with a callback get the error there (and a stub ChildProcess
 * back), promisified forms reject, everything else throws synchronously, as
 * these functions do for invalid arguments.
 */
export const childProcessSink: BuiltinPatcher = {
  name: 'child_process',
  install(_agent: Agent) {
    for (const [name, shape] of FUNCTIONS) {
      const ref = sink('child_process', name);
      wrapMethod(childProcess, name, (original) => {
        const wrapper = function childProcessSink(this: unknown, ...args: unknown[]) {
          if (depth === 0) {
            try {
              check(ref, shape, name, args);
            } catch (err) {
              // exec/execFile report failures to their callback; a throw from a
              // deferred callback would be uncaught and end the process.
              const cb = CALLBACK_APIS.has(name) ? callbackIndex(args) : -1;
              if (cb < 0) throw err;
              process.nextTick(args[cb] as (e: unknown, stdout: string, stderr: string) => void, err, '', '');
              return blockedChild();
            }
          }
          return callOriginal(original, this, args);
        };
        // util.promisify(exec / execFile) takes the function's promisify.custom,
        // which Node built around the unwrapped original: copied as is, the
        // promisified form would run unchecked. Give the wrapper a checked one,
        // non-configurable like Node's, so wrapMethod does not copy over it.
        const custom = (original as unknown as Record<symbol, unknown>)[promisify.custom];
        if (typeof custom === 'function') {
          Object.defineProperty(wrapper, promisify.custom, {
            value: function childProcessSinkPromisified(this: unknown, ...args: unknown[]) {
              if (depth === 0) {
                try {
                  check(ref, shape, name, args);
                } catch (err) {
                  return Promise.reject(err);
                }
              }
              return callOriginal(custom as (...a: unknown[]) => unknown, this, args);
            },
            enumerable: false,
          });
        }
        return wrapper;
      });
    }
  },
};

const CALLBACK_APIS = new Set(['exec', 'execFile']);

/**
 * What exec/execFile return when blocked: a ChildProcess-shaped emitter whose
 * streams end at once and which never emits 'error' (an app without an error
 * listener would crash). Nothing was spawned.
 */
function blockedChild(): EventEmitter {
  const child = new EventEmitter() as EventEmitter & Record<string, unknown>;
  child.stdout = Readable.from([]);
  child.stderr = Readable.from([]);
  child.stdin = new Writable({ write: (_chunk, _enc, done) => done() });
  child.pid = undefined;
  child.exitCode = null;
  child.killed = false;
  child.kill = () => false;
  child.ref = () => child;
  child.unref = () => child;
  return child;
}

function check(ref: SinkRef, shape: Shape, name: string, args: unknown[]): void {
  const agent = agentFor('shell');
  if (agent !== undefined) inspectCall(agent, ref, shape, name, args);
}

function callOriginal(original: (...a: unknown[]) => unknown, self: unknown, args: unknown[]): unknown {
  depth++;
  try {
    return original.apply(self, args);
  } finally {
    depth--;
  }
}

function inspectCall(agent: Agent, ref: SinkRef, shape: Shape, name: string, args: unknown[]): void {
  const first = args[0];
  if (typeof first !== 'string') return;
  if (shape === 'command') {
    agent.inspect(ref, { kind: 'shell', command: first });
    return;
  }
  const argv = Array.isArray(args[1]) ? (args[1] as unknown[]).filter((a): a is string => typeof a === 'string') : [];
  // execFile(file, null, { shell: true }) and spawn(cmd, undefined, opts) are valid: options come third then.
  const options = (Array.isArray(args[1]) || args[1] === null || args[1] === undefined ? args[2] : args[1]) as { shell?: unknown } | undefined;
  // Node runs a shell when `shell` is truthy (true or a shell's path).
  const shell = name !== 'fork' && options !== null && typeof options === 'object' && Boolean(options.shell);
  if (shell) {
    // Node joins file and args with spaces and hands the line to the shell.
    agent.inspect(ref, { kind: 'shell', command: argv.length > 0 ? `${first} ${argv.join(' ')}` : first });
  } else if (agent.wants('exec')) {
    agent.inspect(ref, { kind: 'exec', file: first, args: argv });
  }
}
