import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedgerPool } from '../src/db/client.ts';
import {
  groupCommit,
  LEDGER_STATEMENTS_PER_INSTANCE,
  LedgerWriter,
  MAX_BATCH_LINES,
  MOVEMENT_ID_BLOCK,
} from '../src/ledger/group-commit.ts';
import { MAX_LOCATIONS } from '../src/stock/locations.ts';
import { ledgerDeduct, newSkuRow, sql } from './support/ledger.ts';
import { useNamespace } from './support/stack.ts';

/**
 * An instance's worker processes share LEDGER_STATEMENTS_PER_INSTANCE ledger statements in flight
 * (src/ledger/group-commit.ts groupCommit): each writer keeps at most its share running against the
 * real PostgreSQL, and uses all of it under load. A statement's movement ids come from one drawn block
 * (MOVEMENT_ID_BLOCK).
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

describe('movement ids', () => {
  it('draws a block per statement that holds its every movement', async () => {
    const [sequence] = await sql<{ increment_by: number }>(
      space.ns.databaseUrl,
      `SELECT increment_by FROM pg_sequences WHERE sequencename = 'movement_id_seq'`,
    );
    expect(sequence!.increment_by).toBe(MOVEMENT_ID_BLOCK);
    // A statement holds MAX_BATCH_LINES lines, each served by at most every location.
    expect(MAX_BATCH_LINES * MAX_LOCATIONS).toBeLessThanOrEqual(MOVEMENT_ID_BLOCK);
  });

  it("numbers each statement's movements in its lines' order, and no id twice among statements and other writers", async () => {
    const skuId = 'id-blocks';
    const epoch = await newSkuRow(space.ns.databaseUrl, skuId);
    const writer = new LedgerWriter(pool, () => {}, groupCommit(1));
    // Three lines, the second served by two locations: four movements a cart, in that order.
    const cart = () => {
      const entry = ledgerDeduct(skuId, epoch, { lines: 3 });
      entry.lines[1]!.sources = [
        { locationId: 'north', quantity: 1 },
        { locationId: 'south', quantity: 1 },
      ];
      return entry;
    };
    const carts = Array.from({ length: 40 }, cart);
    const written = Promise.all(carts.map((c) => writer.write(c)));
    // Another writer's movements, drawing their ids one a row as the column's default does.
    await sql(
      space.ns.databaseUrl,
      `INSERT INTO movement (kind, sku_id, quantity, delta_available) SELECT 'RESTOCK', $1, 1, 1 FROM generate_series(1, 5)`,
      [skuId],
    );
    expect(await written).toEqual(Array(carts.length).fill('committed'));

    const rows = await sql<{ order_id: string | null; order_line: number | null; location_id: string; id: string }>(
      space.ns.databaseUrl,
      `SELECT order_id, order_line, location_id, id::text FROM movement WHERE sku_id = $1 ORDER BY id`,
      [skuId],
    );
    expect(rows).toHaveLength(carts.length * 4 + 5);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    for (const c of carts) {
      const own = rows.filter((r) => r.order_id === c.orderId).map((r) => `${r.order_line}:${r.location_id}`);
      expect(own).toEqual(['1:default', '2:north', '2:south', '3:default']);
    }
  });
});
