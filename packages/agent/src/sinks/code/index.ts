import vm from 'node:vm';
import { wrapMethod } from '../../hooks/wrap.js';
import { agentFor, sink } from '../runtime.js';
import type { Agent, BuiltinPatcher } from '../../core/agent.js';
import { installDirectEvalRewrite } from './direct-eval.js';

const EVAL = sink('global', 'eval');
const FUNCTION = sink('global', 'Function');

/**
 * Code from strings: direct eval in the app's own files (CommonJS rewritten
 * at load, see direct-eval.ts; ES modules by the loader hook in
 * esm-eval-hook.mts), Function/new Function, vm.* and string timers.
 * globalThis.eval itself is not replaced: that would silently turn every
 * direct eval into an indirect one. Indirect eval (`(0, eval)(x)`) and eval
 * inside node_modules are not seen; code.disallowCodeGenerationFromStrings covers them.
 */
export const codeSink: BuiltinPatcher = {
  name: 'code',
  install(agent: Agent) {
    installDirectEvalRewrite((code) => {
      if (typeof code === 'string') agentFor('code')?.inspect(EVAL, { kind: 'code', code });
      return code;
    }, agent.guard);
    wrapFunctionConstructor();
    for (const name of ['runInThisContext', 'runInNewContext', 'runInContext', 'compileFunction'] as const) {
      const ref = sink('vm', name);
      wrapMethod(vm, name, (original) =>
        function vmSink(this: unknown, ...args: unknown[]) {
          const code = args[0];
          if (typeof code === 'string') agentFor('code')?.inspect(ref, { kind: 'code', code });
          return original.apply(this, args);
        },
      );
    }
    const scriptRef = sink('vm', 'Script');
    const OriginalScript = vm.Script;
    class Script extends OriginalScript {
      constructor(code: string, options?: vm.ScriptOptions | string) {
        if (typeof code === 'string') agentFor('code')?.inspect(scriptRef, { kind: 'code', code });
        super(code, options as vm.ScriptOptions);
      }
    }
    Object.defineProperty(Script, 'name', { value: 'Script' });
    (vm as { Script: typeof vm.Script }).Script = Script;
    for (const name of ['setTimeout', 'setInterval'] as const) {
      const ref = sink('global', name);
      wrapMethod(globalThis, name, (original) =>
        function timerSink(this: unknown, ...args: unknown[]) {
          if (typeof args[0] === 'string') agentFor('code')?.inspect(ref, { kind: 'code', code: args[0] });
          return original.apply(this, args);
        },
      );
    }
  },
};

/**
 * Function(...) and new Function(...): the body is the last argument. A plain
 * function stands in for the constructor, not a Proxy: through a Proxy every
 * `x instanceof Function` and `Function.prototype.…` read takes V8's slow
 * path (8x slower for instanceof), in the app and in its libraries.
 */
function wrapFunctionConstructor(): void {
  const Original = globalThis.Function;
  const Function = function (this: unknown, ...args: string[]): globalThis.Function {
    inspectBody(args);
    // A subclass (`class X extends Function`) constructs its own kind; a plain call or `new Function` the original's.
    return new.target === undefined || new.target === Function ? Reflect.apply(Original, undefined, args) : Reflect.construct(Original, args, new.target);
  } as unknown as FunctionConstructor;
  // `x instanceof Function`, `Function.prototype` and the static shape stay those of the original.
  Object.defineProperty(Function, 'prototype', { value: Original.prototype, writable: false });
  Object.defineProperty(Function, 'length', { value: Original.length });
  Object.defineProperty(Function, 'name', { value: 'Function' });
  Object.defineProperty(Function, 'toString', { value: () => 'function Function() { [native code] }', writable: true, configurable: true, enumerable: false });
  // Code that reaches Function through a function's constructor sees the stand-in too.
  Object.defineProperty(Original.prototype, 'constructor', { value: Function, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(globalThis, 'Function', { value: Function, writable: true, configurable: true, enumerable: false });
}

function inspectBody(args: unknown[]): void {
  const body = args.length > 0 ? args[args.length - 1] : undefined;
  if (typeof body !== 'string') return;
  agentFor('code')?.inspect(FUNCTION, { kind: 'code', code: body });
}
