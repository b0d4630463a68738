import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { wrapMethod } from '../../hooks/wrap.js';
import { agentFor, sink } from '../runtime.js';
import { requestStorage } from '../../context/request-context.js';
import { ssrfDetector } from '../../core/detectors.js';
import { taintOf, watchClientRequest, watchUndiciRedirects } from './redirects.js';
import type { Agent, BuiltinPatcher } from '../../core/agent.js';
import type { SinkRef } from '../types.js';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

const FETCH = sink('fetch', 'fetch');
const CONNECT = sink('undici', 'connect');

/**
 * Outbound requests. The host the app asked for is checked when the request
 * is made; when that host came from input and is a name, the address it
 * resolves to is checked again at connect time (http/https through the
 * request's `lookup`, fetch/undici through undici's diagnostics channel),
 * so a name that resolves to an internal address, or re-binds to one later,
 * is caught on the address actually connected to. Redirects answering such a
 * request are followed as input (redirects.ts).
 */
export const outboundSink: BuiltinPatcher = {
  name: 'outbound',
  install(_agent: Agent) {
    for (const [mod, label] of [
      [http, 'http'],
      [https, 'https'],
    ] as const) {
      for (const method of ['request', 'get'] as const) {
        const ref = sink(label, method);
        wrapMethod(mod, method, (original) =>
          function outboundRequest(this: unknown, ...args: unknown[]) {
            const a = agentFor('outbound');
            if (a === undefined) return original.apply(this, args);
            const target = failOpen(a, () => targetOf(args, label));
            if (target === undefined) return original.apply(this, args);
            // Throws only to block; its own failures are counted inside.
            a.inspect(ref, { kind: 'outbound', hostname: target.hostname, port: target.port, url: target.url });
            const taint = failOpen(a, () => taintOf(target.hostname));
            if (taint === undefined) return original.apply(this, args);
            const checked = failOpen(a, () => (ssrfDetector().parseIpLiteral(target.hostname) === null ? withCheckedLookup(a, ref, args, target.hostname) : args)) ?? args;
            const req: unknown = original.apply(this, checked);
            failOpen(a, () => watchClientRequest(req, taint, target.url ?? `${label}://${target.hostname}/`));
            return req;
          },
        );
      }
    }
    if (typeof globalThis.fetch === 'function') {
      wrapMethod(globalThis, 'fetch', (original) =>
        function fetch(this: unknown, ...args: unknown[]) {
          const a = agentFor('outbound');
          if (a !== undefined) {
            const url = fetchUrl(args[0]);
            if (url !== undefined) {
              try {
                a.inspect(FETCH, { kind: 'outbound', hostname: url.hostname, port: url.port ? Number(url.port) : undefined, url: url.href });
              } catch (err) {
                return Promise.reject(err);
              }
            }
          }
          return original.apply(this, args);
        },
      );
    }
    watchUndiciRedirects();
    // fetch and the undici package publish every new connection here, before the request is written.
    subscribe('undici:client:connected', (message) => {
      const { connectParams, socket } = message as { connectParams?: { hostname?: string }; socket?: Socket };
      const hostname = connectParams?.hostname;
      if (hostname === undefined || socket === undefined || socket.remoteAddress === undefined) return;
      const a = agentFor('outbound');
      if (a === undefined) return;
      try {
        a.inspect(CONNECT, { kind: 'outbound', hostname, address: socket.remoteAddress });
      } catch (err) {
        socket.destroy(err as Error);
      }
    });
  },
};

/** Vigil's own preparation around the app's call: an error in it is counted and the call goes on unchecked, never thrown at the app. */
function failOpen<T>(agent: Agent, step: () => T): T | undefined {
  try {
    return step();
  } catch (err) {
    agent.guard.report('sink.outbound', err);
    return undefined;
  }
}

interface Target {
  hostname: string;
  port: number | undefined;
  url: string | undefined;
}

function targetOf(args: unknown[], protocol: string): Target | undefined {
  const first = args[0];
  let url: URL | undefined;
  if (typeof first === 'string') url = safeUrl(first);
  else if (first instanceof URL) url = first;
  const options = (url === undefined ? first : args[1]) as { hostname?: unknown; host?: unknown; port?: unknown } | undefined;
  let hostname = url?.hostname;
  let port: number | undefined = url?.port ? Number(url.port) : undefined;
  if (options !== null && typeof options === 'object' && typeof options !== 'function') {
    const h = typeof options.hostname === 'string' ? options.hostname : typeof options.host === 'string' ? options.host : undefined;
    if (h !== undefined) hostname = h;
    if (options.port !== undefined && options.port !== null && options.port !== '') port = Number(options.port);
  }
  if (hostname === undefined || hostname === '') return undefined;
  return { hostname, port, url: url?.href ?? `${protocol}://${hostname}${port !== undefined ? ':' + port : ''}` };
}

function safeUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function fetchUrl(input: unknown): URL | undefined {
  if (typeof input === 'string') return safeUrl(input);
  if (input instanceof URL) return input;
  if (input !== null && typeof input === 'object' && typeof (input as { url?: unknown }).url === 'string') return safeUrl((input as { url: string }).url);
  return undefined;
}

/** Adds a `lookup` that checks every address the host resolves to before the socket connects. */
function withCheckedLookup(agent: Agent, ref: SinkRef, args: unknown[], hostname: string): unknown[] {
  const ctx = requestStorage.getStore();
  const urlFirst = typeof args[0] === 'string' || args[0] instanceof URL;
  const optionsIndex = urlFirst ? 1 : 0;
  const given = args[optionsIndex];
  const options = given !== null && typeof given === 'object' ? { ...(given as object) } : {};
  const lookup = ((options as { lookup?: unknown }).lookup ?? dns.lookup) as (host: string, opts: object, cb: LookupCallback) => void;
  (options as { lookup: unknown }).lookup = (host: string, opts: object, cb: LookupCallback) => {
    lookup(host, opts, (err, address, family) => {
      if (err !== null || ctx === undefined) return cb(err, address, family);
      const list = Array.isArray(address) ? address.map((a) => a.address) : [address];
      try {
        requestStorage.run(ctx, () => {
          for (const resolved of list) agent.inspect(ref, { kind: 'outbound', hostname, address: resolved });
        });
      } catch (blocked) {
        return cb(blocked as NodeJS.ErrnoException, address, family);
      }
      cb(null, address, family);
    });
  };
  const out = args.slice();
  if (urlFirst && typeof given !== 'object') out.splice(1, 0, options);
  else out[optionsIndex] = options;
  return out;
}
