import type { RuleId, ThreatLevel } from '../detectors/types.js';
import type { Mode } from '../policy/schema.js';

export type Verdict = 'detected' | 'blocked' | 'allowlisted';

/**
 * One security event, as written to VIGIL_EVENTS_FILE (one JSON object a line),
 * the log and the console exporter. Public and versioned: add fields, never
 * rename or remove them within a major version.
 */
export interface SecurityEvent {
  schemaVersion: 1;
  eventId: string;
  /** ISO 8601. */
  timestamp: string;
  rule: RuleId;
  threatLevel: ThreatLevel;
  verdict: Verdict;
  /** The mode the rule was in when the finding was made. */
  mode: Mode;
  confidence: number;
  description: string;
  /** Client address, trusted-proxy aware. */
  sourceIp?: string;
  userId?: string;
  requestId?: string;
  method?: string;
  /** Route pattern when known (`/users/:id`), else the path. */
  route?: string;
  path?: string;
  input?: {
    /** Where it came from: `body.user.name`, `headers.user-agent`. */
    source: string;
    value: string;
    /** How it was decoded from the raw value (`base64`, `json` …), if it was. */
    transform?: string;
    truncated?: boolean;
  };
  sink?: {
    /** `better-sqlite3`, `child_process`, `fs`, `http` … */
    library: string;
    /** `prepare`, `exec`, `readFile`, `request` … */
    operation: string;
    /** The SQL text, command, path or URL, truncated. */
    argument?: string;
    truncated?: boolean;
  };
  stackTrace?: string[];
  context: Record<string, string | number | boolean>;
  /** Set by the allowlist entry that matched. */
  allowlistReason?: string;
  /** Name of the host process (service) for the console. */
  service?: string;
  agentVersion: string;
}
