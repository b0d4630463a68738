import { readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { Hook as RequireHook } from 'require-in-the-middle';
// The one function, not the package's index: that loads all of semver (47 files), held in the app's heap for good.
import satisfies from 'semver/functions/satisfies.js';
import { kPatched } from '../core/symbols.js';
import type { ModuleSinkSpec } from '../sinks/types.js';
import type { FailOpen } from './guard.js';
import type { Logger } from '../core/logger.js';

/**
 * Installs module sink specs: CommonJS through require-in-the-middle, ESM
 * through import-in-the-middle (its loader is registered by register.mjs).
 * Both paths end in `apply`, which checks the version and patches once.
 */
export class ModuleHooks {
  private readonly byModule = new Map<string, ModuleSinkSpec[]>();
  private readonly unhooks: (() => void)[] = [];
  /** `name@version` of every module patched, for diagnostics and tests. */
  readonly patched = new Set<string>();

  constructor(
    private readonly guard: FailOpen,
    private readonly logger: Logger,
  ) {}

  install(specs: readonly ModuleSinkSpec[]): void {
    for (const spec of specs) {
      const key = spec.file === undefined ? spec.module : `${spec.module}/${spec.file}`;
      const list = this.byModule.get(key) ?? [];
      list.push(spec);
      this.byModule.set(key, list);
    }
    // Hooking a file inside a package needs the package itself on the list too.
    const names = [...new Set([...this.byModule.keys(), ...specs.map((s) => s.module)])];
    const ritm = new RequireHook(names, { internals: true }, (exports, name, basedir) => {
      try {
        this.onLoad(exports, name.split(sep).join('/'), basedir);
      } catch (err) {
        this.guard.report('hooks.require', err);
      }
      return exports;
    });
    this.unhooks.push(() => ritm.unhook());
    this.installEsm(names);
  }

  private installEsm(names: string[]): void {
    try {
      // Only meaningful when register.mjs registered the loader; harmless otherwise.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const iitm = require('import-in-the-middle') as { Hook: new (m: string[], o: object, fn: (ns: Record<string, unknown>, name: string, baseDir?: string) => void) => { unhook(): void } };
      const hook = new iitm.Hook(names, { internals: true }, (ns, name, baseDir) => {
        // A CommonJS module imported from ESM: patch the same exports object require() returns.
        const d = ns.default;
        const target = d !== null && (typeof d === 'object' || typeof d === 'function') ? d : ns;
        try {
          this.onLoad(target, name.split(sep).join('/'), baseDir);
        } catch (err) {
          this.guard.report('hooks.import', err);
        }
      });
      this.unhooks.push(() => hook.unhook());
    } catch (err) {
      this.guard.report('hooks.esm', err);
    }
  }

  private onLoad(exports: unknown, name: string, basedir: string | undefined): void {
    const specs = this.byModule.get(name);
    if (specs === undefined || exports === null || (typeof exports !== 'object' && typeof exports !== 'function')) return;
    const version = basedir === undefined ? undefined : readVersion(basedir);
    for (const spec of specs) this.apply(spec, exports, version);
  }

  apply(spec: ModuleSinkSpec, exports: unknown, version: string | undefined): void {
    const label = `${spec.module}${spec.file ? '/' + spec.file : ''}@${version ?? 'builtin'}`;
    if (!spec.builtin && (version === undefined || !satisfies(version, spec.versions, { includePrerelease: true }))) {
      this.logger.debug({ module: spec.module, version, supported: spec.versions }, 'vigil: module version not supported; not hooked');
      return;
    }
    const marks = (exports as Record<symbol, Set<ModuleSinkSpec> | undefined>)[kPatched] ?? defineMarks(exports as object);
    if (marks.has(spec)) return;
    marks.add(spec);
    try {
      spec.patch(exports, version);
      this.patched.add(label);
    } catch (err) {
      // A wrap that fails is a warning, not a crash: the module works unprotected.
      this.guard.report(`hooks.${spec.module}`, err);
    }
  }

  uninstall(): void {
    for (const unhook of this.unhooks.splice(0)) unhook();
  }
}

function defineMarks(target: object): Set<ModuleSinkSpec> {
  const marks = new Set<ModuleSinkSpec>();
  try {
    Object.defineProperty(target, kPatched, { value: marks, enumerable: false, configurable: true });
  } catch {
    // Frozen exports: patching will fail too and be reported.
  }
  return marks;
}

function readVersion(basedir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(basedir, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}
