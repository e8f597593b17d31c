import type { Redis } from 'ioredis';
import pg from 'pg';
import { createDatabase } from '../src/db/migrate.ts';

/**
 * The tables of seed 001's bare design (bench/bare.ts), in the bench's own database: the inventory row
 * per SKU and the flow table, one row per deducted cart line, the order id and line its unique key.
 * Lean (bench/lean.ts) writes the same flow table and keeps its units left in Redis (leanKeys).
 */
const DDL = `
  CREATE TABLE bare_sku (
    id text PRIMARY KEY,
    available int NOT NULL CHECK (available >= 0)
  );
  CREATE TABLE bare_flow (
    id bigserial PRIMARY KEY,
    order_id text NOT NULL,
    line int NOT NULL,
    sku_id text NOT NULL,
    quantity int NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, line)
  );`;

async function withClient<T>(databaseUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Creates the database and its two tables, with `stock` as every SKU's available units. */
export async function createBareDatabase(databaseUrl: string, stock: Map<string, number>): Promise<void> {
  await createDatabase(databaseUrl);
  await withClient(databaseUrl, async (client) => {
    await client.query(DDL);
    await client.query('INSERT INTO bare_sku (id, available) SELECT * FROM unnest($1::text[], $2::int[])', [
      [...stock.keys()],
      [...stock.values()],
    ]);
  });
}

/** Orders deducted so far: one flow row with line 0 each. */
export async function bareAcknowledged(databaseUrl: string): Promise<number> {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM bare_flow WHERE line = 0');
    return rows[0]?.n ?? 0;
  });
}

/**
 * Oversold units (must be 0), and whether every SKU's units are conserved: what is left plus what the
 * flow table says was sold equals what it was seeded with.
 */
export async function bareCheck(databaseUrl: string, stock: Map<string, number>): Promise<{ oversold: number; conserved: boolean }> {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ id: string; available: number; sold: number }>(
      `SELECT s.id, s.available, coalesce(sum(f.quantity), 0)::int AS sold
       FROM bare_sku s LEFT JOIN bare_flow f ON f.sku_id = s.id GROUP BY s.id, s.available`,
    );
    let oversold = 0;
    let conserved = true;
    for (const r of rows) {
      const initial = stock.get(r.id) ?? 0;
      oversold += Math.max(0, r.sold - initial);
      if (r.available + r.sold !== initial) conserved = false;
    }
    return { oversold, conserved };
  });
}

/** Lean's Redis keys (bench/lean.ts), under the mode's prefix. */
export const leanKeys = (prefix: string) => ({
  /** Hash: order id -> "1", every order taken. */
  records: `${prefix}records`,
  /** Hash: call id -> what the call took, until its flow rows commit. */
  inFlight: `${prefix}inflight`,
  /** A SKU's available units. */
  counter: (skuId: string) => `${prefix}c:${skuId}`,
});

/**
 * Lean's check (bench/lean.ts), whose units left are in its Redis counters, not in `bare_sku`: oversold
 * units, and whether Redis agrees with PostgreSQL: nothing left in flight, every counter there, whole
 * and not negative, and what it has left plus what the flow table sold is the seed.
 */
export async function leanCheck(
  databaseUrl: string,
  redis: Redis,
  prefix: string,
  stock: Map<string, number>,
): Promise<{ oversold: number; agree: boolean }> {
  const sold = await withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ sku_id: string; sold: number }>(
      'SELECT sku_id, sum(quantity)::int AS sold FROM bare_flow GROUP BY sku_id',
    );
    return new Map(rows.map((r) => [r.sku_id, r.sold]));
  });
  const keys = leanKeys(prefix);
  const skus = [...stock.keys()];
  const left = await redis.mget(skus.map((sku) => keys.counter(sku)));
  const inFlight = await redis.hlen(keys.inFlight);
  let oversold = 0;
  const disagree: string[] = inFlight > 0 ? [`${inFlight} call(s) still in flight`] : [];
  skus.forEach((sku, i) => {
    const initial = stock.get(sku) ?? 0;
    const units = left[i] === null ? NaN : Number(left[i]);
    const skuSold = sold.get(sku) ?? 0;
    oversold += Math.max(0, skuSold - initial);
    if (!Number.isInteger(units) || units < 0 || units + skuSold !== initial)
      disagree.push(`${sku}: Redis ${left[i]} left, flow ${skuSold} sold, seeded ${initial}`);
  });
  if (disagree.length > 0) console.log(`  lean: Redis ≠ PostgreSQL: ${disagree.slice(0, 3).join('; ')}`);
  return { oversold, agree: disagree.length === 0 };
}
