// End to end: OS command injection and path traversal in the example shop
// (examples/express-shop/routes/os.js), over real HTTP, with real oracles: an
// injected `touch` must leave no file behind, a secret outside public/ and
// /etc/passwd must not come back, a planted file must not appear. Every
// exploit is first shown to work against the shop started without Vigil, so
// the protection tests cannot pass against endpoints that were never
// vulnerable.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REGISTER, SHOP_DIR, startApp, tempDir } from './helpers.js';
import type { RunningApp } from './helpers.js';
import type { SecurityEvent } from '../src/events/types.js';

const SERVER = join(SHOP_DIR, 'server.js');
const PUBLIC = join(SHOP_DIR, 'public');
const PASSWD = /root:x:0:0:/;
const CORPUS = process.env.VIGIL_CORPUS ?? '/work/shared/corpus';
const haveCorpus = existsSync(CORPUS);
/** More `../` than any checkout is deep: path.join stops at `/`. */
const DEEP = '../'.repeat(16);

/**
 * Option injection is reported at medium confidence (0.6), below the default
 * block threshold; an app that hands client names to tar, git or ssh blocks
 * it explicitly, as this policy does.
 */
const BLOCK_POLICY = { version: 1, rules: { shell_option_injection: { mode: 'block', blockThreshold: 'medium', blockConfidence: 0.6 } } };

/** Per app instance: a secret outside public/, the uploads dir, and where markers go. */
interface Fixture {
  dir: string;
  secretFile: string;
  secretText: string;
  uploads: string;
}

const fixtures: string[] = [];
after(() => {
  for (const dir of fixtures) rmSync(dir, { recursive: true, force: true });
});

function makeFixture(): Fixture {
  const dir = tempDir('vigil-os-');
  fixtures.push(dir);
  const uploads = join(dir, 'uploads');
  mkdirSync(uploads);
  const secretText = `TOP-SECRET-${randomUUID()}`;
  const secretFile = join(dir, 'secret.txt');
  writeFileSync(secretFile, `${secretText}\n`);
  return { dir, secretFile, secretText, uploads };
}

interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

async function send(app: RunningApp, path: string, id: string, init: { method?: string; headers?: Record<string, string>; json?: unknown } = {}): Promise<Reply> {
  const headers: Record<string, string> = { 'x-request-id': id, ...init.headers };
  let body: string | undefined;
  if (init.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.json);
  }
  const res = await fetch(`${app.url}${path}`, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, signal: AbortSignal.timeout(20_000) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const q = encodeURIComponent;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The events of one request, once the first has been written (and a moment more, so a duplicate would show). */
async function eventsOf(app: RunningApp, id: string, timeoutMs = 5000): Promise<SecurityEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (app.events().some((e) => e.requestId === id) || Date.now() > deadline) break;
    await sleep(25);
  }
  await sleep(100);
  return app.events().filter((e) => e.requestId === id);
}

interface Exploit {
  /** Also the request id and the marker file's name. */
  id: string;
  rule: 'shell_injection' | 'shell_option_injection' | 'path_traversal';
  /** Input source path the event must name. */
  source: string | RegExp;
  sink: { library: 'child_process' | 'fs'; operation: string };
  send(app: RunningApp, fx: Fixture, id: string): Promise<Reply>;
  /** The oracle: did the attacker get what they wanted? */
  worked(fx: Fixture, reply: Reply, id: string): boolean;
}

const marker = (fx: Fixture, id: string) => join(fx.dir, `pwned-${id}`);
const touched = (fx: Fixture, _r: Reply, id: string) => existsSync(marker(fx, id));

const EXPLOITS: Exploit[] = [
  {
    id: 'shell-query-exec',
    rule: 'shell_injection',
    source: 'query.host',
    sink: { library: 'child_process', operation: 'exec' },
    send: (app, fx, id) => send(app, `/ping?host=${q(`127.0.0.1; touch ${marker(fx, id)}`)}`, id),
    worked: touched,
  },
  {
    id: 'shell-query-execsync-double-quoted',
    rule: 'shell_injection',
    source: 'query.domain',
    sink: { library: 'child_process', operation: 'execSync' },
    send: (app, fx, id) => send(app, `/lookup?domain=${q(`example.com$(touch ${marker(fx, id)})`)}`, id),
    worked: touched,
  },
  {
    id: 'shell-json-body-sh-c-single-quoted',
    rule: 'shell_injection',
    source: 'body.text',
    sink: { library: 'child_process', operation: 'spawn' },
    send: (app, fx, id) => send(app, '/wordcount', id, { json: { text: `hello'; touch ${marker(fx, id)}; echo '` } }),
    worked: touched,
  },
  {
    id: 'shell-header-user-agent',
    rule: 'shell_injection',
    source: 'headers.user-agent',
    sink: { library: 'child_process', operation: 'exec' },
    send: (app, fx, id) => send(app, '/audit', id, { headers: { 'user-agent': `Mozilla/5.0 $(touch ${marker(fx, id)})` } }),
    worked: touched,
  },
  {
    id: 'shell-helper-module-promisified-exec',
    rule: 'shell_injection',
    source: 'query.name',
    sink: { library: 'child_process', operation: 'exec' },
    send: (app, fx, id) => send(app, `/filetype?name=${q(`logo.png\`touch ${marker(fx, id)}\``)}`, id),
    worked: touched,
  },
  {
    id: 'option-helper-module-promisified-execfile-tar',
    // An option whose value is a command tar runs: command injection.
    rule: 'shell_injection',
    source: 'query.name.0',
    sink: { library: 'child_process', operation: 'execFile' },
    send: (app, fx, id) => send(app, `/backup?name=${q(`--use-compress-program=touch ${marker(fx, id)}`)}&name=catalog.txt`, id),
    worked: touched,
  },
  {
    id: 'path-join-readfile-secret',
    rule: 'path_traversal',
    source: 'query.name',
    sink: { library: 'fs', operation: 'readFile' },
    send: (app, fx, id) => send(app, `/files?name=${q(relative(PUBLIC, fx.secretFile))}`, id),
    worked: (fx, r) => r.text.includes(fx.secretText),
  },
  {
    id: 'path-join-readfile-passwd',
    rule: 'path_traversal',
    source: 'query.name',
    sink: { library: 'fs', operation: 'readFile' },
    send: (app, _fx, id) => send(app, `/files?name=${q(`${DEEP}etc/passwd`)}`, id),
    worked: (_fx, r) => PASSWD.test(r.text),
  },
  {
    id: 'path-strip-once-read-stream',
    rule: 'path_traversal',
    source: 'query.file',
    sink: { library: 'fs', operation: 'createReadStream' },
    // the app removes the first "../"; one more does it
    send: (app, fx, id) => send(app, `/download?file=${q(`../${relative(PUBLIC, fx.secretFile)}`)}`, id),
    worked: (fx, r) => r.text.includes(fx.secretText),
  },
  {
    id: 'path-decoded-after-strip-read-stream',
    rule: 'path_traversal',
    source: 'query.file',
    sink: { library: 'fs', operation: 'createReadStream' },
    // "..%2F" survives the strip, the app's decodeURIComponent turns it into "../"
    send: (app, _fx, id) => send(app, `/download?file=${q(`${'..%2F'.repeat(16)}etc%2Fpasswd`)}`, id),
    worked: (_fx, r) => PASSWD.test(r.text),
  },
  {
    id: 'path-startswith-before-normalize-promises',
    rule: 'path_traversal',
    source: 'query.path',
    sink: { library: 'fs', operation: 'readFile' },
    send: (app, _fx, id) => send(app, `/static?path=${q(`${PUBLIC}/${DEEP}etc/passwd`)}`, id),
    worked: (_fx, r) => PASSWD.test(r.text),
  },
  {
    id: 'path-readdir',
    rule: 'path_traversal',
    source: 'query.dir',
    sink: { library: 'fs', operation: 'readdir' },
    send: (app, fx, id) => send(app, `/browse?dir=${q(relative(PUBLIC, fx.dir))}`, id),
    worked: (_fx, r) => r.status === 200 && r.text.includes('"secret.txt"'),
  },
  {
    id: 'path-readdir-climb-only',
    rule: 'path_traversal',
    source: 'query.dir',
    sink: { library: 'fs', operation: 'readdir' },
    // nothing but a climb: path.join(public, '..') lists the app's own root, its source files
    send: (app, _fx, id) => send(app, `/browse?dir=${q('..')}`, id),
    worked: (_fx, r) => r.status === 200 && r.text.includes('"app.js"'),
  },
  {
    id: 'path-stat',
    rule: 'path_traversal',
    source: 'query.name',
    sink: { library: 'fs', operation: 'stat' },
    send: (app, fx, id) => send(app, `/info?name=${q(relative(PUBLIC, fx.secretFile))}`, id),
    worked: (fx, r) => r.status === 200 && (JSON.parse(r.text) as { size: number }).size === fx.secretText.length + 1,
  },
  {
    id: 'path-writefile-outside-uploads',
    rule: 'path_traversal',
    source: 'body.name',
    sink: { library: 'fs', operation: 'writeFile' },
    send: (app, fx, id) => send(app, '/upload', id, { json: { name: `${DEEP}${fx.dir.slice(1)}/planted-${id}.txt`, content: 'planted' } }),
    worked: (fx, _r, id) => existsSync(join(fx.dir, `planted-${id}.txt`)),
  },
  {
    id: 'path-route-param-readfilesync',
    rule: 'path_traversal',
    // the decoded request path carries the same climb; either names the input
    source: /^(params\.name|path)$/,
    sink: { library: 'fs', operation: 'readFileSync' },
    send: (app, _fx, id) => send(app, `/uploads/${q(`${DEEP}etc/passwd`)}`, id),
    worked: (_fx, r) => PASSWD.test(r.text),
  },
];

describe('OS commands and files: without Vigil the shop is exploitable (the oracles work)', () => {
  let app: RunningApp;
  let fx: Fixture;
  before(async () => {
    fx = makeFixture();
    app = await startApp(SERVER, { env: { SHOP_UPLOADS_DIR: fx.uploads } });
  });
  after(() => app.stop());

  for (const x of EXPLOITS) {
    it(`${x.id} works`, async () => {
      const reply = await x.send(app, fx, x.id);
      assert.ok(x.worked(fx, reply, x.id), `exploit did not work without Vigil: ${reply.status} ${reply.text.slice(0, 300)}`);
    });
  }
});

describe('OS commands and files: block mode stops every exploit', () => {
  let app: RunningApp;
  let fx: Fixture;
  before(async () => {
    fx = makeFixture();
    app = await startApp(SERVER, { nodeArgs: REGISTER, env: { VIGIL_MODE: 'block', SHOP_UPLOADS_DIR: fx.uploads }, policy: BLOCK_POLICY });
  });
  after(() => app.stop());

  for (const x of EXPLOITS) {
    it(`blocks ${x.id}`, async () => {
      const reply = await x.send(app, fx, x.id);
      assert.equal(reply.status, 403, reply.text.slice(0, 300));
      assert.equal(reply.headers.get('x-vigil-block'), 'true');
      assert.deepEqual(JSON.parse(reply.text), { error: 'Request blocked by security policy', requestId: x.id });
      assert.equal(x.worked(fx, reply, x.id), false, 'the exploit worked despite the block');
      assert.doesNotMatch(reply.text, PASSWD);
      assert.ok(!reply.text.includes(fx.secretText));
      const events = await eventsOf(app, x.id);
      assert.equal(events.length, 1, JSON.stringify(events));
      assert.equal(events[0]!.rule, x.rule);
      assert.equal(events[0]!.verdict, 'blocked');
      assert.deepEqual({ library: events[0]!.sink?.library, operation: events[0]!.sink?.operation }, x.sink);
    });
  }

  it('left no marker and no planted file behind', () => {
    assert.deepEqual(readdirSync(fx.dir).sort(), ['secret.txt', 'uploads']);
  });
});

describe('OS commands and files: monitor mode lets the exploit run and records it', () => {
  let app: RunningApp;
  let fx: Fixture;
  before(async () => {
    fx = makeFixture();
    app = await startApp(SERVER, { nodeArgs: REGISTER, env: { VIGIL_MODE: 'monitor', SHOP_UPLOADS_DIR: fx.uploads } });
  });
  after(() => app.stop());

  for (const x of EXPLOITS) {
    it(`records ${x.id}`, async () => {
      const reply = await x.send(app, fx, x.id);
      assert.notEqual(reply.status, 403);
      assert.ok(x.worked(fx, reply, x.id), `monitor mode must not change the outcome: ${reply.status} ${reply.text.slice(0, 300)}`);
      const events = await eventsOf(app, x.id);
      assert.equal(events.length, 1, `one event per attack: ${JSON.stringify(events.map((e) => e.sink))}`);
      const e = events[0]!;
      assert.equal(e.rule, x.rule);
      assert.equal(e.verdict, 'detected');
      assert.equal(e.mode, 'monitor');
      assert.match(e.input?.source ?? '', typeof x.source === 'string' ? new RegExp(`^${x.source.replace(/\./g, '\\.')}$`) : x.source);
      assert.deepEqual({ library: e.sink?.library, operation: e.sink?.operation }, x.sink);
      assert.ok((e.sink?.argument ?? '').length > 0);
    });
  }
});

describe('OS commands and files: benign traffic in block mode', () => {
  let app: RunningApp;
  let fx: Fixture;
  let n = 0;
  const id = () => `benign-${++n}`;
  before(async () => {
    fx = makeFixture();
    app = await startApp(SERVER, { nodeArgs: REGISTER, env: { VIGIL_MODE: 'block', SHOP_UPLOADS_DIR: fx.uploads }, policy: BLOCK_POLICY });
  });
  after(() => app.stop());

  const file = (name: string) => readFileSync(join(PUBLIC, name), 'utf8');

  it('serves files with dots, spaces, unicode and nested folders', async () => {
    for (const name of ['report..final.pdf', 'my photo.jpg', 'résumé 2024.pdf', 'notes.v2.final.md', 'docs/guide/intro.md', './images/logo.png']) {
      const r = await send(app, `/files?name=${q(name)}`, id());
      assert.equal(r.status, 200, name);
      assert.equal(r.text, file(name));
    }
    const dl = await send(app, `/download?file=${q('docs/guide/intro.md')}`, id());
    assert.equal(dl.status, 200);
    assert.equal(dl.text, file('docs/guide/intro.md'));
    assert.match(dl.headers.get('content-disposition') ?? '', /^attachment; filename="?intro\.md"?$/);
    const dl2 = await send(app, `/download?file=${q('report..final.pdf')}`, id());
    assert.equal(dl2.text, file('report..final.pdf'));
    const st = await send(app, `/static?path=${q('my photo.jpg')}`, id());
    assert.equal(st.text, file('my photo.jpg'));
    const abs = await send(app, `/static?path=${q(join(PUBLIC, 'docs/guide/intro.md'))}`, id());
    assert.equal(abs.text, file('docs/guide/intro.md'));
    const ls = await send(app, `/browse?dir=${q('docs')}`, id());
    assert.deepEqual(JSON.parse(ls.text), [{ name: 'guide', directory: true }]);
    const info = await send(app, `/info?name=${q('report..final.pdf')}`, id());
    assert.equal((JSON.parse(info.text) as { size: number }).size, statSync(join(PUBLIC, 'report..final.pdf')).size);
    const missing = await send(app, `/files?name=${q('no such file.txt')}`, id());
    assert.equal(missing.status, 404);
  });

  it('saves and reads back uploads with odd names', async () => {
    for (const name of ['report..final.txt', 'résumé 2024.txt', 'v1..v2.diff']) {
      const w = await send(app, '/upload', id(), { json: { name, content: `content of ${name}` } });
      assert.equal(w.status, 201, w.text);
      const r = await send(app, `/uploads/${q(name)}`, id());
      assert.equal(r.status, 200);
      assert.equal(r.text, `content of ${name}`);
    }
  });

  it('runs commands with arguments that have spaces, quotes of their own, --help-looking text and shell characters', async () => {
    const ping = await send(app, `/ping?host=${q('my photo.jpg')}`, id());
    assert.equal(JSON.parse(ping.text).output, 'PING my photo.jpg\n');
    const lookup = await send(app, `/lookup?domain=${q('--help me, shop.example')}`, id());
    assert.match(JSON.parse(lookup.text).output, /Name: --help me, shop\.example/);
    const words = await send(app, '/wordcount', id(), { json: { text: '--help is what you type; "quoted" & (parens) | $HOME' } });
    assert.equal(JSON.parse(words.text).words, 10);
    const type = await send(app, `/filetype?name=${q('my photo.jpg')}`, id());
    assert.match(JSON.parse(type.text).type, /text/);
    const ua = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
    const audit = await send(app, '/audit', id(), { headers: { 'user-agent': ua } });
    assert.deepEqual(JSON.parse(audit.text), { logged: true });
    assert.ok(readFileSync(join(fx.uploads, 'audit.log'), 'utf8').includes(ua));
    const list = await send(app, `/list?dir=${q('docs')}`, id());
    assert.deepEqual(JSON.parse(list.text).entries, ['guide']);
    const backup = await send(app, `/backup?name=${q('my photo.jpg')}&name=${q('report..final.pdf')}`, id());
    assert.equal(backup.status, 200, backup.text);
    // without a shell, `;` is only part of a strange name: no injection, no event
    const m = join(fx.dir, 'pwned-argv');
    const argv = await send(app, `/list?dir=${q(`docs; touch ${m}`)}`, id());
    assert.equal(JSON.parse(argv.text).ok, false);
    assert.equal(existsSync(m), false);
  });

  it('lets the benign corpus through: file names to fs, text to a quoted command and to argv', { skip: !haveCorpus && 'corpus not found' }, async () => {
    const paths = loadCorpus('benign/path.jsonl');
    for (const p of paths) {
      await send(app, `/files?name=${q(p)}`, id());
      await send(app, `/info?name=${q(p)}`, id());
    }
    // single-quoted in the command line: safe for any text without a quote of its own
    const shell = loadCorpus('benign/shell.jsonl');
    const quotable = shell.filter((s) => !s.includes("'") && !s.includes('\0'));
    for (const s of quotable) await send(app, '/wordcount', id(), { json: { text: s } });
    for (const s of shell.filter((x) => !x.includes('\0'))) await send(app, `/list?dir=${q(s)}`, id());
    console.log(`# benign corpus: ${paths.length} file names x 2 fs endpoints, ${quotable.length} texts single-quoted in sh -c, ${shell.length} argv values`);
  });

  it('wrote no event for any of it', async () => {
    // a last attack flushes the queue: every earlier event is in the file once its event is
    const sentinel = await send(app, `/ping?host=${q('x;id')}`, 'sentinel');
    assert.equal(sentinel.status, 403);
    await eventsOf(app, 'sentinel');
    const benign = app.events().filter((e) => e.requestId !== 'sentinel');
    assert.deepEqual(
      benign.map((e) => `${e.rule} ${e.input?.source}=${JSON.stringify(e.input?.value)} ${e.sink?.operation}`),
      [],
    );
  });
});

// ---- corpus -----------------------------------------------------------------

function loadCorpus(file: string): string[] {
  return readFileSync(join(CORPUS, file), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { payload: string }).payload);
}

/** `count` entries spread evenly over the list, always the same ones. */
function spread<T>(list: readonly T[], count: number): T[] {
  if (list.length <= count) return [...list];
  const step = list.length / count;
  return Array.from({ length: count }, (_, i) => list[Math.floor(i * step)]!);
}

// The shell corpus really runs in the unprotected shop (and in the protected
// one wherever Vigil would miss). Payloads that could hurt the machine even
// through builtins are not sent; the rest run with PATH holding only shims
// that log their name and do nothing else, so an injected command is seen
// (the shim log, "not found" from sh, or output only `id` / `cat /etc/passwd`
// produce) and never does harm.
const UNSAFE = /\b(?:kill|pkill|killall|rm|rmdir|dd|mkfs\w*|shutdown|reboot|halt|poweroff|exec|eval|trap|ulimit|source|chmod|chown|mv|cp|ln|crontab|reg|while|until|for|export|PATH)\b|\(\)\s*\{|:\(\)|>|\/dev\/(?:tcp|udp)/;
const SHIMS = [
  'id', 'whoami', 'cat', 'ls', 'uname', 'hostname', 'pwd', 'date', 'env', 'printenv', 'curl', 'wget', 'nc', 'netcat', 'ncat', 'ping',
  'nslookup', 'dig', 'telnet', 'ssh', 'sleep', 'perl', 'python', 'python3', 'ruby', 'php', 'node', 'touch', 'find', 'base64', 'ifconfig',
  'ip', 'netstat', 'ps', 'sh', 'bash', 'dash', 'zsh', 'nohup', 'xargs', 'awk', 'sed', 'head', 'tail', 'grep', 'more', 'less', 'vi', 'vim',
  'fold', 'comm', 'who', 'w', 'gdb', 'rmt', 'sysinfo', 'time', 'echo', 'printf', 'lastlog', 'ansible', 'chef-client', 'aptitude', 'htop',
  'top', 'uptime', 'cut', 'tr', 'od', 'xxd', 'mail', 'nmap', 'ftp', 'tftp', 'systeminfo', 'net', 'cmd', 'powershell', 'test',
];
const UNIX_TARGET = /etc|passwd|shadow|proc|\.ssh|\.env|\.htaccess|\/var\/|\/usr\//i;
const EXECUTED = /: not found|shim ran: |uid=\d+\(|root:x:0:0:/;

function shimDir(dir: string, log: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const name of SHIMS) {
    writeFileSync(join(bin, name), `#!/bin/sh\nprintf '%s\\n' "\${0##*/} $*" >> '${log}'\necho "shim ran: \${0##*/}"\n`);
    chmodSync(join(bin, name), 0o755);
  }
  // the one program the shell templates themselves run
  writeFileSync(join(bin, 'wc'), '#!/bin/sh\nexec /usr/bin/wc "$@"\n');
  chmodSync(join(bin, 'wc'), 0o755);
  writeFileSync(log, '');
  return bin;
}

interface Template {
  name: string;
  send(app: RunningApp, payload: string, id: string): Promise<Reply>;
}

const SHELL_TEMPLATES: Template[] = [
  { name: 'unquoted (exec)', send: (app, p, id) => send(app, `/ping?host=${q(p)}`, id) },
  { name: 'double-quoted (execSync)', send: (app, p, id) => send(app, `/lookup?domain=${q(p)}`, id) },
  { name: "single-quoted (spawn sh -c)", send: (app, p, id) => send(app, '/wordcount', id, { json: { text: p } }) },
];

const PATH_TEMPLATES: Template[] = [
  { name: 'path.join (readFile)', send: (app, p, id) => send(app, `/files?name=${q(p)}`, id) },
  { name: 'strip ../ once, decode (createReadStream)', send: (app, p, id) => send(app, `/download?file=${q(p)}`, id) },
  { name: 'startsWith(PUBLIC) (fs.promises.readFile)', send: (app, p, id) => send(app, `/static?path=${q(p)}`, id) },
];

interface Outcome {
  worked: boolean;
  blocked: boolean;
  evidence: string;
}

describe('OS commands and files: attack corpus, with and without Vigil', { skip: !haveCorpus && 'corpus not found' }, () => {
  const shellAll = haveCorpus ? loadCorpus('attacks/shell.jsonl') : [];
  const shellSample = spread(shellAll.filter((p) => !UNSAFE.test(p) && !p.includes('\0')), 40);
  // Windows targets (win.ini, boot.ini, C:\\…) cannot work against a Linux shop: sample the lines aimed at Unix files
  const pathAll = haveCorpus ? loadCorpus('attacks/path.jsonl') : [];
  const pathUnix = pathAll.filter((p) => UNIX_TARGET.test(p));
  const pathSample = spread(pathUnix, 40);
  const publicFiles = new Set<string>();
  const apps: { plain?: RunningApp; vigil?: RunningApp } = {};
  const logs: { plain: string; vigil: string } = { plain: '', vigil: '' };

  before(async () => {
    (function walk(dir: string) {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name));
        else publicFiles.add(readFileSync(join(dir, e.name), 'utf8'));
      }
    })(PUBLIC);
    const start = async (vigil: boolean) => {
      const fx = makeFixture();
      const log = join(fx.dir, 'shims.log');
      const env = { SHOP_UPLOADS_DIR: fx.uploads, PATH: shimDir(fx.dir, log), VIGIL_MODE: 'block' };
      const app = await startApp(SERVER, vigil ? { nodeArgs: REGISTER, env } : { env });
      return { app, log };
    };
    const [plain, vigil] = await Promise.all([start(false), start(true)]);
    apps.plain = plain.app;
    apps.vigil = vigil.app;
    logs.plain = plain.log;
    logs.vigil = vigil.log;
  });
  after(async () => {
    await apps.plain?.stop();
    await apps.vigil?.stop();
  });

  async function shellOutcome(which: 'plain' | 'vigil', t: Template, payload: string, id: string): Promise<Outcome> {
    const app = apps[which]!;
    const reply = await t.send(app, payload, id);
    const ran = readFileSync(logs[which], 'utf8');
    truncateSync(logs[which]);
    const m = EXECUTED.exec(reply.text);
    return { worked: ran !== '' || m !== null, blocked: reply.status === 403 && reply.headers.get('x-vigil-block') === 'true', evidence: ran.trim() || (m?.[0] ?? '') };
  }

  async function pathOutcome(which: 'plain' | 'vigil', t: Template, payload: string, id: string): Promise<Outcome> {
    const reply = await t.send(apps[which]!, payload, id);
    // a 200 whose body is none of public/'s files came from somewhere else
    const worked = reply.status === 200 && !publicFiles.has(reply.text);
    return { worked, blocked: reply.status === 403 && reply.headers.get('x-vigil-block') === 'true', evidence: reply.text.slice(0, 60) };
  }

  async function run(kind: string, sample: string[], templates: Template[], outcome: typeof shellOutcome) {
    const failures: string[] = [];
    const summary: string[] = [];
    let workedPlain = 0;
    let blocked = 0;
    let n = 0;
    for (const t of templates) {
      let tWorked = 0;
      let tBlocked = 0;
      for (const payload of sample) {
        const id = `corpus-${kind}-${++n}`;
        const plain = await outcome('plain', t, payload, id);
        const vigil = await outcome('vigil', t, payload, id);
        if (plain.worked) tWorked++;
        if (vigil.blocked) tBlocked++;
        if (vigil.worked) failures.push(`${t.name}: ${JSON.stringify(payload)} worked under Vigil (${vigil.evidence})`);
        else if (plain.worked && !vigil.blocked) failures.push(`${t.name}: ${JSON.stringify(payload)} not blocked`);
      }
      workedPlain += tWorked;
      blocked += tBlocked;
      summary.push(`#   ${t.name}: ${tWorked}/${sample.length} work without Vigil, ${tBlocked}/${sample.length} blocked by Vigil`);
    }
    console.log(`# ${kind} corpus: ${sample.length} payloads x ${templates.length} templates; ${workedPlain} exploits work without Vigil, ${blocked} requests blocked, ${failures.length} get through\n${summary.join('\n')}`);
    return { failures, workedPlain };
  }

  it('no shell payload that runs a command without Vigil runs one with it', async () => {
    assert.equal(shellSample.length, 40);
    const { failures, workedPlain } = await run('shell', shellSample, SHELL_TEMPLATES, shellOutcome);
    console.log(`#   (${shellAll.length - shellAll.filter((p) => !UNSAFE.test(p)).length} of ${shellAll.length} corpus lines never sent: they could harm the test machine through shell builtins)`);
    // payloads are written for one quoting context; about a third of the 120 requests run a command unprotected
    assert.ok(workedPlain >= 25, `the sample should hold working injections (${workedPlain})`);
    assert.deepEqual(failures, []);
  });

  it('no path payload that reads outside public/ without Vigil does so with it', async () => {
    assert.equal(pathSample.length, 40);
    const { failures, workedPlain } = await run('path', pathSample, PATH_TEMPLATES, pathOutcome);
    console.log(`#   (sampled from the ${pathUnix.length} of ${pathAll.length} corpus lines that aim at Unix files)`);
    // Most lines are harmless here, Vigil or not: encoded forms the app never decodes, `..\\` (a
    // name on Linux), absolute paths that path.join keeps under public/, climbs too short to leave
    // the checkout. The ones that do read outside public/ must all be stopped.
    assert.ok(workedPlain >= 5, `the sample should hold working traversals (${workedPlain})`);
    assert.deepEqual(failures, []);
  });
});

// ---- under the default block policy (no per-rule settings) ---------------

describe('OS commands and files: the default block policy', () => {
  let app: RunningApp;
  let fx: Fixture;
  before(async () => {
    fx = makeFixture();
    app = await startApp(SERVER, { nodeArgs: REGISTER, env: { VIGIL_MODE: 'block', SHOP_UPLOADS_DIR: fx.uploads } });
  });
  after(() => app.stop());

  it('blocks a one-level climb through path.join to the app source', async () => {
    const r = await send(app, `/files?name=${q('../app.js')}`, 'gap-source');
    assert.equal(r.status, 403);
  });

  it('blocks a write one level above the uploads folder', async () => {
    const r = await send(app, '/upload', 'gap-write', { json: { name: '../planted.txt', content: 'x' } });
    assert.equal(r.status, 403);
    assert.equal(existsSync(join(fx.dir, 'planted.txt')), false);
  });

  it('blocks tar option injection that runs a command', async () => {
    const m = join(fx.dir, 'pwned-default-policy');
    const r = await send(app, `/backup?name=${q(`--use-compress-program=touch ${m}`)}&name=catalog.txt`, 'gap-option');
    assert.equal(r.status, 403);
    assert.equal(existsSync(m), false);
  });
});
