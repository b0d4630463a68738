'use strict';
// OS commands and files, vulnerable on purpose: each handler builds a command
// line, an argv or a file path from request input the way real apps get it
// wrong. The commands are ones a bare Debian box has (echo, printf, wc, file,
// tar, ls); `echo` stands in for ping/nslookup. The file endpoints serve
// PUBLIC; /upload writes into a temp dir (or SHOP_UPLOADS_DIR) so the repo
// stays clean.
const { exec, execSync, execFile, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { describeFile } = require('../lib/media');
const { createArchive } = require('../lib/archive');

const PUBLIC = path.join(__dirname, '..', 'public');

let uploads;
function uploadsDir() {
  if (uploads === undefined) {
    uploads = process.env.SHOP_UPLOADS_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'express-shop-uploads-'));
    fs.mkdirSync(uploads, { recursive: true });
  }
  return uploads;
}

/** fs errors that mean "no such file here" to the client. */
const MISSING = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'ENAMETOOLONG', 'ERR_INVALID_ARG_VALUE', 'ERR_INVALID_ARG_TYPE']);

function fileError(res, next) {
  return (err) => (err && MISSING.has(err.code) ? res.status(404).json({ error: 'not found' }) : next(err));
}

module.exports = function mount(app) {
  // --- OS commands -------------------------------------------------------
  // vulnerable: the host pasted into a shell line, unquoted (exec with a callback)
  app.get('/ping', (req, res) => {
    const host = String(req.query.host ?? '');
    const child = exec(`echo PING ${host}`, { timeout: 5000 }, (err, stdout, stderr) => {
      res.json({ ok: err === null, output: stdout, errors: stderr });
    });
    child.stdin.end();
  });

  // vulnerable: the domain inside double quotes, where $(…) and "; still work (execSync)
  app.get('/lookup', (req, res) => {
    const domain = String(req.query.domain ?? '');
    let output;
    try {
      output = execSync(`(echo "Server: 127.0.0.53"; echo "Name: ${domain}") 2>&1`, { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      if (err === null || typeof err !== 'object' || err.status === undefined) throw err;
      return res.status(502).json({ ok: false, output: String(err.stdout ?? ''), errors: String(err.stderr ?? '') });
    }
    res.json({ ok: true, output });
  });

  // vulnerable: JSON text inside single quotes of an `sh -c` line (spawn, shell-less call of a shell)
  app.post('/wordcount', (req, res, next) => {
    const text = String(req.body?.text ?? '');
    const child = spawn('/bin/sh', ['-c', `printf '%s\\n' '${text}' | wc -w`], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 });
    let output = '';
    let errors = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (errors += d));
    child.on('error', next);
    child.on('close', (code) => {
      const words = Number.parseInt(output.trim().split('\n').pop() ?? '', 10);
      res.json({ ok: code === 0, words: Number.isNaN(words) ? null : words, output, errors });
    });
  });

  // vulnerable: the client's User-Agent written to an audit log by a shell line (header input)
  app.get('/audit', (req, res, next) => {
    const ua = req.get('user-agent') ?? '';
    const log = path.join(uploadsDir(), 'audit.log');
    const child = exec(`echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) ${ua}" >> "${log}"`, { timeout: 5000 }, (err) => {
      if (err) return next(err);
      res.json({ logged: true });
    });
    child.stdin.end();
  });

  // shell-less: `; touch x` is just a strange name here, but a leading `-` is an option (execFile)
  app.get('/list', (req, res, next) => {
    const dir = String(req.query.dir ?? '.');
    execFile('ls', ['-1', dir], { cwd: PUBLIC, timeout: 5000 }, (err, stdout, stderr) => {
      if (err && !stderr) return next(err);
      res.json({ ok: !err, entries: stdout.split('\n').filter(Boolean), errors: stderr });
    });
  });

  // vulnerable, in a helper "from npm": a shell line built from a file name (promisified exec)
  app.get('/filetype', async (req, res) => {
    const name = String(req.query.name ?? '');
    res.json({ name, type: await describeFile(path.join(PUBLIC, name)) });
  });

  // option injection, in a helper "from npm": client names handed to tar (promisified execFile)
  app.get('/backup', async (req, res) => {
    const names = [].concat(req.query.name ?? 'catalog.txt').map(String);
    const dest = path.join(uploadsDir(), `backup-${Date.now()}.tar`);
    await createArchive(dest, PUBLIC, names);
    res.json({ archive: path.basename(dest), names });
  });

  // --- files -------------------------------------------------------------
  // vulnerable: path.join keeps `../` (fs.readFile with a callback)
  app.get('/files', (req, res, next) => {
    const name = String(req.query.name ?? '');
    fs.readFile(path.join(PUBLIC, name), (err, data) => {
      if (err) return fileError(res, next)(err);
      res.type('text/plain').send(data);
    });
  });

  // vulnerable: strips "../" once, then decodes (fs.createReadStream piped to the response)
  app.get('/download', (req, res, next) => {
    let name = String(req.query.file ?? '').replace('../', '');
    try {
      name = decodeURIComponent(name);
    } catch {
      // not percent-encoded: keep it as sent
    }
    const stream = fs.createReadStream(path.join(PUBLIC, name));
    stream.once('open', () => res.attachment(path.basename(name)));
    stream.on('error', (err) => (res.headersSent ? res.destroy(err) : fileError(res, next)(err)));
    stream.pipe(res);
  });

  // vulnerable: absolute paths allowed when they start with PUBLIC, checked before normalising (fs.promises.readFile)
  app.get('/static', async (req, res) => {
    const p = String(req.query.path ?? '');
    const full = p.startsWith('/') ? p : `${PUBLIC}/${p}`;
    if (!full.startsWith(PUBLIC)) return res.status(403).json({ error: 'outside the public folder' });
    let data;
    try {
      data = await fs.promises.readFile(full);
    } catch (err) {
      if (MISSING.has(err?.code)) return res.status(404).json({ error: 'not found' });
      throw err;
    }
    res.type('text/plain').send(data);
  });

  // vulnerable: directory listing (fs.readdir)
  app.get('/browse', (req, res, next) => {
    const dir = String(req.query.dir ?? '');
    fs.readdir(path.join(PUBLIC, dir), { withFileTypes: true }, (err, entries) => {
      if (err) return fileError(res, next)(err);
      res.json(entries.map((e) => ({ name: e.name, directory: e.isDirectory() })));
    });
  });

  // vulnerable: file facts (fs.stat)
  app.get('/info', (req, res, next) => {
    const name = String(req.query.name ?? '');
    fs.stat(path.join(PUBLIC, name), (err, st) => {
      if (err) return fileError(res, next)(err);
      res.json({ name, size: st.size, directory: st.isDirectory(), modified: st.mtime.toISOString() });
    });
  });

  // vulnerable: saves a client-named file into the uploads folder (fs.writeFile)
  app.post('/upload', (req, res, next) => {
    const name = String(req.body?.name ?? '');
    const content = String(req.body?.content ?? '');
    fs.writeFile(path.join(uploadsDir(), name), content, (err) => {
      if (err) return fileError(res, next)(err);
      res.status(201).json({ saved: name, bytes: Buffer.byteLength(content) });
    });
  });

  // vulnerable: reads an upload back by route param; Express decodes %2F in it (fs.readFileSync)
  app.get('/uploads/:name', (req, res) => {
    let data;
    try {
      data = fs.readFileSync(path.join(uploadsDir(), req.params.name));
    } catch (err) {
      if (MISSING.has(err?.code)) return res.status(404).json({ error: 'not found' });
      throw err;
    }
    res.type('text/plain').send(data);
  });
};

module.exports.PUBLIC = PUBLIC;
module.exports.uploadsDir = uploadsDir;
