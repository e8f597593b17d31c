import { z } from 'zod';
import { readTruth } from '../ledger/truth.ts';
import { MAX_NAME_LENGTH, MAX_UPSERT_SKUS, parseInput, skuId, stockLevel } from './input.ts';
import { levels, type SkuLevel } from './levels.ts';
import type { Services } from './services.ts';

export interface UpsertSkuInput {
  id: string;
  name?: string | null | undefined;
  available?: number | null | undefined;
  unlimited?: boolean | null | undefined;
}

const upserts = z
  .array(
    z.object({
      id: skuId,
      name: z.string().max(MAX_NAME_LENGTH, { error: `INVALID_NAME:at most ${MAX_NAME_LENGTH} characters` }).nullish(),
      available: stockLevel.nullish(),
      unlimited: z.boolean().nullish(),
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
 * ADJUST movement of the difference, so the ledger explains every unit (I1).
 *
 * Like every change that starts in PostgreSQL, it bumps the SKU's epoch in the same transaction and
 * then drops the gate's counter: requests that passed the old counter are fenced off by the ledger,
 * and if this process dies before dropping the counter, the next fenced request drops it.
 */
export async function upsertSkus(s: Services, input: UpsertSkuInput[]): Promise<SkuLevel[]> {
  const list = parseInput(upserts, input, 'input').sort((a, b) => (a.id < b.id ? -1 : 1));
  const epochs = await s.prisma.$transaction(async (tx) => {
    const bumped: { id: string; epoch: number }[] = [];
    for (const u of list) {
      const row = await tx.sku.upsert({
        where: { id: u.id },
        create: { id: u.id, name: u.name ?? null, unlimited: u.unlimited ?? false, epoch: 1 },
        update: {
          ...(u.name !== undefined ? { name: u.name } : {}),
          ...(u.unlimited != null ? { unlimited: u.unlimited } : {}),
          epoch: { increment: 1 },
        },
        select: { id: true, epoch: true },
      });
      bumped.push(row);
      if (u.available == null) continue;
      const truth = (await readTruth(tx, [u.id])).get(u.id);
      const delta = u.available - (truth?.available ?? 0);
      if (delta !== 0) {
        await tx.movement.create({ data: { kind: 'ADJUST', skuId: u.id, quantity: Math.abs(delta), deltaAvailable: delta } });
      }
    }
    return bumped;
  });
  try {
    await Promise.all(epochs.map((e) => s.gate.invalidate(e.id, e.epoch)));
  } catch (err) {
    s.log.warn({ err }, 'could not drop gate counters after an upsert; the epoch fence will');
  }
  return (await levels(s, list.map((u) => u.id))) as SkuLevel[];
}
