'use strict';
// The same shop on the previous major, Koa 2, installed in compat/koa2.
// Start: node --require @vigil/agent/register server-koa2.js
const { readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { createApp } = require('./app');

const main = require.resolve('koa', { paths: [join(__dirname, '../../compat/koa2')] });
const { version } = JSON.parse(readFileSync(join(dirname(main), '..', 'package.json'), 'utf8'));
const { app } = createApp(require(main));
const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`koa-shop (koa ${version}) listening on http://127.0.0.1:${server.address().port}`);
});
