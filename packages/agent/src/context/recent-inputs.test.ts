import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RecentInputs } from './recent-inputs.js';
import type { UserInput } from '../detectors/types.js';

const body = (path: string, value: string): UserInput => ({ source: 'body', path: `body.${path}`, value });

describe('recent inputs (second-order)', () => {
  const recent = new RecentInputs();
  recent.remember([
    body('author', "x' OR 1=1 --"),
    body('note', 'hello; cat /etc/passwd'),
    body('file', '../../etc/passwd'),
    body('webhook', 'http://169.254.169.254/latest/meta-data/'),
    body('formula', "require('child_process').execSync('id')"),
    body('plain', 'plain words only'),
    body('name', "O'Hara"),
  ]);

  it('keeps only strings that carry syntax', () => {
    assert.equal(recent.size, 6);
  });

  it('traces a stored payload in a later query, command, path, URL or code', () => {
    assert.equal(recent.detectSql("SELECT * FROM c WHERE a = 'x' OR 1=1 --'", 'sqlite')?.input?.path, 'stored(body.author)');
    assert.equal(recent.detectShell('echo hello; cat /etc/passwd')?.rule, 'shell_injection');
    assert.equal(recent.detectPath('/app/uploads/../../etc/passwd', { cwd: '/app' })?.rule, 'path_traversal');
    assert.equal(recent.detectSsrf('169.254.169.254', null, 'http://169.254.169.254/latest/meta-data/')?.rule, 'ssrf');
    // the app's own call to the same internal host, another URL: not the stored one
    assert.equal(recent.detectSsrf('169.254.169.254', null, 'http://169.254.169.254/health'), null);
    assert.equal(recent.detectCode("require('child_process').execSync('id')")?.rule, 'code_injection');
  });

  it('stays quiet on benign reuse of stored strings', () => {
    assert.equal(recent.detectSql("SELECT * FROM c WHERE a = 'O''Hara'", 'sqlite'), null);
    assert.equal(recent.detectSql("SELECT * FROM c WHERE name = 'O'", 'sqlite'), null);
    assert.equal(recent.detectPath('/app/uploads/report.pdf', { cwd: '/app' }), null);
    assert.equal(recent.detectSsrf('api.example.com', '93.184.216.34', 'https://api.example.com/'), null);
    assert.equal(recent.detectCode('price * qty'), null);
  });

  it('forgets the oldest strings beyond its capacity', () => {
    const ring = new RecentInputs();
    for (let i = 0; i < 2000; i++) ring.remember([body('x', `value ${i}; done`)]);
    assert.ok(ring.size <= 500);
    assert.equal(ring.detectShell('echo value 0; done'), null);
    assert.equal(ring.detectShell('echo value 1999; done')?.rule, 'shell_injection');
  });
});
