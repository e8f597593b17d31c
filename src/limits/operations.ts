import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { NoSchemaIntrospectionCustomRule, type GraphQLError } from 'graphql';
import type { Plugin, YogaInitialContext } from 'graphql-yoga';
import { graphqlError } from '../errors.ts';

// Limits on the operation document itself, checked while parsing and validating, so an operation over
// any of them is refused before anything of it runs. Each is set from what this schema's legitimate
// operations need (test/limits.test.ts sends, for every root field, the operation selecting every field
// it has, and the largest inputs written inline, and checks they pass). Fragments count as the fields
// they hold: the results here are unions, and `... on X` is no extra level or cost.

/**
 * Nesting of fields. The deepest operation the schema allows is 7 (a batch's line with its SKU's levels
 * per location: `deductStockBatch { results { lines { sku { levels { location { id } } } } } }`). The
 * schema has no cycles, so what this refuses in practice is introspection's endless
 * `ofType { ofType { … } }` under `__type`. graphql-armor leaves whatever is under `__schema` out of this
 * count (MAX_INTROSPECTION_DEPTH).
 */
export const MAX_DEPTH = 7;
/**
 * Nesting of fields counting `__schema` too. The standard introspection query (graphql-js's
 * getIntrospectionQuery, what GraphiQL and codegen tools send) is exactly 15 deep: its TypeRef fragment
 * unwraps types to a fixed depth. Deeper `ofType` chains only make the server walk the schema for nothing.
 */
export const MAX_INTROSPECTION_DEPTH = 15;
/**
 * graphql-armor's cost: 2 per object field, 1 per scalar, ×1.5 per level, × a literal `first`. Every
 * query root field with everything selected, in one operation and with a full page of 100 movements,
 * costs about 6,190; without a page size the costliest operation is under 100. 10,000 lets all that through
 * and refuses operations that repeat the expensive parts (two full movement pages, thousands of fields).
 */
export const MAX_COST = 10_000;
/**
 * Aliases run a field again under another name, so they multiply a request's work: each `skus` reads up
 * to 500 SKUs, each `movements` a page of 100. Clients need one or two (to rename a field); 10 bounds a
 * request at 5,000 SKU reads.
 */
export const MAX_ALIASES = 10;
/**
 * Only @include and @skip apply to operations; a client toggling parts of one needs a few. 20 refuses
 * directive overloading (thousands of repeated directives, each one work for the validator).
 */
export const MAX_DIRECTIVES = 20;
/**
 * Lexical tokens in the document, counted while parsing: bounds the parser's work and the syntax tree
 * before any other check. The largest legitimate document is an upsert of 100 SKUs with every field
 * written inline (about 2,300 tokens; 500 ids inline in `skus` is about 520); 4,000 passes it with room.
 */
export const MAX_TOKENS = 4_000;

/**
 * graphql-armor reports a refusal as a "Syntax Error"; clients get it as the typed OPERATION_TOO_COMPLEX
 * (not retryable), with HTTP 400 whatever the Accept header: not `spec: true`, with which Yoga would
 * answer a client accepting application/json (or sending no Accept) 200, as for other invalid documents
 * (see tooComplexIsBadRequest for the token limit). Thrown, it stops validation at once, so no further
 * rule spends time on a document refused anyway.
 */
function refuse(_context: unknown, error: GraphQLError): never {
  throw graphqlError('OPERATION_TOO_COMPLEX', error.message.replace(/^Syntax Error: /, ''), { http: { status: 400 } });
}

/**
 * Yoga marks every error thrown while parsing `http.spec` (with `||=`, so refuse() cannot opt out),
 * which answers a client accepting application/json 200: the token limit, checked while parsing, would
 * be 200 for such clients and 400 for the rest. Cleared before the response is made, so every
 * OPERATION_TOO_COMPLEX is 400, as README says.
 */
function tooComplexIsBadRequest(): Plugin {
  return {
    onResultProcess({ result }) {
      if (Array.isArray(result) || !('errors' in result)) return;
      for (const error of result.errors ?? []) {
        const http = error.extensions?.['http'];
        if (error.extensions?.['code'] === 'OPERATION_TOO_COMPLEX' && http) http.spec = false;
      }
    },
  };
}

/** graphql-js's own rule: `__schema` and `__type` fail validation; `__typename` stays. */
function disableIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}

export interface OperationLimitOptions {
  /** Off: no introspection, and no "Did you mean …?" in errors, which would give the schema away field by field. */
  introspection: boolean;
}

/** The envelop plugins that enforce the limits above, for Yoga (HTTP, SSE) and graphql-ws alike. */
export function operationLimits({ introspection }: OperationLimitOptions): Plugin[] {
  const common = { onReject: [refuse], propagateOnRejection: true, exposeLimits: true };
  return [
    maxTokensPlugin({ ...common, n: MAX_TOKENS }),
    tooComplexIsBadRequest(),
    // The operation's depth first, so an operation over both limits is told about this one.
    maxDepthPlugin({ ...common, n: MAX_DEPTH, flattenFragments: true }),
    maxDepthPlugin({ ...common, n: MAX_INTROSPECTION_DEPTH, flattenFragments: true, ignoreIntrospection: false }),
    costLimitPlugin({ ...common, maxCost: MAX_COST, flattenFragments: true }),
    maxAliasesPlugin({ ...common, n: MAX_ALIASES }),
    maxDirectivesPlugin({ ...common, n: MAX_DIRECTIVES }),
    ...(introspection ? [] : [disableIntrospection(), blockFieldSuggestionsPlugin<YogaInitialContext>()]),
  ];
}
