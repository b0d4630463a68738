import type { FailOpen } from '../hooks/guard.js';
import type { EventTransport } from './transports.js';
import type { SecurityEvent } from './types.js';

const MAX_PENDING = 10_000;

/**
 * Collects events on the request path and hands them to the transports in
 * batches, after the current tick: a sink call never waits for I/O. Pending
 * events are written synchronously when the process exits.
 */
export class EventQueue {
  private pending: SecurityEvent[] = [];
  private scheduled = false;
  dropped = 0;
  private readonly listeners: ((event: SecurityEvent) => void)[] = [];

  constructor(
    private readonly transports: EventTransport[],
    private readonly guard: FailOpen,
  ) {}

  /** In-process subscribers (tests, behaviour module, console exporter). */
  onEvent(listener: (event: SecurityEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  push(event: SecurityEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.guard.report('events.listener', err);
      }
    }
    if (this.transports.length === 0) return;
    if (this.pending.length >= MAX_PENDING) {
      this.dropped++;
      return;
    }
    this.pending.push(event);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush()).unref?.();
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    for (const transport of this.transports) {
      try {
        transport.write(batch);
      } catch (err) {
        this.guard.report(`events.${transport.name}`, err);
      }
    }
  }

  close(): void {
    this.flush();
    for (const transport of this.transports) {
      try {
        transport.close?.();
      } catch (err) {
        this.guard.report(`events.${transport.name}`, err);
      }
    }
  }
}
