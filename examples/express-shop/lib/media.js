'use strict';
// Stands in for the small "probe"/"identify" wrappers apps install from npm:
// it builds a shell line from a file name, as many of them do, and runs it
// through a promisified exec. Nothing in the shop's own code touches
// child_process here; Vigil must still see the command.
const { exec } = require('node:child_process');
const { promisify } = require('node:util');

const execAsync = promisify(exec);

/** What `file(1)` says about a file: "ASCII text", "PNG image data, …". */
async function describeFile(file) {
  const { stdout } = await execAsync(`file --brief "${file}"`, { timeout: 5000 });
  return stdout.trim();
}

module.exports = { describeFile };
