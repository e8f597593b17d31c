import { ReservationState } from '../generated/prisma/enums.ts';
import { IdempotencyConflict, InsufficientStock, Outcome, SkuNotInOrder, Throttled, UnknownSku } from '../stock/outcomes.ts';
import {
  ExceedsReserved,
  ReservationAlreadyConfirmed,
  ReservationAlreadyReleased,
  ReservationExpired,
  UnknownReservation,
  type ExceedingHold,
} from '../stock/outcomes.ts';
import {
  confirmReservation,
  MAX_RESERVATION_TTL_SECONDS,
  releaseReservation,
  reservation,
  reserve,
  reserveBatch,
  type HoldLine,
  type ReservationView,
  type ReserveSuccess,
} from '../stock/reservations.ts';
import { MAX_BATCH_CARTS, MAX_BATCH_LINES, orderId as orderIdFormat, parseInput } from '../stock/input.ts';
import { readOwnWrites } from '../stock/reads.ts';
import { builder, OutcomeInterface } from './builder.ts';
import { cartBatch, cartInput, optionalId, SkuRef, StockLineInput, TakenLineRef } from './stock.ts';
import { skuNow } from './sku-reads.ts';

const ReservationStateEnum = builder.enumType(ReservationState, {
  name: 'ReservationState',
  description: 'ACTIVE while units are held; otherwise how the last held units left.',
});

const HoldLineRef = builder.objectRef<HoldLine>('ReservationLine').implement({
  fields: (t) => ({
    skuId: t.exposeID('skuId'),
    reserved: t.exposeInt('reserved'),
    confirmed: t.exposeInt('confirmed'),
    released: t.exposeInt('released'),
    expired: t.exposeInt('expired'),
    held: t.exposeInt('held', { description: 'Still held: reserved − confirmed − released − expired.' }),
  }),
});

export const ReservationRef = builder.objectRef<ReservationView>('Reservation').implement({
  description: "An order's hold on stock: one per order.",
  fields: (t) => ({
    id: t.exposeID('orderId', { description: 'The order id: an order holds stock once.' }),
    orderId: t.exposeID('orderId'),
    state: t.expose('state', { type: ReservationStateEnum }),
    deadline: t.expose('deadline', { type: 'DateTime', description: 'Held units not confirmed by then return to stock.' }),
    lines: t.field({ type: [HoldLineRef], resolve: (r) => r.lines }),
  }),
});

const ReserveStockSuccess = builder.objectRef<ReserveSuccess>('ReserveStockSuccess').implement({
  description: 'Every line is held for the order until the deadline; the hold is in the ledger.',
  fields: (t) => ({
    orderId: t.exposeID('orderId'),
    idempotencyKey: t.exposeString('idempotencyKey'),
    deadline: t.field({
      type: 'DateTime',
      description: 'Held units not confirmed by then return to stock.',
      resolve: (r) => new Date(r.deadline),
    }),
    lines: t.field({ type: [TakenLineRef], resolve: (r) => r.lines }),
  }),
});

builder.objectType(UnknownReservation, {
  name: 'UnknownReservation',
  interfaces: [OutcomeInterface],
  fields: (t) => ({ orderId: t.exposeID('orderId') }),
});
builder.objectType(ReservationExpired, {
  name: 'ReservationExpired',
  description: 'The deadline passed: the held units went (or are going) back to stock.',
  interfaces: [OutcomeInterface],
  fields: (t) => ({ orderId: t.exposeID('orderId'), deadline: t.expose('deadline', { type: 'DateTime' }) }),
});
builder.objectType(ReservationAlreadyReleased, {
  name: 'ReservationAlreadyReleased',
  description: 'The order was cancelled: nothing is held any more.',
  interfaces: [OutcomeInterface],
  fields: (t) => ({ orderId: t.exposeID('orderId') }),
});
builder.objectType(ReservationAlreadyConfirmed, {
  name: 'ReservationAlreadyConfirmed',
  description: 'Every held unit was confirmed: nothing is held any more (refund what must go back).',
  interfaces: [OutcomeInterface],
  fields: (t) => ({ orderId: t.exposeID('orderId') }),
});
const ExceedingHoldRef = builder.objectRef<ExceedingHold>('ExceedingHold').implement({
  fields: (t) => ({
    skuId: t.exposeID('skuId'),
    sku: t.field({ type: SkuRef, description: 'The SKU as it is now.', resolve: (l, _, ctx) => skuNow(ctx, l.skuId) }),
    held: t.exposeInt('held'),
    requested: t.exposeInt('requested'),
  }),
});
builder.objectType(ExceedsReserved, {
  name: 'ExceedsReserved',
  description: 'A line asks for more than is still held; nothing moved.',
  interfaces: [OutcomeInterface],
  fields: (t) => ({ lines: t.field({ type: [ExceedingHoldRef], resolve: (e) => e.lines }) }),
});

const ReserveStockInput = builder.inputType('ReserveStockInput', {
  fields: (t) => ({
    orderId: t.id({ description: 'One reservation per order.' }),
    idempotencyKey: t.string({ required: false, description: 'Defaults to the order id.' }),
    lines: t.field({ type: [StockLineInput] }),
    ttlSeconds: t.int({ description: `How long to hold the units, 1 to ${MAX_RESERVATION_TTL_SECONDS} seconds.` }),
  }),
});

/** Confirm and release take the same input, each under its own name. */
const settleInput = (name: string, verb: string) =>
  builder.inputType(name, {
    fields: (t) => ({
      orderId: t.id(),
      lines: t.field({ type: [StockLineInput], required: false, description: `Part of the hold to ${verb}; all held units when absent.` }),
      idempotencyKey: t.string({
        required: false,
        description: 'Defaults to the order id, which makes settling everything idempotent; give each partial step its own key.',
      }),
    }),
  });
const ConfirmReservationInput = settleInput('ConfirmReservationInput', 'confirm');
const ReleaseReservationInput = settleInput('ReleaseReservationInput', 'release');

/** What a settlement answers: the reservation after it. */
const settleSuccess = (name: string, description: string) =>
  builder.objectRef<ReservationView>(name).implement({
    description,
    fields: (t) => ({ reservation: t.field({ type: ReservationRef, resolve: (r) => r }) }),
  });
const ConfirmReservationSuccess = settleSuccess('ConfirmReservationSuccess', 'The units are sold; the reservation as it is after it.');
const ReleaseReservationSuccess = settleSuccess(
  'ReleaseReservationSuccess',
  'The units are back in stock; the reservation as it is after it.',
);

/** What a reserve answers: its success or one of its outcomes; a batch answers one per cart. */
const ReserveStockResult = builder.errorUnion('ReserveStockResult', {
  types: [ReserveStockSuccess, InsufficientStock, UnknownSku, IdempotencyConflict, Throttled],
  // Outcomes resolve by their class (a batch returns them, a single reserve throws them); the rest is success.
  resolveType: (value) => (value instanceof Outcome ? undefined : 'ReserveStockSuccess'),
});

const ReserveStockBatch = cartBatch('ReserveStock', ReserveStockInput, ReserveStockResult);

/** A reserve's input as the domain takes it. */
const reserveInput = (input: Parameters<typeof cartInput>[0] & { ttlSeconds: number }) => ({
  ...cartInput(input),
  ttlSeconds: input.ttlSeconds,
});

const settleErrors = [
  UnknownReservation,
  ReservationExpired,
  ReservationAlreadyReleased,
  ReservationAlreadyConfirmed,
  ExceedsReserved,
  SkuNotInOrder,
  IdempotencyConflict,
];

const settleArgs = (input: {
  orderId: string | number;
  lines?: { skuId: string | number; quantity: number; locationId?: string | number | null }[] | null;
  idempotencyKey?: string | null;
}) => ({
  orderId: String(input.orderId),
  idempotencyKey: input.idempotencyKey,
  lines: input.lines?.map((l) => ({ skuId: String(l.skuId), quantity: l.quantity, locationId: optionalId(l.locationId) })) ?? null,
});

builder.queryFields((t) => ({
  reservation: t.field({
    type: ReservationRef,
    nullable: true,
    args: { orderId: t.arg.id() },
    // Checked like every id (INVALID_ID, as sku(id) answers): no id that could never exist reaches the database.
    resolve: (_, { orderId }, ctx) => {
      const wanted = parseInput(orderIdFormat, String(orderId), 'orderId');
      return readOwnWrites(ctx, (db) => reservation(db, wanted));
    },
  }),
}));

builder.mutationFields((t) => ({
  reserveStock: t.field({
    // Checkout may do this: replaces Mutation's admin requirement (src/schema/builder.ts).
    authScopes: { role: 'checkout' },
    skipTypeScopes: true,
    type: ReserveStockResult,
    description: 'Holds a whole cart for an order (available → reserved) until confirmed, released or expired.',
    args: { input: t.arg({ type: ReserveStockInput }) },
    resolve: (_, { input }, ctx) => reserve(ctx, reserveInput(input)),
  }),
  reserveStockBatch: t.field({
    // Checkout may do this: replaces Mutation's admin requirement (src/schema/builder.ts).
    authScopes: { role: 'checkout' },
    skipTypeScopes: true,
    type: ReserveStockBatch.payload,
    description:
      `Holds up to ${MAX_BATCH_CARTS} carts (${MAX_BATCH_LINES} lines) at once, each as reserveStock holds one, on its own; ` +
      'results[i] answers carts[i]. Bad input in any cart refuses the whole request.',
    args: { input: t.arg({ type: ReserveStockBatch.input }) },
    resolve: (_, { input }, ctx) => reserveBatch(ctx, input.carts.map(reserveInput)),
  }),
  confirmReservation: t.field({
    // Checkout may do this: replaces Mutation's admin requirement (src/schema/builder.ts).
    authScopes: { role: 'checkout' },
    skipTypeScopes: true,
    type: ConfirmReservationSuccess,
    description: 'Payment arrived: held units become sold (reserved → sold).',
    args: { input: t.arg({ type: ConfirmReservationInput }) },
    errors: { types: settleErrors, union: { name: 'ConfirmReservationResult' } },
    resolve: (_, { input }, ctx) => confirmReservation(ctx, settleArgs(input)),
  }),
  releaseReservation: t.field({
    // Checkout may do this: replaces Mutation's admin requirement (src/schema/builder.ts).
    authScopes: { role: 'checkout' },
    skipTypeScopes: true,
    type: ReleaseReservationSuccess,
    description: 'The order was cancelled: held units return to stock (reserved → available).',
    args: { input: t.arg({ type: ReleaseReservationInput }) },
    errors: { types: settleErrors, union: { name: 'ReleaseReservationResult' } },
    resolve: (_, { input }, ctx) => releaseReservation(ctx, settleArgs(input)),
  }),
}));
