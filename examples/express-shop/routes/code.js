'use strict';
// Input the shop evaluates or interprets: code from strings (code injection),
// a serialised profile (unsafe deserialization) and a settings merge
// (prototype pollution). Vulnerable on purpose.
const vm = require('node:vm');
const serialize = require('node-serialize');
const { template } = require('lodash');

/** What an evaluated value looks like in a JSON answer. */
function shown(value) {
  if (value === undefined) return null;
  if (value === null || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (Buffer.isBuffer(value)) return value.toString();
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return JSON.parse(json);
  } catch {
    // circular (process, modules …): its string form below
  }
  return String(value);
}

function text(value) {
  return typeof value === 'string' ? value : Array.isArray(value) ? String(value[0] ?? '') : '';
}

/** The classic recursive merge: `__proto__` in a JSON body walks into Object.prototype. */
function merge(target, source) {
  for (const key in source) {
    const value = source[key];
    if (value !== null && typeof value === 'object') {
      if (target[key] === null || typeof target[key] !== 'object') target[key] = {};
      merge(target[key], value);
    } else {
      target[key] = value;
    }
  }
  return target;
}

/** A dotted-path setter (`notifications.email`), as "update one field" endpoints write it: `__proto__.x` reaches Object.prototype. */
function setPath(target, path, value) {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (node[key] === null || typeof node[key] !== 'object') node[key] = {};
    node = node[key];
  }
  node[keys[keys.length - 1]] = value;
}

module.exports = function mount(app) {
  // --- code injection --------------------------------------------------
  // vulnerable: a price calculator that evaluates the formula in the
  // handler's scope (direct eval: the formula may use price, qty, total)
  app.get('/calc', (req, res) => {
    const price = 10;
    const qty = 3;
    const total = price * qty;
    const result = eval(text(req.query.expr));
    res.json({ result: shown(result), total });
  });

  // vulnerable: the formula compiled with new Function
  app.get('/formula', (req, res) => {
    const formula = new Function('price', 'qty', 'return ' + text(req.query.f));
    res.json({ result: shown(formula(10, 3)) });
  });

  // vulnerable: "sandboxed" with vm (a new context is not a security boundary)
  app.get('/sandbox', (req, res) => {
    const result = vm.runInNewContext(text(req.query.code), { price: 10, qty: 3 });
    res.json({ result: shown(result) });
  });

  // vulnerable: a greeting "template" built as a template literal and evaluated
  app.get('/greet', (req, res) => {
    const name = text(req.query.name);
    const greeting = eval('`Hello ' + name + ', welcome back!`');
    res.json({ greeting });
  });

  // vulnerable: a greeting card whose template the customer writes
  // (server-side template injection: lodash compiles <%= … %> into a Function)
  app.get('/card', (req, res) => {
    const card = template(text(req.query.template));
    res.json({ card: card({ name: 'Alice', total: 30 }) });
  });

  // --- unsafe deserialization --------------------------------------------
  // vulnerable: a profile exported with node-serialize and imported again;
  // unserialize() revives `_$$ND_FUNC$$_` functions with eval
  app.post('/profile/import', (req, res) => {
    const profile = serialize.unserialize(text(req.body?.profile));
    res.json({ imported: Object.keys(profile ?? {}), name: profile?.name ?? null });
  });

  // --- prototype pollution -----------------------------------------------
  const settings = { theme: 'light', currency: 'EUR', notifications: { email: true } };

  // vulnerable: the JSON body deep-merged into the settings
  app.post('/settings', (req, res) => {
    merge(settings, req.body ?? {});
    res.json({ theme: settings.theme, currency: settings.currency, notifications: settings.notifications });
  });

  // vulnerable: one field set by its dotted path (form or JSON: path=notifications.sms&value=on)
  app.post('/settings/field', (req, res) => {
    setPath(settings, text(req.body?.path), text(req.body?.value));
    res.json({ theme: settings.theme, currency: settings.currency, notifications: settings.notifications });
  });

  // shows whether every object in the process now has a `polluted` property
  app.get('/settings/check', (req, res) => {
    const probe = {};
    res.json({ polluted: probe.polluted === undefined ? null : shown(probe.polluted), isAdmin: probe.isAdmin === undefined ? null : shown(probe.isAdmin) });
  });
};
