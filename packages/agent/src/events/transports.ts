import { closeSync, openSync, writeSync } from 'node:fs';
import type { Logger } from '../core/logger.js';
import type { SecurityEvent } from './types.js';

export interface EventTransport {
  readonly name: string;
  write(batch: readonly SecurityEvent[]): void;
  close?(): void;
}

/**
 * Appends one JSON object a line. The file is opened once at start-up; writes
 * go by file descriptor, so Vigil's own fs hooks never see a path to check.
 */
export class JsonlFileTransport implements EventTransport {
  readonly name = 'file';
  private fd: number | undefined;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'a');
  }

  write(batch: readonly SecurityEvent[]): void {
    if (this.fd === undefined) return;
    let text = '';
    for (const event of batch) text += JSON.stringify(event) + '\n';
    writeSync(this.fd, text);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export class LogTransport implements EventTransport {
  readonly name = 'log';
  constructor(private readonly logger: Logger) {}

  write(batch: readonly SecurityEvent[]): void {
    for (const event of batch) {
      const level = event.verdict === 'blocked' ? 'warn' : 'info';
      this.logger[level]({ event }, 'vigil %s %s: %s', event.verdict, event.rule, event.description);
    }
  }
}
