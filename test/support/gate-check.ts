import { expect } from 'vitest';
import type { SkuStock } from '../../src/inventory.ts';
import { loadCounters } from '../../src/sync/load.ts';
import { mergeOnce } from '../../src/ledger/merge.ts';
import { readTruth } from '../../src/ledger/truth.ts';
import { audit, sql } from './ledger.ts';
import { SKU } from './ops.ts';
import type { Running } from './stack.ts';

export interface Level {
  available: number;
  reserved: number;
  sold: number;
  unlimited: boolean;
  backorderLimit: number;
}

/** The quantities a counter and the truth must agree on (`+ 0` folds the gate's -0 backorder limit into 0). */
function level(l: Omit<SkuStock, 'skuId' | 'name' | 'epoch'>): Level {
  return { available: l.available, reserved: l.reserved, sold: l.sold, unlimited: l.unlimited, backorderLimit: l.backorderLimit + 0 };
}

/**
 * Checks that the gate agrees with the PostgreSQL truth for a SKU, with no request in flight:
 * a counter Redis still holds must already equal the truth (a change that started in PostgreSQL drops
 * it before answering); a dropped one is loaded the way a request loads it, and must equal it then.
 * The auditor's own sums and the `sku` query (now served from the counter) must say the same.
 * Returns the truth.
 */
export async function gateAgrees(svc: Running, databaseUrl: string, skuId: string): Promise<Level> {
  const { gate, prisma } = svc.app.services;
  const seed = (await readTruth(prisma, [skuId])).get(skuId);
  expect(seed, `no SKU ${skuId} in PostgreSQL`).toBeDefined();
  const truth = level(seed!);

  const [held] = await gate.levels([skuId]);
  if (held) expect(level(held), `stale gate counter for ${skuId}`).toEqual(truth);
  else expect(await loadCounters(gate, prisma, [skuId])).toEqual([]);
  const [counter] = await gate.levels([skuId]);
  expect(counter, `no gate counter for ${skuId} after loading`).not.toBeNull();
  expect(level(counter!)).toEqual(truth);

  const audited = await audit(databaseUrl, skuId);
  expect({ available: audited.available, reserved: audited.reserved, sold: audited.sold }).toEqual({
    available: truth.available,
    reserved: truth.reserved,
    sold: truth.sold,
  });

  const res = await svc.gql(SKU, { id: skuId });
  expect(res.errors).toBeUndefined();
  expect(res.data.sku).toMatchObject({
    available: truth.unlimited ? null : truth.available,
    reserved: truth.reserved,
    sold: truth.sold,
    unlimited: truth.unlimited,
    backorderLimit: truth.backorderLimit,
  });
  return truth;
}

/** The gate counter as Redis holds it right now, without loading anything; null when dropped. */
export async function counterNow(svc: Running, skuId: string): Promise<SkuStock | null> {
  const [counter] = await svc.app.services.gate.levels([skuId]);
  return counter ?? null;
}

/** Movements of a SKU as the auditor sees them, oldest first. */
export function movementsOf(databaseUrl: string, skuId: string) {
  return sql<{
    kind: string;
    quantity: number;
    delta_available: number;
    delta_reserved: number;
    delta_sold: number;
    order_id: string | null;
    idempotency_key: string | null;
  }>(
    databaseUrl,
    `SELECT kind, quantity, delta_available, delta_reserved, delta_sold, order_id, idempotency_key FROM movement WHERE sku_id = $1 ORDER BY id`,
    [skuId],
  );
}

/** Folds every movement into its row, whoever merges (the app's worker runs too); bounded in time. */
export async function mergeAll(svc: Running, databaseUrl: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const n = await mergeOnce(svc.app.services.prisma);
    if (n > 0) continue;
    const [row] = await sql<{ left: number }>(
      databaseUrl,
      `SELECT count(*)::int AS left FROM movement m JOIN sku s ON s.id = m.sku_id WHERE (m.tx, m.id) > (s.merged_through_tx, s.merged_through_id)`,
    );
    const left = row?.left ?? 0;
    if (left === 0) return;
    if (Date.now() > deadline) throw new Error(`${left} movements still unmerged after 10 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
