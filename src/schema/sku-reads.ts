import DataLoader from 'dataloader';
import { MAX_READ_SKUS } from '../stock/input.ts';
import { levels, lowStockThresholds, type SkuLevel } from '../stock/levels.ts';
import type { Context } from './builder.ts';

/**
 * The SKU reads one GraphQL execution makes, batched: every `sku` of a cart's lines in one read, every
 * `lowStockThreshold` of a page in one query. Batching only, no cache: a subscription keeps its context
 * for every event it sends, and each event must read the SKU as it is then.
 */
interface SkuReads {
  skus: DataLoader<string, SkuLevel | null>;
  thresholds: DataLoader<string, number | null>;
}

const readsOf = new WeakMap<Context, SkuReads>();

function reads(ctx: Context): SkuReads {
  let r = readsOf.get(ctx);
  if (!r) {
    // At most one read's worth of ids per batch: levels() refuses more.
    r = {
      skus: new DataLoader((ids) => levels(ctx, [...ids]), { cache: false, maxBatchSize: MAX_READ_SKUS }),
      thresholds: new DataLoader((ids) => lowStockThresholds(ctx, ids), { cache: false, maxBatchSize: MAX_READ_SKUS }),
    };
    readsOf.set(ctx, r);
  }
  return r;
}

/** A SKU as it is now; SKUs are never deleted, so one named by a line or a reading that is gone is a broken invariant. */
export async function skuNow(ctx: Context, skuId: string): Promise<SkuLevel> {
  const sku = await reads(ctx).skus.load(skuId);
  if (!sku) throw new Error(`SKU ${skuId} vanished while an answer named it`);
  return sku;
}

export const lowStockThresholdOf = (ctx: Context, skuId: string): Promise<number | null> => reads(ctx).thresholds.load(skuId);
