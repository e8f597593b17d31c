import type { Server } from 'node:http';
import {
  getOperationAST,
  GraphQLError,
  OperationTypeNode,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { reissued, type ErrorCode } from '../errors.ts';

/**
 * Largest message a WebSocket client may send. A subscribe message naming the most SKUs allowed is a
 * few kilobytes; ws's default (100 MiB) would let one client make the server buffer that much.
 */
const MAX_WS_MESSAGE_BYTES = 64 * 1024;

/**
 * How long closing waits for clients to answer the close handshake (1001 Going Away) before cutting
 * them off: a client that does not answer must not hold a shutdown up.
 */
const CLOSE_HANDSHAKE_WAIT_MS = 1_000;

/**
 * Yoga's own execute and subscribe, carried to graphql-ws's execute/subscribe hooks; for a subscription,
 * subscribe hands over the stream onSubscribe already started.
 */
interface Enveloped {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}

/** What a graphql-ws operation needs of Yoga's envelope. */
interface EnvelopedFunctions extends Enveloped {
  schema: GraphQLSchema;
  contextFactory: () => unknown;
  parse: (source: string) => DocumentNode;
  validate: (schema: GraphQLSchema, document: DocumentNode) => readonly GraphQLError[];
}

export interface WebSocketEndpoint {
  /** Closes every socket (their subscriptions end) and stops taking new ones. */
  close(): Promise<void>;
}

/**
 * graphql-ws (the graphql-transport-ws protocol) on the HTTP server's GraphQL path, running operations
 * through Yoga's envelop, so they get the same schema, context, error masking and logging as over HTTP.
 */
export function serveWebSocket<C extends object>(server: Server, yoga: YogaServerInstance<Record<string, never>, C>): WebSocketEndpoint {
  const wss = new WebSocketServer({ server, path: yoga.graphqlEndpoint, maxPayload: MAX_WS_MESSAGE_BYTES });
  const graphqlWs = useServer(
    {
      execute: (args) => (args.rootValue as Enveloped).execute(args) as never,
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args) as never,
      onSubscribe: async (ctx, _id, payload) => {
        // Envelop types these loosely (any); pinned here to what graphql-js's own functions take.
        const enveloped: EnvelopedFunctions = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
        });
        const { schema, execute, subscribe, contextFactory, parse, validate } = enveloped;
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (err) {
          // A syntax error is the client's, answered like over HTTP, not a broken socket.
          if (err instanceof GraphQLError) return [coded(err, 'GRAPHQL_PARSE_FAILED')];
          throw err;
        }
        const args: ExecutionArgs = {
          schema,
          operationName: payload.operationName ?? null,
          document,
          variableValues: payload.variables ?? null,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe } satisfies Enveloped,
        };
        let errors: readonly GraphQLError[];
        try {
          errors = validate(args.schema, args.document);
        } catch (err) {
          // The operation limits (src/limits/operations.ts) throw to stop validating at once.
          if (err instanceof GraphQLError) return [coded(err, 'GRAPHQL_VALIDATION_FAILED')];
          throw err;
        }
        if (errors.length > 0) return errors.map((e) => coded(e, 'GRAPHQL_VALIDATION_FAILED'));
        if (getOperationAST(document, args.operationName)?.operation !== OperationTypeNode.SUBSCRIPTION) return args;
        // A subscription is started here, not in the subscribe hook: one that cannot start (an unknown
        // SKU, bad input, no key, too many subscriptions) gets graphql-ws's `error` message, which the
        // protocol keeps for an operation that fails at its start, instead of a `next` holding only
        // `errors` followed by `complete`, which reads like a first event.
        const started = await subscribe(args);
        const refused = notStarted(started);
        if (refused) return refused;
        return { ...args, rootValue: { execute, subscribe: () => started } satisfies Enveloped };
      },
    },
    wss,
  );
  return {
    async close() {
      // dispose() closes every socket with 1001 Going Away (clients reconnect elsewhere) and resolves
      // once all are closed; one that does not answer the handshake in time is cut off.
      const disposed = graphqlWs.dispose();
      const cutOff = setTimeout(() => {
        for (const socket of wss.clients) socket.terminate();
      }, CLOSE_HANDSHAKE_WAIT_MS);
      try {
        await disposed;
      } finally {
        clearTimeout(cutOff);
      }
    },
  };
}

/**
 * The errors of a subscription that did not start: graphql-js (and Yoga's subscribe) answer with an
 * ExecutionResult holding only `errors` instead of a stream. Null for a stream.
 */
function notStarted(result: unknown): readonly GraphQLError[] | null {
  if (typeof result !== 'object' || result === null || Symbol.asyncIterator in result) return null;
  const { errors } = result as ExecutionResult;
  return errors && errors.length > 0 ? errors : null;
}

/**
 * The same codes Yoga gives these errors over HTTP (README's error table): `code` unless the error
 * already has its own (OPERATION_TOO_COMPLEX); Yoga's HTTP status hint means nothing on a socket.
 */
function coded(error: GraphQLError, code: ErrorCode): GraphQLError {
  const { http: _http, ...extensions } = error.extensions;
  return reissued(error, error.message, { ...extensions, code: extensions.code ?? code });
}
