// Machine instructions the app executes per request, with and without Vigil,
// counted by valgrind's callgrind. Requests per second and CPU time move by
// 10 % and more when other work shares this kind of machine; the count moves
// far less. (It is a proxy: cache misses and waiting do not count.) V8 runs
// single-threaded here (--single-threaded) so that JIT and GC work is counted
// in the same thread and does not depend on scheduling.
// A second column leaves out V8's optimising compilers: functions still tier up
// thousands of requests after the warm-up, each a one-off of millions of
// instructions that lands in the counted window or not as code changes; a
// server that runs for hours does not pay it per request. Parsing stays
// counted. The window starts and ends with a forced full GC (gc-on-signal.cjs),
// so each setup pays for the garbage its own requests made, no more and no
// less; what the closing GC spends marking the live heap (measured by the same
// GC run again right after) is taken out, since it is paid once per window, not
// per request. A third column leaves out GC too, to show how much of a difference is GC.
//
// Usage: node bench/instructions.mjs [app-dir] [path]
//   BENCH_WARMUP (10000) requests let the JIT settle; BENCH_MEASURED (10000) are counted.
//   BENCH_FLOOR=1 adds an AsyncLocalStorage-only setup (bench/request-context-floor.cjs).
//   BENCH_VARY=1 gives every request its own query value (no cache can help).
//   BENCH_BROWSER=1 sends what a browser sends (user agent, client hints, a session cookie …):
//     autocannon's bare requests leave out most of the input a real request carries.
//   BENCH_POST='<json>' posts that JSON body to the path instead of a GET (e.g. /login).
//   BENCH_CONNECTIONS (10): connections the load keeps busy; 1 serves each request alone (steadier, to compare builds).
//   BENCH_ZEN=1 adds Zen by Aikido.
// Needs valgrind (Debian package `valgrind`). Takes minutes: the app runs ~50x slower.
import { appUnderTest } from './lib.mjs';
import { closingGcExcluded, isCompilation, isGarbageCollection, requireValgrind, underCallgrind } from './callgrind.mjs';

const { dir, path, entry, setups } = appUnderTest();
const WARMUP = Number(process.env.BENCH_WARMUP ?? 10000);
const MEASURED = Number(process.env.BENCH_MEASURED ?? 10000);

requireValgrind('instruction counts');

/** Headers a browser sends with a same-site request (Chrome on Linux), with a session cookie. */
const BROWSER_HEADERS = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-language': 'en-GB,en;q=0.9',
  'accept-encoding': 'gzip, deflate, br',
  referer: 'https://shop.example.com/products?page=2',
  'sec-ch-ua': '"Chromium";v="131", "Not_A Brand";v="24"',
  'sec-ch-ua-mobile': '?0',
  'sec-ch-ua-platform': '"Linux"',
  cookie: 'sid=s%3AaB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY.Zx8cV6bN4mQ2wE0rT8yU6iO4pA2sD0fG; _ga=GA1.1.123456789.1700000000; theme=dark',
};

/** Requests for autocannon: the same path, or (BENCH_VARY) one query value per request; browser headers, a JSON POST. */
function requests(base) {
  const headers = process.env.BENCH_BROWSER ? { ...BROWSER_HEADERS } : {};
  const body = process.env.BENCH_POST;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const request = { method: body === undefined ? 'GET' : 'POST', path: base, headers, ...(body === undefined ? {} : { body }) };
  if (!process.env.BENCH_VARY) return process.env.BENCH_BROWSER || body !== undefined ? [request] : undefined;
  let n = 0;
  return [{ ...request, setupRequest: (req) => ({ ...req, path: `${base}${base.includes('?') ? '' : '?q='}${n++ % 100000}` }) }];
}

async function instructionsPerRequest(setup) {
  const dumps = await underCallgrind({ dir, entry, path }, setup, { warmup: WARMUP, measured: MEASURED, requests: requests(path) });
  const counted = dumps.requests;
  const { total, self } = closingGcExcluded(dumps);
  let compiling = 0;
  let collecting = 0;
  for (const [name, cost] of self) {
    if (isCompilation(name)) compiling += cost;
    else if (isGarbageCollection(name)) collecting += cost;
  }
  return { all: total / counted, steady: (total - compiling) / counted, mutator: (total - compiling - collecting) / counted };
}

const shape = [process.env.BENCH_VARY ? 'a new value each request' : '', process.env.BENCH_BROWSER ? 'browser headers' : ''].filter(Boolean).join(', ');
console.log(`instructions per request, ${dir} ${process.env.BENCH_POST === undefined ? 'GET' : 'POST'} ${path}${shape ? ` (${shape})` : ''}: ${WARMUP} warm-up, ${MEASURED} counted`);
// One at a time: a busier machine makes each request take longer, and timer work per request grows with it.
const results = [];
for (const setup of setups) results.push(await instructionsPerRequest(setup));
const column = (value, base) => `${(value / 1000).toFixed(1).padStart(8)} K  x${(value / base).toFixed(3)}`;
console.log(`${''.padEnd(24)} ${'all instructions'.padStart(18)}   ${'without JIT tiering'.padStart(21)}   ${'nor GC'.padStart(18)}`);
setups.forEach(([label], i) => {
  const r = results[i];
  const base = results[0];
  console.log(`${label.padEnd(24)} ${column(r.all, base.all)}   ${column(r.steady, base.steady).padStart(21)}   ${column(r.mutator, base.mutator)}`);
});
