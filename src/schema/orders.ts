import { orderId, parseInput } from '../stock/input.ts';
import type { OrderLine, OrderView } from '../stock/orders.ts';
import { order } from '../stock/orders.ts';
import { IdempotencyConflict, RefundExceedsDeducted, SkuNotInOrder, UnknownOrder, type ExceedingLine } from '../stock/outcomes.ts';
import { refund, type RefundSuccess } from '../stock/refund.ts';
import { reservation } from '../stock/reservations.ts';
import { readOwnWrites } from '../stock/reads.ts';
import { builder, OutcomeInterface } from './builder.ts';
import { ReservationRef } from './reservations.ts';
import { optionalId, SkuRef, StockLineInput } from './stock.ts';
import { skuNow } from './sku-reads.ts';

const OrderLineRef = builder.objectRef<OrderLine>('OrderLine').implement({
  description: 'What an order did to one SKU.',
  fields: (t) => ({
    skuId: t.exposeID('skuId'),
    deducted: t.exposeInt('deducted', { description: 'Units sold to the order (deducted, or reserved and confirmed).' }),
    refunded: t.exposeInt('refunded'),
    refundable: t.exposeInt('refundable', { description: 'deducted − refunded: the most a refund of this line may still return.' }),
  }),
});

const OrderRef = builder.objectRef<OrderView>('Order').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    lines: t.field({ type: [OrderLineRef], resolve: (o) => o.lines }),
    reservation: t.field({
      type: ReservationRef,
      nullable: true,
      description: 'The hold of this order, with its state and deadline, if it reserved stock.',
      resolve: (o, _, ctx) => readOwnWrites(ctx, (db) => reservation(db, o.id)),
    }),
  }),
});

const RefundedLine = builder.objectRef<RefundSuccess['lines'][number]>('RefundedLine').implement({
  fields: (t) => ({
    skuId: t.exposeID('skuId'),
    sku: t.field({ type: SkuRef, description: 'The SKU as it is now.', resolve: (l, _, ctx) => skuNow(ctx, l.skuId) }),
    quantity: t.exposeInt('quantity', { description: 'Units this refund returned.' }),
    deducted: t.exposeInt('deducted'),
    refunded: t.exposeInt('refunded', { description: 'Refunded on this line so far, this refund included.' }),
    refundable: t.exposeInt('refundable'),
  }),
});

const RefundStockSuccess = builder.objectRef<RefundSuccess>('RefundStockSuccess').implement({
  description: 'The units are back in stock and the refund is in the ledger.',
  fields: (t) => ({
    orderId: t.exposeID('orderId'),
    idempotencyKey: t.exposeString('refundId', { description: 'The key of this refund.' }),
    lines: t.field({ type: [RefundedLine], resolve: (r) => r.lines }),
  }),
});

const ExceedingLineRef = builder.objectRef<ExceedingLine>('ExceedingLine').implement({
  fields: (t) => ({
    skuId: t.exposeID('skuId'),
    deducted: t.exposeInt('deducted'),
    alreadyRefunded: t.exposeInt('alreadyRefunded'),
    requested: t.exposeInt('requested'),
  }),
});

builder.objectType(RefundExceedsDeducted, {
  name: 'RefundExceedsDeducted',
  description: 'A line would refund more than was deducted; nothing was refunded.',
  interfaces: [OutcomeInterface],
  fields: (t) => ({ lines: t.field({ type: [ExceedingLineRef], resolve: (e) => e.lines }) }),
});

builder.objectType(UnknownOrder, {
  name: 'UnknownOrder',
  interfaces: [OutcomeInterface],
  fields: (t) => ({ orderId: t.exposeID('orderId') }),
});

builder.objectType(SkuNotInOrder, {
  name: 'SkuNotInOrder',
  interfaces: [OutcomeInterface],
  fields: (t) => ({ orderId: t.exposeID('orderId'), skuIds: t.exposeIDList('skuIds') }),
});

const RefundStockInput = builder.inputType('RefundStockInput', {
  fields: (t) => ({
    orderId: t.id(),
    idempotencyKey: t.string({ description: 'Names this refund: the same key replays it, a new key refunds again.' }),
    lines: t.field({ type: [StockLineInput] }),
  }),
});

builder.queryFields((t) => ({
  order: t.field({
    type: OrderRef,
    nullable: true,
    description: 'An order as the ledger knows it; null when no stock moved for it.',
    args: { id: t.arg.id() },
    // Checked like every id (INVALID_ID, as sku(id) answers): no id that could never exist reaches the database.
    resolve: (_, { id }, ctx) => {
      const wanted = parseInput(orderId, String(id), 'id');
      return readOwnWrites(ctx, (db) => order(db, wanted));
    },
  }),
}));

builder.mutationFields((t) => ({
  refundStock: t.field({
    // Checkout may do this: replaces Mutation's admin requirement (src/schema/builder.ts).
    authScopes: { role: 'checkout' },
    skipTypeScopes: true,
    type: RefundStockSuccess,
    description: 'Returns units of a deducted order to stock. Partial refunds add up; the same idempotency key replays.',
    args: { input: t.arg({ type: RefundStockInput }) },
    errors: {
      types: [RefundExceedsDeducted, UnknownOrder, SkuNotInOrder, IdempotencyConflict],
      union: { name: 'RefundStockResult' },
    },
    resolve: (_, { input }, ctx) =>
      refund(ctx, {
        orderId: String(input.orderId),
        idempotencyKey: input.idempotencyKey,
        lines: input.lines.map((l) => ({ skuId: String(l.skuId), quantity: l.quantity, locationId: optionalId(l.locationId) })),
      }),
  }),
}));
