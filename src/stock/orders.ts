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

/** Units of an order's line in one location: still there (sold and not refunded, or held), and of them how many an unlimited SKU made. */
export interface UnitsAt {
  locationId: string;
  units: number;
  unlimited: number;
}

/**
 * An order's units per SKU and location: the movements of kinds `adding` less those of kinds
 * `removing`, in the order the locations first served the order (where a refund or a release returns
 * units first). The database keeps them per location (src/stock/locations.ts).
 */
export async function unitsByLocation(db: Sql, orderId: string, adding: string[], removing: string[]): Promise<Map<string, UnitsAt[]>> {
  const rows = await db.$queryRawUnsafe<{ sku_id: string; location_id: string; units: bigint | number; unlimited: bigint | number }[]>(
    `SELECT sku_id, location_id,
            sum(CASE WHEN kind::text = ANY($2::text[]) THEN quantity ELSE -quantity END)::bigint AS units,
            sum(CASE WHEN kind::text = ANY($2::text[]) THEN unlimited_quantity ELSE -unlimited_quantity END)::bigint AS unlimited
     FROM movement WHERE order_id = $1 AND kind::text = ANY($2::text[] || $3::text[])
     GROUP BY sku_id, location_id ORDER BY sku_id, min(id)`,
    orderId,
    adding,
    removing,
  );
  const bySku = new Map<string, UnitsAt[]>();
  for (const r of rows) {
    const list = bySku.get(r.sku_id) ?? [];
    list.push({ locationId: r.location_id, units: Number(r.units), unlimited: Number(r.unlimited) });
    bySku.set(r.sku_id, list);
  }
  return bySku;
}

/**
 * The movements' parts of `quantity` units going back (a refund, a settled hold): spread over the
 * locations in the order they served (each at most what is still there), and per location the units
 * taken from available first, those an unlimited SKU made (never back to available) after.
 */
export function partsBack(quantity: number, at: readonly UnitsAt[]): { locationId: string; quantity: number; fromAvailable: number }[] {
  let left = quantity;
  const parts: { locationId: string; quantity: number; fromAvailable: number }[] = [];
  for (const place of at) {
    const part = Math.min(left, place.units);
    if (part <= 0) continue;
    parts.push({ locationId: place.locationId, quantity: part, fromAvailable: Math.min(part, place.units - place.unlimited) });
    left -= part;
  }
  return parts;
}
