// Every piece of state Vigil attaches to objects it does not own lives under
// one of these symbols. `Symbol.for` so that two copies of the package
// installed side by side agree on them.

/** The one agent per process (globalThis[kAgent]). */
export const kAgent = Symbol.for('vigil.agent');
/** Marks a function as Vigil's wrapper; holds the original. */
export const kOriginal = Symbol.for('vigil.original');
/** Marks an object (module exports, prototype) as already patched by a given spec. */
export const kPatched = Symbol.for('vigil.patched');
/** Marks a ServerResponse that Vigil answered with a block. */
export const kBlockedResponse = Symbol.for('vigil.blockedResponse');
/** Identifies VigilBlockedError across copies of the package. */
export const kBlockedError = Symbol.for('vigil.blockedError');
