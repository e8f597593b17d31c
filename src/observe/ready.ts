import type { ReplicaState, ReplicaStatus } from '../db/replicas.ts';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RedisClient } from '../gate/gate.ts';
import type { PrismaClient } from '../db/client.ts';

/** prisma/migrations: what this build expects the database to have applied. */
const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'prisma', 'migrations');

/**
 * A check that has not answered in this time counts as failed: a readiness probe must answer within
 * its own timeout (set it above this), and a service that slow is not ready to take traffic either.
 */
export const READY_CHECK_TIMEOUT_MS = 2_000;

export type ReadinessCheck = 'postgres' | 'redis' | 'migrations' | 'shutdown';

/**
 * Checks this instance can serve without: with Redis down, deducts and reserves go through PostgreSQL
 * alone (src/stock/fallback.ts), slower and unthrottled but correct. Ready means "send me traffic", so
 * a failing one of these makes the instance degraded, not unready: were it unready, a load balancer
 * would pull every instance at once during a Redis outage, and the fallback would serve no one.
 */
const DEGRADING: readonly ReadinessCheck[] = ['redis'];

export interface Readiness {
  ready: boolean;
  /** Every check with "ok" or what is wrong; no connection details (the endpoint is unauthenticated). */
  checks: Partial<Record<ReadinessCheck, string>>;
  /** The checks that failed and keep the instance from serving. */
  notReady: ReadinessCheck[];
  /** The checks that failed that it serves without, more slowly; absent when none did. */
  degraded?: ReadinessCheck[];
  /**
   * The read replicas (DATABASE_REPLICA_URLS), numbered in their order there, each's state and lag:
   * reported, never failing readiness (their reads fall back to the primary). Absent without replicas.
   */
  replicas?: { replica: number; state: ReplicaState; lagMs: number | null }[];
}

/** The migrations this build ships, by directory name, as _prisma_migrations names them. */
export function expectedMigrations(dir = MIGRATIONS_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

function within<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${READY_CHECK_TIMEOUT_MS} ms`)), READY_CHECK_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Whether Redis answers a PING within READY_CHECK_TIMEOUT_MS: /ready's check, and the degraded gauge's. */
export async function redisAnswers(redis: RedisClient): Promise<boolean> {
  return within(redis.ping()).then(
    () => true,
    () => false,
  );
}

/**
 * Whether this instance can serve: PostgreSQL answers, every migration this build ships is applied
 * (deploy runs them at start; an instance of a newer build against an older schema is not ready), and
 * it is not shutting down. Redis not answering leaves it ready but degraded (DEGRADING).
 */
export async function readiness(deps: {
  prisma: PrismaClient;
  redis: RedisClient;
  migrations: string[];
  draining: boolean;
  replicas?: ReplicaStatus[];
}): Promise<Readiness> {
  const checks: Readiness['checks'] = {};
  const [postgres, redis] = await Promise.allSettled([
    within(
      deps.prisma.$queryRawUnsafe<{ migration_name: string }[]>(
        `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
      ),
    ),
    within(deps.redis.ping()),
  ]);
  if (postgres.status === 'fulfilled') {
    checks.postgres = 'ok';
    const applied = new Set(postgres.value.map((r) => r.migration_name));
    const pending = deps.migrations.filter((m) => !applied.has(m));
    checks.migrations = pending.length === 0 ? 'ok' : `pending: ${pending.join(', ')}`;
  } else {
    // Unreachable, or reachable without a migrations table: either way nothing can be served.
    const reason = postgres.reason instanceof Error ? postgres.reason.message : '';
    checks.postgres = /_prisma_migrations/.test(reason) ? 'ok' : unreachable(reason);
    checks.migrations = checks.postgres === 'ok' ? 'pending: every migration (no _prisma_migrations table)' : 'unknown';
  }
  checks.redis = redis.status === 'fulfilled' ? 'ok' : unreachable(redis.reason instanceof Error ? redis.reason.message : '');
  if (deps.draining) checks.shutdown = 'shutting down';
  const failed = (Object.keys(checks) as ReadinessCheck[]).filter(
    (k) => checks[k] !== 'ok' && !(k === 'migrations' && checks[k] === 'unknown'),
  );
  const notReady = failed.filter((k) => !DEGRADING.includes(k));
  const degraded = failed.filter((k) => DEGRADING.includes(k));
  const replicas = deps.replicas?.map(({ state, lagMs }, i) => ({ replica: i + 1, state, lagMs }));
  return {
    ready: notReady.length === 0,
    checks,
    notReady,
    ...(degraded.length > 0 ? { degraded } : {}),
    ...(replicas ? { replicas } : {}),
  };
}

function unreachable(reason: string): string {
  return reason.startsWith('no answer in') ? reason : 'unreachable';
}
