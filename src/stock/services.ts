import type { Logger } from 'pino';
import type { PrismaClient } from '../db/client.ts';
import type { Gate } from '../gate/gate.ts';
import type { LedgerWriter } from '../ledger/group-commit.ts';

/** What every request may use: one set per process, built by buildApp. */
export interface Services {
  prisma: PrismaClient;
  gate: Gate;
  ledger: LedgerWriter;
  log: Logger;
  /**
   * Told, after the fact, which SKUs' levels changed (a committed take, or a change delivered to the
   * gate). It must not throw or block: live subscriptions hang off it.
   */
  levelsChanged: (skuIds: string[]) => void;
}
