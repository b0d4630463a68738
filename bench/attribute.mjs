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
import { readFileSync, rmSync } from 'node:fs';
import { appUnderTest } from './lib.mjs';
import { closingGcExcluded, codeMap, isCompilation, isGarbageCollection, requireValgrind, underCallgrind } from './callgrind.mjs';

const { dir, path, entry, setups } = appUnderTest();
const WARMUP = Number(process.env.BENCH_WARMUP ?? 8000);
const MEASURED = Number(process.env.BENCH_MEASURED ?? 2000);
const TOP = Number(process.env.BENCH_TOP ?? 40);

requireValgrind('attribution');

/** Self instructions per request by function name, for one setup. */
async function profile(setup) {
  const dumps = await underCallgrind({ dir, entry, path }, setup, { warmup: WARMUP, measured: MEASURED, extraNodeArgs: ['--perf-basic-prof', '--no-logfile-per-isolate', '--logfile=/dev/null'] });
  const { requests, pid } = dumps;
  const perfMap = `/tmp/perf-${pid}.map`;
  const { self } = closingGcExcluded(dumps, codeMap(readFileSync(perfMap, 'utf8')));
  rmSync(perfMap, { force: true });
  for (const [name, cost] of self) self.set(name, cost / requests);
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
  if (isGarbageCollection(fnName)) return 'GC';
  if (fnName.includes('/packages/agent/')) return "Vigil's JS";
  if (fnName.startsWith('JS:')) return 'other JS';
  if (fnName.startsWith('Builtins_')) return 'builtins';
  return 'other native';
};
const byKind = new Map();
for (const [fnName, delta] of rows) byKind.set(kind(fnName), (byKind.get(kind(fnName)) ?? 0) + delta);
console.log([...byKind].map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} K`).join(', '));
for (const [fnName, delta] of rows.slice(0, TOP)) console.log(`${delta.toFixed(0).padStart(8)}  ${fnName.slice(0, 140)}`);
