import { detectShellInjection, shellCommandNames } from './packages/agent/src/detectors/shell/index.js';
import { tokenizeShell } from './packages/agent/src/tokenizers/shell/index.js';
const q = (...v: string[]) => v.map(value => ({ source: 'query' as const, path: 'q', value }));
const n = 1_000_000;
for (const piece of ['$(', '"$(', "'", '`', ';', 'a ']) {
  const value = piece.repeat(Math.ceil(n / piece.length)).slice(0, n - 20);
  const cmd = `echo $(cat ${value})`;
  let t = performance.now(); tokenizeShell(cmd); const a = performance.now() - t;
  t = performance.now(); const f = detectShellInjection(cmd, q(value)); const b = performance.now() - t;
  t = performance.now(); detectShellInjection(cmd, q(piece.trim() || piece)); const b2 = performance.now() - t;
  t = performance.now(); shellCommandNames(cmd); const c = performance.now() - t;
  console.log(JSON.stringify(piece), a.toFixed(0), b.toFixed(0), b2.toFixed(0), c.toFixed(0), f?.detail?.syntax);
}
