import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PrismaClient } from '../db/client.ts';
import { truthForLoad } from '../ledger/truth.ts';
import type { Gate } from './gate.ts';

/** Lease on a counter's load lock: a loader that dies frees it after this; a load takes milliseconds. */
export const LOAD_LOCK_TTL_MS = 5_000;
/** How often a request waiting on another instance's load looks again. */
const LOAD_WAIT_POLL_MS = 5;

/**
 * Loads missing gate counters from the truth (seed 000): one loader per SKU at a time, under a Redis
 * lock, so a flushed Redis is rebuilt once and not by every waiting request.
 * Returns the ids PostgreSQL does not know.
 */
export async function loadCounters(gate: Gate, prisma: PrismaClient, skuIds: string[]): Promise<string[]> {
  const token = randomUUID();
  const locked: string[] = [];
  const waiting: string[] = [];
  await Promise.all(
    skuIds.map(async (id) => {
      ((await gate.tryLock(gate.keys.loadLock(id), token, LOAD_LOCK_TTL_MS)) ? locked : waiting).push(id);
    }),
  );
  try {
    const unknown: string[] = [];
    // A loader that finished just before this one took the lock already seeded the counter: loading
    // again would bump the epoch and fence every take that passed it meanwhile.
    const present = locked.length > 0 ? await gate.levels(locked) : [];
    const absent = locked.filter((_, i) => present[i] === null);
    if (absent.length > 0) {
      const truth = await truthForLoad(prisma, absent);
      for (const id of absent) {
        const seed = truth.get(id);
        if (seed) await gate.seed(seed);
        else unknown.push(id);
      }
    }
    await waitForLoads(gate, waiting);
    return unknown;
  } finally {
    await Promise.all(locked.map((id) => gate.unlock(gate.keys.loadLock(id), token)));
  }
}

/** Waits, at most one lock lease, for other loaders to finish; the caller retries the gate either way. */
async function waitForLoads(gate: Gate, skuIds: string[]): Promise<void> {
  const deadline = Date.now() + LOAD_LOCK_TTL_MS;
  for (const id of skuIds) {
    while (Date.now() < deadline && (await gate.isLocked(gate.keys.loadLock(id)))) await sleep(LOAD_WAIT_POLL_MS);
  }
}
