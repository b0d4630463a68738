'use strict';
// Start: node --require @vigil/agent/register server.js   (PORT=0 picks a free port)
const { serve } = require('@hono/node-server');
const { createApp } = require('./app');

const { app } = createApp();
serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: '127.0.0.1' }, (info) => {
  console.log(`hono-shop listening on http://127.0.0.1:${info.port}`);
});
