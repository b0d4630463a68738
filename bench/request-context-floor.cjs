// The least any agent that knows "the current request" pays: each served request
// runs inside an AsyncLocalStorage, and nothing else. A setup of the instruction
// bench (BENCH_FLOOR=1), so Vigil's overhead can be read against this floor.
'use strict';
const { AsyncLocalStorage } = require('node:async_hooks');
const http = require('node:http');

const storage = new AsyncLocalStorage();
const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function emitInRequest(event, req, res) {
  if (event !== 'request') return emit.apply(this, arguments);
  return storage.run(req, () => emit.call(this, event, req, res));
};
