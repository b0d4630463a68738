// POSIX path arithmetic without Node.js: resolve `.` and `..` the way the
// kernel does (`..` at `/` stays at `/`), collapse repeated slashes. Linux
// paths only: a backslash is an ordinary file-name character.

/**
 * `normalizePosix('/a//b/../c/')` is `/a/c`; `..` at the root stays at the
 * root; a relative path keeps its leading `..` segments; `''` is `.`. No
 * trailing slash (except the root itself). Idempotent.
 */
export function normalizePosix(path: string): string {
  const len = path.length;
  if (len === 0) return '.';
  const abs = path.charCodeAt(0) === 47; // /
  const segs: number[] = [];
  let up = 0;
  let i = 0;
  while (i < len) {
    while (i < len && path.charCodeAt(i) === 47) i++;
    if (i >= len) break;
    let j = i;
    while (j < len && path.charCodeAt(j) !== 47) j++;
    const sl = j - i;
    if (sl === 1 && path.charCodeAt(i) === 46) {
      // .
    } else if (sl === 2 && path.charCodeAt(i) === 46 && path.charCodeAt(i + 1) === 46) {
      // ..
      if (segs.length > 0) segs.length -= 2;
      else if (!abs) up++;
    } else {
      segs.push(i, j);
    }
    i = j;
  }
  let out = abs ? '/' : '';
  let first = true;
  for (let k = 0; k < up; k++) {
    out += first ? '..' : '/..';
    first = false;
  }
  for (let k = 0; k < segs.length; k += 2) {
    if (!first) out += '/';
    out += path.slice(segs[k], segs[k + 1]);
    first = false;
  }
  if (out.length === 0) return '.';
  return out;
}

/** `path.posix.resolve(cwd, path)` without Node.js; a relative `cwd` is taken from `/`. */
export function resolvePosix(cwd: string, path: string): string {
  if (path.length > 0 && path.charCodeAt(0) === 47) return normalizePosix(path);
  const base = cwd.length > 0 && cwd.charCodeAt(0) === 47 ? cwd : '/' + cwd;
  return path.length === 0 ? normalizePosix(base) : normalizePosix(base + '/' + path);
}

/** `path` equals `dir` or lies below it; both normalized and absolute. */
export function isInside(path: string, dir: string): boolean {
  if (dir === '/') return true;
  if (path.length === dir.length) return path === dir;
  return path.length > dir.length && path.charCodeAt(dir.length) === 47 && path.startsWith(dir);
}
