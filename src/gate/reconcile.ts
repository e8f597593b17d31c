import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../db/client.ts';
import { truthForLoad } from '../ledger/truth.ts';
import type { Gate } from './gate.ts';

/**
 * How old an in-flight take must be before reconciliation settles it. A healthy take reaches the
 * ledger in milliseconds; the ledger's statement timeout (src/db/client.ts) is well below this, so
 * a take this old has failed or is about to. Correctness does not hang on it: see reconcile().
 */
export const INFLIGHT_DEADLINE_MS = 10_000;
/** Stale takes settled per pass: one truth read and one Redis round trip each. */
const RECONCILE_BATCH = 500;
/** Lease of the reconcile lock: longer than a pass takes, short enough to survive a dead holder. */
const RECONCILE_LOCK_TTL_MS = 30_000;

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
 * fences off any late ledger write of the old epoch (see truthForLoad), so the counter counts exactly
 * the movements that are in the ledger. Then it removes the stale entries (release.lua, which gives
 * nothing back to a counter of another epoch) and their idempotency records, so a retry with the same
 * key finds the ledger's answer or takes anew.
 */
export async function reconcile(gate: Gate, prisma: PrismaClient, now = Date.now()): Promise<ReconcileReport> {
  const token = randomUUID();
  if (!(await gate.tryLock(gate.keys.reconcileLock, token, RECONCILE_LOCK_TTL_MS)))
    return { ran: false, settled: 0, units: 0, rebuilt: [] };
  try {
    const stale = await gate.staleTakes(now - INFLIGHT_DEADLINE_MS, RECONCILE_BATCH);
    if (stale.length === 0) return { ran: true, settled: 0, units: 0, rebuilt: [] };
    const skuIds = [...new Set(stale.flatMap((t) => t.c.map((key) => gate.keys.skuOf(key))))];
    const truth = await truthForLoad(prisma, skuIds);
    for (const seed of truth.values()) await gate.seed(seed);
    let settled = 0;
    for (const take of stale) if ((await gate.releaseStale(take)) >= 0) settled++;
    return { ran: true, settled, units: stale.reduce((n, t) => n + t.q.reduce((a, b) => a + b, 0), 0), rebuilt: [...truth.keys()] };
  } finally {
    await gate.unlock(gate.keys.reconcileLock, token);
  }
}
