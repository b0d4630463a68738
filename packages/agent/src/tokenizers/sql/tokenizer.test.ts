import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DIALECTS,
  F_EXEC_CLOSE,
  F_EXEC_OPEN,
  F_UNTERMINATED,
  lookupWord,
  TK_COMMENT,
  TK_PLACEHOLDER,
  tokenize,
  tokenizeInto,
  tokenList,
  TokenBuffer,
  compileDialect,
  wordText,
  type SqlDialectName,
} from './index.js';

const ALL: SqlDialectName[] = ['postgres', 'mysql', 'sqlite', 'generic'];

/** Non-whitespace tokens as `kind:text`, `!` appended when unterminated. */
function sig(q: string, d: SqlDialectName): string[] {
  const out: string[] = [];
  for (const t of tokenList(q, d)) {
    if (t.kindName === 'whitespace') continue;
    out.push(`${t.kindName}:${t.text}${t.flags & F_UNTERMINATED ? '!' : ''}`);
  }
  return out;
}

type Row = [input: string, expected: string[]];

const POSTGRES: Row[] = [
  ["$$it's$$", ["string:$$it's$$"]],
  ['$tag$ a $$ b $t $tag$', ['string:$tag$ a $$ b $t $tag$']],
  ['$a$x$a$$b$y$b$', ['string:$a$x$a$', 'string:$b$y$b$']],
  ['$$never closed', ['string:$$never closed!']],
  ['$1 + $12', ['placeholder:$1', 'operator:+', 'placeholder:$12']],
  ["E'a\\'b'", ["string:E'a\\'b'"]],
  ["e'\\\\' x", ["string:e'\\\\'", 'identifier:x']],
  // standard strings: the backslash is literal, the quote ends the string
  ["'a\\' q'", ["string:'a\\'", 'identifier:q', "string:'!"]],
  // …and a one-letter prefix glued to a quote starts a new literal (b'' is a bit string)
  ["'a\\' b'", ["string:'a\\'", "string:b'!"]],
  ["'it''s'", ["string:'it''s'"]],
  ['"My ""Col"""', ['quoted_identifier:"My ""Col"""']],
  ['"open', ['quoted_identifier:"open!']],
  ["U&'d\\0061t' U&\"x\"", ["string:U&'d\\0061t'", 'quoted_identifier:U&"x"']],
  ["B'101' X'1F'", ["string:B'101'", "string:X'1F'"]],
  ['x::int', ['identifier:x', 'operator:::', 'identifier:int']],
  ['/* a /* b */ c */ 1', ['comment:/* a /* b */ c */', 'number:1']],
  ['/* a /* b */ c', ['comment:/* a /* b */ c!']],
  ['-- note\nSELECT', ['comment:-- note', 'keyword:SELECT']],
  ['1--2', ['number:1', 'comment:--2']],
  ["d->>'k' d->'k'", ['identifier:d', 'operator:->>', "string:'k'", 'identifier:d', 'operator:->', "string:'k'"]],
  [
    "d #> '{a}' d #>> '{a}' d @> e d <@ e d ? 'k' d ?| a d ?& a a || b",
    [
      'identifier:d', 'operator:#>', "string:'{a}'", 'identifier:d', 'operator:#>>', "string:'{a}'",
      'identifier:d', 'operator:@>', 'identifier:e', 'identifier:d', 'operator:<@', 'identifier:e',
      'identifier:d', 'operator:?', "string:'k'", 'identifier:d', 'operator:?|', 'identifier:a',
      'identifier:d', 'operator:?&', 'identifier:a', 'identifier:a', 'operator:||', 'identifier:b',
    ],
  ],
  ['1.5e3 .5 0x1F 1_000', ['number:1.5e3', 'number:.5', 'number:0x1F', 'number:1_000']],
  ['t.select', ['identifier:t', 'punctuation:.', 'identifier:select']],
  ['a$b', ['identifier:a$b']],
  ['SELECT (a), b; c', ['keyword:SELECT', 'punctuation:(', 'identifier:a', 'punctuation:)', 'punctuation:,', 'identifier:b', 'punctuation:;', 'identifier:c']],
  ["'open", ["string:'open!"]],
];

const MYSQL: Row[] = [
  ["'a\\'b'", ["string:'a\\'b'"]],
  ["'a\\\\' b", ["string:'a\\\\'", 'identifier:b']],
  ["'\\' OR 1=1 -- '", ["string:'\\' OR 1=1 -- '"]],
  ['"dq \\" x"', ['string:"dq \\" x"']],
  ["'a''b' \"c\"\"d\"", ["string:'a''b'", 'string:"c""d"']],
  ['`tbl` `a``b`', ['quoted_identifier:`tbl`', 'quoted_identifier:`a``b`']],
  ['# note\n1', ['comment:# note', 'number:1']],
  ['1--1', ['number:1', 'operator:-', 'operator:-', 'number:1']],
  ['1-- x', ['number:1', 'comment:-- x']],
  ['1--\tx', ['number:1', 'comment:--\tx']],
  ['1--', ['number:1', 'comment:--']],
  ['/* plain */ 1', ['comment:/* plain */', 'number:1']],
  ['/* a /* b */ c */', ['comment:/* a /* b */', 'identifier:c', 'operator:*', 'operator:/']],
  [
    '1 /*!50000UNION*/ /*!SELECT*/ 2',
    ['number:1', 'comment:/*!50000', 'keyword:UNION', 'comment:*/', 'comment:/*!', 'keyword:SELECT', 'comment:*/', 'number:2'],
  ],
  ['/*M!100100 SELECT 1*/', ['comment:/*M!100100', 'keyword:SELECT', 'number:1', 'comment:*/']],
  ['/*!UNION SELECT', ['comment:/*!!', 'keyword:UNION', 'keyword:SELECT']],
  ["0x41 X'41' x'4a' B'01' 0b01", ['number:0x41', "string:X'41'", "string:x'4a'", "string:B'01'", 'number:0b01']],
  ["_utf8'x' _utf8mb4\"y\" N'z' _latin1'\\''", ["string:_utf8'x'", 'string:_utf8mb4"y"', "string:N'z'", "string:_latin1'\\''"]],
  ['? , ?', ['placeholder:?', 'punctuation:,', 'placeholder:?']],
  ['@v @@version @@session.sql_mode', ['identifier:@v', 'identifier:@@version', 'identifier:@@session', 'punctuation:.', 'identifier:sql_mode']],
  ['1abc 1e5 $x', ['identifier:1abc', 'number:1e5', 'identifier:$x']],
  ['a <=> b := c', ['identifier:a', 'operator:<=>', 'identifier:b', 'operator::=', 'identifier:c']],
  ["'abc\\'", ["string:'abc\\'!"]],
  ["'abc\\", ["string:'abc\\!"]],
];

const SQLITE: Row[] = [
  ['[a b] `c` "d"', ['quoted_identifier:[a b]', 'quoted_identifier:`c`', 'quoted_identifier:"d"']],
  ['[open', ['quoted_identifier:[open!']],
  [
    '? ?12 :name @name $name',
    ['placeholder:?', 'placeholder:?12', 'placeholder::name', 'placeholder:@name', 'placeholder:$name'],
  ],
  ['SELECT 1 /* never closed', ['keyword:SELECT', 'number:1', 'comment:/* never closed!']],
  // no backslash escapes in SQLite
  ["'a\\' b", ["string:'a\\'", 'identifier:b']],
  ["X'41' 0x41", ["string:X'41'", 'number:0x41']],
  ['a || b == c', ['identifier:a', 'operator:||', 'identifier:b', 'operator:==', 'identifier:c']],
  ['1 -- x\n2', ['number:1', 'comment:-- x', 'number:2']],
  ['/* a /* b */ c', ['comment:/* a /* b */', 'identifier:c']],
  ['GLOB PRAGMA ATTACH', ['keyword:GLOB', 'keyword:PRAGMA', 'keyword:ATTACH']],
];

const GENERIC: Row[] = [
  ["'a''b' \"c\" `d`", ["string:'a''b'", 'quoted_identifier:"c"', 'quoted_identifier:`d`']],
  ['? $1 :n', ['placeholder:?', 'placeholder:$1', 'placeholder::n']],
  ['x::int', ['identifier:x', 'operator:::', 'identifier:int']],
  ['WAITFOR DELAY', ['keyword:WAITFOR', 'identifier:DELAY']],
];

for (const [name, rows] of [
  ['postgres', POSTGRES],
  ['mysql', MYSQL],
  ['sqlite', SQLITE],
  ['generic', GENERIC],
] as const) {
  test(`tokenizer table: ${name}`, () => {
    for (const [input, expected] of rows) assert.deepEqual(sig(input, name), expected, JSON.stringify(input));
  });
}

test('keywords are case-insensitive and dialect-specific', () => {
  assert.deepEqual(sig('sElEcT Select', 'postgres'), ['keyword:sElEcT', 'keyword:Select']);
  assert.deepEqual(sig('ILIKE', 'postgres'), ['keyword:ILIKE']);
  assert.deepEqual(sig('ILIKE', 'mysql'), ['identifier:ILIKE']);
  assert.deepEqual(sig('RLIKE', 'mysql'), ['keyword:RLIKE']);
  assert.deepEqual(sig('date name status', 'postgres'), ['identifier:date', 'identifier:name', 'identifier:status']);
});

test('word ids resolve without substrings', () => {
  const id = lookupWord('xxSELECTyy', 2, 8);
  assert.equal(wordText(id), 'select');
  assert.equal(lookupWord('nothing_like_a_keyword', 0, 22), -1);
});

test('executable comment flags', () => {
  const b = tokenize('/*!50000 SELECT */', 'mysql');
  assert.equal(b.kinds[0], TK_COMMENT);
  assert.equal(b.flags[0]! & F_EXEC_OPEN, F_EXEC_OPEN);
  assert.equal(b.flags[b.count - 1]! & F_EXEC_CLOSE, F_EXEC_CLOSE);
  // outside MySQL, /*! is an ordinary comment
  assert.deepEqual(sig('/*!50000 SELECT */', 'postgres'), ['comment:/*!50000 SELECT */']);
});

test('a reused buffer is reset between calls', () => {
  const buf = new TokenBuffer(4);
  const d = compileDialect(DIALECTS.postgres);
  tokenizeInto(buf, 'SELECT a, b, c, d, e, f FROM t', d);
  const big = buf.count;
  tokenizeInto(buf, '$1', d);
  assert.ok(big > 4);
  assert.equal(buf.count, 1);
  assert.equal(buf.kinds[0], TK_PLACEHOLDER);
});

// ---------------------------------------------------------------------------
// Properties

function assertCovers(q: string, buf: TokenBuffer): void {
  let pos = 0;
  for (let i = 0; i < buf.count; i++) {
    assert.equal(buf.starts[i], pos, `token ${i} starts where the previous ended`);
    assert.ok(buf.ends[i]! > buf.starts[i]!, `token ${i} is non-empty`);
    assert.ok(buf.kinds[i]! <= 9, 'known kind');
    // only the last token can run into the end of input (except a /*! opener)
    if (buf.flags[i]! & F_UNTERMINATED && !(buf.flags[i]! & F_EXEC_OPEN)) assert.equal(i, buf.count - 1);
    pos = buf.ends[i]!;
  }
  assert.equal(pos, q.length, 'tokens cover the input');
}

const FRAGMENTS = [
  "'", '"', '`', '\\', '$', '$a$', '$$', '$1', '/*', '*/', '/*!', '/*!5', '/*M!', '--', '-- ', '#', '[', ']',
  "E'", "_utf8'", "U&'", "X'", '?', '?|', ':', '::', '@', '@@', '\n', '\r', ' ', '\t', 'a', 'SELECT', 'or',
  '1', '0x', '0b', '.', ';', '(', ')', '-', '*', '/', 'é', '\u0000', '\u2028', '😀', '\uD800',
];
const adversarial = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 60 }).map((a) => a.join(''));

test('property: never throws, tokens cover the input contiguously and are non-empty', () => {
  fc.assert(
    fc.property(fc.oneof(adversarial, fc.string({ unit: 'binary', maxLength: 120 })), fc.constantFrom(...ALL), (q, d) => {
      assertCovers(q, tokenize(q, d));
    }),
    { numRuns: 3000 },
  );
});

test('property: tokenizing a prefix then the whole reuses a buffer safely', () => {
  const buf = new TokenBuffer(2);
  fc.assert(
    fc.property(adversarial, fc.constantFrom(...ALL), (q, d) => {
      const cd = compileDialect(DIALECTS[d]);
      tokenizeInto(buf, q.slice(0, q.length >> 1), cd);
      assertCovers(q, tokenizeInto(buf, q, cd));
    }),
    { numRuns: 500 },
  );
});

test('1,000,000-char adversarial input completes in every dialect', () => {
  const q = `$a$'/*"`.repeat(142858).slice(0, 1_000_000);
  assert.equal(q.length, 1_000_000);
  for (const d of ALL) assertCovers(q, tokenize(q, d));
  // and one that opens a dollar quote with a long tag that never closes
  const tag = '$' + 'x'.repeat(500_000) + '$';
  const q2 = tag + ('$' + 'x'.repeat(31)).repeat(15_000);
  assertCovers(q2, tokenize(q2, 'postgres'));
});
