/**
 * The codegen types at work: a function over each typed result union that switches on `__typename` with a
 * `never` default. A member added to DeductStockResult or ConfirmReservationResult (and so to the generated
 * types after `npm run codegen`) leaves a case unhandled, and `tsc -p .` fails here until a client handles it.
 * The `…_MEMBERS` records must name exactly the members of the generated union (`satisfies` rejects a missing
 * or an extra key); test/clients/request.test.ts compares them with the live server's introspection.
 */
import type { ResultOf } from '@graphql-typed-document-node/core';
import type { ClientConfirm, ClientDeduct } from './documents.ts';

export type DeductResult = ResultOf<typeof ClientDeduct>['deductStock'];
export type ConfirmResult = ResultOf<typeof ClientConfirm>['confirmReservation'];

/** Fails the type check when a case is missing: `value` is `never` only if every member was handled. */
function unhandled(value: never): never {
  throw new Error(`unhandled result member: ${JSON.stringify(value)}`);
}

/** What a shop would tell its shopper after a deduct. */
export function describeDeduct(r: DeductResult): string {
  switch (r.__typename) {
    case 'DeductStockSuccess':
      return `deducted ${r.lines.map((l) => `${l.quantity} × ${l.skuId} (${l.sku.available ?? '∞'} left)`).join(', ')} for ${r.orderId}`;
    case 'InsufficientStock':
      return `short: ${r.lines.map((l) => `${l.skuId} ${l.requested} > ${l.obtainable}`).join(', ')}`;
    case 'UnknownSku':
      return `unknown: ${r.skuIds.join(', ')}`;
    case 'IdempotencyConflict':
      return `key ${r.idempotencyKey} was used for another request`;
    case 'Throttled':
      return `busy: ${r.skuIds.join(', ')}; retry after ${r.retryAfterMs} ms`;
    default:
      return unhandled(r);
  }
}

/** What a shop would tell its shopper after confirming a hold. */
export function describeConfirm(r: ConfirmResult): string {
  switch (r.__typename) {
    case 'ConfirmReservationSuccess':
      return `sold; ${r.reservation.orderId} is ${r.reservation.state}`;
    case 'ExceedsReserved':
      return `over the hold: ${r.lines.map((l) => `${l.skuId} ${l.requested} > ${l.held}`).join(', ')}`;
    case 'IdempotencyConflict':
      return `key ${r.idempotencyKey} was used for another request`;
    case 'ReservationAlreadyConfirmed':
      return `${r.orderId} was confirmed before`;
    case 'ReservationAlreadyReleased':
      return `${r.orderId} was cancelled`;
    case 'ReservationExpired':
      return `${r.orderId} expired at ${r.deadline}`;
    case 'SkuNotInOrder':
      return `${r.skuIds.join(', ')} not in ${r.orderId}`;
    case 'UnknownReservation':
      return `${r.orderId} holds nothing`;
    default:
      return unhandled(r);
  }
}

export const DEDUCT_MEMBERS = {
  DeductStockSuccess: true,
  IdempotencyConflict: true,
  InsufficientStock: true,
  Throttled: true,
  UnknownSku: true,
} as const satisfies Record<DeductResult['__typename'], true>;

export const CONFIRM_MEMBERS = {
  ConfirmReservationSuccess: true,
  ExceedsReserved: true,
  IdempotencyConflict: true,
  ReservationAlreadyConfirmed: true,
  ReservationAlreadyReleased: true,
  ReservationExpired: true,
  SkuNotInOrder: true,
  UnknownReservation: true,
} as const satisfies Record<ConfirmResult['__typename'], true>;
