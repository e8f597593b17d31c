import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.ts';

/** Connections per process: the group commit needs few (one statement per batch), reads need the rest. */
const POOL_SIZE = 20;
/**
 * No statement runs longer: a stalled PostgreSQL fails requests (retryable) instead of holding them,
 * and in-flight takes stay well inside reconciliation's deadline (src/sync/reconcile.ts).
 */
export const STATEMENT_TIMEOUT_MS = 5_000;
/** A PostgreSQL that does not accept a connection in this time counts as down. */
const CONNECT_TIMEOUT_MS = 2_000;
/**
 * Every session in UTC, whatever the server's or the database's default: the driver adapter sends a
 * Date as a time without a zone and reads a timestamptz back ignoring its offset, so in any other
 * TimeZone each is hours off (a rebuild's settle delay, a reservation's deadline). A connection string's
 * own `options` still wins.
 * And without JIT compilation: PostgreSQL compiles a statement whose estimated cost passes
 * jit_above_cost, which a bulk change's statements do (setStockBatch reads and fences 10,000 SKUs), at
 * every run, 100–300 ms each on this machine, for statements that run in tens of milliseconds without it.
 */
const SESSION_OPTIONS = '-c TimeZone=UTC -c jit=off';

export function createPrisma(databaseUrl: string): PrismaClient {
  return new PrismaClient({
    adapter: new PrismaPg({
      connectionString: databaseUrl,
      options: SESSION_OPTIONS,
      max: POOL_SIZE,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    }),
  });
}

export type { PrismaClient };

/**
 * Connections of the ledger's own pool: one per statement in flight, and the benchmark's per-request
 * shape keeps 16 in flight (group commit: 4).
 */
const LEDGER_POOL_SIZE = 16;

/**
 * The group commit's own pool. Its one statement per batch is the hot path's only PostgreSQL work, and
 * sent straight through pg it skips Prisma's raw-query runtime, which measured here at about a tenth
 * more deducts a second on the hot-SKU benchmark; everything else goes through Prisma.
 */
export function createLedgerPool(databaseUrl: string): pg.Pool {
  return new pg.Pool({
    connectionString: databaseUrl,
    options: SESSION_OPTIONS,
    max: LEDGER_POOL_SIZE,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
}

/** What raw-SQL readers need: satisfied by the client and by an interactive transaction alike. */
export type Sql = Pick<PrismaClient, '$queryRawUnsafe'>;

/** A transaction as Prisma hands it to an interactive $transaction callback. */
export type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/** Prisma's codes for a database it cannot reach or lost mid-request (P1xxx), or a pool / transaction timeout. */
const UNREACHABLE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);
/** What the pg driver adapter calls a connection it could not open or lost. */
const UNREACHABLE_ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TransactionAlreadyClosed',
]);
/**
 * SQLSTATEs after which the same request may simply be sent again: shutting down or starting up
 * (57P01–57P03), too many connections (53300), the statement timeout above (57014), a lost
 * serialization or deadlock race (40001, 40P01); and class 08, connection exceptions.
 */
const TRANSIENT_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57014', '40001', '40P01']);
/** The pg driver's own errors for a connection that broke or never came (they reach us unwrapped). */
const BROKEN_CONNECTION =
  /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Can't reach database server|ECONNREFUSED|ECONNRESET/;

/** What the checks below read of an error: fields of Prisma's, the driver adapter's and pg's errors. */
interface DriverError {
  code?: unknown;
  kind?: unknown;
  originalCode?: unknown;
  meta?: { driverAdapterError?: unknown };
  cause?: unknown;
}
/** How deep the checks look into wrapped errors (Prisma's meta.driverAdapterError, an error's cause). */
const MAX_WRAPPING_DEPTH = 5;

/** Whether `holds` for the error or for one it wraps. */
function anyWrapped(err: unknown, holds: (e: DriverError, err: object) => boolean, depth = 0): boolean {
  if (depth > MAX_WRAPPING_DEPTH || err === null || typeof err !== 'object') return false;
  const e = err as DriverError;
  return holds(e, err) || anyWrapped(e.meta?.driverAdapterError, holds, depth + 1) || anyWrapped(e.cause, holds, depth + 1);
}

/**
 * Whether an error says PostgreSQL is unreachable or briefly refusing work, rather than anything about
 * the request: such a request is answered TEMPORARILY_UNAVAILABLE, to be retried with the same
 * idempotency key (whether or not a write committed before the connection broke, the retry returns
 * the first answer then).
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  return anyWrapped(
    err,
    (e, err) =>
      (typeof e.code === 'string' && (UNREACHABLE_PRISMA_CODES.has(e.code) || TRANSIENT_SQLSTATES.has(e.code) || /^08/.test(e.code))) ||
      (typeof e.kind === 'string' && UNREACHABLE_ADAPTER_KINDS.has(e.kind)) ||
      (typeof e.originalCode === 'string' && (TRANSIENT_SQLSTATES.has(e.originalCode) || /^08/.test(e.originalCode))) ||
      (err instanceof Error && BROKEN_CONNECTION.test(err.message)),
  );
}

/** PostgreSQL's deadlock_detected: it rolled the victim's statement or transaction back whole. */
const DEADLOCK_DETECTED = '40P01';
/** Runs of a statement or transaction after losing deadlocks, before the error stands (retryable). */
export const MAX_DEADLOCK_RETRIES = 3;

/** Whether PostgreSQL chose this statement or transaction as a deadlock's victim (through Prisma's and the adapter's wrappings). */
export function isDeadlock(err: unknown): boolean {
  return anyWrapped(err, (e) => e.code === DEADLOCK_DETECTED || e.originalCode === DEADLOCK_DETECTED);
}

/**
 * Runs `work` (one statement, or one transaction from its start) again where PostgreSQL chose it as a
 * deadlock's victim, up to MAX_DEADLOCK_RETRIES times: nothing of it committed, and the other side of
 * the cycle goes on once the victim lets go. A row that a merge has just rewritten can deadlock a
 * FOR UPDATE (a fence, a database-only take, a change) against the ledger's KEY SHARE (seen in
 * test/partition.test.ts: PostgreSQL locks the row's versions one at a time), and which of the two
 * loses is chance. `work` must have no effect outside the database before it commits.
 */
export async function retryingDeadlocks<T>(work: () => Promise<T>, retried: () => void = () => {}): Promise<T> {
  for (let retries = 0; ; retries++) {
    try {
      return await work();
    } catch (err) {
      if (retries >= MAX_DEADLOCK_RETRIES || !isDeadlock(err)) throw err;
      retried();
    }
  }
}
