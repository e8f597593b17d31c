import {
  listLocations,
  MAX_LOCATION_PRIORITY,
  MAX_UPSERT_LOCATIONS,
  transferStock,
  upsertLocations,
  type Location,
  type LocationLevel,
  type TransferStockSuccess,
} from '../stock/locations.ts';
import { IdempotencyConflict, InsufficientStock, UnknownSku } from '../stock/outcomes.ts';
import { builder } from './builder.ts';
import { SkuRef, saturated } from './stock.ts';
import { locationLevelsOf, skuNow } from './sku-reads.ts';

export const LocationRef = builder.objectRef<Location>('Location').implement({
  description:
    'A place stock is kept (a warehouse, a store). `default` exists from the start and holds the stock of requests that name no location.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    priority: t.exposeInt('priority', {
      description:
        'Allocation order: a line not pinned to a location is served by the active locations, lowest priority first (ties by id).',
    }),
    active: t.exposeBoolean('active', {
      description: 'An inactive location is not allocated from, nor counted in Sku.available; what it holds stays accounted for.',
    }),
  }),
});

export const LocationLevelRef = builder.objectRef<LocationLevel>('LocationLevel').implement({
  description: "A SKU's stock in one location.",
  fields: (t) => ({
    location: t.field({ type: LocationRef, resolve: (l) => l.location }),
    available: t.int({
      nullable: true,
      description: 'Null for unlimited SKUs.',
      resolve: (l) => (l.available === null ? null : saturated(l.available)),
    }),
    reserved: t.int({ resolve: (l) => saturated(l.reserved) }),
    sold: t.int({ resolve: (l) => saturated(l.sold) }),
  }),
});

builder.objectField(SkuRef, 'levels', (t) =>
  t.field({
    type: [LocationLevelRef],
    description:
      "The SKU's stock per location, every location listed, in allocation order; its available is the sum over the active ones, its reserved and sold over all.",
    resolve: (sku, _, ctx) => locationLevelsOf(ctx, sku.skuId),
  }),
);

const LocationInput = builder.inputType('LocationInput', {
  description: 'One location of an upsert.',
  fields: (t) => ({
    id: t.id({ description: 'Printable ASCII without spaces, braces, "," or ":".' }),
    name: t.string(),
    priority: t.int({ description: `Allocation order, 0 to ${MAX_LOCATION_PRIORITY}: lowest first.` }),
    active: t.boolean({ required: false, description: 'True for a new location when left out; an existing one keeps its own.' }),
  }),
});

const UpsertLocationsInput = builder.inputType('UpsertLocationsInput', {
  fields: (t) => ({ locations: t.field({ type: [LocationInput], description: `1 to ${MAX_UPSERT_LOCATIONS} locations, each id once.` }) }),
});

const UpsertLocationsSuccess = builder.objectRef<Location[]>('UpsertLocationsSuccess').implement({
  description: 'Every location of the call is created or updated, in the order given.',
  fields: (t) => ({ locations: t.field({ type: [LocationRef], resolve: (locations) => locations }) }),
});

const TransferStockInput = builder.inputType('TransferStockInput', {
  fields: (t) => ({
    skuId: t.id(),
    fromLocationId: t.id(),
    toLocationId: t.id(),
    quantity: t.int({ description: 'Available units to move, at least 1; never more than the source holds.' }),
    idempotencyKey: t.string(),
  }),
});

const TransferStockSuccessRef = builder.objectRef<TransferStockSuccess>('TransferStockSuccess').implement({
  description: 'The units moved, as a TRANSFER movement out of one location and one into the other.',
  fields: (t) => ({
    skuId: t.exposeID('skuId'),
    sku: t.field({ type: SkuRef, description: 'The SKU as it is now.', resolve: (r, _, ctx) => skuNow(ctx, r.skuId) }),
    fromLocationId: t.exposeID('fromLocationId'),
    toLocationId: t.exposeID('toLocationId'),
    quantity: t.exposeInt('quantity'),
  }),
});

builder.queryFields((t) => ({
  locations: t.field({
    type: [LocationRef],
    description: 'Every location, in allocation order.',
    resolve: (_, __, ctx) => listLocations(ctx.prisma),
  }),
}));

builder.mutationFields((t) => ({
  upsertLocations: t.field({
    type: UpsertLocationsSuccess,
    description:
      'Creates or changes locations (admin). A change of the locations reloads every gate counter with the new allocation order: takes in flight meanwhile are retried.',
    args: { input: t.arg({ type: UpsertLocationsInput }) },
    errors: { types: [], union: { name: 'UpsertLocationsResult' } },
    resolve: (_, { input }, ctx) =>
      upsertLocations(
        ctx,
        input.locations.map((l) => ({ ...l, id: String(l.id) })),
      ),
  }),
  transferStock: t.field({
    type: TransferStockSuccessRef,
    description: 'Moves available units of a SKU from one location to another, atomically; the same idempotency key counts once (admin).',
    args: { input: t.arg({ type: TransferStockInput }) },
    errors: { types: [InsufficientStock, UnknownSku, IdempotencyConflict], union: { name: 'TransferStockResult' } },
    resolve: (_, { input }, ctx) =>
      transferStock(ctx, {
        ...input,
        skuId: String(input.skuId),
        fromLocationId: String(input.fromLocationId),
        toLocationId: String(input.toLocationId),
      }),
  }),
}));
