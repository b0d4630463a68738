import { createRequire } from 'node:module';

const load = createRequire(__filename);

/**
 * A dependency loaded the first time it is used. Vigil lives in other
 * people's processes: an app that never loads a policy file or never hands
 * a string to eval does not keep a YAML or JavaScript parser in its heap
 * (every full GC marks what is loaded, request after request).
 */
export function lazyModule<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load(id) as T);
}
