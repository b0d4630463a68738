// Does an argument look like an option a getopt-style program would act on?

export const OPT_NONE = 0;
/** A bare flag (`-la`, `--oneline`): an option, but one that carries no attacker value. */
export const OPT_FLAG = 1;
/** An option with a value (`--output=x`, `-oProxyCommand=id`, `-o x`) or a flag that is dangerous by itself. */
export const OPT_DANGEROUS = 2;

// Flags that do harm without a value.
const DANGEROUS_FLAGS: ReadonlySet<string> = new Set([
  // find(1) actions
  '-delete',
  '-exec',
  '-execdir',
  '-ok',
  '-okdir',
  '-fprint',
  '-fprint0',
  '-fprintf',
  '-fls',
  // rm(1), rsync(1)
  '--no-preserve-root',
  '--delete',
  '--remove-source-files',
]);

// Options whose value is a command the program runs (tar, rsync, git, ssh,
// zip …): injecting one is command injection, not just a changed option.
const COMMAND_OPTIONS: ReadonlySet<string> = new Set([
  '--use-compress-program',
  '-i', // tar -I <program>
  '--checkpoint-action',
  '--to-command',
  '--info-script',
  '--new-volume-script',
  '--rsh-command',
  '--rsh',
  '--rsync-path',
  '--upload-pack',
  '--receive-pack',
  '--exec',
  '--unzip-command',
  '-tt', // zip -TT <command>
  '-exec',
  '-execdir',
]);

/**
 * Whether an injected option (as written, with its value if any, e.g.
 * `--checkpoint-action=exec=id`, `-oProxyCommand=id`, `-I sh`) makes the
 * program run a command of the attacker's.
 */
export function runsCommand(option: string): boolean {
  const text = option.trim().replace(/^option /, '').toLowerCase();
  if (text.includes('proxycommand') || text.includes('sshcommand')) return true;
  let end = 0;
  while (end < text.length && text.charCodeAt(end) !== 61 && text.charCodeAt(end) !== 32) end++;
  const name = text.slice(0, end);
  // zip's -TT and tar's -I are case-sensitive in the programs; lowercasing keeps the table small.
  return COMMAND_OPTIONS.has(name) && (name !== '-i' || option.includes('-I'));
}

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * OPT_NONE for what a program would not take as an option: `-`, `--`,
 * negative numbers, `--name with spaces`, `-abc and prose`; OPT_FLAG for a
 * bare flag; OPT_DANGEROUS for an option carrying a value or a flag from the
 * dangerous list.
 */
export function optionGrade(value: string): number {
  const len = value.length;
  if (len < 2 || value.charCodeAt(0) !== 45) return OPT_NONE; // -
  const c1 = value.charCodeAt(1);
  if (c1 === 45) {
    // --name or --name=value
    if (len === 2) return OPT_NONE;
    const c2 = value.charCodeAt(2);
    if (!isLetter(c2) && !isDigit(c2)) return OPT_NONE;
    let i = 3;
    while (i < len) {
      const c = value.charCodeAt(i);
      if (!isLetter(c) && !isDigit(c) && c !== 45 && c !== 95) break;
      i++;
    }
    if (i === len) return DANGEROUS_FLAGS.has(value) ? OPT_DANGEROUS : OPT_FLAG;
    return value.charCodeAt(i) === 61 ? OPT_DANGEROUS : OPT_NONE; // =
  }
  if (isDigit(c1) || c1 === 46) {
    // -42, -0.5: a number
    let i = 2;
    while (i < len) {
      const c = value.charCodeAt(i);
      if (!isDigit(c) && c !== 46) break;
      i++;
    }
    if (i === len) return OPT_NONE;
    if (c1 === 46) return OPT_NONE;
  } else if (!isLetter(c1)) {
    return OPT_NONE; // "- item", "-=", "-(": no program reads these as options
  }
  let i = 1;
  while (i < len && isLetter(value.charCodeAt(i))) i++;
  if (i === len) return DANGEROUS_FLAGS.has(value) ? OPT_DANGEROUS : OPT_FLAG;
  const c = value.charCodeAt(i);
  if (c === 32 || c === 9) {
    // "-o value" is an option and its argument in one word; "-rf is short for"
    // is prose: getopt rejects the blank after a cluster.
    return i === 2 ? OPT_DANGEROUS : OPT_NONE;
  }
  return OPT_DANGEROUS; // a value attached: -oProxyCommand=id, -f/etc/passwd
}
