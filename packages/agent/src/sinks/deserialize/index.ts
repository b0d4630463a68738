import { wrapMethod } from '../../hooks/wrap.js';
import { agentFor, sink } from '../runtime.js';
import type { ModuleSinkSpec, Operation } from '../types.js';

type Format = Extract<Operation, { kind: 'deserialize' }>['format'];

function wrapDeserializer(target: object, method: string, library: string, format: Format): void {
  const ref = sink(library, method);
  wrapMethod(target, method, (original) =>
    function deserializeSink(this: unknown, ...args: unknown[]) {
      const payload = asText(args[0]);
      if (payload !== undefined) agentFor('deserialize')?.inspect(ref, { kind: 'deserialize', payload, format });
      return original.apply(this, args);
    },
  );
}

function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return undefined;
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** node-serialize: unserialize() evaluates `_$$ND_FUNC$$_` functions (and runs IIFEs). */
export const nodeSerialize: ModuleSinkSpec = {
  module: 'node-serialize',
  versions: '>=0.0.1 <1',
  patch(exports) {
    wrapDeserializer(exports as object, 'unserialize', 'node-serialize', 'node-serialize');
  },
};

/** funcster: deserialize() compiles `__js_function` values. */
export const funcster: ModuleSinkSpec = {
  module: 'funcster',
  versions: '>=0.0.1 <1',
  patch(exports) {
    wrapDeserializer(exports as object, 'deepDeserialize', 'funcster', 'funcster');
  },
};

/** serialize-to-js up to 2.x: deserialize() is eval. */
export const serializeToJs: ModuleSinkSpec = {
  module: 'serialize-to-js',
  versions: '>=0.1.0 <3',
  patch(exports) {
    wrapDeserializer(exports as object, 'deserialize', 'serialize-to-js', 'js');
  },
};

/** js-yaml 3: load() with the default full schema builds !!js/function and !!js/regexp (v4 removed them). */
export const jsYaml: ModuleSinkSpec = {
  module: 'js-yaml',
  versions: '>=2 <4',
  patch(exports) {
    wrapDeserializer(exports as object, 'load', 'js-yaml', 'yaml');
    wrapDeserializer(exports as object, 'loadAll', 'js-yaml', 'yaml');
  },
};
