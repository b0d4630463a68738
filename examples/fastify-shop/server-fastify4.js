'use strict';
// The same shop on the previous major, Fastify 4, installed in compat/fastify4.
// Start: node --require @vigil/agent/register server-fastify4.js
const { join } = require('node:path');
const { createApp } = require('./app');

const fastify = require(require.resolve('fastify', { paths: [join(__dirname, '../../compat/fastify4')] }));
const { app } = createApp(fastify);
app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' }).then(() => {
  console.log(`fastify-shop (fastify ${app.version}) listening on http://127.0.0.1:${app.server.address().port}`);
});
