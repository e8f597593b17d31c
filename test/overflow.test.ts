/**
 * Quantities past 2^31 − 1 (issue 11, item 5). An unlimited SKU that sells for long enough passes
 * 2,147,483,647 units sold; the merge worker, order lines and reads must keep working, and one SKU
 * that cannot merge must never stop the others. Movements are written with SQL (three of 10^9 units)
 * instead of thousands of API calls; the app's own paths then have to cope with what they find.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrisma, type PrismaClient } from '../src/db/client.ts';
import { MergeIncomplete, mergeOnce } from '../src/ledger/merge.ts';
import { readTruth } from '../src/ledger/truth.ts';
import { orderLines } from '../src/stock/orders.ts';
import { sql } from './support/ledger.ts';
import { overSse } from './support/live.ts';
import { STOCK_LEVELS } from './support/ops.ts';
import { useNamespace, useStack } from './support/stack.ts';
import { eventually } from './support/wait.ts';

const INT_MAX = 2_147_483_647;
const GIGA = 1_000_000_000;
const WITHIN_MS = 10_000;

/** Movements straight into the ledger, as a long-running shop would have accumulated them. */
async function insertMovements(
  url: string,
  skuId: string,
  count: number,
  m: { kind: string; available?: number; sold?: number; orderId?: string },
) {
  const quantity = Math.abs(m.available ?? 0) || Math.abs(m.sold ?? 0);
  await sql(
    url,
    `INSERT INTO movement (kind, sku_id, quantity, delta_available, delta_sold, unlimited_quantity, order_id)
     SELECT $1::"MovementKind", $2, $3, $4, $5, $6, $7 FROM generate_series(1, $8::int)`,
    [m.kind, skuId, quantity, m.available ?? 0, m.sold ?? 0, m.kind === 'DEDUCT' && !m.available ? quantity : 0, m.orderId ?? null, count],
  );
}

const unmerged = async (url: string, skuId: string): Promise<number> =>
  Number(
    (
      await sql(
        url,
        `SELECT count(*) AS n FROM movement m JOIN sku s ON s.id = m.sku_id WHERE m.sku_id = $1 AND (m.tx, m.id) > (s.merged_through_tx, s.merged_through_id)`,
        [skuId],
      )
    )[0].n,
  );

/** A SKU row as text: bigint columns would lose nothing, but text compares plainly. */
const row = async (url: string, skuId: string) =>
  (await sql(url, `SELECT available::text, reserved::text, sold::text, withheld::text, name FROM sku WHERE id = $1`, [skuId]))[0];

/** Every UPDATE of the SKU row `poison` fails, as a corrupted row or a broken constraint would. */
async function poison(url: string) {
  await sql(
    url,
    `CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN RAISE EXCEPTION 'poisoned row %', OLD.id; END $$`,
  );
  await sql(url, `CREATE TRIGGER poison_trap BEFORE UPDATE ON sku FOR EACH ROW WHEN (OLD.id = 'poison') EXECUTE FUNCTION refuse_poison()`);
}

describe('merge worker and order lines past 2^31 − 1', () => {
  const space = useNamespace();
  let prisma: PrismaClient;
  beforeAll(() => {
    prisma = createPrisma(space.ns.databaseUrl);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
  });

  it('merges sums past 2^31 − 1 into the 64-bit columns', async () => {
    const url = space.ns.databaseUrl;
    await sql(url, `INSERT INTO sku (id, unlimited, updated_at) VALUES ('big', true, now()), ('deep', false, now())`);
    await insertMovements(url, 'big', 3, { kind: 'DEDUCT', sold: GIGA });
    await insertMovements(url, 'deep', 3, { kind: 'ADJUST', available: GIGA });
    // The withheld share (units only the database-only path sells) is row + unmerged like the rest.
    await sql(url, `UPDATE sku SET withheld = 10 WHERE id = 'deep'`);
    await sql(
      url,
      `INSERT INTO movement (kind, sku_id, quantity, delta_available, delta_sold, delta_withheld) VALUES ('DEDUCT', 'deep', 3, -3, 3, -3)`,
    );
    expect(await mergeOnce(prisma)).toBe(7);
    expect(await row(url, 'big')).toMatchObject({ sold: '3000000000', available: '0' });
    expect(await row(url, 'deep')).toMatchObject({ available: '2999999997', sold: '3', withheld: '7' });
    // And again on top: the row itself is past 2^31 now.
    await insertMovements(url, 'big', 1, { kind: 'DEDUCT', sold: 7 });
    expect(await mergeOnce(prisma)).toBe(1);
    expect((await row(url, 'big')).sold).toBe('3000000007');
  });

  it('sums order lines past 2^31 − 1', async () => {
    const url = space.ns.databaseUrl;
    await sql(url, `INSERT INTO sku (id, unlimited, updated_at) VALUES ('bulk', true, now())`);
    await insertMovements(url, 'bulk', 3, { kind: 'DEDUCT', sold: GIGA, orderId: 'huge-order' });
    await insertMovements(url, 'bulk', 1, { kind: 'REFUND', sold: -5, orderId: 'huge-order' });
    const lines = await orderLines(prisma, 'huge-order');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ skuId: 'bulk', deducted: 3 * GIGA, refunded: 5, refundable: 3 * GIGA - 5 });
  });

  it('merges every other SKU when one SKU row cannot be updated, and keeps its movements unmerged', async () => {
    const url = space.ns.databaseUrl;
    while ((await mergeOnce(prisma)) > 0); // what earlier tests left
    await sql(url, `INSERT INTO sku (id, available, updated_at) SELECT unnest($1::text[]), 100, now()`, [['poison', 'p1', 'p2']]);
    await poison(url);
    // The poisoned SKU's movements come first and fill more than a whole batch of 10.
    await insertMovements(url, 'poison', 30, { kind: 'DEDUCT', available: -1, sold: 1 });
    await insertMovements(url, 'p1', 4, { kind: 'DEDUCT', available: -2, sold: 2 });
    await insertMovements(url, 'p2', 6, { kind: 'RESTOCK', available: 5 });

    const failed = await mergeOnce(prisma, 10).then(
      () => null,
      (err: unknown) => err,
    );
    expect(failed).toBeInstanceOf(MergeIncomplete);
    expect((failed as MergeIncomplete).failedSkuIds).toEqual(['poison']);
    expect((failed as MergeIncomplete).merged).toBe(0); // its batch was the poisoned SKU's alone
    expect((failed as MergeIncomplete).leftOut).toBe(true);
    // The scan moves past the poisoned SKU's movements (they stay unmerged) and merges the others.
    let moved = 0;
    for (let n = 1; n > 0; moved += n) n = await mergeOnce(prisma, 10);
    expect(moved).toBe(20 + 10);
    expect(await unmerged(url, 'p1')).toBe(0);
    expect(await unmerged(url, 'p2')).toBe(0);
    expect(await row(url, 'p1')).toMatchObject({ available: '92', sold: '8' });
    expect(await row(url, 'p2')).toMatchObject({ available: '130' });
    expect(await unmerged(url, 'poison')).toBe(30);
    expect(await row(url, 'poison')).toMatchObject({ available: '100', sold: '0' });

    // The next passes leave the poisoned SKU aside for a while: others merge in batches, no error.
    await insertMovements(url, 'p1', 25, { kind: 'DEDUCT', available: -1, sold: 1 });
    expect(await mergeOnce(prisma, 10)).toBe(10);
    expect(await mergeOnce(prisma, 10)).toBe(10);
    expect(await mergeOnce(prisma, 10)).toBe(5);
    expect(await unmerged(url, 'p1')).toBe(0);
    expect(await row(url, 'p1')).toMatchObject({ available: '67', sold: '33' });
    expect(await unmerged(url, 'poison')).toBe(30);
    // The truth counts what waits: row plus its unmerged movements.
    expect((await readTruth(prisma, ['poison'])).get('poison')).toMatchObject({ available: 70, sold: 30 });

    // Once its row takes updates again, its retry folds what the scan moved past.
    await sql(url, `DROP TRIGGER poison_trap ON sku`);
    await sql(url, `UPDATE merge_retry SET retry_at = now() WHERE sku_id = 'poison'`);
    expect(await mergeOnce(prisma, 10)).toBe(30);
    expect(await unmerged(url, 'poison')).toBe(0);
    expect(await row(url, 'poison')).toMatchObject({ available: '70', sold: '30' });
    expect(await sql(url, `SELECT * FROM merge_retry`)).toEqual([]);
  });

  it('reports a retried SKU found below its floor in a pass whose batch then fails', async () => {
    const url = space.ns.databaseUrl;
    while ((await mergeOnce(prisma)) > 0); // what earlier tests left
    await sql(url, `INSERT INTO sku (id, available, updated_at) SELECT unnest($1::text[]), $2, now()`, [['sunk', 'spoilt', 'sound'], 2]);
    await sql(
      url,
      `CREATE OR REPLACE FUNCTION refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'refused row %', OLD.id; END $$`,
    );
    const trap = (skuId: string) =>
      sql(
        url,
        `CREATE TRIGGER ${skuId}_trap BEFORE UPDATE ON sku FOR EACH ROW WHEN (OLD.id = '${skuId}') EXECUTE FUNCTION refuse_update()`,
      );
    // 'sunk' sold 5 of its 2 units (the gate would never, a counter changed in Redis would): its row
    // refuses the merge, so the scan moves past and the SKU waits in merge_retry.
    await trap('sunk');
    await insertMovements(url, 'sunk', 1, { kind: 'DEDUCT', available: -5, sold: 5 });
    await expect(mergeOnce(prisma, 10)).rejects.toBeInstanceOf(MergeIncomplete);
    await sql(url, `DROP TRIGGER sunk_trap ON sku`);
    await sql(url, `UPDATE merge_retry SET retry_at = now() WHERE sku_id = 'sunk'`);
    // The next pass: the retry folds 'sunk' (below its floor), then the batch fails on 'spoilt' and
    // runs again SKU by SKU.
    await trap('spoilt');
    await insertMovements(url, 'spoilt', 1, { kind: 'RESTOCK', available: 1 });
    await insertMovements(url, 'sound', 1, { kind: 'RESTOCK', available: 1 });
    const alarms: string[] = [];
    await expect(mergeOnce(prisma, 10, (below) => alarms.push(...below.map((b) => b.skuId)))).rejects.toBeInstanceOf(MergeIncomplete);
    expect(alarms).toEqual(['sunk']);
    expect(await row(url, 'sunk')).toMatchObject({ available: '-3', sold: '5' });
    expect(await row(url, 'sound')).toMatchObject({ available: '3' });
    expect(await unmerged(url, 'spoilt')).toBe(1);
    await sql(url, `DROP TRIGGER spoilt_trap ON sku`);
  });
});

describe('the API past 2^31 − 1', () => {
  const stack = useStack();

  const until = (what: string, check: () => Promise<boolean>) => eventually(what, check, { within: WITHIN_MS, every: 25 });

  it('merges, deducts and reads an unlimited SKU that sold 3 billion units; Int fields saturate', async () => {
    const { svc, ns } = stack;
    // Rows as a long-running shop has them; no gate counter yet, so the first request loads the truth.
    await sql(ns.databaseUrl, `INSERT INTO sku (id, unlimited, updated_at) VALUES ('forever', true, now()), ('vast', false, now())`);
    await insertMovements(ns.databaseUrl, 'forever', 3, { kind: 'DEDUCT', sold: GIGA });
    await insertMovements(ns.databaseUrl, 'vast', 3, { kind: 'ADJUST', available: GIGA });
    // The app's own merge worker folds them in.
    await until('the app merged 3 × 10^9', async () => (await row(ns.databaseUrl, 'forever')).sold === '3000000000');
    await until('the app merged vast', async () => (await row(ns.databaseUrl, 'vast')).available === '3000000000');

    const sold = await svc.api.deductOne('after-3g', 'forever', 2);
    expect(sold.errors, JSON.stringify(sold)).toBeUndefined();
    expect(sold.data.deductStock).toMatchObject({
      __typename: 'DeductStockSuccess',
      lines: [{ skuId: 'forever', quantity: 2, availableAfter: null }],
    });

    const read = await svc.api.sku('forever');
    expect(read.errors, JSON.stringify(read)).toBeUndefined();
    expect(read.data.sku).toMatchObject({ id: 'forever', available: null, sold: INT_MAX, unlimited: true });
    const vast = await svc.api.sku('vast');
    expect(vast.errors, JSON.stringify(vast)).toBeUndefined();
    expect(vast.data.sku).toMatchObject({ available: INT_MAX, sold: 0 });
    await until('the deduct merged', async () => (await row(ns.databaseUrl, 'forever')).sold === '3000000002');

    // Live levels carry the same Int fields, saturated alike.
    const feed = overSse(svc.url, STOCK_LEVELS, { skuIds: ['forever', 'vast'] }, 'stockLevels');
    try {
      const seen = await feed.until((v) => new Set(v.map((l) => l.skuId)).size === 2, 'both levels');
      expect(seen.find((l) => l.skuId === 'forever')).toMatchObject({ sold: INT_MAX, available: null });
      expect(seen.find((l) => l.skuId === 'vast')).toMatchObject({ available: INT_MAX, sold: 0 });
    } finally {
      await feed.close();
    }
  });

  it('keeps merging every other SKU while one SKU row cannot be updated, and reports it in /metrics', async () => {
    const { svc, ns } = stack;
    expect((await svc.api.upsert([{ id: 'healthy', available: 50 }])).errors).toBeUndefined();
    // Made with SQL, so no gate counter: reads of it go to the truth.
    await sql(ns.databaseUrl, `INSERT INTO sku (id, available, updated_at) VALUES ('poison', 50, now())`);
    await poison(ns.databaseUrl);
    // Stuck for a while already: older than the metric's threshold.
    await insertMovements(ns.databaseUrl, 'poison', 3, { kind: 'DEDUCT', available: -1, sold: 1 });
    await sql(ns.databaseUrl, `UPDATE movement SET created_at = now() - interval '10 minutes' WHERE sku_id = 'poison'`);
    for (let i = 0; i < 5; i++) {
      const res = await svc.api.deductOne(`h-${i}`, 'healthy');
      expect(res.data?.deductStock.__typename, JSON.stringify(res)).toBe('DeductStockSuccess');
    }
    await until('healthy merged', async () => (await row(ns.databaseUrl, 'healthy')).sold === '5');
    expect(await unmerged(ns.databaseUrl, 'poison')).toBe(3);
    const metrics = await (await fetch(new URL('/metrics', svc.url))).text();
    expect(metrics).toMatch(/^stockgate_merge_stuck_skus 1$/m);
    // Reads of the poisoned SKU still see its truth: row plus unmerged movements.
    const read = await svc.api.sku('poison');
    expect(read.errors).toBeUndefined();
    expect(read.data.sku).toMatchObject({ available: 47, sold: 3 });
  });
});
