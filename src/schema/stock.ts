import { deduct, deductBatch, type DeductedLine, type DeductSuccess } from '../stock/deduct.ts';
import { levels, type SkuLevel } from '../stock/levels.ts';
import { IdempotencyConflict, InsufficientStock, Outcome, type ShortLine, StockChanged, Throttled, UnknownSku } from '../stock/outcomes.ts';
import { restock, setStock, setStockBatch, type RestockSuccess } from '../stock/restock.ts';
import { MAX_BATCH_CARTS, MAX_BATCH_LINES, MAX_BUCKETS, MAX_SET_STOCK_ITEMS, MAX_THROTTLE_PER_SECOND } from '../stock/input.ts';
import { upsertSkus } from '../stock/upsert.ts';
import { allInDefault } from '../stock/locations.ts';
import type { LocationUnits } from '../inventory.ts';
import type { InputObjectRef, UnionRef } from '@pothos/core';
import { builder, OutcomeInterface } from './builder.ts';

/** The schema's type settings, as Pothos's refs are parameterised by them. */
type SchemaTypesOf = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
import { lowStockThresholdOf, skuNow } from './sku-reads.ts';

/** GraphQL's Int is 32-bit. */
const INT_MAX = 2_147_483_647;
const INT_MIN = -2_147_483_648;

/**
 * A level as GraphQL's Int can carry it: past 2^31 − 1 (an unlimited SKU's sold count gets there) it
 * reads as 2,147,483,647 instead of failing the whole read; the truth in PostgreSQL is 64-bit and exact.
 * A wider field would change the schema's types, so it waits for a schema change of its own.
 */
export const saturated = (n: number): number => Math.min(INT_MAX, Math.max(INT_MIN, n));

export const SkuRef = builder.objectRef<SkuLevel>('Sku').implement({
  description: 'A stock-keeping unit and its levels. Units are conserved: available + reserved + sold changes only through the ledger.',
  fields: (t) => ({
    id: t.exposeID('skuId', { description: "The merchant's SKU code." }),
    name: t.exposeString('name', { nullable: true }),
    available: t.int({
      nullable: true,
      description: 'Units that can be sold now; null for unlimited SKUs. Negative only for backorders.',
      resolve: (s) => (s.unlimited ? null : saturated(s.available)),
    }),
    // No description added: schema.graphql stays as it is; README says Int levels saturate.
    reserved: t.int({ resolve: (s) => saturated(s.reserved) }),
    sold: t.int({ resolve: (s) => saturated(s.sold) }),
    unlimited: t.exposeBoolean('unlimited'),
    backorderLimit: t.exposeInt('backorderLimit', { description: 'How far below zero available may go.' }),
    throttlePerSecond: t.exposeInt('throttlePerSecond', {
      nullable: true,
      description: 'Hot-SKU throttle: deduct and reserve attempts admitted per second across all instances; null for none.',
    }),
    buckets: t.exposeInt('buckets', { description: "Buckets the SKU's gate stock is split into (1: none)." }),
    lowStockThreshold: t.int({
      nullable: true,
      description: 'Available at or below this raises a LOW_STOCK alert; null for none.',
      resolve: (s, _, ctx) => lowStockThresholdOf(ctx, s.skuId),
    }),
  }),
});

export const StockLineInput = builder.inputType('StockLineInput', {
  fields: (t) => ({
    skuId: t.id(),
    quantity: t.int({ description: 'Positive, at most 1,000,000.' }),
    locationId: t.id({
      required: false,
      description:
        'Deducts and reserves: take only from this location. Left out: the active locations serve the line in priority order, split over several when no one has enough. Not for refunds, confirms and releases (units go back where they came from).',
    }),
  }),
});

const DeductStockInput = builder.inputType('DeductStockInput', {
  fields: (t) => ({
    orderId: t.id(),
    idempotencyKey: t.string({ required: false, description: 'Defaults to the order id.' }),
    lines: t.field({ type: [StockLineInput], description: 'One line per SKU, 1 to 50 lines.' }),
  }),
});

const SkuInput = builder.inputType('SkuInput', {
  description: 'One SKU of an upsert: fields left out keep their value (a new SKU starts with none in stock).',
  fields: (t) => ({
    id: t.id(),
    name: t.string({ required: false }),
    available: t.int({ required: false, description: 'Sets the level; the difference is written to the ledger as ADJUST.' }),
    unlimited: t.boolean({ required: false }),
    backorderLimit: t.int({ required: false, description: 'Lets available go down to minus this (backorders).' }),
    lowStockThreshold: t.int({ required: false, description: 'Available at or below this raises a low-stock alert.' }),
    throttlePerSecond: t.int({
      required: false,
      description: `Hot-SKU throttle: deduct and reserve attempts admitted per second (1 to ${MAX_THROTTLE_PER_SECOND}); null removes it.`,
    }),
    locationId: t.id({ required: false, description: 'The location `available` sets the level of; `default` when left out.' }),
    buckets: t.int({
      required: false,
      description: `Splits the SKU's gate stock into this many buckets on different Redis shards (1 to ${MAX_BUCKETS}; 1: none), so a hot SKU's sales spread over them. A line takes from several buckets when one is short: it succeeds whenever they hold enough together.`,
    }),
  }),
});

const UpsertSkusInput = builder.inputType('UpsertSkusInput', {
  fields: (t) => ({ skus: t.field({ type: [SkuInput], description: 'Up to 100 SKUs, each id once.' }) }),
});

const RestockInput = builder.inputType('RestockInput', {
  fields: (t) => ({
    skuId: t.id(),
    quantity: t.int({ description: 'Units received, at least 1.' }),
    idempotencyKey: t.string(),
    locationId: t.id({ required: false, description: 'Where the units arrive; `default` when left out.' }),
  }),
});

const SetStockInput = builder.inputType('SetStockInput', {
  fields: (t) => ({
    skuId: t.id(),
    available: t.int({ description: 'The new absolute level.' }),
    expectedAvailable: t.int({ required: false, description: 'Compare-and-set: only if available (in the location) is still this.' }),
    locationId: t.id({ required: false, description: 'The location whose level is set; `default` when left out.' }),
  }),
});

const RestockSuccessRef = builder.objectRef<RestockSuccess>('RestockSuccess').implement({
  description: 'The units are in stock and in the ledger.',
  fields: (t) => ({
    skuId: t.exposeID('skuId'),
    sku: t.field({ type: SkuRef, description: 'The SKU as it is now.', resolve: (r, _, ctx) => skuNow(ctx, r.skuId) }),
    quantity: t.exposeInt('quantity'),
    availableAfter: t.int({
      nullable: true,
      description: 'Available right after this restock (backorders are filled first); null if unlimited.',
      resolve: (r) => (r.unlimited === true ? null : saturated(r.available)),
    }),
  }),
});

const SetStockSuccess = builder.objectRef<SkuLevel>('SetStockSuccess').implement({
  description: 'The level is set, and the difference is in the ledger as ADJUST.',
  fields: (t) => ({ sku: t.field({ type: SkuRef, resolve: (s) => s }) }),
});

const UpsertSkusSuccess = builder.objectRef<SkuLevel[]>('UpsertSkusSuccess').implement({
  description: 'Every SKU of the call is created or updated, in the order given.',
  fields: (t) => ({ skus: t.field({ type: [SkuRef], resolve: (skus) => skus }) }),
});

builder.objectType(StockChanged, {
  name: 'StockChanged',
  description: 'Available was not the expected value; nothing was changed.',
  interfaces: [OutcomeInterface],
  fields: (t) => ({
    skuId: t.exposeID('skuId'),
    expectedAvailable: t.exposeInt('expectedAvailable'),
    currentAvailable: t.int({ description: 'Available as it is now.', resolve: (e) => saturated(e.currentAvailable) }),
  }),
});

const LocationAllocationRef = builder.objectRef<LocationUnits>('LocationAllocation').implement({
  description: 'Units of a line from one location.',
  fields: (t) => ({ locationId: t.exposeID('locationId'), quantity: t.exposeInt('quantity') }),
});

export const TakenLineRef = builder.objectRef<DeductedLine>('TakenLine').implement({
  description: 'A line a deduct or reserve took.',
  fields: (t) => ({
    skuId: t.exposeID('skuId'),
    sku: t.field({ type: SkuRef, description: 'The SKU as it is now.', resolve: (l, _, ctx) => skuNow(ctx, l.skuId) }),
    quantity: t.exposeInt('quantity'),
    availableAfter: t.int({
      nullable: true,
      description:
        'Available right after this take; null if unlimited, or if the SKU is split into buckets (its sku field reads the level).',
      resolve: (l) => (l.available == null ? null : saturated(l.available)),
    }),
    allocations: t.field({
      type: [LocationAllocationRef],
      description: 'Where the units came from, in the order taken: one location, or several when none had enough alone.',
      resolve: (l) => l.allocations ?? allInDefault(l.quantity),
    }),
  }),
});

const DeductStockSuccess = builder.objectRef<DeductSuccess>('DeductStockSuccess').implement({
  description: 'Every line was deducted, and the movements are in the ledger.',
  fields: (t) => ({
    orderId: t.exposeID('orderId'),
    idempotencyKey: t.exposeString('idempotencyKey'),
    lines: t.field({ type: [TakenLineRef], resolve: (d) => d.lines }),
  }),
});

const ShortLineRef = builder.objectRef<ShortLine>('ShortLine').implement({
  description: 'A line that cannot be served as asked.',
  fields: (t) => ({
    skuId: t.exposeID('skuId'),
    sku: t.field({ type: SkuRef, description: 'The SKU as it is now.', resolve: (l, _, ctx) => skuNow(ctx, l.skuId) }),
    requested: t.exposeInt('requested'),
    obtainable: t.int({
      description: 'The most this line could get now: available plus the backorder allowance (never unlimited: those are never short).',
      resolve: (l) => saturated(l.obtainable),
    }),
  }),
});

builder.objectType(InsufficientStock, {
  name: 'InsufficientStock',
  description: 'At least one line cannot be served; nothing was deducted.',
  interfaces: [OutcomeInterface],
  fields: (t) => ({ lines: t.field({ type: [ShortLineRef], resolve: (e) => e.lines }) }),
});

builder.objectType(UnknownSku, {
  name: 'UnknownSku',
  interfaces: [OutcomeInterface],
  fields: (t) => ({ skuIds: t.exposeIDList('skuIds') }),
});

builder.objectType(Throttled, {
  name: 'Throttled',
  description:
    'A SKU of the cart is over its hot-SKU throttle (throttlePerSecond); nothing moved. Send the same request again after retryAfterMs.',
  interfaces: [OutcomeInterface],
  fields: (t) => ({
    skuIds: t.exposeIDList('skuIds', { description: 'The throttled SKUs of the cart.' }),
    retryAfterMs: t.exposeInt('retryAfterMs', { description: 'When every one of them admits an attempt again.' }),
  }),
});

builder.objectType(IdempotencyConflict, {
  name: 'IdempotencyConflict',
  description: 'The idempotency key was used before with a different request.',
  interfaces: [OutcomeInterface],
  fields: (t) => ({ idempotencyKey: t.exposeString('idempotencyKey') }),
});

/** What a deduct answers: its success or one of its outcomes; a batch answers one per cart. */
const DeductStockResult = builder.errorUnion('DeductStockResult', {
  types: [DeductStockSuccess, InsufficientStock, UnknownSku, IdempotencyConflict, Throttled],
  // Outcomes resolve by their class (a batch returns them, a single deduct throws them); the rest is success.
  resolveType: (value) => (value instanceof Outcome ? undefined : 'DeductStockSuccess'),
});

/**
 * The types of a mutation's batch: `<mutation>BatchInput { <field> }` of its input, and
 * `<mutation>BatchPayload { results }` of its result union, results[i] answering the input's i-th.
 */
function batchOf<Field extends 'carts' | 'items', Item, Result>(
  name: string,
  field: { name: Field; description: string },
  item: InputObjectRef<SchemaTypesOf, Item>,
  result: UnionRef<SchemaTypesOf, Result, Result>,
) {
  const input = builder.inputType(`${name}BatchInput`, {
    fields: (t) => {
      const list = t.field({ type: [item], description: field.description });
      return { [field.name]: list } as Record<Field, typeof list>;
    },
  });
  const payload = builder.objectRef<Result[]>(`${name}BatchPayload`).implement({
    description: `One result per ${field.name === 'carts' ? 'cart' : 'item'}, in their order.`,
    fields: (t) => ({ results: t.field({ type: [result], resolve: (results) => results }) }),
  });
  return { input, payload };
}

/** The batch types of a cart mutation (deduct, reserve): `carts`, within the batch limits. */
export function cartBatch<Cart, Result>(
  name: string,
  cart: InputObjectRef<SchemaTypesOf, Cart>,
  result: UnionRef<SchemaTypesOf, Result, Result>,
) {
  return batchOf(name, { name: 'carts', description: `1 to ${MAX_BATCH_CARTS} carts, ${MAX_BATCH_LINES} lines in all.` }, cart, result);
}

/** What setting a level answers: its success or one of its outcomes; a batch answers one per item. */
const SetStockResult = builder.errorUnion('SetStockResult', {
  types: [SetStockSuccess, UnknownSku, StockChanged],
  // Outcomes resolve by their class (a batch returns them, a single setStock throws them); the rest is success.
  resolveType: (value) => (value instanceof Outcome ? undefined : 'SetStockSuccess'),
});

const SetStockBatch = batchOf(
  'SetStock',
  { name: 'items', description: `1 to ${MAX_SET_STOCK_ITEMS} levels, each SKU once.` },
  SetStockInput,
  SetStockResult,
);

const DeductStockBatch = cartBatch('DeductStock', DeductStockInput, DeductStockResult);

/** An optional ID argument as the domain takes it: a string, or left out. */
export const optionalId = (id: string | number | null | undefined): string | undefined => (id == null ? undefined : String(id));

/** A cart's input (a deduct's, and a reserve's but for its TTL) as the domain takes it: ids as strings. */
export function cartInput(input: {
  orderId: string | number;
  idempotencyKey?: string | null;
  lines: { skuId: string | number; quantity: number; locationId?: string | number | null }[];
}) {
  return {
    orderId: String(input.orderId),
    idempotencyKey: input.idempotencyKey,
    lines: input.lines.map((l) => ({ skuId: String(l.skuId), quantity: l.quantity, locationId: optionalId(l.locationId) })),
  };
}

builder.queryFields((t) => ({
  sku: t.field({
    type: SkuRef,
    nullable: true,
    args: { id: t.arg.id() },
    resolve: async (_, { id }, ctx) => (await levels(ctx, [String(id)], true))[0] ?? null,
  }),
  skus: t.field({
    type: [SkuRef],
    nullable: { list: false, items: true },
    description: 'In the order of ids; null for unknown ids. At most 500 ids.',
    args: { ids: t.arg.idList() },
    resolve: (_, { ids }, ctx) => levels(ctx, ids.map(String), true),
  }),
}));

builder.mutationFields((t) => ({
  upsertSkus: t.field({
    type: UpsertSkusSuccess,
    description: 'Creates or updates up to 100 SKUs in one transaction; fields left out keep their value.',
    args: { input: t.arg({ type: UpsertSkusInput }) },
    // No outcome: bad input is an error and changes nothing. A union all the same, like every mutation's.
    errors: { types: [], union: { name: 'UpsertSkusResult' } },
    resolve: (_, { input }, ctx) =>
      upsertSkus(
        ctx,
        input.skus.map((u) => ({ ...u, id: String(u.id), locationId: optionalId(u.locationId) })),
      ),
  }),
  restock: t.field({
    type: RestockSuccessRef,
    description: 'Merchant replenishment; the same idempotency key counts once.',
    args: { input: t.arg({ type: RestockInput }) },
    errors: { types: [UnknownSku, IdempotencyConflict], union: { name: 'RestockResult' } },
    resolve: (_, { input }, ctx) => restock(ctx, { ...input, skuId: String(input.skuId), locationId: optionalId(input.locationId) }),
  }),
  setStock: t.field({
    type: SetStockResult,
    description: 'Sets an absolute level, written to the ledger as ADJUST; compare-and-set with expectedAvailable.',
    args: { input: t.arg({ type: SetStockInput }) },
    resolve: (_, { input }, ctx) => setStock(ctx, { ...input, skuId: String(input.skuId), locationId: optionalId(input.locationId) }),
  }),
  setStockBatch: t.field({
    type: SetStockBatch.payload,
    description:
      `Sets up to ${MAX_SET_STOCK_ITEMS} levels in one transaction, each as setStock sets one, on its own (an unknown SKU or a ` +
      'changed level answers its outcome, the others are set); results[i] answers items[i]. Bad input in any item refuses the whole request.',
    args: { input: t.arg({ type: SetStockBatch.input }) },
    resolve: (_, { input }, ctx) =>
      setStockBatch(
        ctx,
        input.items.map((item) => ({ ...item, skuId: String(item.skuId), locationId: optionalId(item.locationId) })),
      ),
  }),
  deductStock: t.field({
    // Checkout may do this: replaces Mutation's admin requirement (src/schema/builder.ts).
    authScopes: { role: 'checkout' },
    skipTypeScopes: true,
    type: DeductStockResult,
    description: 'Deducts a whole cart: every line or none. Safe to retry with the same idempotency key.',
    args: { input: t.arg({ type: DeductStockInput }) },
    resolve: (_, { input }, ctx) => deduct(ctx, cartInput(input)),
  }),
  deductStockBatch: t.field({
    // Checkout may do this: replaces Mutation's admin requirement (src/schema/builder.ts).
    authScopes: { role: 'checkout' },
    skipTypeScopes: true,
    type: DeductStockBatch.payload,
    description:
      `Deducts up to ${MAX_BATCH_CARTS} carts (${MAX_BATCH_LINES} lines) at once: each cart every line or none, on its own, ` +
      'idempotent by its own key; results[i] answers carts[i]. Bad input in any cart refuses the whole request.',
    args: { input: t.arg({ type: DeductStockBatch.input }) },
    resolve: (_, { input }, ctx) => deductBatch(ctx, input.carts.map(cartInput)),
  }),
}));
