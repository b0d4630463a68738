// Starts the real servers the tests use — PostgreSQL, MariaDB and Redis — on
// 127.0.0.1 with throw-away data directories, and stops them afterwards.
// Used by scripts/test.mjs (npm test) and bench/. Debian packages:
// postgresql, mariadb-server, redis-server (.ci/run installs them).
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync, chmodSync, mkdirSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const isRoot = process.getuid?.() === 0;

function which(names, extraDirs = []) {
  for (const name of names) {
    for (const dir of [...extraDirs, ...(process.env.PATH ?? '').split(':')]) {
      const full = join(dir, name);
      if (dir && existsSync(full)) return full;
    }
  }
  return undefined;
}

function postgresBinDir() {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(join(base, v, 'bin', 'postgres'))) return join(base, v, 'bin');
  return undefined;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, child, name, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} before listening`);
    const ok = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

function postgresUser() {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

async function startPostgres(root, logs) {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL not found (Debian package postgresql)');
  const dir = join(root, 'pg');
  mkdirSync(dir);
  // PostgreSQL refuses to run as root: run it as the postgres user the package created.
  const ids = isRoot ? postgresUser() : undefined;
  if (isRoot && !ids) throw new Error('running as root but there is no postgres user to run PostgreSQL as');
  if (ids) chownSync(dir, ids.uid, ids.gid);
  const opts = ids ? { uid: ids.uid, gid: ids.gid } : {};
  execFileSync(join(bin, 'initdb'), ['-D', dir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], { ...opts, stdio: 'ignore' });
  const port = await freePort();
  const child = spawn(join(bin, 'postgres'), ['-D', dir, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-F', '-c', 'max_connections=50'], { ...opts, stdio: ['ignore', logs, logs] });
  await waitForPort(port, child, 'postgres');
  // Accepting TCP is not yet accepting queries: wait for the ready answer.
  const isReady = join(bin, 'pg_isready');
  for (let i = 0; i < 100; i++) {
    try {
      execFileSync(isReady, ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres'], { stdio: 'ignore' });
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { child, url: `postgres://postgres@127.0.0.1:${port}/postgres` };
}

async function startMariaDb(root, logs) {
  const installDb = which(['mariadb-install-db', 'mysql_install_db']);
  const server = which(['mariadbd', 'mysqld'], ['/usr/sbin']);
  if (!installDb || !server) throw new Error('MariaDB not found (Debian package mariadb-server)');
  const dir = join(root, 'mysql');
  mkdirSync(dir);
  const userArgs = isRoot ? ['--user=root'] : [`--user=${userInfo().username}`];
  execFileSync(installDb, ['--no-defaults', `--datadir=${dir}`, ...userArgs, '--auth-root-authentication-method=normal', '--skip-test-db'], { stdio: 'ignore' });
  const port = await freePort();
  const child = spawn(
    server,
    ['--no-defaults', `--datadir=${dir}`, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${join(dir, 'mysqld.sock')}`, `--pid-file=${join(dir, 'mysqld.pid')}`, '--skip-log-bin', '--innodb-flush-log-at-trx-commit=0', ...userArgs],
    { stdio: ['ignore', logs, logs] },
  );
  await waitForPort(port, child, 'mariadb');
  const client = which(['mariadb', 'mysql']);
  if (client) {
    for (let i = 0; i < 50; i++) {
      try {
        execFileSync(client, ['--no-defaults', '-h', '127.0.0.1', '-P', String(port), '-uroot', '-e', 'CREATE DATABASE IF NOT EXISTS vigil_test'], { stdio: 'ignore' });
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
  return { child, url: `mysql://root@127.0.0.1:${port}/vigil_test` };
}

async function startRedis(root, logs) {
  const server = which(['redis-server'], ['/usr/bin', '/usr/sbin']);
  if (!server) throw new Error('Redis not found (Debian package redis-server)');
  const port = await freePort();
  const child = spawn(server, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', root], { stdio: ['ignore', logs, logs] });
  await waitForPort(port, child, 'redis');
  return { child, url: `redis://127.0.0.1:${port}` };
}

/**
 * Starts every server; returns env vars for the tests and a stop function.
 * A server that cannot start is reported and its env var left unset, so the
 * tests that need it fail loudly rather than pass without it.
 */
export async function startTestServers({ only } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'vigil-servers-'));
  // The postgres user must be able to reach its data directory inside.
  chmodSync(root, 0o755);
  const logs = 'ignore';
  const env = {};
  const children = [];
  const problems = [];
  const wanted = only ?? ['postgres', 'mariadb', 'redis'];
  const starters = { postgres: [startPostgres, 'VIGIL_TEST_PG_URL'], mariadb: [startMariaDb, 'VIGIL_TEST_MYSQL_URL'], redis: [startRedis, 'VIGIL_TEST_REDIS_URL'] };
  await Promise.all(
    wanted.map(async (name) => {
      const [start, envName] = starters[name];
      try {
        const { child, url } = await start(root, logs);
        children.push(child);
        env[envName] = url;
      } catch (err) {
        problems.push(`${name}: ${err.message}`);
      }
    }),
  );
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', resolve);
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
          }),
      ),
    );
    rmSync(root, { recursive: true, force: true });
  };
  return { env, stop, problems };
}
