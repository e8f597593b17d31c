import {
  BREAK,
  getOperationAST,
  Kind,
  OperationTypeNode,
  visit,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';

/**
 * Executions of a document before it is compiled: a client's constant documents come back at once,
 * while one sent once (literals written inline) is not worth a compile (`new Function`) it never reuses.
 */
const RUNS_BEFORE_COMPILING = 1;

/** What is known of one operation of a document: runs so far, then its compiled form, or null (never). */
type Entry = number | CompiledQuery | null;

/**
 * Runs queries and mutations compiled (graphql-jit): each document is compiled once into a function
 * that coerces its variables and calls its resolvers, instead of graphql-js interpreting the document
 * again for every request. A batch's hundred carts were a tenth of the server's CPU in variable
 * coercion alone (bench, hot SKU ×100).
 *
 * Only what compiles to the same answers runs compiled:
 * - one root field: the interpreter stops a mutation's later fields once an earlier one failed; the
 *   compiled code runs them all;
 * - no subscriptions (their errors and streams are the interpreter's);
 * - no field aliased `__proto__` (the compiled code writes answers into plain objects);
 * - a request error (variables that do not coerce: the answer has no data, and no resolver ran) is
 *   answered by the interpreter, so its message and code are what they always were.
 * Everything else, and a document's first run, goes to the interpreter as before.
 */
export function useCompiledExecution(): Plugin {
  // Per parsed document, which Yoga caches and reuses for the same text: entries go with the document.
  const entries = new WeakMap<DocumentNode, Map<string, Entry>>();
  const compiledFor = (args: ExecutionArgs): CompiledQuery | null => {
    const name = args.operationName ?? '';
    let byName = entries.get(args.document);
    if (!byName) entries.set(args.document, (byName = new Map<string, Entry>()));
    const entry = byName.get(name) ?? 0;
    if (typeof entry !== 'number') return entry;
    if (entry < RUNS_BEFORE_COMPILING) {
      byName.set(name, entry + 1);
      return null;
    }
    const compiled = compilable(args.document, args.operationName) ? compile(args.schema, args.document, args.operationName) : null;
    byName.set(name, compiled);
    return compiled;
  };
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const query = compiledFor(args);
      if (!query) return;
      setExecuteFn(async (executionArgs: ExecutionArgs) => {
        const result = await query.query(executionArgs.rootValue, executionArgs.contextValue, executionArgs.variableValues ?? {});
        if (result.data === undefined && result.errors) return executeFn(executionArgs) as Promise<ExecutionResult>;
        return result;
      });
    },
  };
}

/** A query or mutation of one root field, no alias `__proto__` (see useCompiledExecution). */
function compilable(document: DocumentNode, operationName: string | null | undefined): boolean {
  const operation = getOperationAST(document, operationName);
  if (!operation || operation.operation === OperationTypeNode.SUBSCRIPTION) return false;
  const [first, ...more] = operation.selectionSet.selections;
  if (more.length > 0 || first?.kind !== Kind.FIELD) return false;
  let plain = true;
  visit(document, {
    Field(field) {
      if (field.alias?.value !== '__proto__') return undefined;
      plain = false;
      return BREAK;
    },
  });
  return plain;
}

/** The compiled operation, or null when graphql-jit cannot compile it (the interpreter runs it). */
function compile(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): CompiledQuery | null {
  const result = compileQuery(schema, document, operationName ?? undefined, { disablingCapturingStackErrors: true });
  return isCompiledQuery(result) ? result : null;
}
