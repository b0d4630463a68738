// Where Vigil's per-request instructions go: runs the app with no agent and
// with Vigil under valgrind's callgrind (as bench/instructions.mjs does), with
// V8 writing a map of its generated code (--perf-basic-prof), and prints the
// functions whose own (self) instruction count per request grew most. JIT
// code is named through the map (`JS:*inspect …/agent.js:280`); V8's
// internals and builtins by their symbols (`Builtins_KeyedLoadIC_Megamorphic`:
// property reads on objects of many shapes; `GraphReducer`: TurboFan compiling
// during the counted window; `Scavenger`: young-generation GC).
//
// Usage: node bench/attribute.mjs [app-dir] [path]
//   BENCH_WARMUP (8000), BENCH_MEASURED (2000), BENCH_TOP (40) rows.
// Needs valgrind. Takes minutes. Leaves nothing behind.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { appUnderTest, startApp } from './lib.mjs';
import { codeMap, isCompilation, selfCosts } from './callgrind.mjs';

const { dir, path, entry, setups } = appUnderTest();
const WARMUP = Number(process.env.BENCH_WARMUP ?? 8000);
const MEASURED = Number(process.env.BENCH_MEASURED ?? 2000);
const TOP = Number(process.env.BENCH_TOP ?? 40);

try {
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
} catch {
  console.log('valgrind is not installed (apt-get install valgrind): nothing to attribute');
  process.exit(0);
}

/** Self instructions per request by function name, for one setup. */
async function profile([label, nodeArgs, env]) {
  const out = mkdtempSync(join(tmpdir(), 'vigil-attr-'));
  const callgrind = ['valgrind', '--tool=callgrind', '--smc-check=all', `--callgrind-out-file=${join(out, 'cg.out')}`];
  const { child, url } = await startApp({ dir, entry, env: {} }, label, ['--single-threaded', '--perf-basic-prof', ...nodeArgs], env, callgrind);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const fire = (amount) => autocannon({ url: url + path, connections: 10, amount });
  await fire(WARMUP);
  execFileSync('callgrind_control', ['--zero', String(child.pid)], { stdio: 'ignore' });
  const res = await fire(MEASURED);
  execFileSync('callgrind_control', ['--dump', String(child.pid)], { stdio: 'ignore' });
  child.kill('SIGKILL');
  await exited;
  const perfMap = `/tmp/perf-${child.pid}.map`;
  const dump = readdirSync(out).find((f) => f !== 'cg.out') ?? 'cg.out';
  const self = selfCosts(readFileSync(join(out, dump), 'utf8'), codeMap(readFileSync(perfMap, 'utf8')));
  rmSync(out, { recursive: true, force: true });
  rmSync(perfMap, { force: true });
  for (const [name, cost] of self) self.set(name, cost / res.requests.total);
  return self;
}

console.log(`self instructions per request, ${dir} GET ${path}: ${WARMUP} warm-up, ${MEASURED} counted`);
const [base, vigil] = [await profile(setups[0]), await profile(setups[1])];
const total = (m) => [...m.values()].reduce((a, b) => a + b, 0);
console.log(`${setups[0][0]} ${(total(base) / 1000).toFixed(1)} K, ${setups[1][0]} ${(total(vigil) / 1000).toFixed(1)} K`);
const rows = [...new Set([...base.keys(), ...vigil.keys()])].map((k) => [k, (vigil.get(k) ?? 0) - (base.get(k) ?? 0)]);
rows.sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
/** A coarse kind of code, so the difference reads as a sum of causes. */
const kind = (fnName) => {
  if (isCompilation(fnName)) return 'JIT tiering';
  if (/Scaveng|Sweep|Mark(ing|Compact)|heap::|Heap::/.test(fnName)) return 'GC';
  if (fnName.includes('/packages/agent/')) return "Vigil's JS";
  if (fnName.startsWith('JS:')) return 'other JS';
  if (fnName.startsWith('Builtins_')) return 'builtins';
  return 'other native';
};
const byKind = new Map();
for (const [fnName, delta] of rows) byKind.set(kind(fnName), (byKind.get(kind(fnName)) ?? 0) + delta);
console.log([...byKind].map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} K`).join(', '));
for (const [fnName, delta] of rows.slice(0, TOP)) console.log(`${delta.toFixed(0).padStart(8)}  ${fnName.slice(0, 140)}`);
