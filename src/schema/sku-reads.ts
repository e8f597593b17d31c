import DataLoader from 'dataloader';
import { MAX_READ_SKUS } from '../stock/input.ts';
import { levels, lowStockThresholds, type SkuLevel } from '../stock/levels.ts';
import { locationLevels, type LocationLevel } from '../stock/locations.ts';
import type { Context } from './builder.ts';

/**
 * The SKU reads one GraphQL execution makes, batched: every `sku` of a cart's lines in one read, every
 * `lowStockThreshold` and every `levels` (per location) of a page in one read. Batching only, no cache:
 * a subscription keeps its context for every event it sends, and each event must read the SKU as it is
 * then.
 */
interface SkuReads {
  skus: DataLoader<string, SkuLevel | null>;
  thresholds: DataLoader<string, number | null>;
  locationLevels: DataLoader<string, LocationLevel[]>;
}

const readsOf = new WeakMap<Context, SkuReads>();

function reads(ctx: Context): SkuReads {
  let r = readsOf.get(ctx);
  if (!r) {
    // At most one read's worth of ids per batch: levels() refuses more.
    r = {
      skus: new DataLoader((ids) => levels(ctx, [...ids]), { cache: false, maxBatchSize: MAX_READ_SKUS }),
      thresholds: new DataLoader((ids) => lowStockThresholds(ctx, ids), { cache: false, maxBatchSize: MAX_READ_SKUS }),
      locationLevels: new DataLoader(
        async (ids) => {
          const levels = await locationLevels(ctx, [...ids]);
          return ids.map((id) => levels.get(id) ?? []);
        },
        { cache: false, maxBatchSize: MAX_READ_SKUS },
      ),
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

/** A SKU's stock per location, every location listed (none for a SKU that does not exist). */
export const locationLevelsOf = (ctx: Context, skuId: string): Promise<LocationLevel[]> => reads(ctx).locationLevels.load(skuId);
