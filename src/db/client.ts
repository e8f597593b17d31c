import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.ts';

/** Connections per process: the group commit needs few (one statement per batch), reads need the rest. */
const POOL_SIZE = 20;
/**
 * No statement runs longer: a stalled PostgreSQL fails requests (retryable) instead of holding them,
 * and in-flight takes stay well inside reconciliation's deadline (src/gate/reconcile.ts).
 */
export const STATEMENT_TIMEOUT_MS = 5_000;
/** A PostgreSQL that does not accept a connection in this time counts as down. */
const CONNECT_TIMEOUT_MS = 2_000;

export function createPrisma(databaseUrl: string): PrismaClient {
  return new PrismaClient({
    adapter: new PrismaPg({
      connectionString: databaseUrl,
      max: POOL_SIZE,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    }),
  });
}

export type { PrismaClient };

/** What raw-SQL readers need: satisfied by the client and by an interactive transaction alike. */
export type Sql = Pick<PrismaClient, '$queryRawUnsafe'>;
