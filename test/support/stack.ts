import { afterAll, beforeAll, inject } from 'vitest';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { buildApp, LISTEN_BACKLOG, type App } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { deployMigrations, dropDatabase } from '../../src/db/migrate.ts';
import { Client, gqlAt, type Result, type Variables } from './client.ts';
import { OwnRedis } from './redis-server.ts';

/** The machine's shared services; tests only ever use their own database and key prefix on them. */
const PG_BASE = process.env.TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432';
const SHARED_REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Keys deleted per SCAN step during cleanup. */
const CLEANUP_SCAN_COUNT = 1_000;

/** A database and Redis namespace of this test file alone. */
export interface Namespace {
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  drop(): Promise<void>;
}

export async function namespace(redisUrl = SHARED_REDIS): Promise<Namespace> {
  const id = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const databaseUrl = `${PG_BASE}/stockgate_test_${id}`;
  const prefix = `sgtest:${id}:`;
  await deployMigrations(databaseUrl);
  return {
    databaseUrl,
    redisUrl,
    prefix,
    async drop() {
      await deleteKeys(redisUrl, prefix);
      await dropDatabase(databaseUrl);
    },
  };
}

export async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', CLEANUP_SCAN_COUNT);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch {
    // A test-owned Redis may already be gone; its keys went with it.
  } finally {
    redis.disconnect();
  }
}

export interface Running {
  app: App;
  /** The HTTP server it listens on (WebSocket connections included in its connection count). */
  server: Server;
  url: string;
  config: Config;
  /** POSTs one GraphQL operation and returns the parsed body. */
  gql<T = any>(query: string, variables?: Variables): Promise<Result<T>>;
  /** The typed client of this app. */
  api: Client;
  stop(): Promise<void>;
}

/** The whole suite over a sharded gate on one Redis: TEST_GATE_SHARDS=4 npm test (src/gate/keys.ts). */
export const gateShardsEnv = (): Record<string, string> =>
  process.env.TEST_GATE_SHARDS ? { GATE_SHARDS: process.env.TEST_GATE_SHARDS } : {};

/** In the test project "Redis Cluster" (test/support/cluster-setup.ts): its cluster, instead of one Redis. */
const onCluster = (): Record<string, string> => {
  const nodes = inject('redisClusterNodes');
  return nodes ? { REDIS_CLUSTER_NODES: nodes } : {};
};

/** The real app on an ephemeral port, over HTTP. */
export async function serve(ns: Namespace, env: Record<string, string> = {}): Promise<Running> {
  const config = loadConfig({
    DATABASE_URL: ns.databaseUrl,
    REDIS_URL: ns.redisUrl,
    REDIS_PREFIX: ns.prefix,
    PORT: '0',
    MERGE_INTERVAL_MS: '50',
    ...gateShardsEnv(),
    ...onCluster(),
    ...env,
  });
  const app = buildApp(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
  const server: Server = createServer((req, res) => void app.yoga(req, res));
  app.attach(server);
  server.listen({ port: 0, host: '127.0.0.1', backlog: LISTEN_BACKLOG });
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  /** Stopping twice (a test's own stop, then the stack's) stops once. */
  let stopped: Promise<void> | undefined;
  return {
    app,
    server,
    url,
    config,
    gql: (query, variables) => gqlAt(url, query, variables),
    api: new Client(url),
    stop() {
      stopped ??= (async () => {
        server.closeAllConnections();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Upgraded (WebSocket) connections keep the server open until the app ends them.
        await app.close();
        await closed;
      })();
      return stopped;
    },
  };
}

/**
 * App settings for tests that time their own steps against the ledger or the gate: the workers that
 * would step in (the reconciler, whose pass also runs the replay filter's keeper, and the merge, which
 * locks SKU rows) at their slowest, once a minute, first a minute after the app starts.
 */
export const QUIET_WORKERS = { RECONCILE_INTERVAL_MS: '60000', MERGE_INTERVAL_MS: '60000' };

export interface StackOptions {
  /** Settings of the app, over serve()'s. */
  env?: Record<string, string>;
  /** A redis-server of the file's own (`redis`), free to flush, kill and restart, instead of the shared one. */
  ownRedis?: boolean;
}

/** A namespace of its own for a test file (or a describe block), made before its tests and gone after them. */
export interface Space {
  ns: Namespace;
  /** The file's own redis-server, with `ownRedis` (undefined otherwise). */
  redis: OwnRedis;
}

export function useNamespace(options: Pick<StackOptions, 'ownRedis'> = {}): Space {
  const space = {} as Space;
  beforeAll(async () => {
    if (options.ownRedis) space.redis = await OwnRedis.start();
    space.ns = await namespace(space.redis?.url);
  });
  afterAll(async () => {
    await space.ns?.drop();
    await space.redis?.stop();
  });
  return space;
}

export interface Stack extends Space {
  /** The app; a test may replace it (a restart), and the stack stops whichever runs at the end. */
  svc: Running;
  /** The typed client of whichever app `svc` is when it sends. */
  api: Client;
  /** Another app on the same namespace (a second instance), stopped with the stack unless the test stops it first. */
  serve(env?: Record<string, string>): Promise<Running>;
}

/**
 * The real app on a namespace of its own for a whole test file (or a describe block): started before
 * its tests, gone after them, with every other instance the tests started on it.
 */
export function useStack(options: StackOptions = {}): Stack {
  const others: Running[] = [];
  const stack = useNamespace(options) as Stack;
  stack.api = new Client(() => stack.svc);
  stack.serve = async (env = {}) => {
    const other = await serve(stack.ns, env);
    others.push(other);
    return other;
  };
  beforeAll(async () => {
    stack.svc = await serve(stack.ns, options.env);
  });
  afterAll(async () => {
    for (const other of others) await other.stop();
    await stack.svc?.stop();
  });
  return stack;
}
