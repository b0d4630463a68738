import { wrapMethod } from '../../hooks/wrap.js';
import type { ModuleSinkSpec } from '../../sinks/types.js';
import { isAnsweredBlock } from '../common.js';

// NestJS runs on its Express or Fastify adapter, whose requests Vigil already
// sees (the http source, Express's req.body/params/route, the Fastify source).
// What Nest adds is its global exception filter: a block it catches would be
// logged as "ERROR [ExceptionsHandler]" on every blocked request and answered
// 500. The 403 is already on the wire, so the filter leaves a block alone.

interface ArgumentsHost {
  getArgByIndex?(index: number): unknown;
}

export const nestExceptionFilter: ModuleSinkSpec = {
  // The package entry (it re-exports the class): an ESM app's loader hook sees
  // only bare specifiers, not the file that defines it.
  module: '@nestjs/core',
  versions: '>=8 <13',
  patch(exports) {
    const proto = (exports as { BaseExceptionFilter?: { prototype: object } }).BaseExceptionFilter?.prototype;
    if (proto === undefined) return;
    wrapMethod(proto, 'catch', (original) =>
      function catchUnlessBlocked(this: unknown, exception: unknown, host: ArgumentsHost | undefined, ...rest: unknown[]) {
        const response = typeof host?.getArgByIndex === 'function' ? host.getArgByIndex(1) : undefined;
        // Express adapter: the ServerResponse; Fastify adapter: the reply, whose raw is.
        const raw = (response as { raw?: unknown } | undefined)?.raw ?? response;
        if (isAnsweredBlock(exception, raw)) return undefined;
        return original.call(this, exception, host, ...rest);
      },
    );
  },
};
