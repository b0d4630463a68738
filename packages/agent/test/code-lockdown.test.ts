// code.disallowCodeGenerationFromStrings: every string-to-code call is a
// finding, inside a request or not; monitor reports and lets it run, block
// throws a VigilBlockedError instead of crashing the process.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
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

  it('functions written in source are not affected', () => {
    const before = events.length;
    const f = (x: number) => x * 2;
    assert.equal([1, 2].map(f).join(), '2,4');
    assert.equal(events.length, before);
  });
});
