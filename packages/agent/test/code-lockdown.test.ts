// code.disallowCodeGenerationFromStrings: every string-to-code call is a
// finding, inside a request or not; monitor reports and lets it run, block
// throws a VigilBlockedError instead of crashing the process.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { types } from 'node:util';
import { start, onEvent, getAgent, VigilBlockedError } from '../src/index.js';
import type { SecurityEvent } from '../src/index.js';
import { Policy } from '../src/policy/policy.js';

start({ policy: { mode: 'monitor', code: { disallowCodeGenerationFromStrings: true } }, logLevel: 'silent' });
const events: SecurityEvent[] = [];
onEvent((e) => events.push(e));

describe('code generation lockdown', () => {
  it('reports new Function and vm outside any request in monitor mode, and the code still runs', async () => {
    const before = events.length;
    const add = new Function('a', 'b', 'return a + b') as (a: number, b: number) => number;
    assert.equal(add(2, 3), 5);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const vm = require('node:vm') as typeof import('node:vm');
    assert.equal(vm.runInNewContext('1 + 1'), 2);
    assert.equal(events.length, before + 2);
    assert.equal(events[before]!.rule, 'code_injection');
    assert.equal(events[before]!.context.lockdown, true);
  });

  it('blocks in block mode with an error the app can catch', () => {
    const agent = getAgent()!;
    const previous = agent.policy;
    agent.setPolicy(new Policy({ mode: 'block', code: { disallowCodeGenerationFromStrings: true } }));
    try {
      assert.throws(() => new Function('return 1'), (err: unknown) => err instanceof VigilBlockedError);
    } finally {
      agent.setPolicy(previous);
    }
  });

  it('sees every way to the Function constructor, and Function behaves as the original', () => {
    const before = events.length;
    const viaCall = Function('return 7') as () => number;
    const viaConstructor = (function () {}).constructor('return 8') as () => number;
    class Named extends Function {
      constructor() {
        super('return 9');
      }
      label(): string {
        return 'named';
      }
    }
    const sub = new Named() as Named & (() => number);
    assert.deepEqual([viaCall(), viaConstructor(), sub()], [7, 8, 9]);
    assert.equal(events.length, before + 3, 'Function(), fn.constructor() and a subclass are each inspected');
    assert.ok(sub instanceof Named && sub instanceof Function && sub.label() === 'named');
    assert.ok(viaCall instanceof Function && !({} instanceof Function));
    assert.equal(Object.getPrototypeOf(viaCall), Function.prototype);
    assert.equal(viaCall.constructor, Function);
    assert.deepEqual([Function.name, Function.length, String(Function)], ['Function', 1, 'function Function() { [native code] }']);
    // Not a Proxy: a Proxy makes every instanceof Function and Function.prototype read take V8's slow path.
    assert.equal(types.isProxy(Function), false);
  });

  it('functions written in source are not affected', () => {
    const before = events.length;
    const f = (x: number) => x * 2;
    assert.equal([1, 2].map(f).join(), '2,4');
    assert.equal(events.length, before);
  });
});
