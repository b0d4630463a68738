// `node --import @vigil/agent/register app.mjs`: register the ESM loader hook
// (import-in-the-middle) for the modules Vigil hooks, then start the agent,
// which patches built-ins and CommonJS modules.
import { register } from 'node:module';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { MODULE_SINKS } = require('./sinks/index.js') as typeof import('./sinks/index.js');

if ((process.env.VIGIL_MODE ?? '').trim().toLowerCase() !== 'off') {
  const include = [...new Set(MODULE_SINKS.map((s) => s.module))];
  try {
    register('import-in-the-middle/hook.mjs', import.meta.url, { data: { include } });
  } catch (err) {
    process.emitWarning(`vigil: ESM loader hook not registered (${(err as Error).message}); CommonJS and built-ins stay protected`);
  }
}
require('./register.js');
