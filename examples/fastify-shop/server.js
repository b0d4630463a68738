'use strict';
// Start: node --require @vigil/agent/register server.js   (PORT=0 picks a free port)
const { createApp } = require('./app');

const { app } = createApp(require('fastify'));
app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' }).then(() => {
  console.log(`fastify-shop listening on http://127.0.0.1:${app.server.address().port}`);
});
