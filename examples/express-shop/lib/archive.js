'use strict';
// Stands in for a backup helper from npm: runs tar without a shell, through a
// promisified execFile. No shell means no `;` or `$(…)`, but every name is
// still an argument tar may read as an option (`--use-compress-program=…`).
const { execFile } = require('node:child_process');
const { promisify } = require('node:util');

const execFileAsync = promisify(execFile);

/** Writes `names` (relative to `dir`) into the tar archive `dest`. */
async function createArchive(dest, dir, names) {
  await execFileAsync('tar', ['-cf', dest, '-C', dir, ...names], { timeout: 10_000 });
  return dest;
}

module.exports = { createArchive };
