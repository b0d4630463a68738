import pino from 'pino';
import type { Logger } from 'pino';

export type { Logger };

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** Vigil's own structured log on stdout (DESIGN: VIGIL_LOG_LEVEL). */
export function createLogger(level: string | undefined): Logger {
  const chosen = level !== undefined && LEVELS.has(level) ? level : 'info';
  return pino({ name: 'vigil', level: chosen, base: { name: 'vigil', pid: process.pid } }, pino.destination({ fd: 1, sync: true }));
}
