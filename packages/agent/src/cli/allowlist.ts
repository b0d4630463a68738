import type { SecurityEvent } from '../events/types.js';
import type { AllowlistEntry } from '../policy/schema.js';

/**
 * The narrowest allowlist entry that silences this event again: the rule,
 * the route and the input, plus what identifies the operation (SQL shape and
 * call site, command, directory, host). A person reviews it before it goes
 * into the policy.
 */
export function allowlistEntryFor(event: SecurityEvent): AllowlistEntry {
  const entry: AllowlistEntry = { rule: event.rule };
  if (event.route !== undefined) entry.route = event.route;
  if (event.input?.source !== undefined && !event.input.source.startsWith('stored(')) entry.input = event.input.source;
  const c = event.context;
  if (typeof c.sqlShape === 'string') entry.sqlShape = c.sqlShape;
  if (typeof c.callSite === 'string') entry.callSite = c.callSite;
  if (event.sink !== undefined) {
    switch (event.rule) {
      case 'shell_injection':
      case 'shell_option_injection':
      case 'shell_unlisted_command':
        if (typeof c.command === 'string') entry.command = c.command;
        break;
      case 'path_traversal':
      case 'sensitive_file':
        if (typeof c.resolved === 'string') entry.path = c.resolved.slice(0, c.resolved.lastIndexOf('/')) || '/';
        break;
      case 'ssrf':
        if (typeof c.host === 'string') entry.host = c.host;
        break;
      default:
        break;
    }
  }
  entry.reason = `false positive triaged from event ${event.eventId}`;
  return entry;
}

/** Distinct entries for a list of events (the same route/input/shape once). */
export function allowlistFor(events: readonly SecurityEvent[]): AllowlistEntry[] {
  const seen = new Set<string>();
  const out: AllowlistEntry[] = [];
  for (const event of events) {
    const entry = allowlistEntryFor(event);
    const { reason: _reason, ...key } = entry;
    const k = JSON.stringify(key);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(entry);
  }
  return out;
}
