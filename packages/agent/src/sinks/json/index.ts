import { wrapMethod } from '../../hooks/wrap.js';
import { agentFor, sink } from '../runtime.js';
import { requestStorage } from '../../context/request-context.js';
import type { Agent, BuiltinPatcher } from '../../core/agent.js';

const PARSE = sink('JSON', 'parse');

/**
 * Prototype pollution at the source. Body parsers turn `{"__proto__": …}`
 * into an own `__proto__` key that a later merge copies onto
 * Object.prototype. Checking what JSON.parse returns inside a request, when
 * the text mentions a prototype key at all, blocks the request before any
 * merge runs; the after-the-fact guard (core/prototype-guard.ts) catches the
 * merges of data that did not come through JSON.parse.
 */
export const jsonSink: BuiltinPatcher = {
  name: 'json',
  install(_agent: Agent) {
    wrapMethod(JSON, 'parse', (original) =>
      function parse(this: unknown, text: unknown, reviver?: unknown) {
        const value: unknown = original.call(this, text, reviver);
        if (value !== null && typeof value === 'object' && requestStorage.getStore() !== undefined && typeof text === 'string' && (text.includes('__proto__') || text.includes('prototype'))) {
          agentFor('prototype')?.inspect(PARSE, { kind: 'prototype', value });
        }
        return value;
      },
    );
  },
};
