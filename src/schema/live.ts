import type { StockAlert, StockAlertKind, StockLevel, StockState } from '../live/publish.ts';
import { MAX_SKUS_PER_SUBSCRIPTION } from '../live/live.ts';
import { builder } from './builder.ts';
import type { Context } from './builder.ts';
import { skuNow } from './sku-reads.ts';
import { saturated, SkuRef } from './stock.ts';
import { LocationLevelRef } from './locations.ts';
import { liveLocationLevels, watchedLocations } from '../stock/locations.ts';

const StockStateEnum = builder.enumType('StockState', {
  description: 'Where a SKU stands for shoppers.',
  values: {
    IN_STOCK: { description: 'Above its low-stock threshold, or unlimited.' },
    LOW_STOCK: { description: 'At or below its low-stock threshold, and not sold out.' },
    SOLD_OUT: { description: 'Not one more unit can be sold (backorders included).' },
  } satisfies Record<StockState, unknown>,
});

const StockAlertKindEnum = builder.enumType('StockAlertKind', {
  values: {
    LOW_STOCK: { description: 'Available went down to or below the low-stock threshold (and not straight to sold out).' },
    SOLD_OUT: { description: 'The last unit that could be sold was sold.' },
    BACK_IN_STOCK: { description: 'A sold-out SKU can be sold again.' },
    OVERSOLD: {
      description:
        "More units were sold than existed: the SKU's truth is below its floor (a gate counter changed in Redis, or a defect). " +
        'Raised by the merge worker; audit the SKU (stockAudit) and rebuild its counter (reconcileStock).',
    },
  } satisfies Record<StockAlertKind, unknown>,
});

/**
 * The SKU a reading is of, with the reading's counts, so a client's cached SKU shows what the event says;
 * its other fields (name, settings) as they are now. Read only when a client selects it.
 */
async function skuOfReading(level: StockLevel, ctx: Context) {
  const now = await skuNow(ctx, level.skuId);
  const { available, reserved, sold, unlimited } = level;
  return { ...now, available, reserved, sold, unlimited };
}

/** A reading, and the locations its subscription asked about (stockLevels' locationIds). */
type Reading = StockLevel & { locationIds?: string[] };

const StockLevelRef = builder.objectRef<Reading>('StockLevel').implement({
  description: "One reading of a SKU's levels.",
  fields: (t) => ({
    skuId: t.exposeID('skuId'),
    sku: t.field({
      type: SkuRef,
      description: 'The SKU, with the counts of this reading: selecting it keeps a client cache of the SKU current.',
      resolve: (level, _, ctx) => skuOfReading(level, ctx),
    }),
    available: t.int({
      nullable: true,
      description: 'Null for unlimited SKUs.',
      resolve: (l) => (l.unlimited ? null : saturated(l.available)),
    }),
    // GraphQL Int is 32-bit: past 2^31 − 1 these read as 2,147,483,647 (see Sku).
    reserved: t.int({ resolve: (l) => saturated(l.reserved) }),
    sold: t.int({ resolve: (l) => saturated(l.sold) }),
    unlimited: t.exposeBoolean('unlimited'),
    state: t.field({ type: StockStateEnum, resolve: (l) => l.state }),
    lowStockThreshold: t.exposeInt('lowStockThreshold', { nullable: true }),
    version: t.expose('version', {
      type: 'SafeInt',
      description:
        'Grows with every reading of this SKU, whichever server made it: a reading with a lower version is older. ' +
        'An integer below 2^53 (about the time of the reading in microseconds).',
    }),
    changedAt: t.expose('changedAt', { type: 'DateTime', description: 'When this reading was taken.' }),
    levels: t.field({
      type: [LocationLevelRef],
      description:
        'Per location: those stockLevels named in locationIds (every location otherwise, and for alerts), read from the ledger when the reading is sent.',
      resolve: async (l, _, ctx) => {
        const all = await liveLocationLevels(ctx, l.skuId, l.version);
        return l.locationIds ? all.filter((at) => l.locationIds!.includes(at.location.id)) : all;
      },
    }),
  }),
});

const StockAlertRef = builder.objectRef<StockAlert>('StockAlert').implement({
  description: 'A SKU crossed a line; each crossing is sent once.',
  fields: (t) => ({
    kind: t.field({ type: StockAlertKindEnum, resolve: (a) => a.kind }),
    skuId: t.id({ resolve: (a) => a.level.skuId }),
    level: t.field({ type: StockLevelRef, description: 'The reading that crossed it.', resolve: (a) => a.level }),
  }),
});

builder.subscriptionFields((t) => ({
  stockLevels: t.field({
    type: StockLevelRef,
    description:
      `First the current level of every SKU, then its changes: per SKU at most the server's rate a second ` +
      `(LIVE_RATE_PER_SECOND), always ending on the latest. At most ${MAX_SKUS_PER_SUBSCRIPTION} SKUs.`,
    args: {
      skuIds: t.arg.idList(),
      locationIds: t.arg.idList({
        required: false,
        description: 'Also per location: each reading then carries `levels` of these locations (checked before the subscription starts).',
      }),
    },
    subscribe: async (_, { skuIds, locationIds }, ctx) => {
      if (locationIds) await watchedLocations(ctx, locationIds.map(String));
      return ctx.live.levels(skuIds.map(String));
    },
    resolve: (level, { locationIds }) => (locationIds ? { ...level, locationIds: locationIds.map(String) } : level),
  }),
  stockAlerts: t.field({
    type: StockAlertRef,
    description: `Low-stock, sold-out and back-in-stock alerts of these SKUs (all SKUs when omitted), each crossing once. At most ${MAX_SKUS_PER_SUBSCRIPTION} SKUs.`,
    args: { skuIds: t.arg.idList({ required: false }) },
    subscribe: (_, { skuIds }, ctx) => ctx.live.alerts(skuIds ? skuIds.map(String) : null),
    resolve: (alert) => alert,
  }),
}));
