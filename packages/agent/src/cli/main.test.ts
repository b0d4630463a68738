import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { allowlistFor } from './allowlist.js';
import { Policy } from '../policy/policy.js';
import { parsePolicyText } from '../policy/load.js';
import type { SecurityEvent } from '../events/types.js';
import type { Finding } from '../detectors/types.js';

const event: SecurityEvent = {
  schemaVersion: 1,
  eventId: 'e1',
  timestamp: '2026-11-22T00:00:00.000Z',
  rule: 'sql_injection',
  threatLevel: 'high',
  verdict: 'detected',
  mode: 'monitor',
  confidence: 0.9,
  description: 'x',
  route: '/reports/:id',
  input: { source: 'query.sort', value: 'price desc, (name)' },
  sink: { library: 'pg', operation: 'query' },
  context: { sqlShape: 'SELECT ? FROM t ORDER BY price DESC , ( name )', callSite: 'src/reports.js:42' },
  agentVersion: '0.1.0',
};

describe('vigil allowlist', () => {
  it('turns an event into an entry that, in a policy, silences exactly that finding', () => {
    const [entry] = allowlistFor([event, { ...event, eventId: 'e2' }]);
    assert.ok(entry);
    assert.deepEqual({ ...entry, reason: undefined }, { rule: 'sql_injection', route: '/reports/:id', input: 'query.sort', sqlShape: event.context.sqlShape, callSite: 'src/reports.js:42', reason: undefined });
    const policy = new Policy(parsePolicyText(JSON.stringify({ mode: 'block', allowlist: [entry] })));
    const finding: Finding = { rule: 'sql_injection', threatLevel: 'high', confidence: 0.9, description: 'x' };
    const facts = { route: '/reports/:id', sqlShape: String(event.context.sqlShape), callSite: '/srv/app/src/reports.js:42' };
    assert.equal(policy.decide(finding, facts, 'query.sort')?.verdict, 'allowlisted');
    assert.equal(policy.decide(finding, { ...facts, sqlShape: 'SELECT ? FROM t' }, 'query.sort')?.verdict, 'blocked');
    assert.equal(policy.decide(finding, facts, 'query.q')?.verdict, 'blocked');
  });

  it('the command prints YAML a policy accepts, and check names the line of a broken file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
    const events = join(dir, 'events.jsonl');
    writeFileSync(events, JSON.stringify(event) + '\n');
    const cli = join(__dirname, 'main.ts');
    const out = execFileSync(process.execPath, ['--import', 'tsx', cli, 'allowlist', events], { encoding: 'utf8' });
    const doc = parse(out) as { allowlist: unknown[] };
    assert.equal(doc.allowlist.length, 1);
    const policyFile = join(dir, 'policy.yaml');
    writeFileSync(policyFile, out);
    assert.match(execFileSync(process.execPath, ['--import', 'tsx', cli, 'check', policyFile], { encoding: 'utf8' }), /valid/);
    writeFileSync(policyFile, 'mode: block\nrules:\n  ssrf: blok\n');
    const bad = spawnSync(process.execPath, ['--import', 'tsx', cli, 'check', policyFile], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /policy\.yaml:3: rules\.ssrf: must be one of/);
  });
});
