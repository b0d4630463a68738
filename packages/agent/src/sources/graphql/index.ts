import { wrapMethod } from '../../hooks/wrap.js';
import { requestStorage } from '../../context/request-context.js';
import type { RequestContext } from '../../context/request-context.js';
import type { ModuleSinkSpec } from '../../sinks/types.js';
import { sourceError } from '../common.js';

// graphql-js 15 and 16 (and every server built on it: graphql-http, Apollo,
// Mercurius, Yoga …). An operation's input is its variables and the literal
// arguments written in the document; neither is a plain request field when
// the query came in a GET, a persisted query or a websocket. Both are added
// to the request's inputs when the operation is executed, before resolvers
// (and so sinks) run: `graphql.variables.<name>` and `graphql.<field>.<argument>`.

interface AstNode {
  kind?: string;
  name?: { value?: unknown };
  value?: unknown;
  values?: readonly AstNode[];
  fields?: readonly AstNode[];
  arguments?: readonly AstNode[];
  selectionSet?: { selections?: readonly AstNode[] };
  definitions?: readonly AstNode[];
}

const MAX_DEPTH = 32;
const MAX_ARGUMENTS = 500;

/** The documents already added per request (batched or repeated execution). */
const seen = new WeakMap<RequestContext, WeakSet<object>>();

function addOperationInputs(ctx: RequestContext, document: unknown, variables: unknown): void {
  if (document === null || typeof document !== 'object') return;
  let docs = seen.get(ctx);
  if (docs === undefined) seen.set(ctx, (docs = new WeakSet()));
  if (variables !== null && typeof variables === 'object' && !docs.has(variables)) {
    docs.add(variables);
    ctx.addInput('graphql', 'graphql.variables', variables);
  }
  if (docs.has(document)) return;
  docs.add(document);
  const args: Record<string, unknown> = {};
  let count = 0;
  const visit = (node: AstNode | undefined, depth: number): void => {
    if (node === undefined || node === null || depth > MAX_DEPTH || count >= MAX_ARGUMENTS) return;
    if (node.kind === 'Field' && node.arguments !== undefined) {
      const field = String(node.name?.value ?? '');
      for (const arg of node.arguments) {
        const value = literal(arg.value as AstNode | undefined, 0);
        if (value === undefined || count++ >= MAX_ARGUMENTS) continue;
        args[`${field}.${String(arg.name?.value ?? '')}`] = value;
      }
    }
    for (const child of node.definitions ?? node.selectionSet?.selections ?? []) visit(child, depth + 1);
  };
  visit(document as AstNode, 0);
  if (count > 0) ctx.addInput('graphql', 'graphql', args);
}

/** The client-written value of a literal argument; variables, numbers and enums carry no text worth checking. */
function literal(node: AstNode | undefined, depth: number): unknown {
  if (node === undefined || depth > MAX_DEPTH) return undefined;
  switch (node.kind) {
    case 'StringValue':
      return typeof node.value === 'string' ? node.value : undefined;
    case 'ListValue': {
      const items = (node.values ?? []).map((v) => literal(v, depth + 1)).filter((v) => v !== undefined);
      return items.length > 0 ? items : undefined;
    }
    case 'ObjectValue': {
      const out: Record<string, unknown> = {};
      let any = false;
      for (const f of node.fields ?? []) {
        const v = literal(f.value as AstNode | undefined, depth + 1);
        if (v !== undefined) {
          out[String(f.name?.value ?? '')] = v;
          any = true;
        }
      }
      return any ? out : undefined;
    }
    default:
      return undefined;
  }
}

function wrapExecute(exports: object, name: string): void {
  wrapMethod(exports, name, (execute) =>
    function executeWithVigil(this: unknown, ...args: unknown[]) {
      const ctx = requestStorage.getStore();
      if (ctx !== undefined) {
        try {
          // v16: execute({ schema, document, variableValues, … }); v15 also (schema, document, root, context, variables, …).
          const first = args[0] as { document?: unknown; variableValues?: unknown } | undefined;
          if (args.length === 1 && first !== null && typeof first === 'object' && 'document' in first) addOperationInputs(ctx, first.document, first.variableValues);
          else addOperationInputs(ctx, args[1], args[4]);
        } catch (err) {
          sourceError('graphql', err);
        }
      }
      return execute.apply(this, args);
    },
  );
}

export const graphqlExecute: ModuleSinkSpec = {
  module: 'graphql',
  file: 'execution/execute.js',
  versions: '>=15 <17',
  patch(exports) {
    wrapExecute(exports as object, 'execute');
    wrapExecute(exports as object, 'executeSync');
  },
};
