import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedgerPool } from '../src/db/client.ts';
import { groupCommit, LEDGER_STATEMENTS_PER_INSTANCE, LedgerWriter, MAX_BATCH_LINES } from '../src/ledger/group-commit.ts';
import { ledgerDeduct, newSkuRow } from './support/ledger.ts';
import { useNamespace } from './support/stack.ts';

/**
 * An instance's worker processes share LEDGER_STATEMENTS_PER_INSTANCE ledger statements in flight
 * (src/ledger/group-commit.ts groupCommit): each writer keeps at most its share running against the
 * real PostgreSQL, and uses all of it under load.
 */
const space = useNamespace();
let pool: pg.Pool;

beforeAll(() => {
  pool = createLedgerPool(space.ns.databaseUrl);
});
afterAll(async () => {
  await pool?.end();
});

/** The pool as a writer sees it, counting the statements it has in flight and the most at once. */
function countingStatements(real: pg.Pool): { pool: pg.Pool; most: () => number } {
  let running = 0;
  let most = 0;
  const counting = {
    query: (...args: Parameters<pg.Pool['query']>) => {
      running++;
      most = Math.max(most, running);
      return (real.query as (...a: unknown[]) => Promise<unknown>)(...args).finally(() => running--);
    },
  };
  return { pool: counting as unknown as pg.Pool, most: () => most };
}

describe('ledger statements in flight', () => {
  it('shares the instance’s statements among its worker processes, at least one each', () => {
    expect(LEDGER_STATEMENTS_PER_INSTANCE).toBe(4);
    expect([1, 2, 3, 4, 5, 64].map((workers) => groupCommit(workers).maxConcurrent)).toEqual([4, 2, 2, 1, 1, 1]);
    expect(() => groupCommit(0)).toThrow(/worker processes/);
    expect(() => groupCommit(1.5)).toThrow(/worker processes/);
  });

  it.each([1, 2])('keeps at most its share in flight, and all of it under load (%i worker processes)', async (workers) => {
    const skuId = `in-flight-${workers}`;
    const epoch = await newSkuRow(space.ns.databaseUrl, skuId);
    const counted = countingStatements(pool);
    const writer = new LedgerWriter(counted.pool, () => {}, groupCommit(workers));
    const batches = 3 * LEDGER_STATEMENTS_PER_INSTANCE;
    const outcomes = await Promise.all(
      Array.from({ length: batches }, () => writer.write(ledgerDeduct(skuId, epoch, { lines: MAX_BATCH_LINES }))),
    );
    expect(outcomes).toEqual(Array(batches).fill('committed'));
    expect(counted.most()).toBe(groupCommit(workers).maxConcurrent);
  });
});
