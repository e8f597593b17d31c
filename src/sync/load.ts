import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PrismaClient } from '../db/client.ts';
import type { Gate } from '../gate/gate.ts';
import type { StockSeed } from '../inventory.ts';
import { truthForLoad } from '../ledger/truth.ts';

/** Lease on a counter's load lock: a loader that dies frees it after this; a load takes milliseconds. */
const LOAD_LOCK_TTL_MS = 5_000;
/** How often a request waiting on another instance's load looks again. */
const LOAD_WAIT_POLL_MS = 5;

/** Takes the load lock of every SKU it can; the others are being loaded by someone else right now. */
export async function lockLoads(gate: Gate, skuIds: string[], token: string): Promise<{ locked: string[]; waiting: string[] }> {
  const got = await gate.tryLocks(
    skuIds.map((id) => gate.keys.loadLock(id)),
    token,
    LOAD_LOCK_TTL_MS,
  );
  return { locked: skuIds.filter((_, i) => got[i]), waiting: skuIds.filter((_, i) => !got[i]) };
}

export async function unlockLoads(gate: Gate, skuIds: string[], token: string): Promise<void> {
  await gate.unlockAll(
    skuIds.map((id) => gate.keys.loadLock(id)),
    token,
  );
}

/** SKUs whose counter someone is loading right now (its load lock is held). */
export async function loadsInProgress(gate: Gate, skuIds: string[]): Promise<Set<string>> {
  const unique = [...new Set(skuIds)];
  const held = await gate.areLocked(unique.map((id) => gate.keys.loadLock(id)));
  return new Set(unique.filter((_, i) => held[i]));
}

/**
 * Reloads the counters of SKUs whose load locks `token` holds from their truth, under a new epoch
 * (truthForLoad). Returns the truth it read; ids PostgreSQL does not know are absent. A counter whose
 * lock lapsed meanwhile is not written (lua/seed.lua): the next request finds it missing and loads again.
 */
export async function reloadFromTruth(gate: Gate, prisma: PrismaClient, skuIds: string[], token: string): Promise<Map<string, StockSeed>> {
  const truth = await truthForLoad(prisma, skuIds);
  await gate.seedAll([...truth.values()], token);
  return truth;
}

/**
 * Loads missing gate counters from the truth (seed 000): one loader per SKU at a time, under a Redis
 * lock, so a flushed Redis is rebuilt once and not by every waiting request.
 * Returns the ids PostgreSQL does not know.
 */
export async function loadCounters(gate: Gate, prisma: PrismaClient, skuIds: string[]): Promise<string[]> {
  const token = randomUUID();
  const { locked, waiting } = await lockLoads(gate, skuIds, token);
  try {
    // A loader that finished just before this one took the lock already seeded the counter: loading
    // again would bump the epoch and fence every take that passed it meanwhile.
    const present = locked.length > 0 ? await gate.levels(locked) : [];
    const absent = locked.filter((_, i) => present[i] === null);
    const loaded = absent.length > 0 ? await reloadFromTruth(gate, prisma, absent, token) : new Map();
    await waitForLoads(gate, waiting);
    return absent.filter((id) => !loaded.has(id));
  } finally {
    await unlockLoads(gate, locked, token);
  }
}

/** Rounds of rebuildCounters: SKUs another loader holds are waited for and rebuilt in the next. */
const REBUILD_ROUNDS = 3;

/**
 * Rebuilds the counters of `skuIds` from their truth now, present or not, under a new epoch: every take
 * that passed the old counters and is not in the ledger yet is fenced, so the new counters count
 * exactly the ledger (reconcileStock). Returns the ids rebuilt; those another loader kept holding for
 * REBUILD_ROUNDS leases are not (that loader rebuilds them from the truth all the same).
 */
export async function rebuildCounters(gate: Gate, prisma: PrismaClient, skuIds: string[]): Promise<string[]> {
  const token = randomUUID();
  const rebuilt: string[] = [];
  let pending = [...new Set(skuIds)];
  for (let round = 1; round <= REBUILD_ROUNDS && pending.length > 0; round++) {
    const { locked, waiting } = await lockLoads(gate, pending, token);
    try {
      if (locked.length > 0) rebuilt.push(...(await reloadFromTruth(gate, prisma, locked, token)).keys());
    } finally {
      await unlockLoads(gate, locked, token);
    }
    await waitForLoads(gate, waiting);
    pending = waiting;
  }
  return rebuilt;
}

/** Waits, at most one lock lease, for other loaders to finish; the caller retries the gate either way. */
async function waitForLoads(gate: Gate, skuIds: string[]): Promise<void> {
  const deadline = Date.now() + LOAD_LOCK_TTL_MS;
  for (const id of skuIds) {
    while (Date.now() < deadline && (await gate.isLocked(gate.keys.loadLock(id)))) await sleep(LOAD_WAIT_POLL_MS);
  }
}
