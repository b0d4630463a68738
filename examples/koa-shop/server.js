'use strict';
// Start: node --require @vigil/agent/register server.js   (PORT=0 picks a free port)
const { createApp } = require('./app');

const { app } = createApp(require('koa'));
const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`koa-shop listening on http://127.0.0.1:${server.address().port}`);
});
