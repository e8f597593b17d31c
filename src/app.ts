import type { Server } from 'node:http';
import { GraphQLError } from 'graphql';
import { createYoga, maskError, type YogaServerInstance } from 'graphql-yoga';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { identify } from './auth/scopes.ts';
import type { Config } from './config.ts';
import { createPrisma, isDatabaseUnavailable } from './db/client.ts';
import { Gate } from './gate/gate.ts';
import { reconcile } from './gate/reconcile.ts';
import { GateKeys } from './gate/keys.ts';
import { defineGateCommands } from './gate/scripts.ts';
import { GROUP_COMMIT, LedgerWriter, PER_REQUEST } from './ledger/group-commit.ts';
import { MERGE_BATCH, mergeOnce } from './ledger/merge.ts';
import { SWEEP_BATCH, sweepOutbox } from './ledger/outbox.ts';
import { every } from './ledger/periodic.ts';
import { bodyLimit } from './limits/body.ts';
import { operationLimits } from './limits/operations.ts';
import { Live } from './live/live.ts';
import { tickerPage } from './live/ticker.ts';
import { serveWebSocket, type WebSocketEndpoint } from './live/websocket.ts';
import type { Context } from './schema/builder.ts';
import { schema } from './schema/index.ts';
import { EXPIRY_BATCH, expireDue } from './stock/reservations.ts';
import type { Services } from './stock/services.ts';
import { unavailable } from './stock/unavailable.ts';

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

export interface App {
  yoga: YogaServerInstance<Record<string, never>, Context>;
  services: Services;
  live: Live;
  /** Serves graphql-ws on the server's GraphQL path too; call once the HTTP server exists (main.ts, tests). */
  attach(server: Server): void;
  /** Stops background work, writes what is queued for the ledger, closes connections. */
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
export function buildApp(config: Config, log: Logger = pino({ level: config.LOG_LEVEL })): App {
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
  const ledger = new LedgerWriter(
    prisma,
    (gateIds) => {
      if (gateIds.length === 0) return;
      gate.settle(gateIds).catch((err: unknown) => log.warn({ err }, 'could not settle in-flight entries; reconciliation will'));
    },
    config.STOCKGATE_MODE === 'per-request' ? PER_REQUEST : GROUP_COMMIT,
  );
  const services: Services = {
    prisma,
    gate,
    ledger,
    log,
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
  const background = [
    every('merge', config.MERGE_INTERVAL_MS, log, async () => (await mergeOnce(prisma)) === MERGE_BATCH),
    every('expiry', EXPIRY_INTERVAL_MS, log, async () => (await expireDue(services)) === EXPIRY_BATCH),
    every('reconcile', config.RECONCILE_INTERVAL_MS, log, async () => {
      const report = await reconcile(gate, prisma, Date.now(), config.INFLIGHT_DEADLINE_MS);
      if (report.settled > 0) log.warn(report, 'reconciliation settled stale in-flight takes');
      return false;
    }),
    every('outbox', OUTBOX_SWEEP_INTERVAL_MS, log, async () => (await sweepOutbox(services)) === SWEEP_BATCH),
  ];

  const yoga = createYoga<Record<string, never>, Context>({
    schema,
    // A context per request: scope-auth caches its checks on it, so no request may share another's.
    context: (initial) => ({ ...context, caller: identify(config.STOCKGATE_API_KEYS, initial) }),
    // GraphiQL cannot work without introspection.
    graphiql: config.GRAPHQL_INTROSPECTION ? { title: 'stockgate', subscriptionsProtocol: 'WS' } : false,
    // One operation per request (Yoga's default, stated): a batch would multiply every limit by its length.
    batching: false,
    plugins: [bodyLimit(), ...operationLimits({ introspection: config.GRAPHQL_INTROSPECTION }), tickerPage()],
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
    attach(server) {
      sockets.push(serveWebSocket(server, yoga));
    },
    async close() {
      await Promise.all(sockets.map((s) => s.close()));
      await Promise.all(background.map((b) => b.stop()));
      await ledger.drained();
      await live.close();
      gate.breaker.shutdown();
      redis.disconnect();
      await prisma.$disconnect();
    },
  };
}
