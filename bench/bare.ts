import pg from 'pg';
import { refusal, serveBench, type DeductInput, type DeductResult } from './schema.ts';

/**
 * Seed 001's bare design, for the bench only (the honest baseline): the ceiling's Yoga and schema, and a
 * resolver that runs one transaction per request on the tables bench/bare-db.ts creates:
 *
 *   BEGIN
 *   INSERT INTO bare_flow … ON CONFLICT (order_id, line) DO NOTHING      -- the flow rows; the order id is the idempotency key
 *   UPDATE bare_sku SET available = available - n WHERE id = $1 AND available >= n   -- per line, in SKU order
 *   COMMIT                                                              -- or ROLLBACK: refused, or a replay
 *
 * The flow rows go first so the SKU row's lock is held for one round trip less (the UPDATE, then COMMIT)
 * and a replay never touches the SKU row: the seed's design, not slowed down. Lines are updated in SKU
 * order, so two carts never deadlock.
 */
/** Connections, as many as stockgate's own Prisma pool (src/db/client.ts). */
const POOL_SIZE = 20;
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: POOL_SIZE });

const INSERT_FLOW = `INSERT INTO bare_flow (order_id, line, sku_id, quantity)
  SELECT $1, l.line, l.sku_id, l.quantity FROM unnest($2::int[], $3::text[], $4::int[]) AS l(line, sku_id, quantity)
  ON CONFLICT (order_id, line) DO NOTHING`;
const UPDATE_SKU = 'UPDATE bare_sku SET available = available - $2 WHERE id = $1 AND available >= $2';

async function deduct(input: DeductInput): Promise<DeductResult> {
  const lines = input.lines.map((l, line) => ({ ...l, line })).sort((a, b) => (a.skuId < b.skuId ? -1 : a.skuId > b.skuId ? 1 : 0));
  const success: DeductResult = {
    __typename: 'DeductStockSuccess',
    orderId: input.orderId,
    lines: input.lines.map((l) => ({ ...l, available: null })),
  };
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const flow = await client.query(INSERT_FLOW, [
      input.orderId,
      lines.map((l) => l.line),
      lines.map((l) => l.skuId),
      lines.map((l) => l.quantity),
    ]);
    if (flow.rowCount !== lines.length) {
      // The order was deducted before: answer as then, change nothing.
      await client.query('ROLLBACK');
      return success;
    }
    for (const l of lines) {
      if ((await client.query(UPDATE_SKU, [l.skuId, l.quantity])).rowCount !== 1) {
        await client.query('ROLLBACK');
        return refusal;
      }
    }
    await client.query('COMMIT');
    return success;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

serveBench('bare seed-001 server', 4002, { deductStock: deduct });
process.on('SIGTERM', () => void pool.end().finally(() => process.exit(0)));
