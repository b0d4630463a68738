// `node --import @vigil/agent/register app.mjs`: register the ESM loader hooks
// (import-in-the-middle for the modules Vigil hooks; the direct-eval rewrite
// for the app's own modules), then start the agent, which patches built-ins
// and CommonJS modules.
import * as nodeModule from 'node:module';
import { createRequire } from 'node:module';
// No imports of its own: a version check only.
import { supportsSyncHooks } from 'import-in-the-middle/supports-sync-hooks.mjs';

const require = createRequire(import.meta.url);
const { MODULE_SINKS } = require('./sinks/index.js') as typeof import('./sinks/index.js');
const { defineEvalCheck } = require('./sinks/code/direct-eval.js') as typeof import('./sinks/code/direct-eval.js');

/**
 * In-thread synchronous hooks (module.registerHooks) where Node runs them
 * correctly; module.register() elsewhere. Node 26 deprecates module.register()
 * at run time: an agent must not print a deprecation warning into every app.
 */
const inThread = supportsSyncHooks() && typeof (nodeModule as { registerHooks?: unknown }).registerHooks === 'function';

if ((process.env.VIGIL_MODE ?? '').trim().toLowerCase() !== 'off') {
  const include = [...new Set(MODULE_SINKS.map((s) => s.module))];
  try {
    if (inThread) {
      const { register } = await import('import-in-the-middle/register-hooks.mjs');
      register({ include });
    } else {
      nodeModule.register('import-in-the-middle/hook.mjs', import.meta.url, { data: { include } });
    }
  } catch (err) {
    process.emitWarning(`vigil: ESM loader hook not registered (${(err as Error).message}); CommonJS and built-ins stay protected`);
  }
  try {
    // Direct eval in the app's ES modules: rewritten as they load (the agent replaces this identity when it starts).
    defineEvalCheck((code) => code);
    if (inThread) {
      const { loadSync } = (await import('./esm-eval-hook.mjs')) as typeof import('./esm-eval-hook.mjs');
      (nodeModule as unknown as { registerHooks: (hooks: { load: typeof loadSync }) => void }).registerHooks({ load: loadSync });
    } else {
      nodeModule.register('./esm-eval-hook.mjs', import.meta.url);
    }
  } catch (err) {
    process.emitWarning(`vigil: ESM eval hook not registered (${(err as Error).message}); direct eval in ES modules is not checked`);
  }
}
require('./register.js');
