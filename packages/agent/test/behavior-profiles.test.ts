// The request-level layer in process, without HTTP: IP and user lists, rate
// limits, scanner and anomaly sensors over per-IP profiles, attack waves and
// the temporary block list, pattern sensors at admission and after the
// response. Each sensor both ways.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { Agent } from '../src/core/agent.js';
import { RequestContext, requestStorage } from '../src/context/request-context.js';
import { VigilBlockedError } from '../src/core/errors.js';
import { Policy } from '../src/policy/policy.js';
import type { PolicyFile } from '../src/policy/schema.js';
import { parsePolicyText } from '../src/policy/load.js';
import type { SecurityEvent } from '../src/events/types.js';
import type { Admission } from '../src/behavior/index.js';

interface Harness {
  agent: Agent;
  events: SecurityEvent[];
  request: (opts?: { ip?: string; url?: string; method?: string; ua?: string; body?: unknown }) => RequestContext;
  /** admit + finished with a status; returns the admission. */
  send: (opts?: { ip?: string; url?: string; method?: string; ua?: string; status?: number; body?: unknown }) => Admission;
}

function harness(policy: PolicyFile): Harness {
  const agent = new Agent({ logLevel: 'silent', policy });
  const events: SecurityEvent[] = [];
  agent.events.onEvent((e) => events.push(e));
  const request: Harness['request'] = (opts = {}) => {
    const req = {
      headers: { 'user-agent': opts.ua ?? 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0', host: 'shop.example' },
      url: opts.url ?? '/',
      method: opts.method ?? 'GET',
      socket: { remoteAddress: opts.ip ?? '198.51.100.7' },
      body: opts.body,
    };
    return new RequestContext(req as unknown as IncomingMessage, undefined, agent.policy.trustedProxies);
  };
  const send: Harness['send'] = (opts = {}) => {
    const ctx = request(opts);
    const admission = agent.behavior.admit(ctx);
    agent.behavior.finished(ctx, admission.action === 'block' ? admission.status : (opts.status ?? 200));
    return admission;
  };
  return { agent, events, request, send };
}

const blocked = (a: Admission): a is Extract<Admission, { action: 'block' }> => a.action === 'block';
const rules = (events: SecurityEvent[]): string[] => events.map((e) => `${e.rule}:${e.verdict}`);

describe('policy schema: request-level sections', () => {
  it('accepts the behaviour, sensors and users sections', () => {
    const p = parsePolicyText(
      [
        'behavior:',
        '  store: redis',
        '  redisUrl: redis://10.0.0.5:6379/0',
        '  rateLimits:',
        '    - { limit: 600, windowSeconds: 60 }',
        '    - { route: /login, method: POST, limit: 5, windowSeconds: 60 }',
        '    - { route: /api/**, method: [GET, POST], limit: 100, windowSeconds: 10, by: user }',
        '  pathDiversity: { limit: 50 }',
        '  notFound: false',
        '  errorRate: { ratio: 0.8, minRequests: 20 }',
        '  attackWave: { findings: 3, windowSeconds: 30, blockSeconds: 900 }',
        '  scannerUserAgents: [my-internal-pentest]',
        'sensors: { patterns: true, patternKinds: [sqli, xss] }',
        'users: { deny: [u-1, u-2] }',
      ].join('\n'),
    );
    assert.equal(p.behavior?.rateLimits?.length, 3);
    assert.deepEqual(p.users?.deny, ['u-1', 'u-2']);
  });

  it('rejects bad values with their line', () => {
    const reject = (text: string): string => {
      try {
        parsePolicyText(text, 'p.yaml');
      } catch (err) {
        return (err as Error).message;
      }
      return assert.fail('accepted');
    };
    assert.match(reject('behavior:\n  store: memcached\n'), /p\.yaml:2: behavior\.store: must be one of memory, redis/);
    assert.match(reject('behavior:\n  redisUrl: http://x\n'), /redis:\/\/ or rediss:\/\//);
    assert.match(reject('behavior:\n  rateLimits:\n    - { limit: 5 }\n'), /needs windowSeconds/);
    assert.match(reject('behavior:\n  rateLimits:\n    - { limit: 0, windowSeconds: 1 }\n'), /positive integer/);
    assert.match(reject('behavior:\n  errorRate: { ratio: 2 }\n'), /above 0 and at most 1/);
    assert.match(reject('behavior:\n  notFound: { limt: 3 }\n'), /unknown key "limt"/);
    assert.match(reject('sensors: { patterns: yes-please }\n'), /true or false/);
    assert.match(reject('users: { deny: [""] }\n'), /non-empty string/);
  });
});

describe('IP lists', () => {
  it('the allow list bypasses everything, the deny list blocks with ip_blocklist', () => {
    const h = harness({ mode: 'block', ipLists: { allow: ['10.0.0.0/8'], deny: ['203.0.113.0/24'] }, behavior: { rateLimits: [{ limit: 1, windowSeconds: 60 }] }, sensors: { patterns: true } });
    for (let i = 0; i < 5; i++) assert.equal(h.send({ ip: '10.1.2.3', ua: 'sqlmap/1.7', url: "/?q='+OR+1=1--" }).action, 'allow');
    assert.equal(h.events.length, 0, 'nothing reported for an allowed IP');
    const a = h.send({ ip: '203.0.113.9' });
    assert.ok(blocked(a));
    assert.equal(a.status, 403);
    assert.equal(a.rule, 'ip_blocklist');
    assert.equal(a.finding?.threatLevel, 'high');
  });

  it('in monitor mode the deny list reports and lets the request through', () => {
    const h = harness({ mode: 'monitor', ipLists: { deny: ['203.0.113.9'] } });
    assert.equal(h.send({ ip: '203.0.113.9' }).action, 'allow');
    assert.deepEqual(rules(h.events), ['ip_blocklist:detected']);
  });
});

describe('rate limits', () => {
  it('global per IP: the request over the limit gets 429 with Retry-After; other IPs are not affected', () => {
    const h = harness({ mode: 'block', behavior: { rateLimits: [{ limit: 3, windowSeconds: 60 }] } });
    const answers = Array.from({ length: 5 }, () => h.send({ ip: '198.51.100.1' }));
    assert.deepEqual(
      answers.map((a) => a.action),
      ['allow', 'allow', 'allow', 'block', 'block'],
    );
    const over = answers[3] as Extract<Admission, { action: 'block' }>;
    assert.equal(over.status, 429);
    assert.equal(over.rule, 'rate_limit');
    assert.ok(over.retryAfterSeconds !== undefined && over.retryAfterSeconds >= 1 && over.retryAfterSeconds <= 120);
    assert.match(over.description, /rate limit of 3 requests per 60 s/);
    assert.equal(h.send({ ip: '198.51.100.2' }).action, 'allow');
  });

  it('per route and method, with :param and glob patterns', () => {
    const h = harness({ mode: 'block', behavior: { rateLimits: [{ route: '/login', method: 'POST', limit: 2, windowSeconds: 60 }, { route: '/users/:id/orders', limit: 1, windowSeconds: 60 }] } });
    const ip = '198.51.100.3';
    assert.equal(h.send({ ip, url: '/login', method: 'POST' }).action, 'allow');
    assert.equal(h.send({ ip, url: '/login', method: 'POST' }).action, 'allow');
    assert.equal(h.send({ ip, url: '/login?next=/', method: 'POST' }).action, 'block');
    assert.equal(h.send({ ip, url: '/login', method: 'GET' }).action, 'allow', 'GET is not limited');
    assert.equal(h.send({ ip, url: '/products' }).action, 'allow');
    assert.equal(h.send({ ip, url: '/users/42/orders' }).action, 'allow');
    assert.equal(h.send({ ip, url: '/users/43/orders' }).action, 'block', 'the pattern is one limit for every id');
  });

  it('in monitor mode: one event per window, requests pass', () => {
    const h = harness({ mode: 'monitor', behavior: { rateLimits: [{ limit: 2, windowSeconds: 60 }] } });
    for (let i = 0; i < 10; i++) assert.equal(h.send({ ip: '198.51.100.4' }).action, 'allow');
    assert.deepEqual(rules(h.events), ['rate_limit:detected']);
  });

  it('an allowlist entry for the route silences it', () => {
    const h = harness({ mode: 'block', behavior: { rateLimits: [{ limit: 1, windowSeconds: 60 }] }, allowlist: [{ rule: 'rate_limit', route: '/health' }] });
    h.send({ url: '/health' });
    assert.equal(h.send({ url: '/health' }).action, 'allow');
    assert.deepEqual(rules(h.events), ['rate_limit:allowlisted']);
  });

  it('counts survive a policy reload that only changes the limit', () => {
    const h = harness({ mode: 'block', behavior: { rateLimits: [{ limit: 5, windowSeconds: 60 }] } });
    for (let i = 0; i < 3; i++) h.send();
    h.agent.setPolicy(new Policy({ mode: 'block', behavior: { rateLimits: [{ limit: 3, windowSeconds: 60 }] } }));
    assert.equal(h.send().action, 'block');
  });
});

describe('scanner sensors', () => {
  it('known scanner user agents: reported (monitor by default, even under block); blocked when the policy says so', () => {
    const h = harness({ mode: 'block', behavior: {} });
    assert.equal(h.send({ ua: 'sqlmap/1.7.2#stable (https://sqlmap.org)' }).action, 'allow');
    assert.equal(h.send({ ua: 'sqlmap/1.7.2#stable (https://sqlmap.org)' }).action, 'allow');
    assert.deepEqual(rules(h.events), ['scanner:detected'], 'reported once per window');
    assert.match(h.events[0]?.description ?? '', /sqlmap/);
    assert.equal(h.send({ ip: '198.51.100.8', ua: 'Mozilla/5.0 (Macintosh) Safari/605.1.15' }).action, 'allow');
    assert.equal(h.events.length, 1);
    const strict = harness({ mode: 'block', rules: { scanner: 'block' }, behavior: {} });
    const a = strict.send({ ua: 'Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000003)' });
    assert.ok(blocked(a));
    assert.equal(a.rule, 'scanner');
  });

  it('path diversity: many distinct paths from one IP, once per window; a browsing client stays quiet', () => {
    const h = harness({ mode: 'monitor', behavior: { pathDiversity: { limit: 20, windowSeconds: 60 } } });
    for (let i = 0; i < 15; i++) h.send({ ip: '198.51.100.20', url: `/products/${i % 5}` });
    assert.equal(h.events.length, 0);
    for (let i = 0; i < 60; i++) h.send({ ip: '198.51.100.21', url: `/admin/${i}.php` });
    assert.deepEqual(rules(h.events), ['scanner:detected']);
    assert.equal(h.events[0]?.context.anomaly, 'path_diversity');
    assert.equal(h.events[0]?.sourceIp, '198.51.100.21');
  });

  it('404 bursts: counted from response statuses', () => {
    const h = harness({ mode: 'monitor', behavior: { notFound: { limit: 5, windowSeconds: 60 } } });
    for (let i = 0; i < 10; i++) h.send({ ip: '198.51.100.30', status: 200 });
    for (let i = 0; i < 4; i++) h.send({ ip: '198.51.100.30', status: 404 });
    assert.equal(h.events.length, 0);
    h.send({ ip: '198.51.100.30', status: 404 });
    assert.deepEqual(rules(h.events), ['scanner:detected']);
    assert.equal(h.events[0]?.context.anomaly, 'not_found_burst');
  });

  it('user-agent rotation', () => {
    const h = harness({ mode: 'monitor', behavior: { userAgentRotation: { limit: 5, windowSeconds: 60 } } });
    for (let i = 0; i < 20; i++) h.send({ ip: '198.51.100.40', ua: 'Mozilla/5.0 Firefox/128.0' });
    assert.equal(h.events.length, 0);
    for (let i = 0; i < 8; i++) h.send({ ip: '198.51.100.41', ua: `Mozilla/5.0 Chrome/${100 + i}.0` });
    assert.deepEqual(rules(h.events), ['scanner:detected']);
    assert.equal(h.events[0]?.context.anomaly, 'user_agent_rotation');
  });

  it('error rate: a high share of error answers once there are enough requests', () => {
    const h = harness({ mode: 'monitor', behavior: { errorRate: { ratio: 0.5, minRequests: 10, windowSeconds: 60 } } });
    for (let i = 0; i < 30; i++) h.send({ ip: '198.51.100.50', status: i % 4 === 0 ? 500 : 200 });
    assert.equal(h.events.length, 0, '25% errors is fine');
    for (let i = 0; i < 12; i++) h.send({ ip: '198.51.100.51', status: i % 3 === 0 ? 200 : 401 });
    assert.deepEqual(rules(h.events), ['scanner:detected']);
    assert.equal(h.events[0]?.context.anomaly, 'error_rate');
  });

  it('blocked-count: repeated sink blocks from one IP', () => {
    const h = harness({ mode: 'monitor', behavior: { blockedRequests: { limit: 3, windowSeconds: 60 } } });
    for (let i = 0; i < 2; i++) {
      const ctx = h.request({ ip: '198.51.100.60' });
      h.agent.behavior.admit(ctx);
      ctx.blocked = true;
      h.agent.behavior.finished(ctx, 403);
    }
    assert.equal(h.events.length, 0);
    const ctx = h.request({ ip: '198.51.100.60' });
    h.agent.behavior.admit(ctx);
    ctx.blocked = true;
    h.agent.behavior.finished(ctx, 403);
    assert.deepEqual(rules(h.events), ['scanner:detected']);
    assert.equal(h.events[0]?.context.anomaly, 'blocked_requests');
  });

  it('a scanner anomaly the policy blocks puts the IP on the temporary block list', () => {
    const h = harness({ mode: 'block', rules: { scanner: { mode: 'block', blockThreshold: 'medium' } }, behavior: { notFound: { limit: 3, windowSeconds: 60 }, scannerBlockSeconds: 120 } });
    for (let i = 0; i < 3; i++) h.send({ ip: '198.51.100.70', status: 404 });
    assert.deepEqual(rules(h.events), ['scanner:blocked']);
    const a = h.send({ ip: '198.51.100.70' });
    assert.ok(blocked(a));
    assert.equal(a.rule, 'scanner');
    assert.equal(a.status, 403);
    assert.ok(a.retryAfterSeconds !== undefined && a.retryAfterSeconds <= 120);
    assert.equal(h.send({ ip: '198.51.100.71' }).action, 'allow');
  });
});

describe('attack waves', () => {
  const attack = (h: Harness, ip: string, verdictRule: 'sql_injection' | 'request_pattern' = 'sql_injection'): void => {
    // As a sink reports: inside the request's context.
    const ctx = h.request({ ip });
    requestStorage.run(ctx, () => h.agent.report({ rule: verdictRule, threatLevel: 'critical', confidence: 0.95, description: 'x' }, ctx, undefined, undefined));
  };

  it('N sink findings from one IP in the window: an ip_blocklist event, then 403 for a while in block mode', async () => {
    const h = harness({ mode: 'block', behavior: { attackWave: { findings: 3, windowSeconds: 60, blockSeconds: 0.3 } } });
    h.agent.behavior.config(); // subscribes to events
    attack(h, '198.51.100.80');
    attack(h, '198.51.100.80');
    attack(h, '198.51.100.81');
    assert.equal(h.events.filter((e) => e.rule === 'ip_blocklist').length, 0);
    attack(h, '198.51.100.80');
    const wave = h.events.filter((e) => e.rule === 'ip_blocklist');
    assert.equal(wave.length, 1);
    assert.equal(wave[0]?.verdict, 'blocked');
    assert.equal(wave[0]?.sourceIp, '198.51.100.80');
    assert.match(wave[0]?.description ?? '', /attack wave: 3 findings/);
    const a = h.send({ ip: '198.51.100.80' });
    assert.ok(blocked(a));
    assert.equal(a.rule, 'ip_blocklist');
    assert.equal(h.send({ ip: '198.51.100.81' }).action, 'allow');
    await new Promise((r) => setTimeout(r, 350));
    assert.equal(h.send({ ip: '198.51.100.80' }).action, 'allow', 'the temporary block expires');
  });

  it('input-only pattern findings and allowlisted findings do not count; monitor mode reports without blocking', () => {
    const h = harness({ mode: 'monitor', allowlist: [{ rule: 'sql_injection', ip: '198.51.100.91' }], behavior: { attackWave: { findings: 2, windowSeconds: 60 } } });
    h.agent.behavior.config();
    for (let i = 0; i < 5; i++) attack(h, '198.51.100.90', 'request_pattern');
    for (let i = 0; i < 5; i++) attack(h, '198.51.100.91');
    assert.equal(h.events.filter((e) => e.rule === 'ip_blocklist').length, 0);
    attack(h, '198.51.100.92');
    attack(h, '198.51.100.92');
    attack(h, '198.51.100.92');
    assert.deepEqual(rules(h.events.filter((e) => e.rule === 'ip_blocklist')), ['ip_blocklist:detected']);
    assert.equal(h.send({ ip: '198.51.100.92' }).action, 'allow');
  });

  it('an app can put an IP on the temporary list itself', () => {
    const h = harness({ mode: 'block', behavior: {} });
    h.agent.behavior.blockIp('198.51.100.99', 60, 'credential stuffing');
    const a = h.send({ ip: '198.51.100.99' });
    assert.ok(blocked(a));
    assert.match(a.description, /credential stuffing/);
  });
});

describe('users', () => {
  it('deny list: enforceUser (the setUser hook) blocks in block mode; finished reports post hoc otherwise', () => {
    const h = harness({ mode: 'block', users: { deny: ['u-666'] } });
    const ctx = h.request();
    h.agent.behavior.admit(ctx);
    ctx.user = { id: 'u-666' };
    assert.throws(() => h.agent.behavior.enforceUser(ctx), (err: unknown) => err instanceof VigilBlockedError && err.rule === 'ip_blocklist');
    assert.equal(ctx.blocked, true);
    h.agent.behavior.finished(ctx, 403);
    assert.deepEqual(rules(h.events), ['ip_blocklist:blocked'], 'one event');

    const ok = h.request();
    ok.user = { id: 'u-1' };
    h.agent.behavior.enforceUser(ok);
    h.agent.behavior.finished(ok, 200);
    assert.equal(h.events.length, 1);

    const later = h.request();
    h.agent.behavior.admit(later);
    later.user = { id: 'u-666' }; // setUser without the hook
    h.agent.behavior.finished(later, 200);
    assert.equal(h.events.length, 2);
    assert.equal(h.events[1]?.context.postHoc, true);
    assert.equal(h.events[1]?.userId, 'u-666');
  });

  it('per-user rate limits', () => {
    const h = harness({ mode: 'block', behavior: { rateLimits: [{ by: 'user', limit: 2, windowSeconds: 60 }] } });
    const as = (id: string, ip: string): RequestContext => {
      const ctx = h.request({ ip });
      h.agent.behavior.admit(ctx);
      ctx.user = { id };
      return ctx;
    };
    h.agent.behavior.enforceUser(as('alice', '198.51.100.1'));
    h.agent.behavior.enforceUser(as('alice', '198.51.100.2'));
    assert.throws(() => h.agent.behavior.enforceUser(as('alice', '198.51.100.3')), (err: unknown) => err instanceof VigilBlockedError && err.rule === 'rate_limit');
    h.agent.behavior.enforceUser(as('bob', '198.51.100.3'));
  });
});

describe('pattern sensors in the request flow', () => {
  it('off unless the policy switches them on', () => {
    const h = harness({ mode: 'monitor' });
    h.send({ url: "/search?q='+UNION+SELECT+password+FROM+users--" });
    assert.equal(h.events.length, 0);
  });

  it('query, headers and path at admission: a request_pattern event, not a block under a global block', () => {
    const h = harness({ mode: 'block', sensors: { patterns: true } });
    assert.equal(h.send({ url: "/search?q='+UNION+SELECT+password+FROM+users--" }).action, 'allow');
    assert.deepEqual(rules(h.events), ['request_pattern:detected']);
    assert.equal(h.events[0]?.input?.source, 'query.q');
    assert.equal(h.events[0]?.threatLevel, 'medium');
    h.send({ url: '/search?q=desk+lamp' });
    h.send({ url: '/files', ua: '<script>alert(1)</script>' });
    assert.equal(h.events.length, 2);
    assert.equal(h.events[1]?.input?.source, 'headers.user-agent');
  });

  it('the body after the response (post hoc), one event per request', () => {
    const h = harness({ mode: 'monitor', sensors: { patterns: true } });
    h.send({ method: 'POST', url: '/comments', body: { author: 'x', body: '<img src=x onerror=alert(1)>' } });
    assert.deepEqual(rules(h.events), ['request_pattern:detected']);
    assert.equal(h.events[0]?.input?.source, 'body.body');
    assert.equal(h.events[0]?.context.postHoc, true);
    h.send({ method: 'POST', url: '/comments?x=../../etc/passwd', body: { body: '<img src=x onerror=alert(1)>' } });
    assert.equal(h.events.length, 2, 'the query hit at admission is the only event');
    h.send({ method: 'POST', url: '/comments', body: { author: "O'Brien", body: 'Great lamp; 5 stars & fast shipping' } });
    assert.equal(h.events.length, 2);
  });

  it('blocks at admission only when the policy raises request_pattern', () => {
    const h = harness({ mode: 'block', rules: { request_pattern: { mode: 'block', blockThreshold: 'medium', blockConfidence: 0.5 } }, sensors: { patterns: true } });
    const a = h.send({ url: '/download?file=../../../etc/passwd' });
    assert.ok(blocked(a));
    assert.equal(a.rule, 'request_pattern');
    assert.equal(a.finding?.input?.path, 'query.file');
  });
});

describe('fail-safe', () => {
  it('finished never throws and admit works without a client address', () => {
    const h = harness({ mode: 'block', behavior: { rateLimits: [{ limit: 1, windowSeconds: 1 }] }, sensors: { patterns: true } });
    const ctx = h.request();
    Object.defineProperty(ctx, 'ip', { get: () => undefined });
    assert.equal(h.agent.behavior.admit(ctx).action, 'allow');
    const broken = h.request();
    h.agent.behavior.admit(broken);
    Object.defineProperty(broken, 'path', {
      get: () => {
        throw new Error('boom');
      },
    });
    assert.doesNotThrow(() => h.agent.behavior.finished(broken, 404));
  });
});
