'use strict';
// Start: node --require @vigil/agent/register server.js   (PORT=0 picks a free port)
const { createServer } = require('./app');

const { server } = createServer();
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`http-shop listening on http://127.0.0.1:${server.address().port}`);
});
