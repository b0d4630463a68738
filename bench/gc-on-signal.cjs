'use strict';
// Bench only (preloaded by bench/callgrind.mjs, with --expose-gc): a full GC on
// SIGUSR2, then a line on stdout once the finalisers it queued have run. The
// counted window starts and ends with one, so it pays for exactly the garbage
// its own requests made: without them a full GC (and the finalising of
// better-sqlite3 statements it triggers) lands in one setup's window and not
// in another's, which moved a 10,000-request count by 20 %.
// Native finalisers (Node-API) run on a later turn of the event loop, and may
// free what a second GC then collects: two rounds, a timer turn after each.
process.on('SIGUSR2', () => {
  global.gc();
  setTimeout(() => {
    global.gc();
    setTimeout(() => process.stdout.write('bench: gc done\n'), 20);
  }, 20);
});
