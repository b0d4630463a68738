// `node --import @vigil/agent/register app.mjs`: register the ESM loader hooks
// (import-in-the-middle for the modules Vigil hooks; the direct-eval rewrite
// for the app's own modules), then start the agent, which patches built-ins
// and CommonJS modules.
import { register } from 'node:module';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { MODULE_SINKS } = require('./sinks/index.js') as typeof import('./sinks/index.js');
const { defineEvalCheck } = require('./sinks/code/direct-eval.js') as typeof import('./sinks/code/direct-eval.js');

if ((process.env.VIGIL_MODE ?? '').trim().toLowerCase() !== 'off') {
  const include = [...new Set(MODULE_SINKS.map((s) => s.module))];
  try {
    register('import-in-the-middle/hook.mjs', import.meta.url, { data: { include } });
  } catch (err) {
    process.emitWarning(`vigil: ESM loader hook not registered (${(err as Error).message}); CommonJS and built-ins stay protected`);
  }
  try {
    // Direct eval in the app's ES modules: rewritten as they load (the agent replaces this identity when it starts).
    defineEvalCheck((code) => code);
    register('./esm-eval-hook.mjs', import.meta.url);
  } catch (err) {
    process.emitWarning(`vigil: ESM eval hook not registered (${(err as Error).message}); direct eval in ES modules is not checked`);
  }
}
require('./register.js');
