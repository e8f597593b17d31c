import type { Sql } from '../db/client.ts';

export interface OrderLine {
  skuId: string;
  /** Units sold to the order: deducted, or reserved and then confirmed. */
  deducted: number;
  refunded: number;
  refundable: number;
}

/** A line as a refund sees it: of the refundable units, how many an unlimited SKU made (never back to available). */
export type SoldLine = OrderLine & { unlimitedSold: number };

export interface OrderView {
  id: string;
  lines: OrderLine[];
}

/** What an order bought, one line per SKU. */
export async function orderLines(db: Sql, orderId: string): Promise<SoldLine[]> {
  // Sums stay bigint (an order of an unlimited SKU may pass 2^31 − 1 units); below 2^53 they are exact as numbers.
  const rows = await db.$queryRawUnsafe<
    { sku_id: string; deducted: bigint | number; refunded: bigint | number; unlimited_sold: bigint | number }[]
  >(
    `SELECT sku_id,
            coalesce(sum(quantity) FILTER (WHERE kind IN ('DEDUCT', 'CONFIRM')), 0)::bigint AS deducted,
            coalesce(sum(quantity) FILTER (WHERE kind = 'REFUND'), 0)::bigint AS refunded,
            coalesce(sum(CASE WHEN kind = 'REFUND' THEN -unlimited_quantity ELSE unlimited_quantity END), 0)::bigint AS unlimited_sold
     FROM movement WHERE order_id = $1 AND kind IN ('DEDUCT', 'CONFIRM', 'REFUND')
     GROUP BY sku_id ORDER BY sku_id`,
    orderId,
  );
  return rows.map((r) => {
    const deducted = Number(r.deducted);
    const refunded = Number(r.refunded);
    return { skuId: r.sku_id, deducted, refunded, refundable: deducted - refunded, unlimitedSold: Number(r.unlimited_sold) };
  });
}

/** An order as the ledger knows it; null when no stock moved for it. */
export async function order(db: Sql, orderId: string): Promise<OrderView | null> {
  const lines = (await orderLines(db, orderId)).map(({ unlimitedSold: _, ...line }) => line);
  if (lines.length > 0) return { id: orderId, lines };
  const held = await db.$queryRawUnsafe<unknown[]>(`SELECT 1 FROM reservation WHERE order_id = $1`, orderId);
  return held.length > 0 ? { id: orderId, lines } : null;
}
