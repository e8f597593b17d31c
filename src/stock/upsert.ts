import { z } from 'zod';
import { adjustment, changeTruth, type MovementRow } from '../ledger/outbox.ts';
import { readTruth } from '../ledger/truth.ts';
import { backorderLimit, MAX_NAME_LENGTH, MAX_UPSERT_SKUS, parseInput, skuId, stockLevel, throttlePerSecond } from './input.ts';
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
}

const upserts = z
  .array(
    z.object({
      id: skuId,
      name: z
        .string()
        .max(MAX_NAME_LENGTH, { error: `INVALID_NAME:at most ${MAX_NAME_LENGTH} characters` })
        .nullish(),
      available: stockLevel.nullish(),
      unlimited: z.boolean().nullish(),
      backorderLimit: backorderLimit.nullish(),
      lowStockThreshold: stockLevel.nullish(),
      throttlePerSecond: throttlePerSecond.nullish(),
    }),
  )
  .min(1, { error: 'EMPTY_CART:give at least one SKU' })
  .max(MAX_UPSERT_SKUS, { error: `TOO_MANY_SKUS:at most ${MAX_UPSERT_SKUS} SKUs per call` })
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    for (const [i, u] of list.entries()) {
      if (seen.has(u.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `DUPLICATE_SKU_LINE:SKU ${u.id} is listed twice` });
      seen.add(u.id);
    }
  });

/**
 * Creates SKUs or changes them; fields left out keep their value. A new `available` is written as an
 * ADJUST movement of the difference, so the ledger explains every unit (I1). It may lower stock, so it
 * fences off requests that passed the old counters (changeTruth 'fence').
 */
export async function upsertSkus(s: Services, input: UpsertSkuInput[]): Promise<SkuLevel[]> {
  const list = parseInput(upserts, input, 'input');
  const ids = list.map((u) => u.id);
  // New SKUs first, so changeTruth locks and bumps every row of the call.
  await s.prisma.$executeRawUnsafe(`INSERT INTO sku (id, updated_at) SELECT unnest($1::text[]), now() ON CONFLICT (id) DO NOTHING`, ids);
  await changeTruth(s, ids, 'fence', async (tx) => {
    const truth = await readTruth(tx, ids);
    const movements: MovementRow[] = [];
    for (const u of list) {
      await tx.sku.update({
        where: { id: u.id },
        data: {
          ...(u.name !== undefined ? { name: u.name } : {}),
          ...(u.unlimited != null ? { unlimited: u.unlimited } : {}),
          ...(u.backorderLimit != null ? { backorderLimit: u.backorderLimit } : {}),
          ...(u.lowStockThreshold !== undefined ? { lowStockThreshold: u.lowStockThreshold } : {}),
          // The fence below drops the counter, so the next attempt loads the new throttle.
          ...(u.throttlePerSecond !== undefined ? { throttlePerSecond: u.throttlePerSecond } : {}),
        },
      });
      if (u.available != null) movements.push(...adjustment(u.id, u.available - (truth.get(u.id)?.available ?? 0)));
    }
    return { result: undefined, movements };
  });
  return (await levels(s, ids)) as SkuLevel[];
}
