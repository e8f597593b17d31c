/**
 * The replay filter's point (issue 14), against the real app: once the filter is complete, a refusal of
 * a new key on a sold-out SKU runs no query on PostgreSQL; a key the filter says "maybe" for looks in the
 * ledger. Counted as transactions in pg_stat_database, which a backend may show only
 * PGSTAT_IDLE_INTERVAL (10 s) after it went idle: four such waits make this file most of a minute, so
 * it is a file of its own (test/replay-filter.test.ts has the rest of the filter).
 *
 * The app's own workers would add transactions and could rebuild the filter meanwhile: they run once a
 * minute here (RECONCILE_INTERVAL_MS, whose pass runs the app's keeper, and MERGE_INTERVAL_MS, at their
 * most), first a minute after the app starts, after this file's test.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplayFilterKeeper } from '../src/sync/replay-filter.ts';
import { outcome } from './support/client.ts';
import { rebuild, SETTLE_MS, shortAtGate } from './support/replay-filter.ts';
import { QUIET_WORKERS, useStack } from './support/stack.ts';

const stack = useStack({ env: QUIET_WORKERS });
const { api } = stack;

/**
 * How long a PostgreSQL 15 backend may keep its counts before pg_stat_database shows them: it flushes
 * at most once a second while busy, and within PGSTAT_IDLE_INTERVAL (10 s) once idle. No longer: four
 * such waits are most of this file's run, which must end before the app's workers first run, a minute
 * after it starts (see above).
 */
const STATS_FLUSH_MS = 11_000;
/** Refused deducts whose transactions are counted. */
const REFUSALS = 200;

const services = () => stack.svc.app.services;
const gate = () => services().gate;

/** Sends `n` requests, `parallel` at a time. */
async function inParallel<T>(n: number, parallel: number, send: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await send(i);
      }
    }),
  );
  return out;
}

beforeAll(async () => {
  // A sold-out SKU, and a filter the keeper's passes made complete (on a new namespace it is not yet).
  await api.upserted([{ id: 'old', available: 1 }]);
  expect(outcome(await api.deductOne('old-1', 'old'))).toBe('DeductStockSuccess');
  expect(outcome(await api.deductOne('old-2', 'old'))).toBe('InsufficientStock');
  await rebuild(services(), new ReplayFilterKeeper(services(), SETTLE_MS));
});

describe('once the filter is complete', () => {
  let db: pg.Client;
  beforeAll(async () => {
    db = new pg.Client({ connectionString: stack.ns.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
  });

  /** Transactions PostgreSQL counted in this database so far (its statistics, as they are flushed). */
  async function transactions(): Promise<number> {
    const { rows } = await db.query<{ n: string }>(
      `SELECT sum(xact_commit + xact_rollback)::bigint AS n FROM pg_stat_database WHERE datname = current_database()`,
    );
    return Number(rows[0]!.n);
  }

  /** Transactions counted from before `work` until every backend flushed its counts after it; and how long that was. */
  async function counted(work: () => Promise<void>): Promise<{ n: number; ms: number }> {
    const before = await transactions();
    const started = Date.now();
    await work();
    await sleep(STATS_FLUSH_MS);
    const n = (await transactions()) - before;
    return { n, ms: Date.now() - started };
  }

  it(`${REFUSALS} refusals of new keys on a sold-out SKU run no query on PostgreSQL`, { timeout: 180_000 }, async () => {
    expect(await gate().replayFilterComplete()).toBe(true);
    expect(await shortAtGate(services(), 'DEDUCT', 'stampede-probe', 'old')).toMatchObject({ fresh: true });
    const refuse = (prefix: string) => async () => {
      const answers = await inParallel(REFUSALS, 8, (i) => api.deductOne(`${prefix}-${i}`, 'old'));
      for (const a of answers) expect(outcome(a)).toBe('InsufficientStock');
    };

    // Counts of earlier tests' queries are flushed first: every window starts and ends quiet.
    await sleep(STATS_FLUSH_MS);
    const idle = await counted(async () => {});
    const stampede = await counted(refuse('stampede'));
    // The instrument sees a query per refusal: keys the filter says "maybe" for (never taken) each look in the ledger.
    await gate().addToReplayFilter(Array.from({ length: REFUSALS }, (_, i) => gate().trace('DEDUCT', `maybe-${i}`)));
    const looked = await counted(refuse('maybe'));

    /** Transactions per refusal above the background work (the workers' own queries), at the idle window's rate. */
    const perRefusal = (w: { n: number; ms: number }) => (w.n - (idle.n * w.ms) / idle.ms) / REFUSALS;
    const report = JSON.stringify({ idle, stampede, looked });
    expect(perRefusal(looked), report).toBeGreaterThanOrEqual(0.9);
    expect(perRefusal(stampede), report).toBeLessThan(0.05);
  });
});
