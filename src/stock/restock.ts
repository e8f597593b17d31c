import { z } from 'zod';
import { readTruth } from '../ledger/truth.ts';
import { adjustment, commitChange } from '../sync/outbox.ts';
import { idempotencyKey, inputError, MAX_STOCK_LEVEL, parseInput, skuId as skuIdSchema, stockLevel } from './input.ts';
import { levels, type SkuLevel } from './levels.ts';
import { fingerprint, once } from './idempotency.ts';
import { StockChanged, UnknownSku } from './outcomes.ts';
import type { Services } from './services.ts';

export interface RestockInput {
  skuId: string;
  quantity: number;
  idempotencyKey: string;
}

export interface RestockSuccess {
  skuId: string;
  quantity: number;
  /** Available right after the restock (backorders are filled first: it may still be negative). */
  available: number;
  /** Whether the SKU was unlimited then (its available is not shown). Absent from answers stored before 0.2.0. */
  unlimited?: boolean;
}

/** A restock brings at most this many units at once: the level must stay within MAX_STOCK_LEVEL. */
const restockQuantity = z
  .number()
  .int({ error: 'INVALID_QUANTITY:must be an integer' })
  .min(1, { error: 'INVALID_QUANTITY:must be at least 1' })
  .max(MAX_STOCK_LEVEL, { error: `INVALID_QUANTITY:at most ${MAX_STOCK_LEVEL}` });

/** Merchant replenishment: RESTOCK movement, idempotent by key. */
export async function restock(s: Services, input: RestockInput): Promise<RestockSuccess> {
  const skuId = parseInput(skuIdSchema, input.skuId, 'skuId');
  const quantity = parseInput(restockQuantity, input.quantity, 'quantity');
  const key = parseInput(idempotencyKey, input.idempotencyKey, 'idempotencyKey');
  const op = { kind: 'RESTOCK', key, orderId: null, fingerprint: fingerprint(skuId, [{ skuId, quantity }]) } as const;
  return once<RestockSuccess>(s.prisma, op, (recorder) =>
    commitChange(s, [skuId], 'apply', async (tx, epochs) => {
      if (!epochs.has(skuId)) throw new UnknownSku([skuId]);
      return recorder.firstTime(tx, async () => {
        const truth = (await readTruth(tx, [skuId])).get(skuId)!;
        const available = truth.available + quantity;
        if (available > MAX_STOCK_LEVEL) throw inputError('INVALID_STOCK_LEVEL', `available would exceed ${MAX_STOCK_LEVEL}`, 'quantity');
        return {
          result: { skuId, quantity, available, unlimited: truth.unlimited },
          movements: [{ kind: 'RESTOCK', skuId, quantity, deltaAvailable: quantity, idempotencyKey: key }],
        };
      });
    }),
  );
}

export interface SetStockInput {
  skuId: string;
  available: number;
  expectedAvailable?: number | null | undefined;
}

/**
 * Merchant correction to an absolute level, written as an ADJUST movement of the difference. With
 * `expectedAvailable` it is compare-and-set against the truth at the moment the SKU row is locked.
 */
export async function setStock(s: Services, input: SetStockInput): Promise<SkuLevel> {
  const skuId = parseInput(skuIdSchema, input.skuId, 'skuId');
  const available = parseInput(stockLevel, input.available, 'available');
  const expected = input.expectedAvailable == null ? null : parseInput(z.number().int(), input.expectedAvailable, 'expectedAvailable');
  await commitChange(s, [skuId], 'fence', async (tx, epochs) => {
    if (!epochs.has(skuId)) throw new UnknownSku([skuId]);
    const truth = (await readTruth(tx, [skuId])).get(skuId)!;
    if (expected !== null && truth.available !== expected) throw new StockChanged(skuId, expected, truth.available);
    return { result: undefined, movements: adjustment(skuId, available - truth.available) };
  });
  return (await levels(s, [skuId]))[0]!;
}
