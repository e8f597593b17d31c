import { usePrometheus } from '@graphql-yoga/plugin-prometheus';
import { GraphQLError } from 'graphql';
import { createYoga, maskError, type GraphiQLOptions, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { RedisClient } from '../gate/gate.ts';
import type { Logger } from 'pino';
import { identify } from '../auth/scopes.ts';
import type { Config } from '../config.ts';
import { isDatabaseUnavailable } from '../db/client.ts';
import { reissued, unavailable } from '../errors.ts';
import { useBodyLimit } from '../limits/body.ts';
import { operationLimits } from '../limits/operations.ts';
import { useCallerRateLimit } from '../limits/use-caller-rate-limit.ts';
import { TICKER_PATH, tickerPage } from '../live/ticker.ts';
import type { DomainMetrics } from '../observe/metrics.ts';
import { expectedMigrations, readiness } from '../observe/ready.ts';
import { METRICS_PATH, useMetricsEndpoint } from '../observe/use-metrics-endpoint.ts';
import { READY_PATH, useReadiness } from '../observe/use-readiness.ts';
import { useRequestId } from '../observe/use-request-id.ts';
import type { Context } from '../schema/builder.ts';
import { schema } from '../schema/index.ts';
import { useCompiledExecution } from './use-compiled-execution.ts';
import { useDrain } from './use-drain.ts';
import { useServedPaths } from './use-served-paths.ts';
import { useTypedMediaType } from './use-typed-media-type.ts';

export type StockgateYoga = YogaServerInstance<Record<string, never>, Context>;

/** The GraphQL path (Yoga's default, named for the plugins that only guard it). */
const GRAPHQL_ENDPOINT = '/graphql';

/** The paths besides GraphQL's that this service answers: every other one is 404 (use-served-paths.ts). */
const isServedPath = (pathname: string): boolean =>
  pathname === READY_PATH || pathname === METRICS_PATH || pathname === TICKER_PATH || pathname.startsWith(`${TICKER_PATH}/`);

/**
 * Yoga's GraphQL metrics kept: operation counts and durations, the execute and subscribe phases, and
 * errors by phase. Left out: the parse, validate and context phases (each a histogram observation with
 * its labels worked out on every request, for phases whose cost only grows with the document, which the
 * operation limits bound, and which Yoga's parse and validation caches skip for a repeated document),
 * the deprecated-field walk (no field is deprecated, and it visits every
 * document), the summary, which duplicates the duration histogram at a higher cost, and schema changes
 * (the schema is built once).
 */
const PROMETHEUS_METRICS = {
  graphql_envelop_phase_parse: false,
  graphql_envelop_phase_validate: false,
  graphql_envelop_phase_context: false,
  graphql_envelop_deprecated_field: false,
  graphql_envelop_request_time_summary: false,
  graphql_envelop_schema_change: false,
};

export interface YogaParts {
  config: Config;
  /** What every request's context holds besides its caller. */
  context: Omit<Context, 'caller'>;
  metrics: DomainMetrics;
  /** For /ready's Redis check. */
  redis: RedisClient;
  log: Logger;
  /** Whether the server is shutting down (src/app/shutdown.ts). */
  draining: () => boolean;
}

/** The HTTP and GraphQL server: schema, context, plugins and error masking; no socket. */
export function createStockgateYoga(parts: YogaParts): StockgateYoga {
  const { config, context, log } = parts;
  return createYoga<Record<string, never>, Context>({
    schema,
    // A context per request: scope-auth caches its checks on it, so no request may share another's.
    context: (initial) => ({ ...context, caller: identify(config.STOCKGATE_API_KEYS, initial) }),
    // GraphiQL cannot work without introspection.
    graphiql: config.GRAPHQL_INTROSPECTION ? { title: 'stockgate', subscriptionsProtocol: 'WS' } : false,
    renderGraphiQL: graphiqlPage(),
    // One operation per request (Yoga's default, stated): a batch would multiply every limit by its length.
    batching: false,
    // The body limit is useBodyLimit's (src/limits/body.ts), checked before anything reads the body:
    // Yoga's own (25 MB) pipes every body through a stream that counts it, which cost about 8 % of the
    // server's CPU per request in a profile, even with a Content-Length that says the size up front.
    maxRequestBodySize: false,
    plugins: plugins(parts),
    maskedErrors: {
      maskError: (error, message, isDev) => {
        const retry = databaseUnavailable(error as Error);
        if (!retry) return withCode(maskError(error, message, isDev));
        log.warn({ err: (error as GraphQLError).originalError }, 'database unreachable; answered TEMPORARILY_UNAVAILABLE');
        return retry;
      },
    },
    logging: log,
  });
}

/**
 * GraphiQL's page from the installed @graphql-yoga/render-graphiql: its script, stylesheet, editor
 * workers and favicon are inlined in the HTML, so the playground loads nothing from another origin and
 * works with no internet access (Yoga's own page loads them from a CDN). The bundle (9 MB, half a
 * second to load) is imported when the page is first asked for, never at startup nor with introspection
 * off; the page, whose options are fixed above, is rendered once.
 */
function graphiqlPage(): (options: GraphiQLOptions) => Promise<string> {
  let page: Promise<string> | undefined;
  return (options) => (page ??= import('@graphql-yoga/render-graphiql').then(({ renderGraphiQL }) => renderGraphiQL(options)));
}

/** The plugins, in the order they must run. */
function plugins({ config, context, metrics, redis, log, draining }: YogaParts): Plugin[] {
  const migrations = expectedMigrations();
  const keys = config.STOCKGATE_API_KEYS;
  return [
    // First, so the request id is set (and logged) for everything after it.
    useRequestId({ log }),
    // Before the plugins that guard GraphQL by its exact path, so no other spelling gets past them.
    useServedPaths({ graphql: GRAPHQL_ENDPOINT, served: isServedPath }),
    useTypedMediaType(),
    useDrain({ draining, endpoint: GRAPHQL_ENDPOINT }),
    useReadiness({
      check: () => readiness({ prisma: context.prisma, redis, migrations, draining: draining(), replicas: context.replicas?.status() }),
      log,
    }),
    useMetricsEndpoint({ metrics }),
    // Operation names are the client's to choose: as label values they would grow without bound.
    usePrometheus({
      registry: metrics.registry,
      endpoint: false,
      labels: { url: false, operationName: false },
      metrics: PROMETHEUS_METRICS,
    }),
    ...(config.RATE_LIMIT_PER_MINUTE > 0
      ? [
          useCallerRateLimit({
            gate: context.gate,
            perMinute: config.RATE_LIMIT_PER_MINUTE,
            endpoint: GRAPHQL_ENDPOINT,
            metrics,
            log,
            // With no keys configured everyone is the same open caller: count them by address instead.
            keyOf: (request) => (keys.open ? null : (identify(keys, { request })?.name ?? null)),
          }),
        ]
      : []),
    useBodyLimit(),
    ...operationLimits({ introspection: config.GRAPHQL_INTROSPECTION }),
    tickerPage(),
    // Last: it only swaps the execute function the plugins above wrap.
    useCompiledExecution(),
  ];
}

/**
 * PostgreSQL unreachable (stopped, restarting, connections cut) or too busy (statement timeout, no pool
 * connection in time, deadlocks lost on every run) is not a bug in the request: it is answered
 * TEMPORARILY_UNAVAILABLE, to be retried with the same idempotency key, and the driver's details stay
 * in the log.
 */
function databaseUnavailable(error: Error): GraphQLError | null {
  if (!(error instanceof GraphQLError) || !isDatabaseUnavailable(error.originalError)) return null;
  const retry = unavailable('the database is unreachable or too busy');
  return reissued(error, retry.message, retry.extensions);
}

/**
 * Every error a client sees carries a stable extensions.code. Unexpected errors are masked by Yoga
 * (INTERNAL_SERVER_ERROR); the only GraphQL errors left without a code are graphql-js's own variable
 * coercion errors (a string or a non-integer where an Int goes), which are bad user input.
 */
function withCode(error: Error): Error {
  // extensions may be missing: graphql-jit's errors (src/app/use-compiled-execution.ts) leave it undefined.
  if (!(error instanceof GraphQLError) || error.extensions?.code !== undefined) return error;
  return reissued(error, error.message, { ...error.extensions, code: 'BAD_USER_INPUT' });
}
