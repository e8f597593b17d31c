import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { MERGE_BATCH, mergeOnce, type BelowFloor } from '../ledger/merge.ts';
import { every } from '../ledger/periodic.ts';
import type { DomainMetrics } from '../observe/metrics.ts';
import { EXPIRY_BATCH, expireDue } from '../stock/reservations.ts';
import type { Services } from '../stock/services.ts';
import { SWEEP_BATCH, sweepOutbox } from '../sync/outbox.ts';
import { reconcile } from '../sync/reconcile.ts';
import { ReplayFilterKeeper } from '../sync/replay-filter.ts';

/** How often due reservations are looked for: they expire within about this long of their deadline. */
const EXPIRY_INTERVAL_MS = 250;
/** How often leftover outbox rows are looked for; they only exist after a crash or a Redis outage. */
const OUTBOX_SWEEP_INTERVAL_MS = 1_000;

export interface Workers {
  /** Stops every worker, waiting for a pass under way to finish. */
  stop(): Promise<void>;
}

/**
 * The background work of every instance: merging the ledger into SKU rows, expiring reservations,
 * reconciling stale in-flight takes (and keeping the replay filter complete) and sweeping the outbox. Each pass is safe to repeat and runs
 * again at once while it reports a full batch (src/ledger/periodic.ts).
 */
export function startWorkers(
  config: Config,
  services: Services,
  metrics: DomainMetrics,
  log: Logger,
  /** Alerts subscribers of SKUs the merge found below their floor (src/live/live.ts). */
  alertOversold: (skus: BelowFloor[]) => void,
): Workers {
  const { prisma, gate } = services;
  const replayFilter = new ReplayFilterKeeper(services);
  // Loud by design: a SKU below its floor means units sold that did not exist, so the gate lied.
  const belowFloor = (skus: BelowFloor[]) => {
    for (const sku of skus) log.error(sku, 'stock below its floor: units were sold that did not exist; audit it and run reconcileStock');
    metrics.belowFloor(skus.length);
    alertOversold(skus);
  };
  const workers = [
    every('merge', config.MERGE_INTERVAL_MS, log, async () => (await mergeOnce(prisma, MERGE_BATCH, belowFloor)) === MERGE_BATCH),
    every('expiry', EXPIRY_INTERVAL_MS, log, async () => (await expireDue(services)) === EXPIRY_BATCH),
    every('reconcile', config.RECONCILE_INTERVAL_MS, log, async () => {
      const report = await reconcile(gate, prisma, Date.now(), config.INFLIGHT_DEADLINE_MS);
      metrics.reconciled(report);
      if (report.settled > 0) log.warn(report, 'reconciliation settled stale in-flight takes');
      await replayFilter.pass();
      return false;
    }),
    every('outbox', OUTBOX_SWEEP_INTERVAL_MS, log, async () => {
      const swept = await sweepOutbox(services);
      metrics.swept(swept);
      return swept === SWEEP_BATCH;
    }),
  ];
  return {
    async stop() {
      await Promise.all(workers.map((worker) => worker.stop()));
    },
  };
}
