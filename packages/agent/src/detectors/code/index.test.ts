import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { Script } from 'node:vm';
import * as acorn from 'acorn';
import fc from 'fast-check';
import type { UserInput } from '../types.js';
import { detectCodeInjection } from './index.js';
import { collectInputs } from '../../context/inputs.js';

const CORPUS = process.env.VIGIL_CORPUS ?? '/work/shared/corpus';
const haveCorpus = existsSync(`${CORPUS}/attacks/code.jsonl`);
const load = (f: string): Array<{ payload: string }> =>
  readFileSync(`${CORPUS}/${f}`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { payload: string });

const body = (value: string, path = 'body.formula'): UserInput[] => [{ source: 'body', path, value }];
const reason = (code: string, value: string): string | null => {
  const f = detectCodeInjection(code, body(value));
  if (f !== null) {
    assert.equal(f.rule, 'code_injection');
    assert.equal(f.threatLevel, 'critical');
    assert.ok(f.confidence >= 0.9);
    assert.equal(f.input?.value, value);
  }
  return f === null ? null : String(f.detail?.reason);
};
/** The input as the whole evaluated code: eval(p). */
const raw = (p: string): string | null => reason(p, p);

// ---------------------------------------------------------------------------
// Formulas apps evaluate on purpose

const FORMULAS = [
  'price * qty',
  'Math.max(a, b)',
  'total > 50 ? 10 : 0',
  '(a + b) / 2',
  'price * qty * (1 - discount / 100)',
  'Math.round(total * 100) / 100',
  'Math.min(Math.max(x, 0), 10)',
  'Number(qty) + parseInt(extra, 10)',
  'parseFloat(rate) * 1.2',
  'String(total).padStart(8, "0")',
  'total.toFixed(2)',
  'name.toUpperCase()',
  'a >= 1 && b <= 2 || !c',
  'x ** 2 + y ** 2',
  'items[0] + items[i + 1]',
  'order.total - order.discount',
  'qty % 2 === 0 ? "even" : "odd"',
  'sqrt(16) + sin(0) + cos(0)',
  '-1',
  '1e10',
  '[1, 2, 3]',
  '({ a: price, b: "x" }).a',
  '[{ n: qty * 2 }, { n: -1 }]',
  'a ?? b',
  'score in ranks',
  'typeof value === "number"',
];

test('formulas raw in eval are not injection', () => {
  for (const f of FORMULAS) assert.equal(raw(f), null, f);
});

test('formulas as the return value of new Function are not injection', () => {
  for (const f of FORMULAS) assert.equal(reason(`return ${f}`, f), null, f);
  for (const f of FORMULAS) assert.equal(reason(`return (${f});`, f), null, f);
});

test('a value inside a JSON.stringify\'d string literal is not injection', () => {
  for (const v of ["'; process.exit(); '", '"); require("child_process").exec("id"); ("', '${process.exit()}', '`; x; `', 'a\nb; c', '*/ x /*', '</script>', 'constructor.prototype']) {
    assert.equal(reason(`var x = ${JSON.stringify(v)};`, v), null, v);
    assert.equal(reason(`render(${JSON.stringify(v)}, locals)`, v), null, v);
  }
});

// ---------------------------------------------------------------------------
// Leaving a literal the app opened

test('closing a quote the app opened', () => {
  assert.equal(reason(`'${"'; process.exit(); '"}'`, "'; process.exit(); '"), 'literal-breakout');
  assert.equal(reason(`"${'" + price + "'}"`, '" + price + "'), 'literal-breakout'); // harmless text, still a breakout
  assert.equal(reason(`f('${"x') || ('y"}')`, "x') || ('y"), 'literal-breakout');
  // The input opens a quote the app's own quote closes.
  assert.equal(reason(`f(${'1, "'}abc")`, '1, "'), 'literal-breakout');
  // Escaped quote stays inside the literal.
  assert.equal(reason(`'${"\\'; process.exit(); //"}'`, "\\'; process.exit(); //"), null);
});

test('breaking out of a template literal or inserting ${', () => {
  assert.equal(reason('`' + '${process.exit()}' + '`', '${process.exit()}'), 'template-expression');
  assert.equal(reason('`Hello ' + '${price}' + '`', '${price}'), 'template-expression');
  assert.equal(reason('`' + '` + total + `' + '`', '` + total + `'), 'literal-breakout');
  assert.equal(reason('`Hello ' + 'dear ${name}' + '!`', 'dear ${name}'), 'literal-breakout');
  assert.equal(reason('`Hello ' + 'world' + '!`', 'world'), null);
});

test('leaving or opening a comment', () => {
  assert.equal(reason('f(/* ' + '*/ price /*' + ' */)', '*/ price /*'), 'comment-breakout');
  assert.equal(reason('x = 1 /* note: ' + 'a; b' + ' */', 'a; b'), null);
  assert.equal(reason('// user: ' + 'x = 1; y()', 'x = 1; y()'), null);
});

// ---------------------------------------------------------------------------
// Structure beyond a formula

test('statements, declarations, assignments', () => {
  assert.equal(raw('1; 2'), 'statements');
  assert.equal(raw('a\nb()'), 'statements');
  assert.equal(reason('return 1; process.exit()', '1; process.exit()'), 'statements');
  assert.equal(raw('var a = 1'), 'assignment');
  assert.equal(raw('let a'), 'declaration');
  assert.equal(raw('x = 1'), 'assignment');
  assert.equal(raw('x += 1'), 'assignment');
  assert.equal(raw('x++ + 1'), 'assignment');
  assert.equal(reason('total' + ' = 0', ' = 0'), 'assignment');
  // The same tokens written by the app are not the input's doing.
  assert.equal(reason('x = price * 2', 'price * 2'), null);
});

test('new, functions, classes, imports, loops', () => {
  assert.equal(raw('new Date(0)'), 'new');
  assert.equal(raw('(function () { return 1 })'), 'function');
  assert.equal(raw('a || (() => 1)'), 'function');
  assert.equal(raw('a || (async x => x)'), 'function');
  assert.ok(raw('(function () { return 1 })()')); // outermost: the call
  assert.equal(raw('(class {})'), 'class');
  assert.equal(raw("import('fs')"), 'import');
  assert.equal(raw('while(1){}'), 'loop');
  assert.equal(raw('for(;;){}'), 'loop');
  assert.equal(raw('do {} while (1)'), 'loop');
  assert.equal(raw('{ price }'), 'statement:BlockStatement');
  assert.equal(raw('if (a) b'), 'statement:IfStatement');
  assert.equal(raw('throw 1'), 'statement:ThrowStatement');
  assert.equal(raw('delete a.b'), 'delete');
});

test('names that reach the runtime', () => {
  for (const name of ['process', 'require', 'module', 'globalThis', 'global', 'window', 'constructor', 'prototype', '__proto__', 'Function', 'eval', 'Reflect', 'Proxy', 'child_process']) {
    assert.equal(raw(`1 + ${name}`), `name:${name}`, name);
    assert.equal(raw(`a.${name} + 1`), `name:${name}`, `member ${name}`);
    // the same word as data is fine
    assert.equal(reason(`x = ${JSON.stringify(`${name} toy set`)}`, `${name} toy set`), null, `literal ${name}`);
  }
  assert.equal(raw('this.x + 1'), 'name:this');
  // inside object and array literals too
  assert.equal(raw('({ a: 1, b: globalThis })'), 'name:globalThis');
  assert.equal(raw('[{ x: 1 }, { y: process }]'), 'name:process');
  assert.equal(raw('({ a: sleep(1) })'), 'call');
  assert.equal(raw('({ __proto__: x })'), 'name:__proto__');
  assert.equal(raw('({ "__proto__": x })'), 'name:__proto__');
  assert.equal(raw('({ get a() { return 1 } })'), 'function');
  assert.equal(raw('1 + \\u0072equire'), 'name:require');
  assert.ok(raw('\\u0072equire("fs")'));
  assert.equal(raw('process'), 'name:process'); // the whole evaluated expression
  assert.equal(reason('return process', 'process'), 'name:process');
});

test('calls outside the safe set and computed string members', () => {
  assert.equal(raw('sleep(5000)'), 'call');
  assert.equal(raw('fetch2(url)'), 'call');
  assert.equal(raw("'x'.repeat(2 ** 29)"), 'call');
  assert.equal(raw('Array.from({ length: 1e9 })'), 'call');
  assert.equal(raw("x['constructor']"), 'computed-member');
  assert.equal(raw("x['a' + 'b']"), 'computed-member');
  assert.equal(raw('x[i + 1]'), null);
  assert.equal(raw('Math.random() * 6'), null);
  // The app's own call with the input as argument is the app's.
  assert.equal(reason('lookup(' + 'price * 2' + ')', 'price * 2'), null);
  // Closing the app's call and opening another one is not.
  assert.equal(reason('getPrice(' + '1), deleteAll(' + ')', '1), deleteAll('), 'call');
  assert.equal(reason('getPrice(' + '1) + (2' + ')', '1) + (2'), null);
});

test('inputs merged with the app\'s neighbouring token are still analysed', () => {
  assert.equal(reason('var n = 1' + '0; process.exit()', '0; process.exit()'), 'statements');
});

// ---------------------------------------------------------------------------
// Coincidences and cheap exits

test('coincidental occurrences in app code are not findings', () => {
  assert.equal(reason('x = Math.min(1, 2)', 'in'), null); // inside an app token
  assert.equal(reason('var __output = ""; __append.call(this, locals.name)', 'this'), null); // single word in compiled template
  assert.equal(reason('if (process.env.DEBUG) log(x)', 'process'), null);
  assert.equal(reason('price * qty', 'xyz'), null); // not contained
  assert.equal(reason('price * qty', 'p'), null); // too short
  assert.equal(reason('x = f(a, "b", "c")', '", "'), null); // punctuation that matches the app's own syntax
  assert.equal(reason('x = f(a, "b")', '")'), null);
  assert.equal(detectCodeInjection('price * qty', []), null);
  assert.equal(detectCodeInjection('', body('abc')), null);
});

test('unparseable code falls back to tokens', () => {
  const f = detectCodeInjection("x = ''; process.exit(); (", body("'; process.exit(); ("));
  assert.equal(f?.detail?.reason, 'literal-breakout');
  assert.equal(f?.detail?.parsed, false);
  assert.equal(detectCodeInjection('x = (1 + ', body('1 + ')), null);
});

// ---------------------------------------------------------------------------
// Corpus

/** V8's own verdict on whether the code would run (compiled, never executed). */
function compiles(code: string, asFunctionBody: boolean): boolean {
  try {
    if (asFunctionBody) new Function(code);
    else new Script(code);
    return true;
  } catch {
    return false;
  }
}

/** Literals, templates without expressions, and arrays/objects of them: JSON-like data. */
function isData(node: acorn.AnyNode): boolean {
  switch (node.type) {
    case 'Literal':
      return true;
    case 'TemplateLiteral':
      return node.expressions.length === 0;
    case 'UnaryExpression':
      return (node.operator === '-' || node.operator === '+') && node.argument.type === 'Literal';
    case 'ArrayExpression':
      return node.elements.every((el) => el !== null && isData(el));
    case 'ObjectExpression':
      return node.properties.every((p) => p.type === 'Property' && !p.computed && p.kind === 'init' && !p.method && isData(p.value));
    default:
      return false;
  }
}

/** The payload sits wholly inside one string literal or template chunk, or is one literal: no structure changed. */
function confinedToLiteral(code: string, s: number, e: number): boolean {
  try {
    const program = acorn.parse(code, { ecmaVersion: 'latest', allowReturnOutsideFunction: true });
    const only = program.body.length === 1 ? program.body[0] : null;
    const x = only?.type === 'ExpressionStatement' ? only.expression : only?.type === 'ReturnStatement' ? only.argument : null;
    if (x && x.start === s && x.end === e && isData(x)) return true;
  } catch {
    // judged by tokens below
  }
  try {
    for (const t of acorn.tokenizer(code, { ecmaVersion: 'latest', allowReturnOutsideFunction: true })) {
      if (t.type === acorn.tokTypes.string && t.start < s && t.end > e) return true;
      if (t.type === acorn.tokTypes.template && t.start <= s && t.end >= e) return true;
      if (t.type === acorn.tokTypes.string && t.start === s && t.end === e) return true; // the payload is one literal
    }
  } catch {
    return false;
  }
  return false;
}

const TEMPLATES: Array<{ name: string; build: (p: string) => [string, number]; fnBody: boolean }> = [
  { name: 'eval(p)', build: (p) => [p, 0], fnBody: false },
  { name: `eval("'" + p + "'")`, build: (p) => [`'${p}'`, 1], fnBody: false },
  { name: "vm.runInContext(\"x = f('\" + p + \"')\")", build: (p) => [`x = f('${p}')`, 7], fnBody: false },
  { name: 'eval("`" + p + "`")', build: (p) => ['`' + p + '`', 1], fnBody: false },
  { name: "new Function('return ' + p)", build: (p) => [`return ${p}`, 7], fnBody: true },
];

test('corpus: attacks/code.jsonl detection rate over payloads that change structure', { skip: !haveCorpus && 'corpus not found' }, () => {
  const rows = load('attacks/code.jsonl');
  let total = 0;
  let totalDetected = 0;
  for (const tpl of TEMPLATES) {
    let applicable = 0;
    let detected = 0;
    const missed: string[] = [];
    for (const { payload } of rows) {
      const [code, s] = tpl.build(payload);
      if (!compiles(code, tpl.fnBody)) continue; // would not run
      if (confinedToLiteral(code, s, s + payload.length)) continue; // stays data
      applicable++;
      if (detectCodeInjection(code, body(payload))) detected++;
      else missed.push(payload);
    }
    total += applicable;
    totalDetected += detected;
    console.log(`code ${tpl.name}: ${detected}/${applicable} detected (${((detected / applicable) * 100).toFixed(1)}%)`);
    if (missed.length) console.log(`  missed: ${missed.map((m) => JSON.stringify(m)).join(', ')}`);
    assert.ok(applicable >= 5, `${tpl.name}: ${applicable} applicable`);
    assert.ok(detected / applicable >= 0.95, `${tpl.name}: ${detected}/${applicable}`);
  }
  console.log(`code overall: ${totalDetected}/${total}`);
});

test('corpus: benign/code.jsonl as a JSON.stringify\'d literal produces no findings', { skip: !haveCorpus && 'corpus not found' }, () => {
  const fps: string[] = [];
  const rows = load('benign/code.jsonl');
  for (const { payload } of rows) {
    if (detectCodeInjection('var x = ' + JSON.stringify(payload), body(payload))) fps.push(payload);
    if (detectCodeInjection(`return render(${JSON.stringify(payload)});`, body(payload))) fps.push(payload);
  }
  // Informational: the same values as raw code (a calculator evaluating them).
  let rawFindings = 0;
  const rawFlagged: string[] = [];
  for (const { payload } of rows) if (compiles(payload, false) && detectCodeInjection(payload, body(payload))) rawFlagged.push(payload);
  rawFindings = rawFlagged.length;
  console.log(`code benign: ${fps.length} findings in ${rows.length * 2} JSON-literal placements; raw eval(p) of the ${rows.length} values: ${rawFindings} findings (informational: ${rawFlagged.map((x) => JSON.stringify(x)).join(', ')})`);
  assert.deepEqual(fps, []);
});

// ---------------------------------------------------------------------------
// Robustness

test('property: never throws on arbitrary code and inputs', () => {
  const jsish = fc.stringMatching(/^[ -~\n]{0,60}$/);
  fc.assert(
    fc.property(jsish, fc.oneof(jsish, fc.string({ unit: 'grapheme' })), jsish, (prefix, value, suffix) => {
      const code = prefix + value + suffix;
      const f = detectCodeInjection(code, body(value));
      if (f !== null) assert.equal(f.rule, 'code_injection');
      detectCodeInjection(value, body(value));
    }),
    { numRuns: 2000 },
  );
});

test('property: JSON.stringify\'d values are never findings', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', minLength: 2 }), (value) => {
      assert.equal(detectCodeInjection(`var x = ${JSON.stringify(value)};`, body(value)), null);
    }),
    { numRuns: 1000 },
  );
});

test('property: arithmetic over app identifiers and numbers is never a finding', () => {
  const atom = fc.oneof(fc.constantFrom('price', 'qty', 'total', 'a', 'b', 'discount'), fc.nat({ max: 1000 }).map(String));
  const op = fc.constantFrom(' + ', ' - ', ' * ', ' / ', ' % ', ' > ', ' <= ', ' === ', ' && ', ' || ');
  const expr = fc.tuple(atom, fc.array(fc.tuple(op, atom), { minLength: 1, maxLength: 6 })).map(([h, rest]) => h + rest.map(([o, x]) => o + x).join(''));
  fc.assert(
    fc.property(expr, (e) => {
      assert.equal(detectCodeInjection(e, body(e)), null);
      assert.equal(detectCodeInjection(`return (${e});`, body(e)), null);
    }),
    { numRuns: 500 },
  );
});

test('server-side template injection: the expression a template engine compiles (lodash.template)', async () => {
  const { template } = (await import('lodash')).default;
  const inputsOf = (t: string): UserInput[] => collectInputs([{ source: 'query', prefix: 'query', value: { t } }]);
  for (const t of ["<%= global.process.mainModule.require('child_process').execSync('id') %>", 'Hi ${process.env.HOME}', '<% for (;;) {} %>']) {
    const f = detectCodeInjection(template(t).source, inputsOf(t));
    assert.equal(f?.rule, 'code_injection', t);
    assert.equal(f?.input?.transform, 'template', t);
  }
  for (const t of ['Hello <%= name %>!', 'Total: ${price * qty}', 'Dear <%- user.name %>, your order <%= order.id %> shipped.', 'Plain text, 50% off {today}']) {
    assert.equal(detectCodeInjection(template(t).source, inputsOf(t)), null, t);
  }
});
