import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import type { PrismaClient } from '../db/client.ts';

/** prisma/migrations: what this build expects the database to have applied. */
const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'prisma', 'migrations');

/**
 * A check that has not answered in this time counts as failed: a readiness probe must answer within
 * its own timeout (set it above this), and a service that slow is not ready to take traffic either.
 */
export const READY_CHECK_TIMEOUT_MS = 2_000;

export type ReadinessCheck = 'postgres' | 'redis' | 'migrations' | 'shutdown';

export interface Readiness {
  ready: boolean;
  /** Every check with "ok" or what is wrong; no connection details (the endpoint is unauthenticated). */
  checks: Partial<Record<ReadinessCheck, string>>;
  /** The checks that failed. */
  notReady: ReadinessCheck[];
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

/**
 * Whether this instance can serve: PostgreSQL and Redis answer, every migration this build ships is
 * applied (deploy runs them at start; an instance of a newer build against an older schema is not
 * ready), and it is not shutting down.
 */
export async function readiness(deps: { prisma: PrismaClient; redis: Redis; migrations: string[]; draining: boolean }): Promise<Readiness> {
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
  const notReady = (Object.keys(checks) as ReadinessCheck[]).filter(
    (k) => checks[k] !== 'ok' && !(k === 'migrations' && checks[k] === 'unknown'),
  );
  return { ready: notReady.length === 0, checks, notReady };
}

function unreachable(reason: string): string {
  return reason.startsWith('no answer in') ? reason : 'unreachable';
}
