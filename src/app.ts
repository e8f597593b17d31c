import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { Live } from './live/live.ts';
import { serveWebSocket } from './live/websocket.ts';
import { createLogger } from './observe/log.ts';
import { DomainMetrics } from './observe/metrics.ts';
import { redisAnswers } from './observe/ready.ts';
import type { Services } from './stock/services.ts';
import { gatePrefix, openRedis } from './app/redis.ts';
import { connect } from './app/connect.ts';
import { Shutdown } from './app/shutdown.ts';
import { startWorkers } from './app/workers.ts';
import { createStockgateYoga, type StockgateYoga } from './app/yoga.ts';

export { HTTP_DRAIN_TIMEOUT_MS, SHUTDOWN_TIMEOUT_MS } from './app/shutdown.ts';

/**
 * Connections waiting to be accepted (the kernel caps it at net.core.somaxconn). A flash sale opens
 * thousands at once; Node's default of 511 dropped the rest, which the clients saw as resets or as
 * connects retried seconds later.
 */
export const LISTEN_BACKLOG = 4_096;

export interface App {
  yoga: StockgateYoga;
  services: Services;
  live: Live;
  /** Serves graphql-ws on the server's GraphQL path too; call once the HTTP server exists (main.ts, tests). */
  attach(server: Server): void;
  /** Prometheus metrics of this app (src/observe/metrics.ts). */
  metrics: DomainMetrics;
  /**
   * Graceful shutdown (src/app/shutdown.ts): stops accepting, ends subscriptions, lets HTTP requests
   * under way finish (at most HTTP_DRAIN_TIMEOUT_MS), stops background work, writes what is queued
   * for the ledger, closes connections. Calling it again waits for the first call.
   */
  close(): Promise<void>;
}

/**
 * The whole service without a listening socket: main.ts listens, tests run it on port 0. In order:
 * connections (src/app/connect.ts), the services every request uses, live levels, background workers
 * (src/app/workers.ts), the shutdown that stops them all (src/app/shutdown.ts), and Yoga (src/app/yoga.ts).
 */
export function buildApp(config: Config, log: Logger = createLogger(config.LOG_LEVEL)): App {
  const connections = connect(config, log);
  const { prisma, redis, gate, ledger, replicas } = connections;
  const metrics = new DomainMetrics({
    prisma,
    breakerOpen: () => gate.breaker.fallingBack,
    subscriptions: () => live.subscriptions,
    redisAnswers: () => redisAnswers(redis),
    replicas: () => replicas?.status() ?? [],
  });
  ledger.observer = metrics.ledger;
  const services: Services = {
    prisma,
    gate,
    ledger,
    log,
    metrics,
    ...(replicas ? { replicas } : {}),
    databaseOnly: config.STOCKGATE_MODE === 'db-only',
    levelsChanged: (skuIds) => live.levelsChanged(skuIds),
  };
  const live = new Live(
    { openRedis: (options) => openRedis(config, options), prefix: gatePrefix(config), ratePerSecond: config.LIVE_RATE_PER_SECOND },
    services,
    log,
  );
  const workers = startWorkers(config, services, metrics, log, (skus) => live.oversold(skus));
  const shutdown = new Shutdown({ live, workers, connections, log });
  const context = { ...services, live };
  const yoga = createStockgateYoga({ config, context, metrics, redis, log, draining: () => shutdown.draining });
  return {
    yoga,
    services,
    live,
    metrics,
    attach: (server) => shutdown.track(server, serveWebSocket(server, yoga)),
    close: () => shutdown.close(),
  };
}
