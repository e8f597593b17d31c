import type { Logger } from 'pino';
import type { PrismaClient } from '../db/client.ts';
import type { Gate } from '../gate/gate.ts';
import type { ReadReplicas } from '../db/replicas.ts';
import type { LedgerWriter } from '../ledger/group-commit.ts';
import type { DomainMetrics } from '../observe/metrics.ts';

/** What every request may use: one set per process, built by buildApp. */
export interface Services {
  prisma: PrismaClient;
  gate: Gate;
  ledger: LedgerWriter;
  log: Logger;
  /** Prometheus metrics (src/observe/metrics.ts); absent in tools and tests that build services by hand. */
  metrics?: DomainMetrics;
  /** PostgreSQL replicas for the reads that may lag (src/stock/reads.ts); absent: the primary serves every read. */
  replicas?: ReadReplicas;
  /** Whether deducts and reserves skip the gate (the benchmark's db-only baseline). */
  databaseOnly: boolean;
  /**
   * Told, after the fact, which SKUs' levels changed (a committed take, or a change delivered to the
   * gate). It must not throw or block: live subscriptions hang off it.
   */
  levelsChanged: (skuIds: string[]) => void;
}
