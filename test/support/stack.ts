import { afterAll, beforeAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { buildApp, type App } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { deployMigrations, dropDatabase } from '../../src/db/migrate.ts';

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

async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
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
  gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<{ data?: T; errors?: any[] }>;
  stop(): Promise<void>;
}

/** The real app on an ephemeral port, over HTTP. */
export async function serve(ns: Namespace, env: Record<string, string> = {}): Promise<Running> {
  const config = loadConfig({
    DATABASE_URL: ns.databaseUrl,
    REDIS_URL: ns.redisUrl,
    REDIS_PREFIX: ns.prefix,
    PORT: '0',
    MERGE_INTERVAL_MS: '50',
    ...env,
  });
  const app = buildApp(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
  const server: Server = createServer(app.yoga);
  app.attach(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  return {
    app,
    server,
    url,
    config,
    async gql(query, variables) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as { data?: any; errors?: any[] };
    },
    async stop() {
      server.closeAllConnections();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Upgraded (WebSocket) connections keep the server open until the app ends them.
      await app.close();
      await closed;
    },
  };
}

/** One app on a namespace of its own for a whole test file: started before its tests, gone after them. */
export function useStack(env: Record<string, string> = {}): { ns: Namespace; svc: Running } {
  const stack = {} as { ns: Namespace; svc: Running };
  beforeAll(async () => {
    stack.ns = await namespace();
    stack.svc = await serve(stack.ns, env);
  });
  afterAll(async () => {
    await stack.svc?.stop();
    await stack.ns?.drop();
  });
  return stack;
}
