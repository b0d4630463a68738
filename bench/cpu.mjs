// CPU time the app process spends per request, with and without Vigil: read
// from /proc (Linux) around a fixed number of requests. Unlike requests per
// second, this hardly moves when other work shares the machine.
// Usage: node bench/cpu.mjs [app-dir] [path]
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { appUnderTest, median, startApp } from './lib.mjs';

const { dir, path, entry, setups } = appUnderTest();
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** utime + stime of a process, in microseconds. */
function cpuMicros(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // clock ticks are 1/100 s on Linux
}

const fire = (url, amount) => autocannon({ url, connections: 10, amount, pipelining: 1 });
const results = setups.map(() => []);
for (let r = 0; r < ROUNDS; r++) {
  for (let i = 0; i < setups.length; i++) {
    const { child, url } = await startApp({ dir, entry, env: {} }, ...setups[i]);
    await fire(url + path, 3000);
    const before = cpuMicros(child.pid);
    const res = await fire(url + path, REQUESTS);
    const used = cpuMicros(child.pid) - before;
    results[i].push(used / res.requests.total);
    child.kill('SIGTERM');
  }
}
console.log(`CPU per request, ${dir} GET ${path}, ${REQUESTS} requests × ${ROUNDS} rounds, median`);
const base = median(results[0]);
setups.forEach(([label], i) => {
  const m = median(results[i]);
  console.log(`${label.padEnd(24)} ${m.toFixed(1).padStart(7)} µs  x${(m / base).toFixed(3)}  (rounds: ${results[i].map((x) => x.toFixed(1)).join(', ')})`);
});
