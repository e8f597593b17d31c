import type { SkuStock } from '../inventory.ts';
import type { Sql } from '../db/client.ts';
import { readTruth } from '../ledger/truth.ts';
import { readOwnWrites } from './reads.ts';
import { MAX_READ_SKUS, parseInput, skuId } from './input.ts';
import type { Services } from './services.ts';
import { z } from 'zod';

export type SkuLevel = Omit<SkuStock, 'epoch'>;

const skuIds = z.array(skuId).max(MAX_READ_SKUS, { error: `TOO_MANY_SKUS:at most ${MAX_READ_SKUS} ids per read` });

/**
 * Stock levels in the order asked, null for unknown SKUs. Served from the gate's counters; SKUs Redis
 * does not hold (or all of them, when Redis is unreachable) come from the truth in PostgreSQL: the
 * primary, or with `onReplica` (a client's read, not a mutation's answer) a replica that has replayed
 * every write before the read (src/stock/reads.ts).
 */
export async function levels(s: Services, ids: string[], onReplica = false): Promise<(SkuLevel | null)[]> {
  const wanted = parseInput(skuIds, ids, 'ids');
  let fromGate: (SkuStock | null)[];
  try {
    fromGate = await s.gate.levels(wanted);
  } catch (err) {
    s.log.warn({ err }, 'gate unreachable for a stock read; reading PostgreSQL');
    fromGate = wanted.map(() => null);
  }
  const misses = wanted.filter((_, i) => fromGate[i] === null);
  const fromTruth = (db: Sql) => readTruth(db, misses);
  const truth =
    misses.length === 0 ? new Map<string, SkuStock>() : onReplica ? await readOwnWrites(s, fromTruth) : await fromTruth(s.prisma);
  return wanted.map((id, i) => strip(fromGate[i] ?? truth.get(id) ?? null));
}

function strip(level: SkuStock | null): SkuLevel | null {
  if (!level) return null;
  const { epoch: _, ...rest } = level;
  return rest;
}

/**
 * Low-stock thresholds, null where none is set (or the SKU is unknown). From PostgreSQL only: the
 * gate's counters do not hold them, and they change only through upsertSkus.
 */
export async function lowStockThresholds(s: Services, ids: readonly string[]): Promise<(number | null)[]> {
  const rows = await s.prisma.sku.findMany({ where: { id: { in: [...ids] } }, select: { id: true, lowStockThreshold: true } });
  const byId = new Map(rows.map((r) => [r.id, r.lowStockThreshold]));
  return ids.map((id) => byId.get(id) ?? null);
}
