import { readFileSync } from 'node:fs';
import type * as Yaml from 'yaml';
import { PolicyError } from '../core/errors.js';
import { validatePolicy } from './schema.js';
import type { PolicyFile } from './schema.js';
import { lazyModule } from '../core/lazy-module.js';

/** Only apps with a policy file parse YAML. */
const yaml = lazyModule<typeof Yaml>('yaml');

/**
 * Parses policy text (YAML, or JSON, which YAML 1.2 reads too) and validates
 * it. Throws a PolicyError naming the file, the line and the reason.
 */
export function parsePolicyText(text: string, file?: string): PolicyFile {
  const { LineCounter, parseDocument, isNode } = yaml();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    const line = lines.linePos(syntax.pos[0]).line;
    throw new PolicyError(syntax.message.split('\n')[0] ?? 'syntax error', file, line);
  }
  const value: unknown = doc.toJS({ maxAliasCount: 50 });
  const problems = validatePolicy(value);
  const first = problems[0];
  if (first !== undefined) {
    // Point at the deepest node of the path that exists in the document.
    let line: number | undefined;
    for (let depth = first.path.length; depth >= 0 && line === undefined; depth--) {
      const node = depth === 0 ? doc.contents : doc.getIn(first.path.slice(0, depth), true);
      if (isNode(node) && node.range) line = lines.linePos(node.range[0]).line;
    }
    const where = first.path.length > 0 ? `${first.path.join('.')}: ` : '';
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
    throw new PolicyError(`${where}${first.message}${more}`, file, line);
  }
  return (value ?? {}) as PolicyFile;
}

export function loadPolicyFile(file: string): PolicyFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PolicyError(`cannot read policy file: ${(err as Error).message}`, file);
  }
  return parsePolicyText(text, file);
}
