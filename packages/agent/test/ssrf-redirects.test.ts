// SSRF through a redirect: the client's URL is an allowed host that answers
// with a redirect to an internal address. The redirect's Location counts as
// request input, so the next hop is blocked: with fetch (followed inside
// undici) and with http.get (followed by the app, as follow-redirects does).
// Two loopback addresses stand in for the outside and the inside: 127.0.0.2
// is the allowed partner, 127.0.0.1 the internal service.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Server, IncomingMessage } from 'node:http';
import { start, onEvent, VigilBlockedError } from '../src/index.js';
import type { SecurityEvent } from '../src/index.js';

const agent = start({ mode: 'block', logLevel: 'silent', policy: { ssrf: { allowHosts: ['127.0.0.2'] } } });
const events: SecurityEvent[] = [];
onEvent((e) => events.push(e));

const listen = async (server: Server, host: string): Promise<number> => {
  await new Promise<void>((r) => server.listen(0, host, r));
  return (server.address() as { port: number }).port;
};

/** http.get that follows one redirect itself. */
function getFollowing(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        if (res.statusCode !== undefined && res.statusCode >= 300 && res.statusCode < 400 && res.headers.location) {
          res.resume();
          try {
            http.get(new URL(res.headers.location, url), (next) => {
              let body = '';
              next.on('data', (d: Buffer) => (body += d));
              next.on('end', () => resolve(body));
            }).on('error', reject);
          } catch (err) {
            reject(err);
          }
          return;
        }
        let body = '';
        res.on('data', (d: Buffer) => (body += d));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

describe('SSRF through a redirect from an allowed host', () => {
  let internalHits = 0;
  let internal: Server;
  let partner: Server;
  let app: Server;
  let base = '';
  let partnerBase = '';

  before(async () => {
    internal = http.createServer((_req, res) => {
      internalHits++;
      res.end('INTERNAL-SECRET');
    });
    const internalPort = await listen(internal, '127.0.0.1');
    partner = http.createServer((req, res) => {
      if (req.url === '/moved') res.writeHead(302, { location: `http://127.0.0.1:${internalPort}/secret` }).end();
      else if (req.url === '/elsewhere') res.writeHead(301, { location: '/page' }).end();
      else res.end('partner page');
    });
    partnerBase = `http://127.0.0.2:${await listen(partner, '127.0.0.2')}`;
    app = http.createServer((req: IncomingMessage, res) => {
      const u = new URL(req.url!, 'http://x');
      const target = u.searchParams.get('url') ?? '';
      const work = u.pathname === '/fetch' ? fetch(target).then((r) => r.text()) : getFollowing(target);
      work.then(
        (body) => res.end(body),
        (err: Error) => {
          if (!res.headersSent) res.writeHead(502).end(err instanceof VigilBlockedError ? 'blocked' : err.message);
        },
      );
    });
    base = `http://127.0.0.1:${await listen(app, '127.0.0.1')}`;
  });
  after(() => {
    for (const s of [internal, partner, app]) s.close();
  });

  for (const via of ['fetch', 'get'] as const) {
    it(`${via}: the internal hop is blocked (403), the internal service sees nothing, the event names the redirect`, async () => {
      const before = internalHits;
      const res = await fetch(`${base}/${via}?url=${encodeURIComponent(`${partnerBase}/moved`)}`);
      assert.equal(res.status, 403);
      assert.doesNotMatch(await res.text(), /INTERNAL-SECRET/);
      assert.equal(internalHits, before);
      const event = events.at(-1);
      assert.equal(event?.rule, 'ssrf');
      assert.equal(event?.input?.source, 'query.url.redirect');
    });

    it(`${via}: the allowed host itself and its redirects to its own pages are served`, async () => {
      const count = events.length;
      assert.equal(await (await fetch(`${base}/${via}?url=${encodeURIComponent(`${partnerBase}/page`)}`)).text(), 'partner page');
      assert.equal(await (await fetch(`${base}/${via}?url=${encodeURIComponent(`${partnerBase}/elsewhere`)}`)).text(), 'partner page');
      assert.equal(events.length, count);
    });
  }

  it('the app calling its own internal service (no input in the host) is untouched', async () => {
    assert.ok(agent.active);
    const port = (internal.address() as { port: number }).port;
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'INTERNAL-SECRET');
  });
});
