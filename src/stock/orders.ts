import type { Sql } from '../db/client.ts';

export interface OrderLine {
  skuId: string;
  /** Units sold to the order: deducted, or reserved and then confirmed. */
  deducted: number;
  refunded: number;
  refundable: number;
}

export interface OrderView {
  id: string;
  lines: OrderLine[];
}

/** What an order bought, one line per SKU. */
export async function orderLines(db: Sql, orderId: string): Promise<OrderLine[]> {
  const rows = await db.$queryRawUnsafe<{ sku_id: string; deducted: number; refunded: number }[]>(
    `SELECT sku_id,
            coalesce(sum(quantity) FILTER (WHERE kind IN ('DEDUCT', 'CONFIRM')), 0)::int AS deducted,
            coalesce(sum(quantity) FILTER (WHERE kind = 'REFUND'), 0)::int AS refunded
     FROM movement WHERE order_id = $1 AND kind IN ('DEDUCT', 'CONFIRM', 'REFUND')
     GROUP BY sku_id ORDER BY sku_id`,
    orderId,
  );
  return rows.map((r) => ({ skuId: r.sku_id, deducted: r.deducted, refunded: r.refunded, refundable: r.deducted - r.refunded }));
}

/** An order as the ledger knows it; null when no stock moved for it. */
export async function order(db: Sql, orderId: string): Promise<OrderView | null> {
  const lines = await orderLines(db, orderId);
  if (lines.length > 0) return { id: orderId, lines };
  const held = await db.$queryRawUnsafe<unknown[]>(`SELECT 1 FROM reservation WHERE order_id = $1`, orderId);
  return held.length > 0 ? { id: orderId, lines } : null;
}
