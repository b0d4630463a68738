// ESM entry: the same single agent as the CommonJS entry (no dual-package hazard).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const api = require('./index.js') as typeof import('./index.js');

export const { start, getAgent, setUser, withContext, getMetrics, onEvent, reloadPolicy, currentRequestId, VigilBlockedError, PolicyError } = api;
export type * from './index.js';
