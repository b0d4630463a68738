// The request pattern sensors (detectors/patterns): WAF-style SQL injection,
// XSS and path traversal checks of inputs alone. Both directions: attack
// corpora should mostly fire, benign corpora rarely; rates are printed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectInputs } from '../src/context/inputs.js';
import { matchPatterns, pathTraversalSignal, scanInputs, sqlInjectionSignal, xssSignal } from '../src/detectors/patterns/index.js';
import type { UserInput } from '../src/detectors/types.js';
import { REPO_ROOT } from './helpers.js';

// As the detectors' corpus tests: VIGIL_CORPUS, else the shared corpus next to the repository.
const CORPUS = process.env.VIGIL_CORPUS ?? join(REPO_ROOT, '../shared/corpus');
const haveCorpus = existsSync(join(CORPUS, 'attacks'));

function load(file: string): string[] {
  return readFileSync(join(CORPUS, file), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { payload: string }).payload);
}

/** The share of payloads that fire, each sent as a query value (with the decoded forms the agent derives). */
function rate(file: string): { fired: number; total: number; share: number } {
  const payloads = load(file);
  let fired = 0;
  for (const payload of payloads) {
    const inputs = collectInputs([{ source: 'query', prefix: 'query', value: { q: payload } }]);
    if (scanInputs(inputs) !== null) fired++;
  }
  return { fired, total: payloads.length, share: fired / payloads.length };
}

const q = (value: string): UserInput => ({ source: 'query', path: 'query.q', value });
const MAX = 4096;

describe('request pattern sensors: corpora', () => {
  const bounds: [string, 'min' | 'max', number][] = [
    ['attacks/sqli.jsonl', 'min', 0.8],
    ['attacks/xss.jsonl', 'min', 0.85],
    ['attacks/path.jsonl', 'min', 0.9],
    ['benign/sqli.jsonl', 'max', 0.03],
    ['benign/xss.jsonl', 'max', 0.03],
    ['benign/path.jsonl', 'max', 0.03],
    ['benign/general.jsonl', 'max', 0.03],
    ['benign/shell.jsonl', 'max', 0.03],
    ['benign/code.jsonl', 'max', 0.03],
    ['benign/ssrf.jsonl', 'max', 0.03],
    ['benign/nosql.jsonl', 'max', 0.03],
  ];
  for (const [file, kind, bound] of bounds) {
    it(`${file}: ${kind === 'min' ? 'fires on at least' : 'fires on at most'} ${bound * 100}%`, { skip: !haveCorpus && 'corpus not found' }, () => {
      const r = rate(file);
      console.log(`  pattern sensors on ${file}: ${r.fired}/${r.total} fired (${(r.share * 100).toFixed(1)}%)`);
      if (kind === 'min') assert.ok(r.share >= bound, `${file}: only ${(r.share * 100).toFixed(1)}% fired`);
      else assert.ok(r.share <= bound, `${file}: ${(r.share * 100).toFixed(1)}% fired`);
    });
  }
});

describe('request pattern sensors: SQL injection', () => {
  const attacks = [
    "' OR '1'='1",
    "admin'--",
    '1 UNION SELECT username, password FROM users',
    '1/**/uNiOn/**/ALL/**/sElEcT/**/1,2',
    "1'; DROP TABLE users--",
    '1) or sleep(5)#',
    "' AND 1=(SELECT 1 FROM pg_sleep(5))--",
    'x AND 8=8',
    "1 waitfor delay '0:0:5'",
    "' || (SELECT version()) || '",
    'SELECT table_name FROM information_schema.tables',
    "1' ORDER BY 3--",
    '@@version',
  ];
  for (const a of attacks) {
    it(`fires: ${a}`, () => assert.notEqual(sqlInjectionSignal(a, MAX), null));
  }
  const benign = [
    "O'Brien",
    "Don't stop believin'",
    'Fast -- really fast -- shipping',
    'Drop me a line',
    '(RUSTIC OR ORGANIC) EVERYDAY NECKLACE',
    'Tom & Jerry; a classic',
    'Please select a size',
    '3 < 5 and 7 > 2',
    '#2 pencil, "#ff0000" red',
    'Is it \'or\' or \'nor\'?',
    'price: 10-20, qty=3',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
  ];
  for (const b of benign) {
    it(`stays quiet: ${b}`, () => assert.equal(sqlInjectionSignal(b, MAX), null));
  }
});

describe('request pattern sensors: XSS', () => {
  const attacks = [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '"><svg/onload=confirm(1)>',
    '" onmouseover="alert(1)',
    'javascript:alert(document.cookie)',
    'java\tscript:alert(1)',
    '&#106;avascript:alert(1)',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<div style="background:url(javascript:alert(1))">',
    '<iframe src=//evil.example>',
    '<scr\u0000ipt>alert(1)</script>',
  ];
  for (const a of attacks) {
    it(`fires: ${JSON.stringify(a)}`, () => assert.notEqual(xssSignal(a, MAX), null));
  }
  const benign = [
    '3 < 5 and 7 > 2',
    '<b>bold</b> and <i>italic</i>',
    '<a href="https://example.com/help" target="_blank">Help</a>',
    '<img src="https://example.com/cat.png" alt="cat">',
    'JavaScript: The Good Parts',
    'onload times are slow',
    'eval(uation) form',
    'John <john@example.com>',
  ];
  for (const b of benign) {
    it(`stays quiet: ${JSON.stringify(b)}`, () => assert.equal(xssSignal(b, MAX), null));
  }
});

describe('request pattern sensors: path traversal', () => {
  const attacks = ['../../etc/passwd', '..\\..\\windows\\win.ini', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '%252e%252e%252fetc/passwd', '..%c0%af..%c0%afetc/passwd', '..;/..;/admin', '/etc/shadow', 'file:///etc/passwd', 'report.pdf\u0000.png', '....//....//etc/passwd', '..∕..∕etc∕passwd'];
  for (const a of attacks) {
    it(`fires: ${JSON.stringify(a)}`, () => assert.notEqual(pathTraversalSignal(a, MAX, false), null));
  }
  const benign = ['my.photo (1).jpg', 'foo../1234', '...', '....txt', './images/logo.png', 'windows-win.ini-explained.txt', '/assets/app.js', 'i18n/fr-CA.json', 'v1.2.3..v1.3.0 changes'];
  for (const b of benign) {
    it(`stays quiet: ${JSON.stringify(b)}`, () => assert.equal(pathTraversalSignal(b, MAX, false), null));
  }

  it('checks the request path for traversal and probes, not for being absolute', () => {
    assert.equal(matchPatterns({ source: 'path', path: 'path', value: '/etc/app/settings' }), null);
    assert.notEqual(matchPatterns({ source: 'path', path: 'path', value: '/static/../../etc/passwd' }), null);
    assert.notEqual(matchPatterns({ source: 'path', path: 'path', value: '/.git/config' }), null);
    // Route segments are not SQL or markup.
    assert.equal(matchPatterns({ source: 'path', path: 'path', value: "/o'reilly/union-select" }), null);
  });
});

describe('request pattern sensors: findings', () => {
  it('one finding per scan, the strong hit first, as a low-confidence request_pattern signal', () => {
    const f = scanInputs([q('plain'), { source: 'query', path: 'query.a', value: 'alert(1)' }, { source: 'body', path: 'body.b', value: "' UNION SELECT 1--" }]);
    assert.ok(f !== null);
    assert.equal(f.rule, 'request_pattern');
    assert.equal(f.input?.path, 'body.b');
    assert.equal(f.threatLevel, 'medium');
    assert.ok(f.confidence < 0.75, 'below the default block confidence');
    assert.equal(f.detail?.pattern, 'sqli');
    const weak = scanInputs([{ source: 'query', path: 'query.a', value: 'alert(1)' }]);
    assert.equal(weak?.threatLevel, 'low');
  });

  it('honours the kinds switched on and the accept filter', () => {
    const inputs = [q('<script>x</script>'), { source: 'body' as const, path: 'body.p', value: '../../etc/passwd' }];
    assert.equal(scanInputs(inputs, { sqli: true, xss: false, path: false, maxLength: MAX }), null);
    assert.equal(scanInputs(inputs, { sqli: true, xss: true, path: true, maxLength: MAX }, (i) => i.source === 'body')?.detail?.pattern, 'path');
  });

  it('looks only at the first maxLength characters', () => {
    const late = 'a'.repeat(5000) + "' OR '1'='1";
    assert.equal(sqlInjectionSignal(late, 4096), null);
    assert.notEqual(sqlInjectionSignal(late, 10_000), null);
  });

  it('finishes on hostile shapes (bounded, single-pass scanners)', () => {
    const hostile = [
      "'".repeat(100_000),
      '<'.repeat(100_000),
      '<a '.repeat(30_000),
      '..'.repeat(50_000),
      '%'.repeat(100_000),
      '%2'.repeat(50_000),
      "' or ".repeat(20_000),
      'union '.repeat(20_000),
      '&#'.repeat(50_000),
      'j\t'.repeat(50_000),
      ' on'.repeat(30_000) + '=',
      '('.repeat(100_000),
      '/*'.repeat(50_000),
    ];
    for (const value of hostile) {
      const started = process.hrtime.bigint();
      for (const options of [{ sqli: true, xss: true, path: true, maxLength: 4096 }, { sqli: true, xss: true, path: true, maxLength: 100_000 }]) {
        matchPatterns(q(value), options);
      }
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // Printed, not asserted: timing depends on the machine.
      if (ms > 50) console.log(`  slow pattern input (${ms.toFixed(1)} ms): ${JSON.stringify(value.slice(0, 12))}…`);
    }
  });
});
