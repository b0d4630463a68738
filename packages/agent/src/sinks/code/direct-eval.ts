import Module from 'node:module';
import { sep } from 'node:path';
import type * as Acorn from 'acorn';
import { lazyModule } from '../../core/lazy-module.js';
import { wrapMethod } from '../../hooks/wrap.js';
import type { FailOpen } from '../../hooks/guard.js';

/** Loaded with the first check or rewrite that parses JavaScript. */
const acorn = lazyModule<typeof Acorn>('acorn');

/** Global the rewritten calls go through: `eval(<check>(x))` keeps eval direct. */
export const EVAL_CHECK_KEY = Symbol.for('vigil.checkEval');
const CALL = 'globalThis[Symbol.for("vigil.checkEval")](';

/**
 * A direct `eval(x)` in the app's own code is resolved by V8 to the eval
 * intrinsic and runs in the caller's scope; replacing globalThis.eval would
 * turn it into an indirect eval and break code that reads local variables
 * (`eval('price * qty')`). Instead, the app's CommonJS files that contain
 * `eval(` are rewritten as they load so the argument passes through Vigil
 * first: `eval(globalThis[…](x))`. Files in node_modules are left alone.
 * ES modules get the same rewrite from the loader hook in esm-eval-hook.mts.
 */
export function installDirectEvalRewrite(check: (code: unknown) => unknown, guard: FailOpen): void {
  defineEvalCheck(check);
  const proto = (Module as unknown as { prototype: Record<string, unknown> }).prototype;
  wrapMethod(proto, '_compile', (original) =>
    function compile(this: unknown, content: unknown, filename: unknown, ...rest: unknown[]) {
      if (typeof content === 'string' && typeof filename === 'string' && content.includes('eval') && !filename.includes(`${sep}node_modules${sep}`)) {
        try {
          content = rewriteDirectEval(content);
        } catch (err) {
          guard.report('code.rewrite', err);
        }
      }
      return original.call(this, content, filename, ...rest);
    },
  );
}

/**
 * Sets the function rewritten calls go through. register.mjs sets an identity
 * first: ES modules are rewritten on the loader thread before the agent has
 * started, and must run even if it never does.
 */
export function defineEvalCheck(check: (code: unknown) => unknown): void {
  Object.defineProperty(globalThis, EVAL_CHECK_KEY, { value: check, configurable: true, enumerable: false, writable: true });
}

/** Wraps the arguments of every direct `eval(...)` call. Source that does not tokenize is returned unchanged. */
export function rewriteDirectEval(source: string, sourceType: 'script' | 'module' = 'script'): string {
  const { tokenizer, tokTypes: tt } = acorn();
  const tokens: Acorn.Token[] = [];
  try {
    for (const t of tokenizer(source, { ecmaVersion: 'latest', sourceType, allowHashBang: true, allowReturnOutsideFunction: true, allowAwaitOutsideFunction: true })) tokens.push(t);
  } catch {
    return source;
  }
  const edits: { at: number; text: string }[] = [];
  for (let i = 0; i + 1 < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type !== tt.name || (t as { value?: unknown }).value !== 'eval') continue;
    const prev = tokens[i - 1];
    if (prev !== undefined && (prev.type === tt.dot || prev.type === tt.questionDot || prev.type === tt._function)) continue;
    const open = tokens[i + 1]!;
    if (open.type !== tt.parenL) continue;
    let depth = 0;
    let close = -1;
    for (let j = i + 1; j < tokens.length; j++) {
      const k = tokens[j]!.type;
      if (k === tt.parenL) depth++;
      else if (k === tt.parenR && --depth === 0) {
        close = j;
        break;
      }
    }
    if (close < 0 || close === i + 2) continue; // unbalanced, or eval() with no argument
    if (tokens[close + 1]?.type === tt.braceL) continue; // a method named eval: `eval(x) { … }`
    edits.push({ at: open.end, text: CALL }, { at: tokens[close]!.start, text: ')' });
  }
  if (edits.length === 0) return source;
  edits.sort((a, b) => a.at - b.at);
  let out = '';
  let last = 0;
  for (const e of edits) {
    out += source.slice(last, e.at) + e.text;
    last = e.at;
  }
  return out + source.slice(last);
}
