import type { Tx } from '../db/client.ts';
import type { CartLine } from '../inventory.ts';
import { commitChange, type Change } from '../sync/outbox.ts';
import { cartLines, idempotencyKey, orderId as orderIdSchema, parseInput, unpinned } from './input.ts';
import { fingerprint, once } from './idempotency.ts';
import { orderLines, partsBack, unitsByLocation, type OrderLine } from './orders.ts';
import { RefundExceedsDeducted, SkuNotInOrder, UnknownOrder } from './outcomes.ts';
import type { Services } from './services.ts';

export interface RefundInput {
  orderId: string;
  /** Names this refund: the same key replays it. */
  idempotencyKey: string;
  lines: CartLine[];
}

export interface RefundSuccess {
  orderId: string;
  /** The refund's idempotency key (the API's `idempotencyKey`; stored answers keep this name). */
  refundId: string;
  /** Each refunded line of the order after this refund. */
  lines: (OrderLine & { quantity: number })[];
}

/**
 * Returns units of a deducted order to stock (seed 001): partial and in several steps, idempotent by
 * refund id, and never more than was deducted per line (I5), however many refunds race.
 *
 * Rare, so it runs in PostgreSQL first and reaches the gate through the outbox; it only adds units,
 * so requests that passed the gate meanwhile stay valid.
 */
export async function refund(s: Services, input: RefundInput): Promise<RefundSuccess> {
  const orderId = parseInput(orderIdSchema, input.orderId, 'orderId');
  const refundId = parseInput(idempotencyKey, input.idempotencyKey, 'idempotencyKey');
  const lines = unpinned(parseInput(cartLines, input.lines, 'lines'), 'lines');
  const op = { kind: 'REFUND', key: refundId, orderId, fingerprint: fingerprint(orderId, lines) } as const;
  return once<RefundSuccess>(s.prisma, op, (recorder) =>
    commitChange(
      s,
      lines.map((l) => l.skuId),
      'apply',
      async (tx) => {
        // Refunds of one order run one after another, each seeing what the previous one refunded (I5).
        await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(hashtext('refund:' || $1))`, orderId);
        return recorder.firstTime(tx, () => refundUnderLock(tx, orderId, refundId, lines));
      },
    ),
  );
}

/** Under the order's refund lock: checks the request against what the order bought (I5), then the movements. */
async function refundUnderLock(tx: Tx, orderId: string, refundId: string, lines: CartLine[]): Promise<Change<RefundSuccess>> {
  const before = new Map((await orderLines(tx, orderId)).map((l) => [l.skuId, l]));
  if (before.size === 0) throw new UnknownOrder(orderId);
  const missing = lines.filter((l) => !before.has(l.skuId)).map((l) => l.skuId);
  if (missing.length > 0) throw new SkuNotInOrder(orderId, missing);
  const exceeding = lines
    .map((l) => ({ l, had: before.get(l.skuId)! }))
    .filter(({ l, had }) => l.quantity > had.refundable)
    .map(({ l, had }) => ({ skuId: l.skuId, deducted: had.deducted, alreadyRefunded: had.refunded, requested: l.quantity }));
  if (exceeding.length > 0) throw new RefundExceedsDeducted(exceeding);

  // Units go back to the locations they were sold from. What the sale did decides, not the SKU's flag
  // now: units an unlimited SKU made never become available, units taken from available all go back,
  // and return first.
  const sold = await unitsByLocation(tx, orderId, ['DEDUCT', 'CONFIRM'], ['REFUND']);
  const movements = lines.flatMap((l) =>
    partsBack(l.quantity, sold.get(l.skuId) ?? []).map((part) => ({
      kind: 'REFUND' as const,
      skuId: l.skuId,
      quantity: part.quantity,
      deltaAvailable: part.fromAvailable,
      deltaSold: -part.quantity,
      unlimitedQuantity: part.quantity - part.fromAvailable,
      orderId,
      idempotencyKey: refundId,
      locationId: part.locationId,
    })),
  );
  const result: RefundSuccess = {
    orderId,
    refundId,
    lines: lines.map((l) => {
      const had = before.get(l.skuId)!;
      return {
        skuId: l.skuId,
        quantity: l.quantity,
        deducted: had.deducted,
        refunded: had.refunded + l.quantity,
        refundable: had.refundable - l.quantity,
      };
    }),
  };
  return { result, movements };
}
