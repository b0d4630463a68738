import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { appUnderTest } from './lib.mjs';
import { underCallgrind } from './callgrind.mjs';
const { dir, path, entry, setups } = appUnderTest();
let i = 0;
for (const setup of setups.slice(0, 2)) {
  const { text, requests, pid } = await underCallgrind({ dir, entry, path }, setup, { warmup: 8000, measured: 2000, extraNodeArgs: ['--perf-basic-prof', '--no-logfile-per-isolate', '--logfile=/dev/null'] });
  writeFileSync(`/tmp/cg/${i}.out`, text); writeFileSync(`/tmp/cg/${i}.map`, readFileSync(`/tmp/perf-${pid}.map`)); writeFileSync(`/tmp/cg/${i}.n`, String(requests));
  rmSync(`/tmp/perf-${pid}.map`); i++;
}
