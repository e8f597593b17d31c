import type { Server, ServerResponse } from 'node:http';
import net from 'node:net';
import { usePrometheus } from '@graphql-yoga/plugin-prometheus';
import { GraphQLError } from 'graphql';
import { createYoga, maskError, type YogaServerInstance } from 'graphql-yoga';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { identify } from './auth/scopes.ts';
import type { Config } from './config.ts';
import { createLedgerPool, createPrisma, isDatabaseUnavailable } from './db/client.ts';
import { Gate } from './gate/gate.ts';
import { GateKeys } from './gate/keys.ts';
import { defineGateCommands } from './gate/scripts.ts';
import { GROUP_COMMIT, LedgerWriter, PER_REQUEST } from './ledger/group-commit.ts';
import { MERGE_BATCH, mergeOnce } from './ledger/merge.ts';
import { every } from './ledger/periodic.ts';
import { bodyLimit } from './limits/body.ts';
import { operationLimits } from './limits/operations.ts';
import { Live } from './live/live.ts';
import {
  callerRateLimit,
  METRICS_PATH,
  metricsEndpoint,
  READY_PATH,
  readiness,
  readyEndpoint,
  refuseWhileDraining,
  requestIds,
} from './observe/http.ts';
import { createLogger } from './observe/log.ts';
import { DomainMetrics } from './observe/metrics.ts';
import { expectedMigrations, redisAnswers } from './observe/ready.ts';
import { servedPathsOnly, typedUnsupportedMediaType } from './observe/routes.ts';
import { TICKER_PATH, tickerPage } from './live/ticker.ts';
import { serveWebSocket, type WebSocketEndpoint } from './live/websocket.ts';
import type { Context } from './schema/builder.ts';
import { schema } from './schema/index.ts';
import { EXPIRY_BATCH, expireDue } from './stock/reservations.ts';
import type { Services } from './stock/services.ts';
import { unavailable } from './stock/unavailable.ts';
import { SWEEP_BATCH, sweepOutbox } from './sync/outbox.ts';
import { reconcile } from './sync/reconcile.ts';

/**
 * A Redis command that gets no answer in this time fails, so a hung Redis costs a request this much
 * and not the client's whole timeout.
 */
const REDIS_COMMAND_TIMEOUT_MS = 2_000;
/** How often due reservations are looked for: they expire within about this long of their deadline. */
const EXPIRY_INTERVAL_MS = 250;
/** How often leftover outbox rows are looked for; they only exist after a crash or a Redis outage. */
const OUTBOX_SWEEP_INTERVAL_MS = 1_000;
/** Retries ioredis may spend on one command across reconnects before failing it. */
const REDIS_MAX_RETRIES_PER_REQUEST = 2;
/**
 * How long a shutdown lets HTTP requests under way finish before cutting their connections: a deduct
 * takes milliseconds, and one stuck on a stalled PostgreSQL fails at the 5 s statement timeout.
 */
export const HTTP_DRAIN_TIMEOUT_MS = 5_000;
/**
 * How long a shutdown may take in all before the process exits anyway, with code 1 (src/main.ts): the
 * HTTP drain plus writing what is queued for the ledger and closing connections. An orchestrator's
 * grace period (Kubernetes: 30 s) should be longer. Units a cut-off request took at the gate are
 * settled by reconciliation on another instance (README, "Failure model").
 */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

export interface App {
  yoga: YogaServerInstance<Record<string, never>, Context>;
  services: Services;
  live: Live;
  /** Serves graphql-ws on the server's GraphQL path too; call once the HTTP server exists (main.ts, tests). */
  attach(server: Server): void;
  /** Prometheus metrics of this app (src/observe/metrics.ts). */
  metrics: DomainMetrics;
  /**
   * Graceful shutdown: stops accepting (new GraphQL requests on open connections are refused,
   * retryable; /ready turns 503), closes subscriptions (graphql-ws: 1001 Going Away), lets HTTP
   * requests under way finish (at most HTTP_DRAIN_TIMEOUT_MS), stops background work, writes what is
   * queued for the ledger, closes connections. Calling it again waits for the first call.
   */
  close(): Promise<void>;
}

/**
 * PostgreSQL unreachable (stopped, restarting, connections cut, statement timeout) is not a bug in the
 * request: it is answered TEMPORARILY_UNAVAILABLE, to be retried with the same idempotency key, and the
 * driver's details stay in the log.
 */
function databaseUnavailable(error: Error): GraphQLError | null {
  if (!(error instanceof GraphQLError) || !isDatabaseUnavailable(error.originalError)) return null;
  const retry = unavailable('the database is unreachable');
  return new GraphQLError(retry.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: retry.extensions,
  });
}

/**
 * Every error a client sees carries a stable extensions.code. Unexpected errors are masked by Yoga
 * (INTERNAL_SERVER_ERROR); the only GraphQL errors left without a code are graphql-js's own variable
 * coercion errors (a string or a non-integer where an Int goes), which are bad user input.
 */
function withCode(error: Error): Error {
  if (!(error instanceof GraphQLError) || error.extensions['code'] !== undefined) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...error.extensions, code: 'BAD_USER_INPUT' },
  });
}

/** The whole service without a listening socket: main.ts listens, tests run it on port 0. */
export function buildApp(config: Config, log: Logger = createLogger(config.LOG_LEVEL)): App {
  const prisma = createPrisma(config.DATABASE_URL);
  const redis = new Redis(config.REDIS_URL, {
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: REDIS_MAX_RETRIES_PER_REQUEST,
  });
  redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis connection error'));
  // Once connected, a command sent while the connection is down fails at once ("Stream isn't
  // writeable") instead of waiting in ioredis's offline queue for a reconnect, up to the command
  // timeout: the breaker sees a dead Redis after a few fast failures, and nothing that talks to Redis
  // directly waits either. Before the first connection the queue stays on, so start-up requests wait.
  redis.once('ready', () => {
    redis.options.enableOfflineQueue = false;
  });
  defineGateCommands(redis);
  const gate = new Gate(redis, new GateKeys(config.REDIS_PREFIX));
  // Settling runs after each batch without holding up its requests; a shutdown waits for it, so a
  // graceful stop leaves no in-flight entry for reconciliation to settle.
  const settling = new Set<Promise<unknown>>();
  const ledgerPool = createLedgerPool(config.DATABASE_URL);
  ledgerPool.on('error', (err) => log.warn({ err: err.message }, 'idle ledger connection lost'));
  const ledger = new LedgerWriter(
    ledgerPool,
    (gateIds) => {
      if (gateIds.length === 0) return;
      const settled = gate
        .settle(gateIds)
        .catch((err: unknown) => log.warn({ err }, 'could not settle in-flight entries; reconciliation will'));
      settling.add(settled);
      void settled.finally(() => settling.delete(settled));
    },
    config.STOCKGATE_MODE === 'per-request' ? PER_REQUEST : GROUP_COMMIT,
  );
  const metrics = new DomainMetrics({
    prisma,
    breakerOpen: () => gate.breaker.fallingBack,
    subscriptions: () => live.subscriptions,
    redisAnswers: () => redisAnswers(redis),
  });
  ledger.observer = metrics.ledger;
  const services: Services = {
    prisma,
    gate,
    ledger,
    log,
    metrics,
    databaseOnly: config.STOCKGATE_MODE === 'db-only',
    levelsChanged: (skuIds) => live.levelsChanged(skuIds),
  };
  const live = new Live(
    { redisUrl: config.REDIS_URL, prefix: config.REDIS_PREFIX, ratePerSecond: config.LIVE_RATE_PER_SECOND },
    services,
    log,
  );
  const context: Omit<Context, 'caller'> = { ...services, live };
  const sockets: WebSocketEndpoint[] = [];
  const servers: Server[] = [];
  const http = new InFlightRequests();
  let draining = false;
  let closing: Promise<void> | null = null;
  const migrations = expectedMigrations();
  const background = [
    every('merge', config.MERGE_INTERVAL_MS, log, async () => (await mergeOnce(prisma)) === MERGE_BATCH),
    every('expiry', EXPIRY_INTERVAL_MS, log, async () => (await expireDue(services)) === EXPIRY_BATCH),
    every('reconcile', config.RECONCILE_INTERVAL_MS, log, async () => {
      const report = await reconcile(gate, prisma, Date.now(), config.INFLIGHT_DEADLINE_MS);
      metrics.reconciled(report);
      if (report.settled > 0) log.warn(report, 'reconciliation settled stale in-flight takes');
      return false;
    }),
    every('outbox', OUTBOX_SWEEP_INTERVAL_MS, log, async () => {
      const swept = await sweepOutbox(services);
      metrics.swept(swept);
      return swept === SWEEP_BATCH;
    }),
  ];

  const yoga = createYoga<Record<string, never>, Context>({
    schema,
    // A context per request: scope-auth caches its checks on it, so no request may share another's.
    context: (initial) => ({ ...context, caller: identify(config.STOCKGATE_API_KEYS, initial) }),
    // GraphiQL cannot work without introspection.
    graphiql: config.GRAPHQL_INTROSPECTION ? { title: 'stockgate', subscriptionsProtocol: 'WS' } : false,
    // One operation per request (Yoga's default, stated): a batch would multiply every limit by its length.
    batching: false,
    plugins: [
      // First, so the request id is set (and logged) for everything after it.
      requestIds(log),
      // Before the plugins that guard GraphQL by its exact path, so no other spelling gets past them.
      servedPathsOnly({ graphql: GRAPHQL_ENDPOINT, served: isServedPath }),
      typedUnsupportedMediaType(),
      refuseWhileDraining({ draining: () => draining, endpoint: GRAPHQL_ENDPOINT }),
      readyEndpoint(() => readiness({ prisma, redis, migrations, draining }), log),
      metricsEndpoint(metrics),
      // Operation names are the client's to choose: as label values they would grow without bound.
      usePrometheus({
        registry: metrics.registry,
        endpoint: false,
        labels: { url: false, operationName: false },
        metrics: PROMETHEUS_METRICS,
      }),
      ...(config.RATE_LIMIT_PER_MINUTE > 0
        ? [
            callerRateLimit({
              gate,
              perMinute: config.RATE_LIMIT_PER_MINUTE,
              endpoint: GRAPHQL_ENDPOINT,
              metrics,
              log,
              // With no keys configured everyone is the same open caller: count them by address instead.
              keyOf: (request) =>
                config.STOCKGATE_API_KEYS.open ? null : (identify(config.STOCKGATE_API_KEYS, { request })?.name ?? null),
            }),
          ]
        : []),
      bodyLimit(),
      ...operationLimits({ introspection: config.GRAPHQL_INTROSPECTION }),
      tickerPage(),
    ],
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

  return {
    yoga,
    services,
    live,
    metrics,
    attach(server) {
      servers.push(server);
      http.track(server);
      sockets.push(serveWebSocket(server, yoga));
    },
    close() {
      closing ??= (async () => {
        draining = true;
        // No new connections. Open ones stay for now: a request arriving on one is answered (refused,
        // retryable) and every response closes its connection, rather than a client's request being
        // cut off in the race with closing an idle kept-alive socket (what http.Server.close() does).
        for (const server of servers) net.Server.prototype.close.call(server);
        // Subscriptions never finish by themselves: end them first (SSE responses complete, graphql-ws
        // sockets close with 1001), so the drain waits only for requests that do.
        live.endSubscriptions();
        await Promise.all(sockets.map((s) => s.close()));
        if (!(await http.drained(HTTP_DRAIN_TIMEOUT_MS))) {
          log.warn({ requests: http.count }, `requests still running after ${HTTP_DRAIN_TIMEOUT_MS} ms of shutdown; cutting them off`);
        }
        for (const server of servers) {
          server.closeAllConnections();
          server.close();
        }
        await Promise.all(background.map((b) => b.stop()));
        // Requests are done; what they queued for the ledger is written before the pool closes.
        await ledger.drained();
        await Promise.all(settling);
        await live.close();
        gate.breaker.shutdown();
        redis.disconnect();
        await ledgerPool.end();
        await prisma.$disconnect();
      })();
      return closing;
    },
  };
}

/** The GraphQL path (Yoga's default, named for the plugins that only guard it). */
const GRAPHQL_ENDPOINT = '/graphql';

/** The paths besides GraphQL's that this service answers: every other one is 404 (src/observe/routes.ts). */
const isServedPath = (pathname: string): boolean =>
  pathname === READY_PATH || pathname === METRICS_PATH || pathname === TICKER_PATH || pathname.startsWith(`${TICKER_PATH}/`);

/**
 * Yoga's GraphQL metrics kept: operation counts, durations and errors by phase. Left out: the
 * deprecated-field walk (no field is deprecated, and it visits every document), the summary, which
 * duplicates the duration histogram at a higher cost, and schema changes (the schema is built once).
 */
const PROMETHEUS_METRICS = {
  graphql_envelop_deprecated_field: false,
  graphql_envelop_request_time_summary: false,
  graphql_envelop_schema_change: false,
};

/** HTTP requests being served by the attached servers, for the shutdown's drain. */
class InFlightRequests {
  count = 0;
  private readonly idle = new Set<() => void>();

  track(server: Server): void {
    server.on('request', (_req, res: ServerResponse) => {
      this.count++;
      // 'close' comes once the response is out or its connection is gone, whichever is first.
      res.once('close', () => {
        if (--this.count > 0) return;
        for (const done of this.idle) done();
        this.idle.clear();
      });
    });
  }

  /** Whether every request finished within `timeoutMs`. */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.idle.delete(done);
        resolve(false);
      }, timeoutMs);
      this.idle.add(done);
    });
  }
}
