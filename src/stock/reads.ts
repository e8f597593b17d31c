import type { PrismaClient } from '../db/client.ts';
import type { Services } from './services.ts';

// Which reads may be served by a PostgreSQL replica (DATABASE_REPLICA_URLS, src/db/replicas.ts). Only
// reads that decide nothing: a client's look at the ledger (`movements`), at an order or a reservation,
// at levels the gate cannot answer (`sku`, `skus`), and the audit's scans of a SKU's whole ledger; all
// but `movements` from a replica that has replayed every write before the read.
// Everything that decides (sufficiency, idempotency answers, refund and settlement bounds, reconciliation,
// loading a counter, the change feed's positions) reads the primary, and so do the answers of mutations.

/** A read that may lag by up to REPLICA_MAX_LAG_MS: `movements`. */
export function readMayLag<T>(s: Services, read: (db: PrismaClient) => Promise<T>): Promise<T> {
  return s.replicas ? s.replicas.stale(read) : read(s.prisma);
}

/**
 * A read that sees every write committed before it (`order`, `reservation`, `sku`/`skus` where the gate
 * holds no counter, the audit's ledger scans: a client reading the order it just deducted, or the SKU it
 * just created, finds it): on a replica that has replayed them, else on the primary.
 */
export function readOwnWrites<T>(s: Services, read: (db: PrismaClient) => Promise<T>): Promise<T> {
  return s.replicas ? s.replicas.fresh(read) : read(s.prisma);
}
