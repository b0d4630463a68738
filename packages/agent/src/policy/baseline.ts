import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { detectShapeAnomaly, sqlMarkers, sqlShape } from '../detectors/sql/index.js';
import type { SqlDialect } from '../detectors/sql/index.js';
import type { Finding } from '../detectors/types.js';

/** On disk (VIGIL_BASELINE): learned SQL shapes per app call site, merged across runs. */
export interface BaselineFile {
  version: 1;
  sites: Record<string, { shapes: string[]; markers: string[] }>;
}

interface Site {
  shapes: Set<string>;
  markers: Set<string>;
}

const SHAPE_CACHE = 5000;
const MAX_SHAPES_PER_SITE = 200;

/**
 * The learned query shapes. In `learn` mode every query's shape is recorded
 * under its call site; otherwise a query whose shape no call site has seen is
 * checked against its own site's shapes for new injection markers. The
 * common case, a known shape, costs one cached lookup and no stack walk.
 */
export class SqlBaseline {
  private readonly sites = new Map<string, Site>();
  private readonly allShapes = new Set<string>();
  private readonly shapeCache = new Map<string, string>();
  private dirty = false;

  constructor(readonly file: string) {}

  static load(file: string): SqlBaseline {
    const baseline = new SqlBaseline(file);
    if (existsSync(file)) {
      const data = JSON.parse(readFileSync(file, 'utf8')) as BaselineFile;
      for (const [site, entry] of Object.entries(data.sites ?? {})) {
        const s = baseline.site(site);
        for (const shape of entry.shapes) {
          s.shapes.add(shape);
          baseline.allShapes.add(shape);
        }
        for (const m of entry.markers) s.markers.add(m);
      }
    }
    return baseline;
  }

  get siteCount(): number {
    return this.sites.size;
  }

  private site(name: string): Site {
    let s = this.sites.get(name);
    if (s === undefined) {
      s = { shapes: new Set(), markers: new Set() };
      this.sites.set(name, s);
    }
    return s;
  }

  shapeOf(query: string, dialect: SqlDialect): string {
    let shape = this.shapeCache.get(query);
    if (shape === undefined) {
      shape = sqlShape(query, dialect);
      if (this.shapeCache.size >= SHAPE_CACHE) this.shapeCache.clear();
      this.shapeCache.set(query, shape);
    }
    return shape;
  }

  learn(query: string, dialect: SqlDialect, callSite: string | undefined): void {
    if (callSite === undefined) return;
    const shape = this.shapeOf(query, dialect);
    const site = this.site(callSite);
    if (site.shapes.has(shape) || site.shapes.size >= MAX_SHAPES_PER_SITE) return;
    site.shapes.add(shape);
    this.allShapes.add(shape);
    for (const m of sqlMarkers(query, dialect)) site.markers.add(m);
    this.dirty = true;
  }

  check(query: string, dialect: SqlDialect, callSite: () => string | undefined): Finding | null {
    const shape = this.shapeOf(query, dialect);
    if (this.allShapes.has(shape)) return null;
    const name = callSite();
    const site = name === undefined ? undefined : this.sites.get(name);
    // An unknown call site has no baseline to compare with.
    if (site === undefined) return null;
    const finding = detectShapeAnomaly(query, dialect, site);
    return finding === null ? null : { ...finding, detail: { ...finding.detail, callSite: name ?? '', sqlShape: shape } };
  }

  /** Writes the merged baseline (atomically) when something new was learned. */
  save(): void {
    if (!this.dirty) return;
    let merged: BaselineFile = { version: 1, sites: {} };
    try {
      if (existsSync(this.file)) merged = JSON.parse(readFileSync(this.file, 'utf8')) as BaselineFile;
    } catch {
      // A broken file is replaced by what this run learned.
    }
    merged.sites ??= {};
    for (const [name, site] of this.sites) {
      const prev = merged.sites[name] ?? { shapes: [], markers: [] };
      merged.sites[name] = {
        shapes: [...new Set([...prev.shapes, ...site.shapes])],
        markers: [...new Set([...prev.markers, ...site.markers])],
      };
    }
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(merged, null, 2));
    renameSync(tmp, this.file);
    this.dirty = false;
  }
}
