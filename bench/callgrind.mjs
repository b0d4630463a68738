// Running an example app under valgrind's callgrind and reading what it counted:
// shared by the instruction benches.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { root, startApp } from './lib.mjs';

/** Exits quietly, saying why, when valgrind is not installed. */
export function requireValgrind(what) {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
  } catch {
    console.log(`valgrind is not installed (apt-get install valgrind): no ${what}`);
    process.exit(0);
  }
}

/**
 * Connections the load keeps busy (BENCH_CONNECTIONS, 10). With one, each request
 * is served alone: the count moves less between runs (how many requests share
 * an event-loop turn no longer depends on timing), for comparing two builds.
 */
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

/** Requests between the pre-window GC and the zeroing of the counters (see underCallgrind). */
const REWARM = 3000;

/**
 * Runs the app under one setup inside callgrind, V8 single-threaded so that JIT
 * and GC work is counted in the same thread: `warmup` requests, a full GC, REWARM
 * requests on fresh connections, the counters zeroed, `measured` more requests on
 * those connections and a full GC counted (see
 * gc-on-signal.cjs), then the same full GC once more, counted apart. Returns
 * callgrind's two dumps (the window, the idle GC), the number of requests
 * counted and the process id (V8's perf map is named after it).
 */
export async function underCallgrind({ dir, entry, path }, [label, nodeArgs, env], { warmup, measured, requests, extraNodeArgs = [] }) {
  const out = mkdtempSync(join(tmpdir(), 'vigil-cg-'));
  const callgrind = ['valgrind', '--tool=callgrind', '--smc-check=all', `--callgrind-out-file=${join(out, 'cg.out')}`];
  const gcArgs = ['--expose-gc', '--require', join(root, 'bench/gc-on-signal.cjs')];
  const { child, url } = await startApp({ dir, entry, env: {} }, label, ['--single-threaded', ...gcArgs, ...extraNodeArgs, ...nodeArgs], env, callgrind);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const fire = (amount) => autocannon({ url: url + path, connections: CONNECTIONS, amount, requests });
  await fire(warmup);
  await fullGc(child);
  // The counted requests ride on connections that already carried REWARM requests since the GC:
  // new connections (and a forced GC) deoptimise code that sees their objects, and the
  // re-tiering would land in the window. The counters are zeroed mid-run.
  let answered = 0;
  const run = fire(REWARM + measured);
  run.on('response', () => {
    if (++answered === REWARM) execFileSync('callgrind_control', ['--zero', String(child.pid)], { stdio: 'ignore' });
  });
  const res = await run;
  await fullGc(child);
  execFileSync('callgrind_control', ['--dump', String(child.pid)], { stdio: 'ignore' });
  // The same pair of full GCs again, with nothing new to collect: what marking the
  // live heap costs. Subtracted from the window (see closingGcExcluded).
  await fullGc(child);
  execFileSync('callgrind_control', ['--dump', String(child.pid)], { stdio: 'ignore' });
  child.kill('SIGKILL');
  await exited;
  // Dumps are numbered in order (cg.out.1, cg.out.2).
  const dumps = readdirSync(out).filter((f) => f !== 'cg.out').sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()));
  const [text, idleText] = dumps.map((f) => readFileSync(join(out, f), 'utf8'));
  rmSync(out, { recursive: true, force: true });
  return { text, idleText, requests: res.requests.total - REWARM, pid: child.pid };
}

/** The instructions a callgrind dump counted in all. */
export function totalOf(text) {
  return Number((/^totals: (\d+)/m.exec(text) ?? /^summary: (\d+)/m.exec(text))?.[1]);
}

/**
 * The window's count without what its closing full GCs spend marking the live
 * heap (the idle pair's count subtracted, in total and per function). Two full
 * GCs end every window, however many requests it holds: left in, they charge
 * each request 1/N of marking everything the app and agent keep alive, a cost
 * that depends on the window's length, not on the requests. Sweeping what the
 * requests left behind stays counted.
 */
export function closingGcExcluded({ text, idleText }, lookup) {
  const self = selfCosts(text, lookup);
  for (const [name, cost] of selfCosts(idleText, lookup)) self.set(name, (self.get(name) ?? 0) - cost);
  return { total: totalOf(text) - totalOf(idleText), self };
}

/** Asks the app for a full GC (gc-on-signal.cjs) and waits until it reports it done. */
function fullGc(child) {
  return new Promise((resolve) => {
    const onData = (chunk) => {
      if (!String(chunk).includes('bench: gc done')) return;
      child.stdout.off('data', onData);
      resolve();
    };
    child.stdout.on('data', onData);
    child.kill('SIGUSR2');
  });
}

/** V8's perf map (`start size name` per line, hex): a lookup from a code address to its function's name. */
export function codeMap(text) {
  const rows = text
    .trim()
    .split('\n')
    .map((line) => {
      const [start, size, ...name] = line.split(' ');
      return [parseInt(start, 16), parseInt(size, 16), name.join(' ')];
    })
    .sort((a, b) => a[0] - b[0]);
  return (address) => {
    let lo = 0;
    let hi = rows.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (rows[mid][0] <= address) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best >= 0 && address < rows[best][0] + rows[best][1] ? rows[best][2] : undefined;
  };
}

/**
 * Self cost per function from a callgrind dump. Names are compressed (`fn=(id) name`
 * once, `fn=(id)` after); a cost line right after `calls=` is a callee's inclusive
 * cost, not the caller's own. JIT code is named through `lookup` when given (one
 * name per function whatever its tier), else by its address.
 */
export function selfCosts(text, lookup) {
  const names = new Map();
  const self = new Map();
  const name = (id, rest) => {
    const given = rest.trim();
    if (given !== '') {
      const hex = lookup === undefined ? null : /^0x([0-9a-f]+)$/.exec(given);
      const resolved = hex ? (lookup(parseInt(hex[1], 16)) ?? 'JIT code not in the map') : given;
      names.set(id, resolved.replace(/^JS:[*^~+']*/, 'JS:').replace(/'\d+$/, ''));
    }
    return names.get(id);
  };
  let fn;
  let callCost = false;
  for (const line of text.split('\n')) {
    const def = /^(c?)fn=\((\d+)\)(.*)$/.exec(line);
    if (def !== null) {
      const resolved = name(def[2], def[3]);
      if (def[1] === '') fn = resolved;
      continue;
    }
    if (line.startsWith('calls=')) {
      callCost = true;
      continue;
    }
    if (!/^[+\-*0-9]/.test(line)) continue;
    if (callCost) {
      callCost = false;
      continue;
    }
    const cost = Number(line.slice(line.lastIndexOf(' ') + 1));
    self.set(fn, (self.get(fn) ?? 0) + cost);
  }
  return self;
}

/**
 * V8's optimising tiers at work: Sparkplug, Maglev, TurboFan/Turboshaft. With
 * --single-threaded they run on the main thread, so a function that tiers up
 * late lands in the counted window: a one-off of millions of instructions that a
 * long-running server does not pay per request, and that moves with any change.
 * Parsing and bytecode stay counted: code an app makes per request (better-sqlite3
 * 13 builds a row function with `Function` on every prepare) is parsed every time.
 */
export function isCompilation(name) {
  return /v8::internal::(compiler|maglev|baseline)::|turboshaft|OptimizingCompileDispatcher/.test(name);
}

/**
 * V8's garbage collector (scavenges, marking, sweeping, compaction). A per-request
 * cost, but a lumpy one: full GCs come every several thousand requests and V8 times
 * some by the clock, which valgrind stretches, so reruns of one build differ mostly here.
 */
export function isGarbageCollection(name) {
  return /Scaveng|Sweep|Mark(ing|Compact)|Evacuat|heap::|Heap::/.test(name);
}
