import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import {
  G_BRACE,
  G_BRACKET,
  G_QUESTION,
  G_STAR,
  G_TILDE,
  Q_DOUBLE,
  Q_ESCAPE,
  Q_SINGLE,
  Q_UNTERMINATED,
  ROLE_ARGUMENT,
  ROLE_ASSIGNMENT,
  ROLE_COMMAND,
  ROLE_KEYWORD,
  ROLE_OPERAND,
  ROLE_OTHER,
  ROLE_REDIRECT_TARGET,
  SF_ASSIGNMENT,
  SF_HEREDOC,
  SF_HERESTRING,
  SF_LITERAL_BODY,
  SF_UNTERMINATED,
  SH_KIND_NAMES,
  SH_WORD,
  X_ARITH,
  X_BACKTICK,
  X_COMMAND,
  X_IN_DQUOTE,
  X_KIND_MASK,
  X_PARAM,
  X_PARAM_BRACE,
  X_PROCESS,
  X_UNTERMINATED,
  classifyWords,
  commandNames,
  tokenizeShell,
  wordValue,
  type ShellToken,
} from './index.js';

/** "kind:text" for each token. */
const kinds = (src: string): string[] => tokenizeShell(src).map((t) => `${SH_KIND_NAMES[t.kind]}:${src.slice(t.start, t.end)}`);
const words = (src: string): string[] =>
  tokenizeShell(src)
    .filter((t) => t.kind === SH_WORD)
    .map((t) => wordValue(src, t));
const only = (src: string): ShellToken => {
  const toks = tokenizeShell(src);
  assert.equal(toks.length, 1, `one token in ${JSON.stringify(src)}: ${kinds(src).join(' ')}`);
  return toks[0];
};
const exps = (src: string, tok: ShellToken): string[] => {
  const out: string[] = [];
  const x = tok.expansions ?? [];
  for (let k = 0; k < x.length; k += 3) out.push(`${x[k] & X_KIND_MASK}:${src.slice(x[k + 1], x[k + 2])}`);
  return out;
};

test('operators, newlines and redirections', () => {
  assert.deepEqual(kinds('a;b&&c||d|e&f\ng'), [
    'word:a', 'semi:;', 'word:b', 'and_if:&&', 'word:c', 'or_if:||', 'word:d', 'pipe:|', 'word:e', 'amp:&', 'word:f', 'newline:\n', 'word:g',
  ]);
  assert.deepEqual(kinds('cmd <in >out >>log 2>&1 &>all <<<here 9<>rw >|clob'), [
    'word:cmd', 'redirect:<', 'word:in', 'redirect:>', 'word:out', 'redirect:>>', 'word:log', 'redirect:2>&', 'word:1', 'redirect:&>', 'word:all',
    'redirect:<<<', 'word:here', 'redirect:9<>', 'word:rw', 'redirect:>|', 'word:clob',
  ]);
  assert.deepEqual(kinds('(a) ;; b |& c'), ['lparen:(', 'word:a', 'rparen:)', 'dsemi:;;', 'word:b', 'pipe:|&', 'word:c']);
  // digits not directly before < > are a word
  assert.deepEqual(kinds('echo 2 >x'), ['word:echo', 'word:2', 'redirect:>', 'word:x']);
  const herestring = tokenizeShell('cat <<<x')[1];
  assert.ok(herestring.flags & SF_HERESTRING);
});

test('words: quotes, escapes and values', () => {
  assert.deepEqual(words(`echo 'a b' "c d" e\\ f "g\\"h" 'i'"j"k "\\x"`), ['echo', 'a b', 'c d', 'e f', 'g"h', 'ijk', '\\x']);
  const t = only(`'a'"b"\\c`);
  assert.equal(t.quoted, true);
  assert.deepEqual(t.quotes, [Q_SINGLE, 0, 3, Q_DOUBLE, 3, 6, Q_ESCAPE, 6, 8]);
  assert.equal(only('plain').quoted, false);
  // quotes inside double quotes are literal, and vice versa
  assert.deepEqual(words(`"it's" 'say "hi"'`), ["it's", 'say "hi"']);
  // line continuation between and inside words
  assert.deepEqual(words('a \\\nb'), ['a', 'b']);
  // # inside a word is not a comment
  assert.deepEqual(kinds('a#b #c'), ['word:a#b', 'comment:#c']);
  assert.deepEqual(kinds('"a"#b'), ['word:"a"#b']);
});

test('unterminated quotes and substitutions are flagged, not thrown', () => {
  for (const src of [`'abc`, `"abc`, '$(abc', '`abc', '${abc', '$((1+2)', `a"b'c`, `$'x`, '"$(x"']) {
    const toks = tokenizeShell(src);
    assert.ok(toks.length >= 1, src);
    const last = toks[toks.length - 1];
    assert.ok(last.flags & SF_UNTERMINATED, `${src}: ${kinds(src).join(' ')}`);
    assert.equal(last.end, src.length);
  }
  const t = only(`'abc`);
  assert.deepEqual(t.quotes, [Q_SINGLE | Q_UNTERMINATED, 0, 4]);
  assert.equal(wordValue(`'abc`, t), 'abc');
});

test('expansions and substitutions are recorded with their ranges', () => {
  const src = 'a$HOME$1$@${x:-"}"}$(echo ")" $(id))$((1+(2)))`b\\`c`';
  const toks = tokenizeShell(src);
  assert.equal(toks.length, 1, kinds(src).join(' '));
  assert.deepEqual(exps(src, toks[0]), [
    `${X_PARAM}:$HOME`,
    `${X_PARAM}:$1`,
    `${X_PARAM}:$@`,
    `${X_PARAM_BRACE}:\${x:-"}"}`,
    `${X_COMMAND}:$(echo ")" $(id))`,
    `${X_ARITH}:$((1+(2)))`,
    `${X_BACKTICK}:\`b\\\`c\``,
  ]);
  const p = only('<(id)');
  assert.deepEqual(exps('<(id)', p), [`${X_PROCESS}:<(id)`]);
  // inside double quotes
  const d = only('"x $(id) `id` $y"');
  assert.deepEqual(
    (d.expansions ?? []).filter((_, i) => i % 3 === 0).map((k) => k & X_IN_DQUOTE),
    [X_IN_DQUOTE, X_IN_DQUOTE, X_IN_DQUOTE],
  );
  // not expansions: a lone $, $ before a blank, quoted $
  assert.equal(only('a$').expansions, null);
  assert.equal(only(`'$(id)'`).expansions, null);
  assert.equal(only('\\$HOME').expansions, null);
  // an escaped $ leaves ( an operator
  assert.deepEqual(kinds('\\$(id)'), ['word:\\$', 'lparen:(', 'word:id', 'rparen:)']);
  // a comment inside $( … ) hides its )
  const c = tokenizeShell('echo $(a # )\n)');
  assert.equal(c.length, 2);
  assert.equal(exps('echo $(a # )\n)', c[1])[0], `${X_COMMAND}:$(a # )\n)`);
  // unterminated substitution
  const u = only('$(a');
  assert.ok((u.expansions as readonly number[])[0] & X_UNTERMINATED);
});

test('globs, tilde, brace expansion and assignments', () => {
  const g = (src: string): number[] => {
    const out: number[] = [];
    for (const t of tokenizeShell(src)) if (t.globs) for (let k = 0; k < t.globs.length; k += 2) out.push(t.globs[k]);
    return out;
  };
  assert.deepEqual(g('*.txt a?b [ab] ~/x {a,b} {1..3}'), [G_STAR, G_QUESTION, G_BRACKET, G_TILDE, G_BRACE, G_BRACE]);
  assert.deepEqual(g(`'*' "?" \\* a~ [ab {x} [`), []);
  assert.ok(only('FOO=bar').flags & SF_ASSIGNMENT);
  assert.equal(only('1FOO=bar').flags & SF_ASSIGNMENT, 0);
  assert.equal(only('"F"OO=bar').flags & SF_ASSIGNMENT, 0);
});

test('here-documents: body token, quoted delimiter, <<- and expansions', () => {
  const src = 'cat <<EOF >out; echo x\nhello $(id) `w`\nEOF\necho after';
  assert.deepEqual(kinds(src), [
    'word:cat', 'redirect:<<', 'word:EOF', 'redirect:>', 'word:out', 'semi:;', 'word:echo', 'word:x', 'newline:\n',
    'heredoc:hello $(id) `w`\nEOF\n', 'word:echo', 'word:after',
  ]);
  const body = tokenizeShell(src)[9];
  assert.deepEqual(exps(src, body), [`${X_COMMAND}:$(id)`, `${X_BACKTICK}:\`w\``]);
  assert.ok(tokenizeShell(src)[1].flags & SF_HEREDOC);
  const lit = "cat <<'EOF'\n$(id)\nEOF\n";
  const lb = tokenizeShell(lit)[4];
  assert.ok(lb.flags & SF_LITERAL_BODY);
  assert.equal(lb.expansions, null);
  const strip = 'cat <<-E\n\tx\n\tE\nls';
  assert.deepEqual(kinds(strip).slice(-2), ['heredoc:\tx\n\tE\n', 'word:ls']);
  const open = tokenizeShell('cat <<E\nno end');
  assert.ok(open[open.length - 1].flags & SF_UNTERMINATED);
});

test('roles: command names, arguments, assignments, redirections, keywords', () => {
  const src = 'A=1 ls -l -- -x >out; if test -f x; then echo y; fi; for i in a b; do rm $i; done; case $v in a|b) cat;; esac; f() { g; }';
  const toks = tokenizeShell(src);
  const roles = classifyWords(src, toks);
  const got: string[] = [];
  toks.forEach((t, i) => {
    if (t.kind === SH_WORD) got.push(`${roles[i]}:${src.slice(t.start, t.end)}`);
  });
  assert.deepEqual(got, [
    `${ROLE_ASSIGNMENT}:A=1`, `${ROLE_COMMAND}:ls`, `${ROLE_ARGUMENT}:-l`, `${ROLE_ARGUMENT}:--`, `${ROLE_OPERAND}:-x`, `${ROLE_REDIRECT_TARGET}:out`,
    `${ROLE_KEYWORD}:if`, `${ROLE_COMMAND}:test`, `${ROLE_ARGUMENT}:-f`, `${ROLE_ARGUMENT}:x`, `${ROLE_KEYWORD}:then`, `${ROLE_COMMAND}:echo`, `${ROLE_ARGUMENT}:y`, `${ROLE_KEYWORD}:fi`,
    `${ROLE_KEYWORD}:for`, `${ROLE_OTHER}:i`, `${ROLE_KEYWORD}:in`, `${ROLE_OTHER}:a`, `${ROLE_OTHER}:b`, `${ROLE_KEYWORD}:do`, `${ROLE_COMMAND}:rm`, `${ROLE_ARGUMENT}:$i`, `${ROLE_KEYWORD}:done`,
    `${ROLE_KEYWORD}:case`, `${ROLE_OTHER}:$v`, `${ROLE_KEYWORD}:in`, `${ROLE_OTHER}:a`, `${ROLE_OTHER}:b`, `${ROLE_COMMAND}:cat`, `${ROLE_KEYWORD}:esac`,
    `${ROLE_OTHER}:f`, `${ROLE_KEYWORD}:{`, `${ROLE_COMMAND}:g`, `${ROLE_KEYWORD}:}`,
  ]);
});

test('commandNames: every simple command, nested substitutions, quotes removed', () => {
  assert.deepEqual(commandNames('ls -la | /usr/bin/grep x && echo "$(whoami)" `id` <(cat f); (sub)'), [
    'ls', '/usr/bin/grep', 'echo', 'whoami', 'id', 'cat', 'sub',
  ]);
  assert.deepEqual(commandNames(`'ls' x; "r"m y; X=1 env`), ['ls', 'rm', 'env']);
  assert.deepEqual(commandNames(''), []);
  assert.deepEqual(commandNames('# only a comment'), []);
});

test('word values agree with dash on quoting and word splitting', { skip: !existsSync('/bin/dash') && 'no /bin/dash' }, () => {
  // Fixed strings without expansions: safe to run through a real shell.
  const cases = [
    `a 'b c' "d e" f\\ g`,
    `'it'\\''s' "x\\"y" "a\\b" 'q"q'`,
    `a'b'"c"d \\'e\\' "" ''`,
    `"  spaced  " tab\\\there`,
    `"$'"x 'x$' "\\\\"`,
    `--opt=1 -- '-x' "--y"`,
    `a\\\nb c`,
    `x"a b"y 'p''q'`,
  ];
  for (const c of cases) {
    const out = execFileSync('/bin/dash', ['-c', `for a in ${c}; do printf '%s\\0' "$a"; done`], { encoding: 'utf8' });
    const shell = out.split('\0').slice(0, -1);
    assert.deepEqual(words(c), shell, c);
  }
});

// ---------------------------------------------------------------------------
// Properties and robustness

const shellChars = fc.constantFrom(
  ...`abc -_./=*?[]{},~#!;|&<>()$\`'"\\ \t\n0123456789@%^:+é😀\0\r`.split(''),
  '$(', '${', '$((', '<<', 'EOF', '\n', '<<-', '))', '}', '$\'',
);
const shellish = fc.string({ unit: shellChars, maxLength: 80 });

/** Tokens lie in order inside the range; between them only blanks and line continuations. */
function assertCovers(src: string, from: number, to: number, toks: readonly ShellToken[]): void {
  let prev = from;
  for (const t of toks) {
    assert.ok(t.start >= prev, `overlap at ${t.start} in ${JSON.stringify(src)}`);
    assert.ok(t.end > t.start && t.end <= to, `bad bounds ${t.start}-${t.end} in ${JSON.stringify(src)}`);
    let i = prev;
    while (i < t.start) {
      const c = src.charCodeAt(i);
      if (c === 32 || c === 9) i++;
      else if (c === 92 && src.charCodeAt(i + 1) === 10) i += 2;
      else assert.fail(`uncovered ${JSON.stringify(src[i])} at ${i} in ${JSON.stringify(src)}`);
    }
    for (const arr of [t.quotes, t.expansions]) {
      if (!arr) continue;
      for (let k = 0; k < arr.length; k += 3) assert.ok(arr[k + 1] >= t.start && arr[k + 2] <= t.end, 'record outside its token');
    }
    prev = t.end;
  }
  for (let i = prev; i < to; i++) {
    const c = src.charCodeAt(i);
    if (c === 32 || c === 9) continue;
    if (c === 92 && src.charCodeAt(i + 1) === 10) {
      i++;
      continue;
    }
    assert.fail(`uncovered tail at ${i} in ${JSON.stringify(src)}`);
  }
}

test('property: never throws; tokens cover the input in order', () => {
  fc.assert(
    fc.property(shellish, (src) => {
      const toks = tokenizeShell(src);
      assertCovers(src, 0, src.length, toks);
      classifyWords(src, toks);
      commandNames(src);
      for (const t of toks) if (t.kind === SH_WORD) wordValue(src, t);
    }),
    { numRuns: 5000 },
  );
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (src) => {
      assertCovers(src, 0, src.length, tokenizeShell(src));
    }),
    { numRuns: 2000 },
  );
});

test('property: a sub-range tokenizes inside its bounds', () => {
  fc.assert(
    fc.property(shellish, fc.nat(), fc.nat(), (src, a, b) => {
      const from = src.length ? a % (src.length + 1) : 0;
      const to = from + (src.length - from ? b % (src.length - from + 1) : 0);
      assertCovers(src, from, to, tokenizeShell(src, from, to));
    }),
    { numRuns: 2000 },
  );
});

test('a 1,000,000-character adversarial string tokenizes (deep nesting, open quotes)', () => {
  const n = 1_000_000;
  const pieces = ['$(', '"$(', '${', '$((', '`', "'", '"', '<<a\n', '\\', '[', '{,', '#', '(', '$\'', ';', '|', ' ', 'a'];
  for (const p of pieces) {
    const src = p.repeat(Math.ceil(n / p.length)).slice(0, n);
    const toks = tokenizeShell(src);
    assert.ok(toks.length >= 1 || src.trim() === '', p);
  }
  let mixed = '';
  const parts = ['$(', '"', '`', '${', "'", ')', '}', '\n', '<<E\n', '$((', '#', '\\\n'];
  let seed = 7;
  while (mixed.length < n) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    mixed += parts[seed % parts.length];
  }
  const toks = tokenizeShell(mixed);
  assertCovers(mixed, 0, mixed.length, toks);
  commandNames(mixed);
});
