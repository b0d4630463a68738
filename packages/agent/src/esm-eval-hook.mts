// ESM loader hook (registered by register.mjs: on the loader thread through
// module.register(), or in-thread through module.registerHooks() where Node has it):
// the app's own ES modules that contain `eval(` get the same rewrite as its
// CommonJS files (see sinks/code/direct-eval.ts), so a direct eval keeps the
// caller's scope and its argument still passes through Vigil first.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { rewriteDirectEval } = require('./sinks/code/direct-eval.js') as typeof import('./sinks/code/direct-eval.js');

interface LoadResult {
  format?: string | null;
  source?: string | ArrayBuffer | ArrayBufferView | null;
  shortCircuit?: boolean;
}

type NextLoad = (url: string, context?: unknown) => Promise<LoadResult>;
type NextLoadSync = (url: string, context?: unknown) => LoadResult;

const decoder = new TextDecoder();

/** module.register()'s hook (loader thread). */
export async function load(url: string, context: unknown, nextLoad: NextLoad): Promise<LoadResult> {
  return withDirectEvalRewritten(url, await nextLoad(url, context));
}

/** module.registerHooks()'s hook (in-thread, synchronous): where Node has it, module.register() is deprecated (Node 26). */
export function loadSync(url: string, context: unknown, nextLoad: NextLoadSync): LoadResult {
  return withDirectEvalRewritten(url, nextLoad(url, context));
}

function withDirectEvalRewritten(url: string, result: LoadResult): LoadResult {
  if (result.format !== 'module' || !url.startsWith('file:') || url.includes('/node_modules/') || result.source == null) return result;
  try {
    const source = typeof result.source === 'string' ? result.source : decoder.decode(result.source as ArrayBuffer);
    if (!source.includes('eval')) return result;
    const rewritten = rewriteDirectEval(source, 'module');
    return rewritten === source ? result : { ...result, source: rewritten };
  } catch {
    // Never fail a module load over Vigil: it loads as written, unchecked.
    return result;
  }
}
