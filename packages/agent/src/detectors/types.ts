// Types shared by every detector. Detectors are pure: they import nothing
// from Node.js or from the rest of the agent except this file.

/** Where a piece of request input came from. */
export type InputSource =
  | 'query'
  | 'body'
  | 'headers'
  | 'cookies'
  | 'params'
  | 'path'
  | 'graphql'
  /** Sent by an earlier request and reused by the app now (second-order). */
  | 'stored';

/**
 * One string the client controls, with the path it was found at
 * (`body.user.name`, `headers.user-agent`) and, for a decoded form, how it
 * was decoded from the raw value (`base64`, `json`, `url`, `nfkc`, `jwt`, `hex`).
 */
export interface UserInput {
  readonly source: InputSource;
  readonly path: string;
  readonly value: string;
  readonly transform?: string;
}

/** Non-string input kept as the parsed object (NoSQL filters, prototype keys). */
export interface UserObjectInput {
  readonly source: InputSource;
  readonly path: string;
  readonly value: unknown;
}

export type ThreatLevel = 'info' | 'low' | 'medium' | 'high' | 'critical';

export const THREAT_LEVELS: readonly ThreatLevel[] = ['info', 'low', 'medium', 'high', 'critical'];

/** Attack classes. These names are public: policy files, events and metrics use them. */
export type RuleId =
  | 'sql_injection'
  | 'sql_structure'
  | 'shell_injection'
  | 'shell_option_injection'
  | 'shell_unlisted_command'
  | 'path_traversal'
  | 'sensitive_file'
  | 'ssrf'
  | 'nosql_injection'
  | 'code_injection'
  | 'deserialization'
  | 'prototype_pollution'
  | 'request_pattern'
  | 'rate_limit'
  | 'scanner'
  | 'ip_blocklist';

export const RULE_IDS: readonly RuleId[] = [
  'sql_injection',
  'sql_structure',
  'shell_injection',
  'shell_option_injection',
  'shell_unlisted_command',
  'path_traversal',
  'sensitive_file',
  'ssrf',
  'nosql_injection',
  'code_injection',
  'deserialization',
  'prototype_pollution',
  'request_pattern',
  'rate_limit',
  'scanner',
  'ip_blocklist',
];

/** What a detector reports. `input` is absent for structural rules that no input explains. */
export interface Finding {
  readonly rule: RuleId;
  readonly threatLevel: ThreatLevel;
  /** 0..1: how sure the detector is that this is an attack. */
  readonly confidence: number;
  readonly description: string;
  readonly input?: UserInput;
  /** Small, JSON-serialisable facts for the event's `context` (token kinds, resolved path …). */
  readonly detail?: Record<string, string | number | boolean>;
}
