import { wrapMethod } from '../../hooks/wrap.js';
import { agentFor, inspectAsync, sink } from '../runtime.js';
import type { ModuleSinkSpec } from '../types.js';

/** Collection methods and which argument carries the filter or pipeline. */
const METHODS: readonly [name: string, arg: number, returnsPromise: boolean][] = [
  ['find', 0, false],
  ['findOne', 0, true],
  ['count', 0, true],
  ['countDocuments', 0, true],
  ['updateOne', 0, true],
  ['updateMany', 0, true],
  ['replaceOne', 0, true],
  ['deleteOne', 0, true],
  ['deleteMany', 0, true],
  ['findOneAndUpdate', 0, true],
  ['findOneAndDelete', 0, true],
  ['findOneAndReplace', 0, true],
  ['aggregate', 0, false],
  ['distinct', 1, true],
  ['bulkWrite', 0, true],
];

/**
 * MongoDB driver (and so mongoose): the filter, update or pipeline a
 * Collection method receives is checked before any network I/O. Promise
 * methods reject; cursor methods (find, aggregate) throw, as they do for
 * invalid arguments.
 */
export const mongodb: ModuleSinkSpec = {
  module: 'mongodb',
  versions: '>=4 <8',
  patch(exports) {
    const proto = (exports as { Collection: { prototype: object } }).Collection.prototype;
    for (const [name, index, returnsPromise] of METHODS) {
      const ref = sink('mongodb', name);
      wrapMethod(proto, name, (original) =>
        function mongoSink(this: unknown, ...args: unknown[]) {
          const agent = agentFor('nosql');
          if (agent !== undefined && args[index] !== null && typeof args[index] === 'object') {
            const err = inspectAsync(agent, ref, { kind: 'nosql', filter: args[index] });
            if (err !== undefined) {
              if (returnsPromise) return Promise.reject(err);
              throw err;
            }
          }
          return original.apply(this, args);
        },
      );
    }
  },
};
