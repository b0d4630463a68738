#!/usr/bin/env node
// The `vigil` command: check a policy file, turn triaged events into
// allowlist entries, summarise an events file.
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { loadPolicyFile } from '../policy/load.js';
import { PolicyError } from '../core/errors.js';
import type { SecurityEvent } from '../events/types.js';
import { allowlistFor } from './allowlist.js';

const USAGE = `usage: vigil <command>

  vigil check <policy.yaml|json>            validate a policy file (exit 1 with file:line: reason)
  vigil allowlist <events.jsonl> [--rule R] [--event ID] [--verdict V]
                                            print allowlist entries that silence those events
  vigil summary <events.jsonl>              count events by rule and verdict
  vigil version`;

function readEvents(file: string): SecurityEvent[] {
  const out: SecurityEvent[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    try {
      out.push(JSON.parse(line) as SecurityEvent);
    } catch {
      process.stderr.write(`${file}:${i + 1}: not a JSON event; skipped\n`);
    }
  }
  return out;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export function main(argv: string[]): number {
  const [command, ...args] = argv;
  switch (command) {
    case 'check': {
      const file = args[0];
      if (file === undefined) break;
      try {
        const policy = loadPolicyFile(file);
        process.stdout.write(`${file}: valid (mode ${policy.mode ?? 'monitor'}, ${policy.allowlist?.length ?? 0} allowlist entries)\n`);
        return 0;
      } catch (err) {
        process.stderr.write(`${err instanceof PolicyError ? err.message : String(err)}\n`);
        return 1;
      }
    }
    case 'allowlist': {
      const file = args[0];
      if (file === undefined) break;
      const rule = option(args, '--rule');
      const id = option(args, '--event');
      const verdict = option(args, '--verdict');
      const events = readEvents(file).filter((e) => (rule === undefined || e.rule === rule) && (id === undefined || e.eventId === id) && (verdict === undefined || e.verdict === verdict));
      if (events.length === 0) {
        process.stderr.write('no matching events\n');
        return 1;
      }
      process.stdout.write(stringify({ allowlist: allowlistFor(events) }));
      return 0;
    }
    case 'summary': {
      const file = args[0];
      if (file === undefined) break;
      const counts = new Map<string, number>();
      for (const e of readEvents(file)) counts.set(`${e.rule}\t${e.verdict}`, (counts.get(`${e.rule}\t${e.verdict}`) ?? 0) + 1);
      for (const [k, n] of [...counts].sort()) process.stdout.write(`${String(n).padStart(6)}  ${k.replace('\t', '  ')}\n`);
      return 0;
    }
    case 'version':
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      process.stdout.write(`${(require('../../package.json') as { version: string }).version}\n`);
      return 0;
    default:
      break;
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
