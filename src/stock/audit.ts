import { setTimeout as sleep } from 'node:timers/promises';
import { graphqlError, unavailable } from '../errors.ts';
import { DEFAULT_LOCATION, type SkuStock } from '../inventory.ts';
import { backorderFloor } from '../ledger/backorders.ts';
import { locationShares, type LocationShare } from '../gate/buckets.ts';
import { readTruth, UNMERGED_OF_S } from '../ledger/truth.ts';
import { rebuildCounters } from '../sync/load.ts';
import { parseInput, skuList } from './input.ts';
import { readOwnWrites } from './reads.ts';
import { UnknownSku } from './outcomes.ts';
import type { Services } from './services.ts';

/** SKUs one audit or reconciliation may name: each sums its whole ledger. */
export const MAX_AUDIT_SKUS = 100;
/**
 * Readings of the gate against the truth before a disagreement is reported. A take leaves the gate
 * before its movement commits, so a SKU selling right now disagrees for a few milliseconds: a counter
 * that disagrees in every reading, AUDIT_READING_MS apart, is wrong, not busy.
 */
const AUDIT_READINGS = 5;
const AUDIT_READING_MS = 20;

const auditedSkus = skuList(MAX_AUDIT_SKUS, 'audit');

export interface SkuAudit {
  skuId: string;
  /** The ledger explains the SKU's levels, in every location, and they are within bounds (I1). */
  conserved: boolean;
  /** The gate's counter (if Redis holds one) says what the truth says. */
  gateAgrees: boolean;
  /** Gate's available minus the truth's, from the last reading; 0 when they agree. */
  drift: number;
  unmergedMovements: number;
  lastReconciledAt: Date | null;
}

/** 64-bit sums: bigint from the driver, exact as numbers below 2^53. */
type Sum = bigint | number;
interface LedgerRow {
  id: string;
  available: Sum;
  reserved: Sum;
  sold: Sum;
  unlimited: boolean;
  backorder_limit: number;
  owed_backorders: number;
  reconciled_at: Date | null;
  merged_available: Sum;
  merged_reserved: Sum;
  merged_sold: Sum;
  unmerged_available: Sum;
  unmerged_reserved: Sum;
  unmerged_sold: Sum;
  unmerged: number;
}

const UNMERGED = `(${UNMERGED_OF_S})`;
/** The sums of movements `m` of SKU row `s`, merged and not, as LedgerRow names them. */
const LEDGER_SUMS = `coalesce(sum(m.delta_available) FILTER (WHERE NOT ${UNMERGED}), 0)::bigint AS merged_available,
       coalesce(sum(m.delta_reserved) FILTER (WHERE NOT ${UNMERGED}), 0)::bigint AS merged_reserved,
       coalesce(sum(m.delta_sold) FILTER (WHERE NOT ${UNMERGED}), 0)::bigint AS merged_sold,
       coalesce(sum(m.delta_available) FILTER (WHERE ${UNMERGED}), 0)::bigint AS unmerged_available,
       coalesce(sum(m.delta_reserved) FILTER (WHERE ${UNMERGED}), 0)::bigint AS unmerged_reserved,
       coalesce(sum(m.delta_sold) FILTER (WHERE ${UNMERGED}), 0)::bigint AS unmerged_sold,
       count(m.id) FILTER (WHERE ${UNMERGED})::int AS unmerged`;

/**
 * Each SKU's row beside the sums of its whole ledger, merged and not, from one snapshot (a merge adds
 * movements to the row and moves its merged position in one statement, so both sides move together).
 */
const LEDGER_SQL = `
SELECT s.id, s.available, s.reserved, s.sold, s.unlimited, s.backorder_limit, s.owed_backorders, s.reconciled_at,
       ${LEDGER_SUMS}
FROM sku s LEFT JOIN movement m ON m.sku_id = s.id
WHERE s.id = ANY($1::text[])
GROUP BY s.id`;

/**
 * The same per SKU and location other than `default` (src/ledger/truth.ts): its row there beside the
 * sums of its movements there. `default`'s are the SKU's less these, checked by the SKU's own row.
 */
const LOCATION_LEDGER_SQL = `
SELECT m.sku_id AS id, m.location_id, coalesce(l.available, 0)::bigint AS available, coalesce(l.reserved, 0)::bigint AS reserved,
       coalesce(l.sold, 0)::bigint AS sold, s.unlimited, s.backorder_limit, s.owed_backorders, NULL::timestamptz AS reconciled_at,
       ${LEDGER_SUMS}
FROM movement m JOIN sku s ON s.id = m.sku_id
LEFT JOIN sku_location l ON l.sku_id = m.sku_id AND l.location_id = m.location_id
WHERE m.sku_id = ANY($1::text[]) AND m.location_id <> '${DEFAULT_LOCATION}'
GROUP BY m.sku_id, m.location_id, l.available, l.reserved, l.sold, s.unlimited, s.backorder_limit, s.owed_backorders`;

/** Whether the row is the sum of its merged movements, and the truth (row + unmerged) within bounds. */
function conserved(row: LedgerRow): boolean {
  const n = (x: Sum) => Number(x);
  const explained =
    n(row.available) === n(row.merged_available) && n(row.reserved) === n(row.merged_reserved) && n(row.sold) === n(row.merged_sold);
  const available = n(row.available) + n(row.unmerged_available);
  const reserved = n(row.reserved) + n(row.unmerged_reserved);
  const sold = n(row.sold) + n(row.unmerged_sold);
  const bounded = reserved >= 0 && sold >= 0 && (row.unlimited || available >= backorderFloor(row.backorder_limit, row.owed_backorders));
  return explained && bounded;
}

/** The gate's available minus the truth's; null when they agree on every level (or Redis holds no counter). */
function driftOf(gate: SkuStock | null, truth: SkuStock): number | null {
  if (!gate) return null;
  const same =
    gate.available === truth.available &&
    gate.reserved === truth.reserved &&
    gate.sold === truth.sold &&
    gate.unlimited === truth.unlimited &&
    gate.backorderLimit + 0 === truth.backorderLimit + 0;
  return same ? null : gate.available - truth.available;
}

/**
 * Per SKU, the drift of the gate's counter against the truth, read up to AUDIT_READINGS times: a SKU
 * agreeing in any reading is left out of the next ones. Missing from the map: agrees.
 */
async function gateDrifts(s: Services, skuIds: string[]): Promise<Map<string, number>> {
  let drifting = new Map<string, number>();
  let reading = skuIds;
  for (let n = 1; n <= AUDIT_READINGS && reading.length > 0; n++) {
    if (n > 1) await sleep(AUDIT_READING_MS);
    const gate = await fromGate(s, () => s.gate.levels(reading));
    const truth = await readTruth(s.prisma, reading);
    const drifts = reading.map((id, i) => {
      const t = truth.get(id);
      return t ? driftOf(gate[i] ?? null, t) : null;
    });
    const agreeing = reading.flatMap((id, i) => (drifts[i] === null && gate[i] ? [{ id, gate: gate[i], truth: truth.get(id)! }] : []));
    const misplaced = await sharesDisagree(s, agreeing);
    const next = new Map<string, number>();
    reading.forEach((id, i) => {
      const drift = drifts[i] ?? null;
      // Levels that agree in sum but not per location: a drift of 0, and the gate does not agree.
      if (drift !== null || misplaced.has(id)) next.set(id, drift ?? 0);
    });
    drifting = next;
    reading = [...next.keys()];
  }
  return drifting;
}

/** A read of the gate; a gate that cannot be read makes the audit TEMPORARILY_UNAVAILABLE. */
async function fromGate<T>(s: Services, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    s.log.warn({ err }, 'stockAudit could not read the gate');
    throw unavailable('the gate cannot be read', 'request');
  }
}

/**
 * Of SKUs whose gate counter agrees with the truth in sum, those whose share per location does not, in
 * a deployment with locations, while nothing is withheld: withheld units come off the last locations'
 * shares (locationShares), and the database-only path that sells them takes them where it allocates,
 * so with some withheld the shares are not the truth's per location even when nothing is wrong.
 */
async function sharesDisagree(s: Services, agreeing: { id: string; gate: SkuStock; truth: SkuStock }[]): Promise<Set<string>> {
  const compared = agreeing.filter((a) => a.truth.locations && a.truth.withheld === 0 && a.gate.withheld === 0);
  if (compared.length === 0) return new Set();
  const shares = await fromGate(s, () => s.gate.locationShares(compared.map((a) => a.id)));
  const same = (a: LocationShare[] | null | undefined, b: LocationShare[] | null) => JSON.stringify(a ?? null) === JSON.stringify(b);
  return new Set(compared.filter((a, i) => !same(shares[i], locationShares(a.truth))).map((a) => a.id));
}

/** The audit of each SKU, in the order asked; unknown SKUs are an UNKNOWN_SKU error. */
export async function auditStock(s: Services, ids: string[]): Promise<SkuAudit[]> {
  const skuIds = [...new Set(parseInput(auditedSkus, ids, 'skuIds'))];
  // The ledger scans go to a replica that has replayed every write before them (a SKU just created, a
  // reconcileStock's rebuild); the gate is compared with the primary's truth (gateDrifts).
  // Both on one chosen database: one look at the primary's WAL position serves them.
  const [skuRows, locationRows] = await readOwnWrites(s, async (db) => [
    await db.$queryRawUnsafe<LedgerRow[]>(LEDGER_SQL, skuIds),
    await db.$queryRawUnsafe<LedgerRow[]>(LOCATION_LEDGER_SQL, skuIds),
  ]);
  const rows = new Map(skuRows.map((r) => [r.id, r]));
  const unknown = skuIds.filter((id) => !rows.has(id));
  if (unknown.length > 0) throw graphqlError('UNKNOWN_SKU', `unknown SKUs: ${unknown.join(', ')}`, { skuIds: unknown });
  const unexplained = new Set(locationRows.filter((at) => !conserved(at)).map((at) => at.id));
  const drifts = await gateDrifts(s, skuIds);
  return skuIds.map((id) => {
    const row = rows.get(id)!;
    const drift = drifts.get(id);
    return {
      skuId: id,
      conserved: conserved(row) && !unexplained.has(id),
      gateAgrees: drift === undefined,
      drift: drift ?? 0,
      unmergedMovements: row.unmerged,
      lastReconciledAt: row.reconciled_at,
    };
  });
}

export interface ReconcileStockSuccess {
  audits: SkuAudit[];
}

/**
 * Rebuilds the gate counters of these SKUs from the truth now, fenced (src/sync/load.ts), and answers
 * their audits after it. Unknown SKUs are an outcome, and nothing is rebuilt.
 */
export async function reconcileStock(s: Services, ids: string[]): Promise<ReconcileStockSuccess> {
  const skuIds = [...new Set(parseInput(auditedSkus, ids, 'skuIds'))];
  const known = new Set((await s.prisma.sku.findMany({ where: { id: { in: skuIds } }, select: { id: true } })).map((r) => r.id));
  const unknown = skuIds.filter((id) => !known.has(id));
  if (unknown.length > 0) throw new UnknownSku(unknown);
  try {
    await rebuildCounters(s.gate, s.prisma, skuIds);
  } catch (err) {
    s.log.warn({ err }, 'reconcileStock could not rebuild the gate counters');
    throw unavailable('the gate cannot be rebuilt now', 'request');
  }
  s.log.info({ skuIds }, 'gate counters rebuilt from the truth (reconcileStock)');
  s.levelsChanged(skuIds);
  return { audits: await auditStock(s, skuIds) };
}
