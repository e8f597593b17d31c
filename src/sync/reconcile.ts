import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../db/client.ts';
import { ReplyCode, type Gate, type InFlightTake } from '../gate/gate.ts';
import { lockLoads, reloadFromTruth, unlockLoads } from './load.ts';

/**
 * How old an in-flight take must be before reconciliation settles it, unless configured otherwise
 * (INFLIGHT_DEADLINE_MS in src/config.ts). A healthy take reaches the ledger in milliseconds; the
 * ledger's statement timeout (src/db/client.ts) is well below this, so a take this old has failed or
 * is about to. Correctness does not hang on it: see reconcile().
 */
export const INFLIGHT_DEADLINE_MS = 10_000;
/** Stale takes settled per pass: one truth read and one Redis round trip each. */
const RECONCILE_BATCH = 500;
/**
 * Lease of the reconcile lock. A pass takes milliseconds, at worst about a statement timeout (5 s); a
 * holder that dies blocks reconciliation this long, and every stuck key with it (a retry waits for its
 * first attempt's take to be settled). A pass that outlives its lease is harmless: a second reconciler
 * skips SKUs whose load lock the first holds, and release is idempotent by gate id.
 */
const RECONCILE_LOCK_TTL_MS = 5_000;

export interface ReconcileReport {
  /** Whether this instance held the reconcile lock (another one was at it otherwise). */
  ran: boolean;
  /** Stale in-flight takes settled. */
  settled: number;
  /** Units those takes still held at the gate, now counted from the truth again. */
  units: number;
  /** Counters rebuilt from the truth. */
  rebuilt: string[];
}

/**
 * Settles takes that passed the gate but whose request never finished (crash, ledger or Redis error,
 * a timeout with an unknown outcome): their units are either in the ledger or must come back (I3).
 *
 * It does not ask which: it rebuilds each affected counter from the truth under a new epoch, which
 * fences off any late ledger write of the old epoch (see truthForLoad in src/ledger/truth.ts), so the counter counts exactly
 * the movements that are in the ledger. Then it removes the stale entries (release.lua, which gives
 * nothing back to a counter of another epoch) and their idempotency records, so a retry with the same
 * key finds the ledger's answer or takes anew.
 */
export async function reconcile(
  gate: Gate,
  prisma: PrismaClient,
  now = Date.now(),
  deadlineMs = INFLIGHT_DEADLINE_MS,
): Promise<ReconcileReport> {
  const token = randomUUID();
  if (!(await gate.tryLock(gate.keys.reconcileLock, token, RECONCILE_LOCK_TTL_MS)))
    return { ran: false, settled: 0, units: 0, rebuilt: [] };
  try {
    const stale = await gate.staleTakes(now - deadlineMs, RECONCILE_BATCH);
    if (stale.length === 0) return { ran: true, settled: 0, units: 0, rebuilt: [] };
    const skusOf = (t: InFlightTake) => t.skuIds;
    // Rebuild under each SKU's load lock, like a loader (src/sync/load.ts): while it is held, the
    // outbox keeps redelivering a change that commits under the new epoch before the seed is in
    // (src/sync/outbox.ts), which the seed, read before that commit, would otherwise lose for good.
    // SKUs a loader holds right now wait for the next pass, and so do the takes that touch them.
    const { locked } = await lockLoads(gate, [...new Set(stale.flatMap(skusOf))], token);
    try {
      const settling = stale.filter((t) => skusOf(t).every((id) => locked.includes(id)));
      if (settling.length === 0) return { ran: true, settled: 0, units: 0, rebuilt: [] };
      const truth = await reloadFromTruth(gate, prisma, [...new Set(settling.flatMap(skusOf))], token);
      // A cart over several gate shards is in flight in each (src/gate/cart-parts.ts): one take, settled once.
      const settled = new Set<string>();
      let units = 0;
      for (const take of settling) {
        if ((await gate.releaseStale(take)) === ReplyCode.NOT_IN_FLIGHT) continue;
        settled.add(take.gateId);
        units += take.quantities.reduce((a, b) => a + b, 0);
      }
      return { ran: true, settled: settled.size, units, rebuilt: [...truth.keys()] };
    } finally {
      await unlockLoads(gate, locked, token);
    }
  } finally {
    await gate.unlock(gate.keys.reconcileLock, token);
  }
}
