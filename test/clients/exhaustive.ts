/**
 * The codegen types at work: a function over each typed result union that switches on `__typename` with a
 * `never` default; a batch's results are checked to be the single mutation's type, so one switch reads both.
 * A member added to DeductStockResult, SetStockResult or ConfirmReservationResult (and so to the generated
 * types after `npm run codegen`) leaves a case unhandled, and `tsc -p .` fails here until a client handles it.
 * The `…_MEMBERS` records must name exactly the members of the generated union (`satisfies` rejects a missing
 * or an extra key); test/clients/request.test.ts compares them with the live server's introspection.
 */
import type { ResultOf } from '@graphql-typed-document-node/core';
import type {
  ClientConfirm,
  ClientDeduct,
  ClientDeductBatch,
  ClientReconcileStock,
  ClientSetStock,
  ClientSetStockBatch,
  ClientTransferStock,
} from './documents.ts';

export type DeductResult = ResultOf<typeof ClientDeduct>['deductStock'];
export type ConfirmResult = ResultOf<typeof ClientConfirm>['confirmReservation'];
export type SetStockResult = ResultOf<typeof ClientSetStock>['setStock'];
export type ReconcileResult = ResultOf<typeof ClientReconcileStock>['reconcileStock'];
export type TransferResult = ResultOf<typeof ClientTransferStock>['transferStock'];

/** A batch's results[i] is the single mutation's result, type for type: a client reads both with one switch. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const batchesAnswerAsSingles = {
  deduct: true,
  setStock: true,
} as const satisfies {
  deduct: Same<ResultOf<typeof ClientDeductBatch>['deductStockBatch']['results'][number], DeductResult>;
  setStock: Same<ResultOf<typeof ClientSetStockBatch>['setStockBatch']['results'][number], SetStockResult>;
};
void batchesAnswerAsSingles;

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

/** What an operator's console would say after a reconciliation. */
export function describeReconcile(r: ReconcileResult): string {
  switch (r.__typename) {
    case 'ReconcileStockSuccess':
      return r.audits
        .map((a) => `${a.skuId}: ${a.gateAgrees ? 'agrees' : `drift ${a.drift}`}${a.conserved ? '' : ', NOT conserved'}`)
        .join('; ');
    case 'UnknownSku':
      return `unknown: ${r.skuIds.join(', ')}`;
    default:
      return unhandled(r);
  }
}

/** What a merchant's back office would say after moving stock between locations. */
export function describeTransfer(r: TransferResult): string {
  switch (r.__typename) {
    case 'TransferStockSuccess':
      return `moved ${r.quantity} × ${r.skuId} from ${r.fromLocationId} to ${r.toLocationId}`;
    case 'InsufficientStock':
      return `short: ${r.lines.map((l) => `${l.skuId} ${l.requested} > ${l.obtainable}`).join(', ')}`;
    case 'UnknownSku':
      return `unknown: ${r.skuIds.join(', ')}`;
    case 'IdempotencyConflict':
      return `key ${r.idempotencyKey} was used for another request`;
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

/** What a merchant's sync would log for one level it set. */
export function describeSetStock(r: SetStockResult): string {
  switch (r.__typename) {
    case 'SetStockSuccess':
      return `${r.sku.id} set to ${r.sku.available ?? '∞'}`;
    case 'StockChanged':
      return `${r.skuId} is ${r.currentAvailable}, not ${r.expectedAvailable}: not set`;
    case 'UnknownSku':
      return `unknown: ${r.skuIds.join(', ')}`;
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

export const SET_STOCK_MEMBERS = {
  SetStockSuccess: true,
  StockChanged: true,
  UnknownSku: true,
} as const satisfies Record<SetStockResult['__typename'], true>;

export const RECONCILE_MEMBERS = {
  ReconcileStockSuccess: true,
  UnknownSku: true,
} as const satisfies Record<ReconcileResult['__typename'], true>;

export const TRANSFER_MEMBERS = {
  TransferStockSuccess: true,
  InsufficientStock: true,
  UnknownSku: true,
  IdempotencyConflict: true,
} as const satisfies Record<TransferResult['__typename'], true>;

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
