import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrisma, type PrismaClient } from '../src/db/client.ts';
import { mergeOnce } from '../src/ledger/merge.ts';
import { readTruth } from '../src/ledger/truth.ts';
import { sql } from './support/ledger.ts';
import { useNamespace } from './support/stack.ts';

const space = useNamespace();
let a: PrismaClient;
let b: PrismaClient;

beforeAll(() => {
  a = createPrisma(space.ns.databaseUrl);
  b = createPrisma(space.ns.databaseUrl);
});
afterAll(async () => {
  await a?.$disconnect();
  await b?.$disconnect();
});

const SKUS = ['m1', 'm2', 'm3', 'm4'];

/** n movements spread over SKUS: deducts of 1..3 and restocks of 5, as the ledger would hold them. */
async function writeMovements(n: number) {
  await sql(
    space.ns.databaseUrl,
    `INSERT INTO sku (id, available, updated_at) SELECT unnest($1::text[]), 1000000, now() ON CONFLICT DO NOTHING`,
    [SKUS],
  );
  await sql(
    space.ns.databaseUrl,
    `INSERT INTO movement (kind, sku_id, quantity, delta_available, delta_sold)
     SELECT CASE WHEN g % 7 = 0 THEN 'RESTOCK'::"MovementKind" ELSE 'DEDUCT'::"MovementKind" END,
            ($1::text[])[1 + g % 4],
            CASE WHEN g % 7 = 0 THEN 5 ELSE 1 + g % 3 END,
            CASE WHEN g % 7 = 0 THEN 5 ELSE -(1 + g % 3) END,
            CASE WHEN g % 7 = 0 THEN 0 ELSE 1 + g % 3 END
     FROM generate_series(1, $2::int) g`,
    [SKUS, n],
  );
}

/** Row values must equal the initial level plus every movement, merged or not. */
async function rowsMatchLedger() {
  const rows = await sql(
    space.ns.databaseUrl,
    `SELECT s.id, s.available, s.sold, 1000000 + sum(m.delta_available) AS ledger_available, sum(m.delta_sold) AS ledger_sold
     FROM sku s JOIN movement m ON m.sku_id = s.id WHERE s.id = ANY($1) GROUP BY s.id ORDER BY s.id`,
    [SKUS],
  );
  for (const r of rows) {
    expect(r.available).toBe(Number(r.ledger_available));
    expect(r.sold).toBe(Number(r.ledger_sold));
  }
}

describe('merge worker', () => {
  it('merges every one of 10,000 movements exactly once with two workers racing', async () => {
    await writeMovements(10_000);
    const before = await readTruth(a, SKUS);
    const counts = { a: 0, b: 0 };
    const drain = async (client: PrismaClient, who: 'a' | 'b') => {
      let idle = 0;
      while (idle < 3) {
        const n = await mergeOnce(client, 700);
        counts[who] += n;
        idle = n === 0 ? idle + 1 : 0;
      }
    };
    await Promise.all([drain(a, 'a'), drain(b, 'b')]);
    expect(counts.a + counts.b).toBe(10_000);
    const [left] = await sql(
      space.ns.databaseUrl,
      `SELECT count(*)::int AS n FROM movement m JOIN sku s ON s.id = m.sku_id WHERE (m.tx, m.id) > (s.merged_through_tx, s.merged_through_id)`,
    );
    expect(left.n).toBe(0);
    await rowsMatchLedger();
    expect(await readTruth(a, SKUS)).toEqual(before);
  });

  it('loses nothing when a merge transaction aborts mid-batch', async () => {
    await writeMovements(2_000);
    const before = await readTruth(a, SKUS);
    // The merge marks its movements first and updates the SKU rows after: make that update fail.
    await sql(space.ns.databaseUrl, `ALTER TABLE sku ADD CONSTRAINT merge_trap CHECK (sold < 0) NOT VALID`);
    try {
      await expect(mergeOnce(a)).rejects.toThrow();
    } finally {
      await sql(space.ns.databaseUrl, `ALTER TABLE sku DROP CONSTRAINT merge_trap`);
    }
    const [left] = await sql(
      space.ns.databaseUrl,
      `SELECT count(*)::int AS n FROM movement m JOIN sku s ON s.id = m.sku_id WHERE (m.tx, m.id) > (s.merged_through_tx, s.merged_through_id)`,
    );
    expect(left.n).toBe(2_000);
    expect(await readTruth(a, SKUS)).toEqual(before);
    while ((await mergeOnce(a)) > 0);
    await rowsMatchLedger();
    expect(await readTruth(a, SKUS)).toEqual(before);
  });
});
