// import-in-the-middle ships no types for this entry (a version check with no imports).
declare module 'import-in-the-middle/supports-sync-hooks.mjs' {
  export function supportsSyncHooks(): boolean;
}
