import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { createLedgerPool, createPrisma, type PrismaClient } from '../db/client.ts';
import { ReadReplicas } from '../db/replicas.ts';
import { Gate, type RedisClient } from '../gate/gate.ts';
import { defineGateCommands } from '../gate/scripts.ts';
import { groupCommit, LedgerWriter, PER_REQUEST, type LedgerEntry } from '../ledger/group-commit.ts';
import { gateKeys, openRedis } from './redis.ts';

/**
 * A Redis command that gets no answer in this time fails, so a hung Redis costs a request this much
 * and not the client's whole timeout.
 */
const REDIS_COMMAND_TIMEOUT_MS = 2_000;
/** Retries ioredis may spend on one command across reconnects before failing it. */
const REDIS_MAX_RETRIES_PER_REQUEST = 2;

/** What the service talks to: PostgreSQL (Prisma, and the ledger writer's own pool) and the Redis gate. */
export interface Connections {
  prisma: PrismaClient;
  redis: RedisClient;
  gate: Gate;
  ledger: LedgerWriter;
  /** The read replicas (DATABASE_REPLICA_URLS), measured from the start; absent without them. */
  replicas?: ReadReplicas;
  /**
   * Writes what is queued for the ledger, then waits for the takes it committed to be settled at the
   * gate, so a graceful stop leaves no in-flight entry for reconciliation to settle.
   */
  flush(): Promise<void>;
  /** Stops the breaker's probes and closes every connection; flush() first. */
  close(): Promise<void>;
}

/** Opens the connections (lazily: nothing is awaited), with errors on idle ones logged, not thrown. */
export function connect(config: Config, log: Logger): Connections {
  const prisma = createPrisma(config.DATABASE_URL);
  const redis = connectRedis(config, log);
  const gate = new Gate(redis, gateKeys(config), config.IDEMPOTENCY_RECORD_SECONDS);
  redis.on('ready', () => gate.reconnected());
  const ledgerPool = createLedgerPool(config.DATABASE_URL);
  ledgerPool.on('error', (err) => log.warn({ err: err.message }, 'idle ledger connection lost'));
  // Settling runs after each batch without holding up its requests; flush() waits for it.
  const settling = new Set<Promise<unknown>>();
  const settleAfterCommit = (committed: LedgerEntry[]) => {
    if (committed.length === 0) return;
    const settled = gate
      .settle(
        committed.map(({ gateId, kind, idempotencyKey, lines }) => ({ gateId, kind, idempotencyKey, skuIds: lines.map((l) => l.skuId) })),
      )
      .catch((err: unknown) => log.warn({ err }, 'could not settle in-flight entries; reconciliation will'));
    settling.add(settled);
    void settled.finally(() => settling.delete(settled));
  };
  const ledger = new LedgerWriter(
    ledgerPool,
    settleAfterCommit,
    config.STOCKGATE_MODE === 'per-request' ? PER_REQUEST : groupCommit(config.WEB_CONCURRENCY),
  );
  const replicas =
    config.DATABASE_REPLICA_URLS.length > 0
      ? new ReadReplicas(
          prisma,
          { urls: config.DATABASE_REPLICA_URLS, maxLagMs: config.REPLICA_MAX_LAG_MS, checkMs: config.REPLICA_CHECK_MS },
          log,
        )
      : undefined;
  replicas?.start();
  return {
    prisma,
    redis,
    gate,
    ledger,
    ...(replicas ? { replicas } : {}),
    async flush() {
      await ledger.drained();
      await Promise.all(settling);
    },
    async close() {
      gate.breaker.shutdown();
      redis.disconnect();
      await ledgerPool.end();
      await replicas?.stop();
      await prisma.$disconnect();
    },
  };
}

function connectRedis(config: Config, log: Logger): RedisClient {
  const redis = openRedis(config, {
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
  return redis;
}
