import { currentAgent } from '../core/agent.js';
import type { Agent } from '../core/agent.js';
import type { Operation, SinkRef } from './types.js';

/**
 * The agent when this kind of operation needs a look right now, else
 * undefined: the first line of every sink wrapper, so that an ordinary call
 * costs one global lookup and a branch.
 */
export function agentFor(kind: Operation['kind']): Agent | undefined {
  const agent = currentAgent();
  return agent !== undefined && agent.wants(kind) ? agent : undefined;
}

/**
 * Inspects for an API whose failures are reported through a callback (the
 * last argument) or a returned promise. Returns the error to deliver, or
 * undefined to let the call through.
 */
export function inspectAsync(agent: Agent, sink: SinkRef, op: Operation): Error | undefined {
  try {
    agent.inspect(sink, op);
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

/** Delivers a block to a callback the way the library reports its own errors (on a later tick). */
export function failCallback(callback: (err: Error) => void, err: Error): void {
  process.nextTick(callback, err);
}

export function sink(library: string, operation: string): SinkRef {
  return Object.freeze({ library, operation });
}
