import { createServer } from 'node:http';
import type { Logger } from 'pino';
import { buildApp, HTTP_DRAIN_TIMEOUT_MS, LISTEN_BACKLOG, SHUTDOWN_TIMEOUT_MS } from './app.ts';
import { isWorkerProcess, joinWorkerProcesses, superviseWorkerProcesses } from './app/processes.ts';
import { createLogger } from './observe/log.ts';
import { loadConfigOrExit, withoutPassword, type Config } from './config.ts';
import { openRedis, redisAddress } from './app/redis.ts';
import pg from 'pg';
import { deployMigrations, MigrateError } from './db/migrate.ts';

/** How long start-up waits for PostgreSQL or Redis to answer before saying it cannot reach them. */
const REACH_TIMEOUT_MS = 3_000;

const HOW_TO_START = {
  PostgreSQL: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  Redis: 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
};

function unreachable(service: keyof typeof HOW_TO_START, where: string, err: unknown): never {
  const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
  console.error(`stockgate: cannot reach ${service} at ${where} (${why}). Start it with: ${HOW_TO_START[service]}`);
  process.exit(1);
}

async function reachRedis(config: Config): Promise<void> {
  const probe = openRedis(config, {
    lazyConnect: true,
    connectTimeout: REACH_TIMEOUT_MS,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    unreachable('Redis', redisAddress(config), err);
  } finally {
    probe.disconnect();
  }
}

/** A missing database still proves the server is there: deploy creates it. */
const PG_INVALID_CATALOG_NAME = '3D000';

async function reachPostgres(config: Config): Promise<void> {
  const probe = new pg.Client({ connectionString: config.DATABASE_URL, connectionTimeoutMillis: REACH_TIMEOUT_MS });
  try {
    await probe.connect();
  } catch (err) {
    if ((err as { code?: string }).code !== PG_INVALID_CATALOG_NAME) unreachable('PostgreSQL', withoutPassword(config.DATABASE_URL), err);
  } finally {
    await probe.end().catch(() => {});
  }
}

/**
 * The start-up checks that run once, in the single process or the primary before it forks: the
 * open-API warning, PostgreSQL and Redis reachable, migrations applied.
 */
async function prepare(config: Config, log: Logger): Promise<void> {
  if (config.STOCKGATE_API_KEYS.open) {
    // Loud on purpose: fine on a laptop, a hole anywhere else (NODE_ENV=production refuses it in config.ts).
    log.warn(
      'NO API KEYS CONFIGURED (STOCKGATE_API_KEYS is empty): the API is OPEN and every caller is admin. Set keys before exposing this service.',
    );
  }
  await reachRedis(config);
  await reachPostgres(config);
  try {
    const { applied } = await deployMigrations(config.DATABASE_URL);
    if (applied.length > 0) log.info({ applied }, 'migrations applied');
  } catch (err) {
    if (!(err instanceof MigrateError)) throw err;
    console.error(`stockgate: ${err.message}`);
    process.exit(1);
  }
}

/** The whole service on PORT, until SIGTERM or SIGINT: the single process, or one worker process of several. */
function serve(config: Config, log: Logger): void {
  const app = buildApp(config, log);
  if (isWorkerProcess()) joinWorkerProcesses(app.metrics);
  const server = createServer((req, res) => void app.yoga(req, res));
  app.attach(server);
  server.listen({ port: config.PORT, backlog: LISTEN_BACKLOG }, () => {
    log.info(`stockgate listening: GraphiQL at http://localhost:${config.PORT}${app.yoga.graphqlEndpoint}`);
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const started = performance.now();
    log.info({ signal, drainMs: HTTP_DRAIN_TIMEOUT_MS, limitMs: SHUTDOWN_TIMEOUT_MS }, 'shutting down');
    setTimeout(() => {
      log.error(`shutdown took over ${SHUTDOWN_TIMEOUT_MS} ms; exiting anyway`);
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    try {
      await app.close();
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
    log.info({ ms: Math.round(performance.now() - started) }, 'shut down');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config.LOG_LEVEL);
  // A worker process: the primary made the checks (src/app/processes.ts).
  if (isWorkerProcess()) return serve(config, log);
  await prepare(config, log);
  if (config.WEB_CONCURRENCY === 1) return serve(config, log);
  const code = await superviseWorkerProcesses({ count: config.WEB_CONCURRENCY, log, shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS });
  process.exit(code);
}

await main();
