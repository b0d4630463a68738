import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import fc from 'fast-check';
import type { Finding, UserInput } from '../types.js';
import { detectPathTraversal, isInside, normalizePosix, resolvePosix, sensitivePathMatch, type PathCheckOptions } from './index.js';

const CORPUS = process.env.VIGIL_CORPUS ?? '/work/shared/corpus';
const haveCorpus = existsSync(`${CORPUS}/attacks/path.jsonl`);
type Row = { payload: string; decoded?: string; note?: string };
const load = (f: string): Row[] =>
  readFileSync(`${CORPUS}/${f}`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);

const OPTS: PathCheckOptions = { cwd: '/app' };
const q = (...values: string[]): UserInput[] => values.map((value, i) => ({ source: 'query', path: `query.f${i}`, value }));
const detect = (path: string, values: string | string[], opts: PathCheckOptions = OPTS): Finding | null =>
  detectPathTraversal(path, q(...(Array.isArray(values) ? values : [values])), opts);

// ---------------------------------------------------------------------------
// normalizePosix / resolvePosix

test('normalizePosix resolves . and .., collapses //, keeps leading .. of relative paths', () => {
  const cases: Array<[string, string]> = [
    ['', '.'],
    ['.', '.'],
    ['./', '.'],
    ['/', '/'],
    ['//', '/'],
    ['/..', '/'],
    ['/../..//x', '/x'],
    ['/a/b/../c/./d/', '/a/c/d'],
    ['/a//b///c', '/a/b/c'],
    ['a/../..', '..'],
    ['../a/./b/..', '../a'],
    ['a/b/../../../../c', '../../c'],
    ['/app/public/../../etc/passwd', '/etc/passwd'],
    ['/app/data/../data/x', '/app/data/x'],
    ['my..file.txt', 'my..file.txt'],
    ['/x/.../y', '/x/.../y'],
    ['/x/..\\..\\y', '/x/..\\..\\y'],
    ['/a/b\0/../c', '/a/c'],
  ];
  for (const [input, want] of cases) assert.equal(normalizePosix(input), want, JSON.stringify(input));
  assert.equal(resolvePosix('/app', '../x'), '/x');
  assert.equal(resolvePosix('/app', ''), '/app');
  assert.equal(resolvePosix('/app', '/etc//passwd'), '/etc/passwd');
  assert.equal(resolvePosix('app', 'x'), '/app/x');
  assert.ok(isInside('/app/public/x', '/app/public'));
  assert.ok(isInside('/app/public', '/app/public'));
  assert.ok(!isInside('/app/publicity', '/app/public'));
  assert.ok(isInside('/anything', '/'));
});

const pathChars = fc.constantFrom('a', 'b', '.', '..', '/', '//', '\\', ' ', 'é', '\0', '...', 'x.y');
const pathish = fc.string({ unit: pathChars, maxLength: 40 });

test('property: normalizePosix is idempotent, never throws, and agrees with path.posix', () => {
  fc.assert(
    fc.property(fc.oneof(pathish, fc.string({ maxLength: 30 })), (p) => {
      const n = normalizePosix(p);
      assert.equal(normalizePosix(n), n);
      // the oracle keeps a trailing slash; we do not
      let oracle = posix.normalize(p);
      if (oracle.length > 1 && oracle.endsWith('/')) oracle = oracle.slice(0, -1);
      if (oracle === './' ) oracle = '.';
      assert.equal(n, oracle, JSON.stringify(p));
      if (n.startsWith('/')) {
        assert.ok(!n.includes('/../') && !n.endsWith('/..') && !n.includes('//'), n);
        assert.ok(n === '/' || !n.endsWith('/'), n);
      } else {
        // relative: `..` only as leading segments
        const segs = n.split('/');
        const firstName = segs.findIndex((s) => s !== '..');
        if (firstName >= 0) assert.ok(!segs.slice(firstName).includes('..'), n);
      }
      const r = resolvePosix('/app/public', p);
      assert.equal(r, posix.resolve('/app/public', p).replace(/(.)\/$/, '$1'));
      assert.ok(r.startsWith('/') && !r.includes('/../') && !r.endsWith('/..'));
    }),
    { numRuns: 5000 },
  );
});

// ---------------------------------------------------------------------------
// Traversal

test('input .. segments that leave the directory the app wrote before them', () => {
  const f = detect('/app/public/../../etc/passwd', '../../etc/passwd');
  assert.equal(f?.rule, 'path_traversal');
  assert.equal(f?.threatLevel, 'critical');
  assert.equal(f?.confidence, 0.95);
  assert.equal(f?.detail?.resolved, '/etc/passwd');
  assert.equal(f?.detail?.base, '/app/public');
  assert.equal(f?.input?.value, '../../etc/passwd');
  // leaving the base even when staying in the app
  assert.equal(detect('/app/uploads/../config/db.json', '../config/db.json')?.rule, 'path_traversal');
  // a file-name prefix the app wrote: the base is its directory
  assert.equal(detect('/app/uploads/user_x/../../../etc/passwd', 'x/../../../etc/passwd')?.detail?.base, '/app/uploads');
  // `user_..` is a name, not a segment: stays in the base
  assert.equal(detect('/app/uploads/user_../../x', '../../x'), null);
  // relative path from the cwd
  assert.equal(detect('uploads/../../etc/hosts', 'uploads/../../etc/hosts')?.rule, 'path_traversal');
  assert.equal(detect('data/' + '../../../etc/hosts', '../../../etc/hosts')?.detail?.base, '/app/data');
  // a .. the input completes with the app's own dot
  assert.equal(detect('/app/public/./../../x', './../../x')?.rule, 'path_traversal');
});

test('paths that stay inside the base are not findings', () => {
  assert.equal(detect('/app/public/a/../b.txt', 'a/../b.txt'), null);
  assert.equal(detect('/app/data/../data/x', '/app/data/../data/x'), null);
  assert.equal(detect('/app/public/../public/x.png', '../public/x.png'), null);
  assert.equal(detect('/app/public/docs/../../public/x', 'docs/../../public/x'), null);
  assert.equal(detect('/app/public/x', 'x/..'), null, 'not contained');
});

test('allowedDirs: a resolved path inside one is never a traversal', () => {
  const opts = { cwd: '/app', allowedDirs: ['/app/shared', '/srv/media/'] };
  assert.equal(detect('/app/public/../shared/logo.png', '../shared/logo.png', opts), null);
  assert.equal(detect('/srv/media/a.mp4', '/srv/media/a.mp4', opts), null);
  assert.equal(detect('/app/public/../../etc/hosts', '../../etc/hosts', opts)?.rule, 'path_traversal');
  assert.equal(detect('/srv/mediax/a', '/srv/mediax/a', opts)?.rule, 'path_traversal');
});

test('absolute inputs used as the whole path', () => {
  const f = detect('/etc/hostname', '/etc/hostname');
  assert.equal(f?.rule, 'path_traversal');
  assert.equal(f?.threatLevel, 'high');
  assert.equal(f?.confidence, 0.8);
  assert.equal(detect('/etc/hostname', '/etc/hostname', { cwd: '/app', allowedDirs: ['/etc'] }), null);
  assert.equal(detect('/app/public/x.png', '/app/public/x.png'), null, 'inside the cwd');
  // joined after the app's base it is just a file below it
  assert.equal(detect('/app/public//etc/hostname', '/etc/hostname'), null);
  // an absolute input that starts the path
  assert.equal(detect('/var/lib/x/file.txt', '/var/lib/x')?.rule, 'path_traversal');
});

test('a NUL byte from input is always a finding', () => {
  const f = detect('/app/public/x.png\0.jpg', 'x.png\0.jpg');
  assert.equal(f?.rule, 'path_traversal');
  assert.equal(f?.confidence, 0.95);
  assert.equal(f?.detail?.via, 'nul');
  assert.equal(detect('/app/public/a\0', 'a\0')?.rule, 'path_traversal');
  // the app resolved it first: still found
  assert.equal(detect('/etc/passwd\0.png', '../../etc/passwd\0.png')?.rule, 'path_traversal');
});

test('..\\ segments are reported with less confidence (a separator wherever \\ becomes /)', () => {
  const f = detect('/app/public/..\\..\\etc/passwd', '..\\..\\etc/passwd');
  assert.equal(f?.rule, 'path_traversal');
  assert.equal(f?.confidence, 0.7);
  assert.equal(f?.threatLevel, 'high');
  assert.equal(detect('/app/public/a\\..\\b.txt', 'a\\..\\b.txt'), null);
  assert.equal(detect('/app/public/C:\\Windows\\notes.txt', 'C:\\Windows\\notes.txt'), null);
});

test('the app resolved the path before fs saw it: path.resolve(base, input)', () => {
  const f = detect(resolvePosix('/app/public', '../../etc/shadow'), '../../etc/shadow');
  assert.equal(f?.rule, 'path_traversal');
  assert.equal(f?.confidence, 0.9);
  assert.equal(f?.detail?.via, 'resolved');
  const one = detect(resolvePosix('/app/public', '../secret.json'), '../secret.json');
  assert.equal(one?.confidence, 0.85);
  assert.equal(detect(resolvePosix('/app/public', '/etc//passwd'), '/etc//passwd')?.rule, 'path_traversal');
  // basename() sanitizer: the tail no longer matches
  assert.equal(detect('/app/public/passwd', '../../etc/passwd'), null);
});

test('an input of climbs alone, resolved before use, that reaches the working directory or above it', () => {
  for (const climb of ['..', '../', '../..', '../../../../../../../../']) {
    const f = detect(resolvePosix('/app/public', climb), climb);
    assert.equal(f?.rule, 'path_traversal', climb);
    assert.equal(f?.detail?.via, 'resolved-climb', climb);
  }
  // Climbing within a deeper tree the app serves stays below the working directory: no finding.
  assert.equal(detect(resolvePosix('/app/data/users/42', '..'), '..'), null);
  // Dots that are no climb, and a climb that is only text in the request.
  assert.equal(detect('/app', '...'), null);
  assert.equal(detect('/app/public/index.html', '..'), null);
  // allowedDirs still wins.
  assert.equal(detect('/app', '..', { cwd: '/app', allowedDirs: ['/app'] }), null);
});

test('flawed sanitizers from real apps', () => {
  // replace('../', '') applied once: ....// becomes ../
  const once = (s: string): string => s.split('../').join('');
  for (const attack of ['....//....//etc/passwd', '..././..././etc/passwd', '....//....//....//app/.env']) {
    const path = '/app/public/' + once(attack);
    assert.ok(normalizePosix(path).startsWith('/app/public') === false, path);
    const f = detect(path, attack);
    assert.equal(f?.rule, 'path_traversal', `${attack} → ${path}`);
    assert.ok((f?.confidence ?? 0) >= 0.85);
  }
  // replace('../', '') without the g flag: removes only the first
  const first = '/app/public/' + '../../etc/passwd'.replace('../', '');
  assert.equal(detect(first, '../../etc/passwd')?.rule, 'path_traversal');
  // startsWith('/app/public') checked before normalising
  const sw = '/app/public/../../etc/passwd';
  assert.ok(sw.startsWith('/app/public'));
  const f = detect(sw, sw, { cwd: '/' });
  assert.equal(f?.rule, 'path_traversal');
  assert.equal(f?.detail?.base, '/app/public');
  // a sanitizer that did its job leaves nothing to report
  assert.equal(detect('/app/public/etc/passwd', '....//....//etc/passwd'), null);
});

// ---------------------------------------------------------------------------
// Sensitive files

test('sensitivePathMatch', () => {
  const yes: Array<[string, string]> = [
    ['/etc/passwd', '/etc/passwd'],
    ['/etc/shadow', '/etc/shadow'],
    ['/etc/group', '/etc/group'],
    ['/proc/self/environ', '/proc/self/'],
    ['/proc/self', '/proc/self/'],
    ['/proc/1/cmdline', '/proc/<pid>/'],
    ['/proc/4242/fd/3', '/proc/<pid>/'],
    ['/root/.bashrc', '/root/'],
    ['/home/ann/.ssh/id_ed25519', '.ssh/'],
    ['/app/.env', '.env'],
    ['/srv/x/.env.production', '.env'],
    ['/app/.git/config', '.git/'],
    ['/var/run/secrets/kubernetes.io/serviceaccount/token', '/var/run/secrets/'],
    ['/run/secrets/db_password', '/run/secrets/'],
    ['/home/ann/.aws/credentials', '.aws/'],
  ];
  for (const [p, m] of yes) assert.equal(sensitivePathMatch(p), m, p);
  for (const p of ['/etc/hosts', '/etc/hostname', '/proc/cpuinfo', '/app/.env.example', '/app/.gitignore', '/app/public/passwd', '/home/ann/ssh/x', '/app/env', '/rootfs/x', '/proc/selfish']) {
    assert.equal(sensitivePathMatch(p), null, p);
  }
  assert.equal(sensitivePathMatch('/srv/keys/a.pem', ['/srv/keys']), '/srv/keys');
  assert.equal(sensitivePathMatch('/srv/keys', ['/srv/keys/']), '/srv/keys/');
  assert.equal(sensitivePathMatch('/srv/keysx', ['/srv/keys']), null);
});

test('sensitive_file when an input occurs in a path that resolves to a sensitive file', () => {
  const f = detect('/app/public/.env', '.env');
  assert.equal(f?.rule, 'sensitive_file');
  assert.equal(f?.threatLevel, 'critical');
  assert.equal(f?.confidence, 0.9);
  assert.equal(f?.detail?.matched, '.env');
  assert.equal(detect('/app/.git/config', '.git/config')?.rule, 'sensitive_file');
  assert.equal(detect('/data/keys/k.pem', 'keys/k.pem', { cwd: '/data', sensitivePaths: ['/data/keys/'] })?.rule, 'sensitive_file');
  // traversal wins when both apply
  assert.equal(detect('/app/public/../../etc/passwd', '../../etc/passwd')?.rule, 'path_traversal');
  // the input did not take part
  assert.equal(detect('/app/.env', 'x.y'), null);
});

// ---------------------------------------------------------------------------
// Benign

test('benign file names with dots, spaces, nested folders and unicode', () => {
  const names = [
    'my..file.txt',
    'a..b/c',
    'report..final.pdf',
    '..hidden-looking but not',
    'file...txt',
    'nested/dir/with.dots.in.name/file',
    'Résumé – Jane Doe.pdf',
    'レポート.pdf',
    'emoji-😀.png',
    './README.md',
    '.gitignore-template.txt',
    'docs/',
  ];
  for (const n of names) assert.equal(detect('/app/public/' + n, n), null, n);
  // the whole path, relative to the cwd
  for (const n of names) assert.equal(detect(n, n), null, n);
  // cheap exits: too short, no path characters
  assert.equal(detect('/app/public/../x', '.'), null);
  assert.equal(detect('/etc/passwd', 'passwd'), null);
  assert.equal(detect('/app/public/x', []), null);
  assert.equal(detect('', 'a/b'), null);
});

test('corpus: benign path and general values below /app/public produce no findings', { skip: !haveCorpus && 'corpus not found' }, () => {
  const rows = [...load('benign/path.jsonl'), ...load('benign/general.jsonl')];
  const fps: string[] = [];
  for (const { payload } of rows) {
    const path = payload.startsWith('/') ? '/app/public' + payload : '/app/public/' + payload;
    const f = detect(path, payload);
    if (f) fps.push(`${JSON.stringify(payload)} → ${f.rule} ${f.description}`);
    // path.join-like: resolved by the app
    const r = detect(resolvePosix('/app/public', payload.replace(/^\/+/, '')), payload);
    if (r) fps.push(`resolved ${JSON.stringify(payload)} → ${r.rule} ${r.description}`);
  }
  console.log(`path benign: ${fps.length} findings over ${rows.length} values × 2 placements`);
  if (fps.length) console.log(`  offenders:\n  ${fps.join('\n  ')}`);
  assert.deepEqual(fps, []);
});

// ---------------------------------------------------------------------------
// Attack corpus

test('corpus: attacks/path.jsonl detection rate per template over payloads that escape the base', { skip: !haveCorpus && 'corpus not found' }, () => {
  const rows = load('attacks/path.jsonl');
  // The independent criterion uses node:path, not the detector's resolver.
  const templates: Array<{ name: string; build: (v: string) => string; base: string; resolve: (path: string) => string }> = [
    { name: "'/app/public/' + p", build: (v) => '/app/public/' + v, base: '/app/public', resolve: (p) => posix.resolve('/app', p) },
    { name: "path.resolve('/app/public', p)", build: (v) => resolvePosix('/app/public', v), base: '/app/public', resolve: (p) => posix.resolve('/app', p) },
    { name: 'p as the whole path', build: (v) => v, base: '/app', resolve: (p) => posix.resolve('/app', p) },
  ];
  for (const tpl of templates) {
    let applicable = 0;
    let detected = 0;
    const missed: string[] = [];
    for (const row of rows) {
      const inputs: UserInput[] = [{ source: 'query', path: 'query.file', value: row.payload }];
      if (row.decoded !== undefined) inputs.push({ source: 'query', path: 'query.file', value: row.decoded, transform: 'url' });
      for (const value of row.decoded !== undefined ? [row.payload, row.decoded] : [row.payload]) {
        const path = tpl.build(value);
        const resolved = tpl.resolve(path);
        const escapes = path.includes('\0') || !(resolved === tpl.base || resolved.startsWith(tpl.base + '/'));
        if (!escapes) continue;
        applicable++;
        if (detectPathTraversal(path, inputs, OPTS)) detected++;
        else missed.push(value);
      }
    }
    const rate = detected / applicable;
    console.log(`path ${tpl.name}: ${detected}/${applicable} detected (${(rate * 100).toFixed(1)}%)`);
    if (missed.length) console.log(`  missed: ${missed.map((m) => JSON.stringify(m)).join(', ')}`);
    assert.ok(applicable >= 100, `${tpl.name}: ${applicable} applicable`);
    assert.ok(rate >= 0.95, `${tpl.name}: ${detected}/${applicable}`);
  }
});

// ---------------------------------------------------------------------------
// Robustness

test('property: the detector never throws and only reports its rules', () => {
  fc.assert(
    fc.property(pathish, pathish, pathish, fc.constantFrom('/app', '/', '/srv/app'), (prefix, value, suffix, cwd) => {
      const f = detectPathTraversal(prefix + value + suffix, q(value, prefix), { cwd, allowedDirs: ['/srv'], sensitivePaths: ['/x/'] });
      if (f) assert.ok(f.rule === 'path_traversal' || f.rule === 'sensitive_file');
      sensitivePathMatch(prefix + value);
    }),
    { numRuns: 5000 },
  );
});

test('property: a value without .. , NUL or leading / below the base is never a traversal', () => {
  const name = fc.string({ unit: fc.constantFrom('a', 'b', '.', '/', ' ', 'é', '-', '_', '..x', 'x..'), minLength: 1, maxLength: 30 });
  fc.assert(
    fc.property(name, (v) => {
      fc.pre(!v.startsWith('/') && !v.split('/').includes('..'));
      const f = detect('/app/public/' + v, v);
      assert.ok(f === null || f.rule === 'sensitive_file', JSON.stringify(f));
    }),
    { numRuns: 3000 },
  );
});

test('a 1,000,000-character path is handled', () => {
  const big = '../'.repeat(333_333);
  const f = detect('/app/public/' + big + 'etc/passwd', big + 'etc/passwd');
  assert.equal(f?.rule, 'path_traversal');
  const dots = '.'.repeat(1_000_000);
  detect('/app/public/' + dots, dots);
  detect('/'.repeat(1_000_000), '//');
  normalizePosix('/a'.repeat(500_000));
});
