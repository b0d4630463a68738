// Files no request should make an application read or write, whatever the
// route: account databases, process internals, keys and secrets.

import { isInside } from './posix.js';

const EXACT: ReadonlySet<string> = new Set([
  '/etc/passwd',
  '/etc/shadow',
  '/etc/gshadow',
  '/etc/group',
  '/etc/sudoers',
  '/etc/master.passwd',
  '/etc/security/opasswd',
]);

// Directories whose content is sensitive (the directory itself matches too).
const DIRS: readonly string[] = [
  '/root',
  '/proc/self',
  '/proc/thread-self',
  '/etc/sudoers.d',
  '/var/run/secrets',
  '/run/secrets',
];

const ENV_TEMPLATES: readonly string[] = ['.example', '.sample', '.template', '.dist', '.defaults'];

// Home-directory credential files, by base name.
const SECRET_FILES: ReadonlySet<string> = new Set(['.netrc', '.pgpass', '.git-credentials', '.bash_history', '.npmrc']);

// Home-directory credential folders: any file below matches.
const SECRET_DIRS: ReadonlySet<string> = new Set(['.ssh', '.git', '.aws', '.gnupg', '.kube', '.docker']);

function isDigits(s: string, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * The sensitive-file rule on a resolved absolute path (the caller may pass
 * the realpath). Returns the matching entry (`/etc/passwd`, `/proc/<pid>/`,
 * `.env`, `.ssh/` …, or the `extra` entry) or null. `extra` holds absolute
 * paths; an entry ending in `/` is a prefix, any other entry matches itself
 * and what lies below it.
 */
export function sensitivePathMatch(resolved: string, extra?: readonly string[]): string | null {
  if (typeof resolved !== 'string' || resolved.length === 0) return null;
  if (EXACT.has(resolved)) return resolved;
  for (let k = 0; k < DIRS.length; k++) {
    if (isInside(resolved, DIRS[k])) return DIRS[k] + '/';
  }
  if (resolved.startsWith('/proc/')) {
    // /proc/<pid> and below
    let j = resolved.indexOf('/', 6);
    if (j < 0) j = resolved.length;
    if (isDigits(resolved, 6, j)) return '/proc/<pid>/';
  }
  if (resolved.startsWith('/etc/ssh/ssh_host_')) return '/etc/ssh/ssh_host_*';
  // Segment rules: .env files, .git internals, credential folders and files.
  let i = 0;
  const len = resolved.length;
  while (i < len) {
    while (i < len && resolved.charCodeAt(i) === 47) i++;
    if (i >= len) break;
    let j = i;
    while (j < len && resolved.charCodeAt(j) !== 47) j++;
    if (resolved.charCodeAt(i) === 46) {
      // a dot name
      const name = resolved.slice(i, j);
      if (SECRET_DIRS.has(name)) return name + '/';
      if (j === len) {
        if (SECRET_FILES.has(name)) return name;
        if (name === '.env') return '.env';
        if (name.startsWith('.env.')) {
          let template = false;
          for (let k = 0; k < ENV_TEMPLATES.length; k++) {
            if (name.endsWith(ENV_TEMPLATES[k])) template = true;
          }
          if (!template) return '.env';
        }
      }
    }
    i = j;
  }
  if (extra !== undefined && extra !== null) {
    for (let k = 0; k < extra.length; k++) {
      const entry = extra[k];
      if (typeof entry !== 'string' || entry.length === 0) continue;
      if (entry.charCodeAt(entry.length - 1) === 47) {
        if (resolved.startsWith(entry) || resolved + '/' === entry) return entry;
      } else if (isInside(resolved, entry)) {
        return entry;
      }
    }
  }
  return null;
}
