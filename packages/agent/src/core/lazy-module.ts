import { createRequire } from 'node:module';

const load = createRequire(__filename);

/** Loads of Vigil's own modules in progress (see loadingOwnModule). */
let loadsInProgress = 0;

/**
 * A dependency loaded the first time it is used. Vigil lives in other
 * people's processes: an app that never loads a policy file or never hands
 * a string to eval does not keep a YAML or JavaScript parser in its heap
 * (every full GC marks what is loaded, request after request).
 */
export function lazyModule<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => {
    if (loaded === undefined) {
      loadsInProgress++;
      try {
        loaded = load(id) as T;
      } finally {
        loadsInProgress--;
      }
    }
    return loaded;
  };
}

/**
 * Whether Vigil is loading one of its own modules right now. Loading reads
 * files and parses JSON through the very functions Vigil hooks; inspecting
 * those reads would need the module being loaded, and loading it again from
 * inside its own load recurses without end. They are Vigil's, not the app's.
 */
export function loadingOwnModule(): boolean {
  return loadsInProgress > 0;
}
