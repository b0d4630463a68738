import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicyText } from './load.js';
import { PolicyError } from '../core/errors.js';
import { Policy } from './policy.js';
import type { Finding } from '../detectors/types.js';

function rejection(text: string): PolicyError {
  try {
    parsePolicyText(text, 'vigil.yaml');
  } catch (err) {
    assert.ok(err instanceof PolicyError);
    return err;
  }
  assert.fail('policy was accepted');
}

describe('policy files', () => {
  it('accepts YAML and JSON forms of the same policy', () => {
    const yaml = parsePolicyText('mode: block\nrules:\n  sql_structure: monitor\n  ssrf:\n    mode: block\n    blockThreshold: medium\n');
    const json = parsePolicyText('{"mode":"block","rules":{"sql_structure":"monitor","ssrf":{"mode":"block","blockThreshold":"medium"}}}');
    assert.deepEqual(yaml, json);
  });

  it('names the line and the reason of a wrong value', () => {
    const err = rejection('mode: block\nrules:\n  sql_injection:\n    mode: blok\n');
    assert.equal(err.line, 4);
    assert.equal(err.file, 'vigil.yaml');
    assert.match(err.reason, /rules\.sql_injection\.mode: must be one of off, monitor, block, learn/);
  });

  it('names the line of an unknown key and of a YAML syntax error', () => {
    assert.equal(rejection('mode: monitor\n\nmaxPayloadLogsize: 10\n').line, 3);
    assert.match(rejection('mode: monitor\nallowlist: [\n').message, /^vigil\.yaml:\d+: /);
  });

  it('rejects an unknown rule, a bad CIDR and a condition-less allowlist entry', () => {
    assert.match(rejection('rules:\n  sqli: block\n').reason, /unknown rule "sqli"/);
    assert.match(rejection('trustedProxies:\n  - not-an-ip\n').reason, /IP address or CIDR/);
    assert.match(rejection('allowlist:\n  - rule: ssrf\n').reason, /at least one condition/);
  });
});

const finding = (over: Partial<Finding> = {}): Finding => ({ rule: 'sql_injection', threatLevel: 'critical', confidence: 0.95, description: 'x', ...over });

describe('policy decisions', () => {
  it('blocks in block mode at or above the threshold and confidence, detects below', () => {
    const p = new Policy({ mode: 'block', blockThreshold: 'high' });
    assert.equal(p.decide(finding(), {}, undefined)?.verdict, 'blocked');
    assert.equal(p.decide(finding({ threatLevel: 'medium' }), {}, undefined)?.verdict, 'detected');
    assert.equal(p.decide(finding({ confidence: 0.5 }), {}, undefined)?.verdict, 'detected');
  });

  it('keeps lower-confidence rules in monitor under a global block unless the policy says otherwise', () => {
    assert.equal(new Policy({ mode: 'block' }).modeFor('sql_structure'), 'monitor');
    assert.equal(new Policy({ mode: 'block', rules: { sql_structure: 'block' } }).modeFor('sql_structure'), 'block');
    assert.equal(new Policy({ mode: 'monitor', rules: { ssrf: 'block' } }).modeFor('ssrf'), 'block');
  });

  it('a rule put in block by name blocks its lower-confidence findings too', () => {
    const p = new Policy({ mode: 'monitor', rules: { sql_structure: 'block' } });
    assert.equal(p.decide(finding({ rule: 'sql_structure', threatLevel: 'high', confidence: 0.7 }), {}, undefined)?.verdict, 'blocked');
    assert.equal(p.decide(finding({ rule: 'sql_structure', threatLevel: 'high', confidence: 0.4 }), {}, undefined)?.verdict, 'detected');
  });

  it('off turns every rule off, whatever the rules say', () => {
    const p = new Policy({ mode: 'off', rules: { sql_injection: 'block' } });
    assert.equal(p.decide(finding(), {}, undefined), null);
  });

  it('the environment mode overrides the file mode', () => {
    assert.equal(new Policy({ mode: 'monitor' }, { mode: 'block' }).mode, 'block');
  });

  it('allowlists by route glob, IP range, input path and SQL shape', () => {
    const p = new Policy({
      mode: 'block',
      allowlist: [
        { rule: 'sql_injection', route: '/admin/**', reason: 'admin console' },
        { rule: 'sql_injection', ip: '10.0.0.0/8' },
        { rule: 'sql_injection', input: 'body.filter.*' },
        { sqlShape: 'SELECT ? FROM t' },
      ],
    });
    assert.equal(p.decide(finding(), { route: '/admin/reports/1' }, undefined)?.verdict, 'allowlisted');
    assert.equal(p.decide(finding(), { route: '/shop' }, undefined)?.verdict, 'blocked');
    assert.equal(p.decide(finding(), { ip: '10.2.3.4' }, undefined)?.verdict, 'allowlisted');
    assert.equal(p.decide(finding(), { ip: '11.2.3.4' }, undefined)?.verdict, 'blocked');
    assert.equal(p.decide(finding(), {}, 'body.filter.name')?.verdict, 'allowlisted');
    assert.equal(p.decide(finding(), {}, 'body.other')?.verdict, 'blocked');
    assert.equal(p.decide(finding({ rule: 'ssrf' }), { sqlShape: 'SELECT ? FROM t' }, undefined)?.verdict, 'allowlisted');
    assert.equal(p.decide(finding({ rule: 'ssrf' }), { route: '/admin/x' }, undefined)?.verdict, 'blocked');
  });
});
