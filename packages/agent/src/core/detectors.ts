import { lazyModule } from './lazy-module.js';
import type * as Shell from '../detectors/shell/index.js';
import type * as Path from '../detectors/path/index.js';
import type * as Ssrf from '../detectors/ssrf/index.js';
import type * as Code from '../detectors/code/index.js';
import type * as NoSql from '../detectors/nosql/index.js';
import type * as Deserialize from '../detectors/deserialize/index.js';
import type * as Prototype from '../detectors/prototype/index.js';

// The detectors other than SQL, each loaded with the first operation of its
// kind. An app that never spawns a process or fetches a URL does not keep the
// shell tokenizer or the address tables in its heap, where every full GC
// would mark them again. (Ids are relative to core/lazy-module.)
export const shellDetector = lazyModule<typeof Shell>('../detectors/shell/index.js');
export const pathDetector = lazyModule<typeof Path>('../detectors/path/index.js');
export const ssrfDetector = lazyModule<typeof Ssrf>('../detectors/ssrf/index.js');
export const codeDetector = lazyModule<typeof Code>('../detectors/code/index.js');
export const noSqlDetector = lazyModule<typeof NoSql>('../detectors/nosql/index.js');
export const deserializeDetector = lazyModule<typeof Deserialize>('../detectors/deserialize/index.js');
export const prototypeDetector = lazyModule<typeof Prototype>('../detectors/prototype/index.js');
