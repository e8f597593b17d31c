import { z } from 'zod';
import type { Tx } from '../db/client.ts';
import { backorderFloor, owedBackorders } from '../ledger/backorders.ts';
import { readTruth } from '../ledger/truth.ts';
import { adjustment, commitChange, type MovementRow } from '../sync/outbox.ts';
import { DEFAULT_LOCATION, type SkuStock } from '../inventory.ts';
import { requireLocationAllowed, requireLocations, stockAt } from './locations.ts';
import {
  backorderLimit,
  buckets,
  locationId,
  MAX_NAME_LENGTH,
  MAX_UPSERT_SKUS,
  parseInput,
  skuId,
  stockLevel,
  throttlePerSecond,
} from './input.ts';
import { levels, type SkuLevel } from './levels.ts';
import type { Services } from './services.ts';

export interface UpsertSkuInput {
  id: string;
  name?: string | null | undefined;
  available?: number | null | undefined;
  unlimited?: boolean | null | undefined;
  backorderLimit?: number | null | undefined;
  lowStockThreshold?: number | null | undefined;
  throttlePerSecond?: number | null | undefined;
  buckets?: number | null | undefined;
  /** The location `available` is set in; `default` when left out. */
  locationId?: string | null | undefined;
}

/**
 * No control characters (C0, DEL, C1): PostgreSQL refuses a NUL, and the others corrupt logs, exports
 * and terminals the name is shown on. No lone surrogates: not Unicode, they would be stored as U+FFFD.
 */
const printable = /^[^\p{Cc}\p{Cs}]*$/u;

/** Counted in code points, as the column's varchar(200) counts, so an emoji counts once. */
const skuName = z
  .string()
  .refine((name) => name.length <= MAX_NAME_LENGTH || [...name].length <= MAX_NAME_LENGTH, {
    error: `INVALID_NAME:at most ${MAX_NAME_LENGTH} characters`,
  })
  .regex(printable, { error: 'INVALID_NAME:printable characters only, no control characters' });

const upserts = z
  .array(
    z.object({
      id: skuId,
      name: skuName.nullish(),
      available: stockLevel.nullish(),
      unlimited: z.boolean().nullish(),
      backorderLimit: backorderLimit.nullish(),
      lowStockThreshold: stockLevel.nullish(),
      throttlePerSecond: throttlePerSecond.nullish(),
      buckets: buckets.nullish(),
      locationId: locationId.nullish(),
    }),
  )
  .min(1, { error: 'EMPTY_SKU_LIST:give at least one SKU' })
  .max(MAX_UPSERT_SKUS, { error: `TOO_MANY_SKUS:at most ${MAX_UPSERT_SKUS} SKUs per call` })
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    for (const [i, u] of list.entries()) {
      if (seen.has(u.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `DUPLICATE_SKU_LINE:SKU ${u.id} is listed twice` });
      seen.add(u.id);
    }
  });

type Upsert = z.infer<typeof upserts>[number];

/** A SKU of the call was created by another call after this one locked its rows: start over. */
class RowsAppeared extends Error {}
/** Each attempt that meets RowsAppeared finds those rows existing the next time; SKUs are never deleted. */
const UPSERT_ATTEMPTS = 3;

/**
 * Creates SKUs or changes them; fields left out keep their value. A new `available` is written as an
 * ADJUST movement of the difference, so the ledger explains every unit (I1). It may lower stock, so it
 * fences off requests that passed the old counters (commitChange 'fence').
 * One transaction: a call that fails, however late, creates and changes no SKU of it.
 */
export async function upsertSkus(s: Services, input: UpsertSkuInput[]): Promise<SkuLevel[]> {
  const list = parseInput(upserts, input, 'input');
  await requireLocations(
    s.prisma,
    list.map((u, i) => [u.locationId ?? undefined, `input.${i}.locationId`] as const),
  );
  const ids = list.map((u) => u.id);
  for (let attempt = 1; ; attempt++) {
    try {
      const created = await commitChange(s, ids, 'fence', async (tx, epochs) => {
        const missing = ids.filter((id) => !epochs.has(id));
        const created = await createMissing(tx, missing);
        return { result: created, movements: await applyUpserts(tx, list) };
      });
      // commitChange announces the SKUs it fenced; new ones had nothing to fence.
      if (created.length > 0) s.levelsChanged(created);
      break;
    } catch (err) {
      if (!(err instanceof RowsAppeared) || attempt === UPSERT_ATTEMPTS) throw err;
    }
  }
  return (await levels(s, ids)) as SkuLevel[];
}

/**
 * Creates the SKUs of the call that do not exist yet, inside the call's transaction. They need no
 * fence: no gate counter exists for a SKU that did not. A SKU another call created since this one
 * locked its rows was neither locked nor fenced here, so the call starts over, and then it is.
 */
async function createMissing(tx: Tx, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const made = await tx.$queryRawUnsafe<{ id: string }[]>(
    `INSERT INTO sku (id, updated_at) SELECT unnest($1::text[]), now() ON CONFLICT (id) DO NOTHING RETURNING id`,
    [...ids].sort(),
  );
  if (made.length < ids.length) throw new RowsAppeared();
  return made.map((r) => r.id);
}

/** Writes the fields given; returns the ADJUST movements that take each level where it was asked. */
async function applyUpserts(tx: Tx, list: Upsert[]): Promise<MovementRow[]> {
  const ids = list.map((u) => u.id);
  const truth = await readTruth(tx, ids);
  const owed = await owedUnderNewLimits(tx, list, truth);
  const movements: MovementRow[] = [];
  for (const [i, u] of list.entries()) {
    const at = u.locationId ?? DEFAULT_LOCATION;
    const now = truth.get(u.id);
    if (now) requireBucketsAllowed({ ...now, buckets: u.buckets ?? now.buckets }, at, `input.${i}`);
    await tx.sku.update({
      where: { id: u.id },
      data: {
        ...(u.name !== undefined ? { name: u.name } : {}),
        ...(u.unlimited != null ? { unlimited: u.unlimited } : {}),
        ...(u.backorderLimit != null ? { backorderLimit: u.backorderLimit } : {}),
        ...(owed.has(u.id) ? { owedBackorders: owed.get(u.id) } : {}),
        ...(u.lowStockThreshold !== undefined ? { lowStockThreshold: u.lowStockThreshold } : {}),
        // The fence drops the counter, so the next attempt loads the new throttle.
        ...(u.throttlePerSecond !== undefined ? { throttlePerSecond: u.throttlePerSecond } : {}),
        // The fence drops every bucket, and the next load splits the stock into the new count.
        ...(u.buckets != null ? { buckets: u.buckets } : {}),
      },
    });
    if (u.available != null) movements.push(...adjustment(u.id, u.available - (now ? stockAt(now, at).available : 0), at));
  }
  return movements;
}

/**
 * What each existing SKU whose backorder limit the call sets owes beyond the new limit: backorders the
 * old floor allowed and the truth has not filled (src/ledger/backorders.ts). Read under the fence's row
 * lock, so no take or merge moves them meanwhile. A new `available` in the same call is an ADJUST
 * movement: once it is merged, the merge lowers what is owed by what it filled.
 */
async function owedUnderNewLimits(tx: Tx, list: Upsert[], truth: Map<string, SkuStock>): Promise<Map<string, number>> {
  const changing = list.filter((u) => u.backorderLimit != null && truth.has(u.id));
  if (changing.length === 0) return new Map();
  const rows = await tx.$queryRawUnsafe<{ id: string; owed: number }[]>(
    `SELECT id, owed_backorders AS owed FROM sku WHERE id = ANY($1::text[])`,
    changing.map((u) => u.id),
  );
  const owedBefore = new Map(rows.map((r) => [r.id, r.owed]));
  return new Map(
    changing.map((u) => {
      const now = truth.get(u.id)!;
      const floorBefore = backorderFloor(now.backorderLimit, owedBefore.get(u.id) ?? 0);
      return [u.id, owedBackorders(floorBefore, now.available, u.backorderLimit!)];
    }),
  );
}

/**
 * A SKU in buckets keeps its stock in `default` (src/stock/locations.ts): neither set elsewhere, nor
 * split into buckets while it holds units elsewhere (LOCATION_NOT_ALLOWED).
 */
function requireBucketsAllowed(stock: SkuStock, at: string, field: string): void {
  requireLocationAllowed(stock, at, `${field}.locationId`);
  // Sold units count too: a refund returns them where they were sold.
  const elsewhere = stock.locations?.some(
    (l) => l.locationId !== DEFAULT_LOCATION && (l.available !== 0 || l.reserved !== 0 || l.sold !== 0),
  );
  if (elsewhere) requireLocationAllowed(stock, 'elsewhere', `${field}.buckets`);
}
