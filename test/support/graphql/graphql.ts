/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type ConfirmReservationInput = {
  /** Defaults to the order id, which makes settling everything idempotent; give each partial step its own key. */
  idempotencyKey?: string | null | undefined;
  /** Part of the hold to confirm; all held units when absent. */
  lines?: Array<StockLineInput> | null | undefined;
  orderId: string | number;
};

export type DeductStockBatchInput = {
  /** 1 to 1000 carts, 10000 lines in all. */
  carts: Array<DeductStockInput>;
};

export type DeductStockInput = {
  /** Defaults to the order id. */
  idempotencyKey?: string | null | undefined;
  /** One line per SKU, 1 to 50 lines. */
  lines: Array<StockLineInput>;
  orderId: string | number;
};

/** One location of an upsert. */
export type LocationInput = {
  /** True for a new location when left out; an existing one keeps its own. */
  active?: boolean | null | undefined;
  /** Printable ASCII without spaces, braces, "," or ":". */
  id: string | number;
  name: string;
  /** Allocation order, 0 to 1000000: lowest first. */
  priority: number;
};

/** What a ledger movement did. */
export type MovementKind =
  | 'ADJUST'
  | 'CONFIRM'
  | 'DEDUCT'
  | 'EXPIRE'
  | 'REFUND'
  | 'RELEASE'
  | 'RESERVE'
  | 'RESTOCK'
  | 'TRANSFER';

/** What an Outcome is: one code per member type, stable across releases. */
export type OutcomeCode =
  | 'EXCEEDS_RESERVED'
  | 'IDEMPOTENCY_CONFLICT'
  | 'INSUFFICIENT_STOCK'
  | 'REFUND_EXCEEDS_DEDUCTED'
  | 'RESERVATION_ALREADY_CONFIRMED'
  | 'RESERVATION_ALREADY_RELEASED'
  | 'RESERVATION_EXPIRED'
  | 'SKU_NOT_IN_ORDER'
  | 'STOCK_CHANGED'
  | 'THROTTLED'
  | 'UNKNOWN_ORDER'
  | 'UNKNOWN_RESERVATION'
  | 'UNKNOWN_SKU';

export type ReconcileStockInput = {
  /** The SKUs to rebuild, 1 to 100. */
  skuIds: Array<string | number>;
};

export type RefundStockInput = {
  /** Names this refund: the same key replays it, a new key refunds again. */
  idempotencyKey: string;
  lines: Array<StockLineInput>;
  orderId: string | number;
};

export type ReleaseReservationInput = {
  /** Defaults to the order id, which makes settling everything idempotent; give each partial step its own key. */
  idempotencyKey?: string | null | undefined;
  /** Part of the hold to release; all held units when absent. */
  lines?: Array<StockLineInput> | null | undefined;
  orderId: string | number;
};

/** ACTIVE while units are held; otherwise how the last held units left. */
export type ReservationState =
  | 'ACTIVE'
  | 'CONFIRMED'
  | 'EXPIRED'
  | 'RELEASED';

export type ReserveStockBatchInput = {
  /** 1 to 1000 carts, 10000 lines in all. */
  carts: Array<ReserveStockInput>;
};

export type ReserveStockInput = {
  /** Defaults to the order id. */
  idempotencyKey?: string | null | undefined;
  lines: Array<StockLineInput>;
  /** One reservation per order. */
  orderId: string | number;
  /** How long to hold the units, 1 to 86400 seconds. */
  ttlSeconds: number;
};

export type RestockInput = {
  idempotencyKey: string;
  /** Where the units arrive; `default` when left out. */
  locationId?: string | number | null | undefined;
  /** Units received, at least 1. */
  quantity: number;
  skuId: string | number;
};

export type SetStockBatchInput = {
  /** 1 to 10000 levels, each SKU once. */
  items: Array<SetStockInput>;
};

export type SetStockInput = {
  /** The new absolute level. */
  available: number;
  /** Compare-and-set: only if available (in the location) is still this. */
  expectedAvailable?: number | null | undefined;
  /** The location whose level is set; `default` when left out. */
  locationId?: string | number | null | undefined;
  skuId: string | number;
};

/** One SKU of an upsert: fields left out keep their value (a new SKU starts with none in stock). */
export type SkuInput = {
  /** Sets the level; the difference is written to the ledger as ADJUST. */
  available?: number | null | undefined;
  /** Lets available go down to minus this (backorders). */
  backorderLimit?: number | null | undefined;
  /** Splits the SKU's gate stock into this many buckets on different Redis shards (1 to 64; 1: none), so a hot SKU's sales spread over them. A line takes from several buckets when one is short: it succeeds whenever they hold enough together. */
  buckets?: number | null | undefined;
  id: string | number;
  /** The location `available` sets the level of; `default` when left out. */
  locationId?: string | number | null | undefined;
  /** Available at or below this raises a low-stock alert. */
  lowStockThreshold?: number | null | undefined;
  name?: string | null | undefined;
  /** Hot-SKU throttle: deduct and reserve attempts admitted per second (1 to 100000); null removes it. */
  throttlePerSecond?: number | null | undefined;
  unlimited?: boolean | null | undefined;
};

export type StockAlertKind =
  /** A sold-out SKU can be sold again. */
  | 'BACK_IN_STOCK'
  /** Available went down to or below the low-stock threshold (and not straight to sold out). */
  | 'LOW_STOCK'
  /** More units were sold than existed: the SKU's truth is below its floor (a gate counter changed in Redis, or a defect). Raised by the merge worker; audit the SKU (stockAudit) and rebuild its counter (reconcileStock). */
  | 'OVERSOLD'
  /** The last unit that could be sold was sold. */
  | 'SOLD_OUT';

export type StockLineInput = {
  /** Deducts and reserves: take only from this location. Left out: the active locations serve the line in priority order, split over several when no one has enough. Not for refunds, confirms and releases (units go back where they came from). */
  locationId?: string | number | null | undefined;
  /** Positive, at most 1,000,000. */
  quantity: number;
  skuId: string | number;
};

/** Where a SKU stands for shoppers. */
export type StockState =
  /** Above its low-stock threshold, or unlimited. */
  | 'IN_STOCK'
  /** At or below its low-stock threshold, and not sold out. */
  | 'LOW_STOCK'
  /** Not one more unit can be sold (backorders included). */
  | 'SOLD_OUT';

export type TransferStockInput = {
  fromLocationId: string | number;
  idempotencyKey: string;
  /** Available units to move, at least 1; never more than the source holds. */
  quantity: number;
  skuId: string | number;
  toLocationId: string | number;
};

export type UpsertLocationsInput = {
  /** 1 to 64 locations, each id once. */
  locations: Array<LocationInput>;
};

export type UpsertSkusInput = {
  /** Up to 100 SKUs, each id once. */
  skus: Array<SkuInput>;
};

export type ClientSkuFragment = { id: string, available: number | null, reserved: number, sold: number };

export type ClientTakenLineFragment = { skuId: string, quantity: number, availableAfter: number | null, sku: { id: string, available: number | null, reserved: number, sold: number } };

export type ClientIdempotencyConflictFragment = { code: OutcomeCode, message: string, idempotencyKey: string };

export type ClientInsufficientStockFragment = { code: OutcomeCode, message: string, lines: Array<{ skuId: string, requested: number, obtainable: number, sku: { id: string, available: number | null, reserved: number, sold: number } }> };

export type ClientThrottledFragment = { code: OutcomeCode, message: string, skuIds: Array<string>, retryAfterMs: number };

export type ClientUnknownSkuFragment = { code: OutcomeCode, message: string, skuIds: Array<string> };

export type ClientReservationFragment = { id: string, orderId: string, state: ReservationState, deadline: string, lines: Array<{ skuId: string, reserved: number, confirmed: number, released: number, expired: number, held: number }> };

type ClientSettleRefused_ExceedsReserved_Fragment = { code: OutcomeCode, message: string, lines: Array<{ skuId: string, held: number, requested: number, sku: { id: string, available: number | null, reserved: number, sold: number } }> };

type ClientSettleRefused_IdempotencyConflict_Fragment = { idempotencyKey: string, code: OutcomeCode, message: string };

type ClientSettleRefused_InsufficientStock_Fragment = { code: OutcomeCode, message: string };

type ClientSettleRefused_RefundExceedsDeducted_Fragment = { code: OutcomeCode, message: string };

type ClientSettleRefused_ReservationAlreadyConfirmed_Fragment = { orderId: string, code: OutcomeCode, message: string };

type ClientSettleRefused_ReservationAlreadyReleased_Fragment = { orderId: string, code: OutcomeCode, message: string };

type ClientSettleRefused_ReservationExpired_Fragment = { orderId: string, deadline: string, code: OutcomeCode, message: string };

type ClientSettleRefused_SkuNotInOrder_Fragment = { orderId: string, skuIds: Array<string>, code: OutcomeCode, message: string };

type ClientSettleRefused_StockChanged_Fragment = { code: OutcomeCode, message: string };

type ClientSettleRefused_Throttled_Fragment = { code: OutcomeCode, message: string };

type ClientSettleRefused_UnknownOrder_Fragment = { code: OutcomeCode, message: string };

type ClientSettleRefused_UnknownReservation_Fragment = { orderId: string, code: OutcomeCode, message: string };

type ClientSettleRefused_UnknownSku_Fragment = { code: OutcomeCode, message: string };

export type ClientSettleRefusedFragment =
  | ClientSettleRefused_ExceedsReserved_Fragment
  | ClientSettleRefused_IdempotencyConflict_Fragment
  | ClientSettleRefused_InsufficientStock_Fragment
  | ClientSettleRefused_RefundExceedsDeducted_Fragment
  | ClientSettleRefused_ReservationAlreadyConfirmed_Fragment
  | ClientSettleRefused_ReservationAlreadyReleased_Fragment
  | ClientSettleRefused_ReservationExpired_Fragment
  | ClientSettleRefused_SkuNotInOrder_Fragment
  | ClientSettleRefused_StockChanged_Fragment
  | ClientSettleRefused_Throttled_Fragment
  | ClientSettleRefused_UnknownOrder_Fragment
  | ClientSettleRefused_UnknownReservation_Fragment
  | ClientSettleRefused_UnknownSku_Fragment
;

type ClientDeductAnswer_DeductStockSuccess_Fragment = { __typename: 'DeductStockSuccess', orderId: string, idempotencyKey: string, lines: Array<{ skuId: string, quantity: number, availableAfter: number | null, sku: { id: string, available: number | null, reserved: number, sold: number } }> };

type ClientDeductAnswer_IdempotencyConflict_Fragment = { __typename: 'IdempotencyConflict', code: OutcomeCode, message: string, idempotencyKey: string };

type ClientDeductAnswer_InsufficientStock_Fragment = { __typename: 'InsufficientStock', code: OutcomeCode, message: string, lines: Array<{ skuId: string, requested: number, obtainable: number, sku: { id: string, available: number | null, reserved: number, sold: number } }> };

type ClientDeductAnswer_Throttled_Fragment = { __typename: 'Throttled', code: OutcomeCode, message: string, skuIds: Array<string>, retryAfterMs: number };

type ClientDeductAnswer_UnknownSku_Fragment = { __typename: 'UnknownSku', code: OutcomeCode, message: string, skuIds: Array<string> };

export type ClientDeductAnswerFragment =
  | ClientDeductAnswer_DeductStockSuccess_Fragment
  | ClientDeductAnswer_IdempotencyConflict_Fragment
  | ClientDeductAnswer_InsufficientStock_Fragment
  | ClientDeductAnswer_Throttled_Fragment
  | ClientDeductAnswer_UnknownSku_Fragment
;

export type ClientDeductMutationVariables = Exact<{
  input: DeductStockInput;
}>;


export type ClientDeductMutation = { deductStock:
    | { __typename: 'DeductStockSuccess', orderId: string, idempotencyKey: string, lines: Array<{ skuId: string, quantity: number, availableAfter: number | null, sku: { id: string, available: number | null, reserved: number, sold: number } }> }
    | { __typename: 'IdempotencyConflict', code: OutcomeCode, message: string, idempotencyKey: string }
    | { __typename: 'InsufficientStock', code: OutcomeCode, message: string, lines: Array<{ skuId: string, requested: number, obtainable: number, sku: { id: string, available: number | null, reserved: number, sold: number } }> }
    | { __typename: 'Throttled', code: OutcomeCode, message: string, skuIds: Array<string>, retryAfterMs: number }
    | { __typename: 'UnknownSku', code: OutcomeCode, message: string, skuIds: Array<string> }
   };

export type ClientDeductBatchMutationVariables = Exact<{
  input: DeductStockBatchInput;
}>;


export type ClientDeductBatchMutation = { deductStockBatch: { results: Array<
      | { __typename: 'DeductStockSuccess', orderId: string, idempotencyKey: string, lines: Array<{ skuId: string, quantity: number, availableAfter: number | null, sku: { id: string, available: number | null, reserved: number, sold: number } }> }
      | { __typename: 'IdempotencyConflict', code: OutcomeCode, message: string, idempotencyKey: string }
      | { __typename: 'InsufficientStock', code: OutcomeCode, message: string, lines: Array<{ skuId: string, requested: number, obtainable: number, sku: { id: string, available: number | null, reserved: number, sold: number } }> }
      | { __typename: 'Throttled', code: OutcomeCode, message: string, skuIds: Array<string>, retryAfterMs: number }
      | { __typename: 'UnknownSku', code: OutcomeCode, message: string, skuIds: Array<string> }
    > } };

export type ClientReserveMutationVariables = Exact<{
  input: ReserveStockInput;
}>;


export type ClientReserveMutation = { reserveStock:
    | { __typename: 'IdempotencyConflict', code: OutcomeCode, message: string, idempotencyKey: string }
    | { __typename: 'InsufficientStock', code: OutcomeCode, message: string, lines: Array<{ skuId: string, requested: number, obtainable: number, sku: { id: string, available: number | null, reserved: number, sold: number } }> }
    | { __typename: 'ReserveStockSuccess', orderId: string, idempotencyKey: string, deadline: string, lines: Array<{ skuId: string, quantity: number, availableAfter: number | null, sku: { id: string, available: number | null, reserved: number, sold: number } }> }
    | { __typename: 'Throttled', code: OutcomeCode, message: string, skuIds: Array<string>, retryAfterMs: number }
    | { __typename: 'UnknownSku', code: OutcomeCode, message: string, skuIds: Array<string> }
   };

export type ClientConfirmMutationVariables = Exact<{
  input: ConfirmReservationInput;
}>;


export type ClientConfirmMutation = { confirmReservation:
    | { __typename: 'ConfirmReservationSuccess', reservation: { id: string, orderId: string, state: ReservationState, deadline: string, lines: Array<{ skuId: string, reserved: number, confirmed: number, released: number, expired: number, held: number }> } }
    | { __typename: 'ExceedsReserved', code: OutcomeCode, message: string, lines: Array<{ skuId: string, held: number, requested: number, sku: { id: string, available: number | null, reserved: number, sold: number } }> }
    | { __typename: 'IdempotencyConflict', idempotencyKey: string, code: OutcomeCode, message: string }
    | { __typename: 'ReservationAlreadyConfirmed', orderId: string, code: OutcomeCode, message: string }
    | { __typename: 'ReservationAlreadyReleased', orderId: string, code: OutcomeCode, message: string }
    | { __typename: 'ReservationExpired', orderId: string, deadline: string, code: OutcomeCode, message: string }
    | { __typename: 'SkuNotInOrder', orderId: string, skuIds: Array<string>, code: OutcomeCode, message: string }
    | { __typename: 'UnknownReservation', orderId: string, code: OutcomeCode, message: string }
   };

export type ClientReleaseMutationVariables = Exact<{
  input: ReleaseReservationInput;
}>;


export type ClientReleaseMutation = { releaseReservation:
    | { __typename: 'ExceedsReserved', code: OutcomeCode, message: string, lines: Array<{ skuId: string, held: number, requested: number, sku: { id: string, available: number | null, reserved: number, sold: number } }> }
    | { __typename: 'IdempotencyConflict', idempotencyKey: string, code: OutcomeCode, message: string }
    | { __typename: 'ReleaseReservationSuccess', reservation: { id: string, orderId: string, state: ReservationState, deadline: string, lines: Array<{ skuId: string, reserved: number, confirmed: number, released: number, expired: number, held: number }> } }
    | { __typename: 'ReservationAlreadyConfirmed', orderId: string, code: OutcomeCode, message: string }
    | { __typename: 'ReservationAlreadyReleased', orderId: string, code: OutcomeCode, message: string }
    | { __typename: 'ReservationExpired', orderId: string, deadline: string, code: OutcomeCode, message: string }
    | { __typename: 'SkuNotInOrder', orderId: string, skuIds: Array<string>, code: OutcomeCode, message: string }
    | { __typename: 'UnknownReservation', orderId: string, code: OutcomeCode, message: string }
   };

export type ClientRefundMutationVariables = Exact<{
  input: RefundStockInput;
}>;


export type ClientRefundMutation = { refundStock:
    | { __typename: 'IdempotencyConflict', code: OutcomeCode, message: string, idempotencyKey: string }
    | { __typename: 'RefundExceedsDeducted', code: OutcomeCode, message: string, lines: Array<{ skuId: string, deducted: number, alreadyRefunded: number, requested: number }> }
    | { __typename: 'RefundStockSuccess', orderId: string, idempotencyKey: string, lines: Array<{ skuId: string, quantity: number, deducted: number, refunded: number, refundable: number, sku: { id: string, available: number | null, reserved: number, sold: number } }> }
    | { __typename: 'SkuNotInOrder', code: OutcomeCode, message: string, orderId: string, skuIds: Array<string> }
    | { __typename: 'UnknownOrder', code: OutcomeCode, message: string, orderId: string }
   };

export type ClientRestockMutationVariables = Exact<{
  input: RestockInput;
}>;


export type ClientRestockMutation = { restock:
    | { __typename: 'IdempotencyConflict', code: OutcomeCode, message: string, idempotencyKey: string }
    | { __typename: 'RestockSuccess', skuId: string, quantity: number, availableAfter: number | null, sku: { id: string, available: number | null, reserved: number, sold: number } }
    | { __typename: 'UnknownSku', code: OutcomeCode, message: string, skuIds: Array<string> }
   };

type ClientSetStockAnswer_SetStockSuccess_Fragment = { __typename: 'SetStockSuccess', sku: { id: string, available: number | null, reserved: number, sold: number } };

type ClientSetStockAnswer_StockChanged_Fragment = { __typename: 'StockChanged', code: OutcomeCode, message: string, skuId: string, expectedAvailable: number, currentAvailable: number };

type ClientSetStockAnswer_UnknownSku_Fragment = { __typename: 'UnknownSku', code: OutcomeCode, message: string, skuIds: Array<string> };

export type ClientSetStockAnswerFragment =
  | ClientSetStockAnswer_SetStockSuccess_Fragment
  | ClientSetStockAnswer_StockChanged_Fragment
  | ClientSetStockAnswer_UnknownSku_Fragment
;

export type ClientSetStockMutationVariables = Exact<{
  input: SetStockInput;
}>;


export type ClientSetStockMutation = { setStock:
    | { __typename: 'SetStockSuccess', sku: { id: string, available: number | null, reserved: number, sold: number } }
    | { __typename: 'StockChanged', code: OutcomeCode, message: string, skuId: string, expectedAvailable: number, currentAvailable: number }
    | { __typename: 'UnknownSku', code: OutcomeCode, message: string, skuIds: Array<string> }
   };

export type ClientSetStockBatchMutationVariables = Exact<{
  input: SetStockBatchInput;
}>;


export type ClientSetStockBatchMutation = { setStockBatch: { results: Array<
      | { __typename: 'SetStockSuccess', sku: { id: string, available: number | null, reserved: number, sold: number } }
      | { __typename: 'StockChanged', code: OutcomeCode, message: string, skuId: string, expectedAvailable: number, currentAvailable: number }
      | { __typename: 'UnknownSku', code: OutcomeCode, message: string, skuIds: Array<string> }
    > } };

export type ClientUpsertMutationVariables = Exact<{
  input: UpsertSkusInput;
}>;


export type ClientUpsertMutation = { upsertSkus: { __typename: 'UpsertSkusSuccess', skus: Array<{ name: string | null, unlimited: boolean, backorderLimit: number, id: string, available: number | null, reserved: number, sold: number }> } };

export type ClientSkuQueryVariables = Exact<{
  id: string | number;
}>;


export type ClientSkuQuery = { sku: { id: string, available: number | null, reserved: number, sold: number } | null };

export type ClientSkusQueryVariables = Exact<{
  ids: Array<string | number> | string | number;
}>;


export type ClientSkusQuery = { skus: Array<{ id: string, available: number | null, reserved: number, sold: number } | null> };

export type ClientMovementsQueryVariables = Exact<{
  skuId?: string | number | null | undefined;
  orderId?: string | number | null | undefined;
  kinds?: Array<MovementKind> | MovementKind | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type ClientMovementsQuery = { movements: { edges: Array<{ cursor: string, node: { id: string, kind: MovementKind, skuId: string, quantity: number, deltaAvailable: number, deltaReserved: number, deltaSold: number, orderId: string | null, createdAt: string } }>, pageInfo: { startCursor: string | null, endCursor: string | null, hasNextPage: boolean, hasPreviousPage: boolean } } };

export type ClientStockLevelsSubscriptionVariables = Exact<{
  skuIds: Array<string | number> | string | number;
}>;


export type ClientStockLevelsSubscription = { stockLevels: { skuId: string, available: number | null, reserved: number, sold: number, version: number, changedAt: string, sku: { id: string, available: number | null } } };

export type ClientStockMovementsSubscriptionVariables = Exact<{
  skuIds?: Array<string | number> | string | number | null | undefined;
  after?: string | null | undefined;
}>;


export type ClientStockMovementsSubscription = { stockMovements: { cursor: string, movement: { id: string, kind: MovementKind, skuId: string, quantity: number, deltaAvailable: number, deltaSold: number, orderId: string | null, createdAt: string } } };

export type ClientSkuAuditFragment = { skuId: string, conserved: boolean, gateAgrees: boolean, drift: number, unmergedMovements: number, lastReconciledAt: string | null };

export type ClientStockAuditQueryVariables = Exact<{
  skuIds: Array<string | number> | string | number;
}>;


export type ClientStockAuditQuery = { stockAudit: Array<{ skuId: string, conserved: boolean, gateAgrees: boolean, drift: number, unmergedMovements: number, lastReconciledAt: string | null }> };

export type ClientReconcileStockMutationVariables = Exact<{
  input: ReconcileStockInput;
}>;


export type ClientReconcileStockMutation = { reconcileStock:
    | { __typename: 'ReconcileStockSuccess', audits: Array<{ skuId: string, conserved: boolean, gateAgrees: boolean, drift: number, unmergedMovements: number, lastReconciledAt: string | null }> }
    | { __typename: 'UnknownSku', code: OutcomeCode, message: string, skuIds: Array<string> }
   };

export type ClientUpsertLocationsMutationVariables = Exact<{
  input: UpsertLocationsInput;
}>;


export type ClientUpsertLocationsMutation = { upsertLocations: { __typename: 'UpsertLocationsSuccess', locations: Array<{ id: string, name: string, priority: number, active: boolean }> } };

export type ClientTransferStockMutationVariables = Exact<{
  input: TransferStockInput;
}>;


export type ClientTransferStockMutation = { transferStock:
    | { __typename: 'IdempotencyConflict', code: OutcomeCode, message: string, idempotencyKey: string }
    | { __typename: 'InsufficientStock', code: OutcomeCode, message: string, lines: Array<{ skuId: string, requested: number, obtainable: number }> }
    | { __typename: 'TransferStockSuccess', skuId: string, fromLocationId: string, toLocationId: string, quantity: number, sku: { id: string, available: number | null, levels: Array<{ available: number | null, location: { id: string } }> } }
    | { __typename: 'UnknownSku', code: OutcomeCode, message: string, skuIds: Array<string> }
   };

type TakeRefused_IdempotencyConflict_Fragment = { code: OutcomeCode, message: string, idempotencyKey: string };

type TakeRefused_InsufficientStock_Fragment = { code: OutcomeCode, message: string, lines: Array<{ skuId: string, requested: number, obtainable: number }> };

type TakeRefused_Throttled_Fragment = { code: OutcomeCode, message: string, skuIds: Array<string>, retryAfterMs: number };

type TakeRefused_UnknownSku_Fragment = { code: OutcomeCode, message: string, skuIds: Array<string> };

export type TakeRefusedFragment =
  | TakeRefused_IdempotencyConflict_Fragment
  | TakeRefused_InsufficientStock_Fragment
  | TakeRefused_Throttled_Fragment
  | TakeRefused_UnknownSku_Fragment
;

export type DeductMutationVariables = Exact<{
  input: DeductStockInput;
}>;


export type DeductMutation = { deductStock:
    | { __typename: 'DeductStockSuccess', orderId: string, idempotencyKey: string, lines: Array<{ skuId: string, quantity: number, availableAfter: number | null }> }
    | { __typename: 'IdempotencyConflict', code: OutcomeCode, message: string, idempotencyKey: string }
    | { __typename: 'InsufficientStock', code: OutcomeCode, message: string, lines: Array<{ skuId: string, requested: number, obtainable: number }> }
    | { __typename: 'Throttled', code: OutcomeCode, message: string, skuIds: Array<string>, retryAfterMs: number }
    | { __typename: 'UnknownSku', code: OutcomeCode, message: string, skuIds: Array<string> }
   };

export type DeductBatchMutationVariables = Exact<{
  input: DeductStockBatchInput;
}>;


export type DeductBatchMutation = { deductStockBatch: { results: Array<
      | { __typename: 'DeductStockSuccess', orderId: string, idempotencyKey: string, lines: Array<{ skuId: string, quantity: number, availableAfter: number | null }> }
      | { __typename: 'IdempotencyConflict', code: OutcomeCode, message: string, idempotencyKey: string }
      | { __typename: 'InsufficientStock', code: OutcomeCode, message: string, lines: Array<{ skuId: string, requested: number, obtainable: number }> }
      | { __typename: 'Throttled', code: OutcomeCode, message: string, skuIds: Array<string>, retryAfterMs: number }
      | { __typename: 'UnknownSku', code: OutcomeCode, message: string, skuIds: Array<string> }
    > } };

export type ReserveBatchMutationVariables = Exact<{
  input: ReserveStockBatchInput;
}>;


export type ReserveBatchMutation = { reserveStockBatch: { results: Array<
      | { __typename: 'IdempotencyConflict', code: OutcomeCode, message: string, idempotencyKey: string }
      | { __typename: 'InsufficientStock', code: OutcomeCode, message: string, lines: Array<{ skuId: string, requested: number, obtainable: number }> }
      | { __typename: 'ReserveStockSuccess', orderId: string, idempotencyKey: string, deadline: string, lines: Array<{ skuId: string, quantity: number, availableAfter: number | null }> }
      | { __typename: 'Throttled', code: OutcomeCode, message: string, skuIds: Array<string>, retryAfterMs: number }
      | { __typename: 'UnknownSku', code: OutcomeCode, message: string, skuIds: Array<string> }
    > } };

export type ReserveMutationVariables = Exact<{
  input: ReserveStockInput;
}>;


export type ReserveMutation = { reserveStock:
    | { __typename: 'IdempotencyConflict', code: OutcomeCode, message: string, idempotencyKey: string }
    | { __typename: 'InsufficientStock', code: OutcomeCode, message: string, lines: Array<{ skuId: string, requested: number, obtainable: number }> }
    | { __typename: 'ReserveStockSuccess', orderId: string, idempotencyKey: string, deadline: string, lines: Array<{ skuId: string, quantity: number, availableAfter: number | null }> }
    | { __typename: 'Throttled', code: OutcomeCode, message: string, skuIds: Array<string>, retryAfterMs: number }
    | { __typename: 'UnknownSku', code: OutcomeCode, message: string, skuIds: Array<string> }
   };

export type HoldLinesFragment = { lines: Array<{ skuId: string, reserved: number, confirmed: number, released: number, expired: number, held: number }> };

export type SettledReservationFragment = { id: string, orderId: string, state: ReservationState, deadline: string, lines: Array<{ skuId: string, reserved: number, confirmed: number, released: number, expired: number, held: number }> };

type SettleRefused_ExceedsReserved_Fragment = { code: OutcomeCode, message: string, lines: Array<{ skuId: string, held: number, requested: number }> };

type SettleRefused_IdempotencyConflict_Fragment = { code: OutcomeCode, message: string, idempotencyKey: string };

type SettleRefused_ReservationAlreadyConfirmed_Fragment = { code: OutcomeCode, message: string, orderId: string };

type SettleRefused_ReservationAlreadyReleased_Fragment = { code: OutcomeCode, message: string, orderId: string };

type SettleRefused_ReservationExpired_Fragment = { code: OutcomeCode, message: string, orderId: string, deadline: string };

type SettleRefused_SkuNotInOrder_Fragment = { code: OutcomeCode, message: string, orderId: string, skuIds: Array<string> };

type SettleRefused_UnknownReservation_Fragment = { code: OutcomeCode, message: string, orderId: string };

export type SettleRefusedFragment =
  | SettleRefused_ExceedsReserved_Fragment
  | SettleRefused_IdempotencyConflict_Fragment
  | SettleRefused_ReservationAlreadyConfirmed_Fragment
  | SettleRefused_ReservationAlreadyReleased_Fragment
  | SettleRefused_ReservationExpired_Fragment
  | SettleRefused_SkuNotInOrder_Fragment
  | SettleRefused_UnknownReservation_Fragment
;

export type ConfirmMutationVariables = Exact<{
  input: ConfirmReservationInput;
}>;


export type ConfirmMutation = { settled:
    | { __typename: 'ConfirmReservationSuccess', reservation: { id: string, orderId: string, state: ReservationState, deadline: string, lines: Array<{ skuId: string, reserved: number, confirmed: number, released: number, expired: number, held: number }> } }
    | { __typename: 'ExceedsReserved', code: OutcomeCode, message: string, lines: Array<{ skuId: string, held: number, requested: number }> }
    | { __typename: 'IdempotencyConflict', code: OutcomeCode, message: string, idempotencyKey: string }
    | { __typename: 'ReservationAlreadyConfirmed', code: OutcomeCode, message: string, orderId: string }
    | { __typename: 'ReservationAlreadyReleased', code: OutcomeCode, message: string, orderId: string }
    | { __typename: 'ReservationExpired', code: OutcomeCode, message: string, orderId: string, deadline: string }
    | { __typename: 'SkuNotInOrder', code: OutcomeCode, message: string, orderId: string, skuIds: Array<string> }
    | { __typename: 'UnknownReservation', code: OutcomeCode, message: string, orderId: string }
   };

export type ReleaseMutationVariables = Exact<{
  input: ReleaseReservationInput;
}>;


export type ReleaseMutation = { settled:
    | { __typename: 'ExceedsReserved', code: OutcomeCode, message: string, lines: Array<{ skuId: string, held: number, requested: number }> }
    | { __typename: 'IdempotencyConflict', code: OutcomeCode, message: string, idempotencyKey: string }
    | { __typename: 'ReleaseReservationSuccess', reservation: { id: string, orderId: string, state: ReservationState, deadline: string, lines: Array<{ skuId: string, reserved: number, confirmed: number, released: number, expired: number, held: number }> } }
    | { __typename: 'ReservationAlreadyConfirmed', code: OutcomeCode, message: string, orderId: string }
    | { __typename: 'ReservationAlreadyReleased', code: OutcomeCode, message: string, orderId: string }
    | { __typename: 'ReservationExpired', code: OutcomeCode, message: string, orderId: string, deadline: string }
    | { __typename: 'SkuNotInOrder', code: OutcomeCode, message: string, orderId: string, skuIds: Array<string> }
    | { __typename: 'UnknownReservation', code: OutcomeCode, message: string, orderId: string }
   };

export type ReservationQueryVariables = Exact<{
  orderId: string | number;
}>;


export type ReservationQuery = { reservation: { orderId: string, state: ReservationState, deadline: string, lines: Array<{ skuId: string, reserved: number, confirmed: number, released: number, expired: number, held: number }> } | null };

export type RefundMutationVariables = Exact<{
  input: RefundStockInput;
}>;


export type RefundMutation = { refundStock:
    | { __typename: 'IdempotencyConflict', code: OutcomeCode, message: string, idempotencyKey: string }
    | { __typename: 'RefundExceedsDeducted', code: OutcomeCode, message: string, lines: Array<{ skuId: string, deducted: number, alreadyRefunded: number, requested: number }> }
    | { __typename: 'RefundStockSuccess', orderId: string, idempotencyKey: string, lines: Array<{ skuId: string, quantity: number, deducted: number, refunded: number, refundable: number }> }
    | { __typename: 'SkuNotInOrder', code: OutcomeCode, message: string, orderId: string, skuIds: Array<string> }
    | { __typename: 'UnknownOrder', code: OutcomeCode, message: string, orderId: string }
   };

export type RestockMutationVariables = Exact<{
  input: RestockInput;
}>;


export type RestockMutation = { restock:
    | { __typename: 'IdempotencyConflict', code: OutcomeCode, message: string, idempotencyKey: string }
    | { __typename: 'RestockSuccess', skuId: string, quantity: number, availableAfter: number | null }
    | { __typename: 'UnknownSku', code: OutcomeCode, message: string, skuIds: Array<string> }
   };

type SetStockAnswer_SetStockSuccess_Fragment = { __typename: 'SetStockSuccess', sku: { id: string, available: number | null, reserved: number, sold: number, unlimited: boolean, backorderLimit: number } };

type SetStockAnswer_StockChanged_Fragment = { __typename: 'StockChanged', code: OutcomeCode, message: string, skuId: string, expectedAvailable: number, currentAvailable: number };

type SetStockAnswer_UnknownSku_Fragment = { __typename: 'UnknownSku', code: OutcomeCode, message: string, skuIds: Array<string> };

export type SetStockAnswerFragment =
  | SetStockAnswer_SetStockSuccess_Fragment
  | SetStockAnswer_StockChanged_Fragment
  | SetStockAnswer_UnknownSku_Fragment
;

export type SetStockMutationVariables = Exact<{
  input: SetStockInput;
}>;


export type SetStockMutation = { setStock:
    | { __typename: 'SetStockSuccess', sku: { id: string, available: number | null, reserved: number, sold: number, unlimited: boolean, backorderLimit: number } }
    | { __typename: 'StockChanged', code: OutcomeCode, message: string, skuId: string, expectedAvailable: number, currentAvailable: number }
    | { __typename: 'UnknownSku', code: OutcomeCode, message: string, skuIds: Array<string> }
   };

export type SetStockBatchMutationVariables = Exact<{
  input: SetStockBatchInput;
}>;


export type SetStockBatchMutation = { setStockBatch: { results: Array<
      | { __typename: 'SetStockSuccess', sku: { id: string, available: number | null, reserved: number, sold: number, unlimited: boolean, backorderLimit: number } }
      | { __typename: 'StockChanged', code: OutcomeCode, message: string, skuId: string, expectedAvailable: number, currentAvailable: number }
      | { __typename: 'UnknownSku', code: OutcomeCode, message: string, skuIds: Array<string> }
    > } };

export type UpsertMutationVariables = Exact<{
  input: UpsertSkusInput;
}>;


export type UpsertMutation = { upsertSkus: { __typename: 'UpsertSkusSuccess', skus: Array<{ id: string, name: string | null, available: number | null, reserved: number, sold: number, unlimited: boolean }> } };

export type SkusQueryVariables = Exact<{
  ids: Array<string | number> | string | number;
}>;


export type SkusQuery = { skus: Array<{ id: string, name: string | null, available: number | null, reserved: number, sold: number, unlimited: boolean } | null> };

export type SkuQueryVariables = Exact<{
  id: string | number;
}>;


export type SkuQuery = { sku: { id: string, name: string | null, available: number | null, reserved: number, sold: number, unlimited: boolean, backorderLimit: number } | null };

export type UpsertThrottleMutationVariables = Exact<{
  input: UpsertSkusInput;
}>;


export type UpsertThrottleMutation = { upsertSkus: { __typename: 'UpsertSkusSuccess', skus: Array<{ id: string, available: number | null, throttlePerSecond: number | null }> } };

export type UpsertBucketsMutationVariables = Exact<{
  input: UpsertSkusInput;
}>;


export type UpsertBucketsMutation = { upsertSkus: { __typename: 'UpsertSkusSuccess', skus: Array<{ id: string, available: number | null, backorderLimit: number, buckets: number }> } };

export type SoldThrottleQueryVariables = Exact<{
  ids: Array<string | number> | string | number;
}>;


export type SoldThrottleQuery = { skus: Array<{ id: string, sold: number, reserved: number, throttlePerSecond: number | null } | null> };

export type OrderLinesFragment = { id: string, lines: Array<{ skuId: string, deducted: number, refunded: number, refundable: number }> };

export type OrderQueryVariables = Exact<{
  id: string | number;
}>;


export type OrderQuery = { order: { id: string, lines: Array<{ skuId: string, deducted: number, refunded: number, refundable: number }> } | null };

export type OrderWithReservationQueryVariables = Exact<{
  id: string | number;
}>;


export type OrderWithReservationQuery = { order: { id: string, reservation: { state: ReservationState, lines: Array<{ skuId: string, reserved: number, confirmed: number, released: number, expired: number, held: number }> } | null, lines: Array<{ skuId: string, deducted: number, refunded: number, refundable: number }> } | null };

export type MovementsQueryVariables = Exact<{
  skuId?: string | number | null | undefined;
  orderId?: string | number | null | undefined;
  kinds?: Array<MovementKind> | MovementKind | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
  last?: number | null | undefined;
  before?: string | null | undefined;
}>;


export type MovementsQuery = { movements: { edges: Array<{ cursor: string, node: { id: string, kind: MovementKind, skuId: string, quantity: number, deltaAvailable: number, deltaReserved: number, deltaSold: number, orderId: string | null, orderLine: number | null, idempotencyKey: string | null, createdAt: string } }>, pageInfo: { startCursor: string | null, endCursor: string | null, hasNextPage: boolean, hasPreviousPage: boolean } } };

export type LevelFragment = { skuId: string, available: number | null, reserved: number, sold: number, unlimited: boolean, state: StockState, lowStockThreshold: number | null, version: number, changedAt: string };

export type LevelsSubscriptionVariables = Exact<{
  skuIds: Array<string | number> | string | number;
}>;


export type LevelsSubscription = { stockLevels: { skuId: string, available: number | null, reserved: number, sold: number, unlimited: boolean, state: StockState, lowStockThreshold: number | null, version: number, changedAt: string } };

export type AlertsSubscriptionVariables = Exact<{
  skuIds?: Array<string | number> | string | number | null | undefined;
}>;


export type AlertsSubscription = { stockAlerts: { kind: StockAlertKind, skuId: string, level: { skuId: string, available: number | null, reserved: number, sold: number, state: StockState, version: number } } };

export type StockMovementsSubscriptionVariables = Exact<{
  skuIds?: Array<string | number> | string | number | null | undefined;
  after?: string | null | undefined;
}>;


export type StockMovementsSubscription = { stockMovements: { cursor: string, movement: { id: string, kind: MovementKind, skuId: string, quantity: number, deltaAvailable: number, deltaReserved: number, deltaSold: number, orderId: string | null, orderLine: number | null, idempotencyKey: string | null, createdAt: string } } };

export type AuditFragment = { skuId: string, conserved: boolean, gateAgrees: boolean, drift: number, unmergedMovements: number, lastReconciledAt: string | null };

export type StockAuditQueryVariables = Exact<{
  skuIds: Array<string | number> | string | number;
}>;


export type StockAuditQuery = { stockAudit: Array<{ skuId: string, conserved: boolean, gateAgrees: boolean, drift: number, unmergedMovements: number, lastReconciledAt: string | null }> };

export type ReconcileStockMutationVariables = Exact<{
  input: ReconcileStockInput;
}>;


export type ReconcileStockMutation = { reconcileStock:
    | { __typename: 'ReconcileStockSuccess', audits: Array<{ skuId: string, conserved: boolean, gateAgrees: boolean, drift: number, unmergedMovements: number, lastReconciledAt: string | null }> }
    | { __typename: 'UnknownSku', code: OutcomeCode, message: string, skuIds: Array<string> }
   };

export type UpsertLocationsMutationVariables = Exact<{
  input: UpsertLocationsInput;
}>;


export type UpsertLocationsMutation = { upsertLocations: { __typename: 'UpsertLocationsSuccess', locations: Array<{ id: string, name: string, priority: number, active: boolean }> } };

export type AllocatedLineFragment = { skuId: string, quantity: number, allocations: Array<{ locationId: string, quantity: number }> };

export type DeductAllocatedMutationVariables = Exact<{
  input: DeductStockInput;
}>;


export type DeductAllocatedMutation = { deductStock:
    | { __typename: 'DeductStockSuccess', lines: Array<{ skuId: string, quantity: number, allocations: Array<{ locationId: string, quantity: number }> }> }
    | { __typename: 'IdempotencyConflict', code: OutcomeCode, message: string, idempotencyKey: string }
    | { __typename: 'InsufficientStock', code: OutcomeCode, message: string, lines: Array<{ skuId: string, requested: number, obtainable: number }> }
    | { __typename: 'Throttled', code: OutcomeCode, message: string, skuIds: Array<string>, retryAfterMs: number }
    | { __typename: 'UnknownSku', code: OutcomeCode, message: string, skuIds: Array<string> }
   };

export type DeductBatchAllocatedMutationVariables = Exact<{
  input: DeductStockBatchInput;
}>;


export type DeductBatchAllocatedMutation = { deductStockBatch: { results: Array<
      | { __typename: 'DeductStockSuccess', lines: Array<{ skuId: string, quantity: number, allocations: Array<{ locationId: string, quantity: number }> }> }
      | { __typename: 'IdempotencyConflict', code: OutcomeCode, message: string, idempotencyKey: string }
      | { __typename: 'InsufficientStock', code: OutcomeCode, message: string, lines: Array<{ skuId: string, requested: number, obtainable: number }> }
      | { __typename: 'Throttled', code: OutcomeCode, message: string, skuIds: Array<string>, retryAfterMs: number }
      | { __typename: 'UnknownSku', code: OutcomeCode, message: string, skuIds: Array<string> }
    > } };

export type ReserveAllocatedMutationVariables = Exact<{
  input: ReserveStockInput;
}>;


export type ReserveAllocatedMutation = { reserveStock:
    | { __typename: 'IdempotencyConflict' }
    | { __typename: 'InsufficientStock' }
    | { __typename: 'ReserveStockSuccess', lines: Array<{ skuId: string, quantity: number, allocations: Array<{ locationId: string, quantity: number }> }> }
    | { __typename: 'Throttled' }
    | { __typename: 'UnknownSku' }
   };

export type SkuLevelsQueryVariables = Exact<{
  id: string | number;
}>;


export type SkuLevelsQuery = { sku: { available: number | null, reserved: number, sold: number, levels: Array<{ available: number | null, reserved: number, sold: number, location: { id: string, active: boolean } }> } | null };

export type TransferStockMutationVariables = Exact<{
  input: TransferStockInput;
}>;


export type TransferStockMutation = { transferStock:
    | { __typename: 'IdempotencyConflict' }
    | { __typename: 'InsufficientStock', lines: Array<{ skuId: string, requested: number, obtainable: number }> }
    | { __typename: 'TransferStockSuccess', skuId: string, fromLocationId: string, toLocationId: string, quantity: number }
    | { __typename: 'UnknownSku' }
   };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const ClientReservationFragmentDoc = new TypedDocumentString(`
    fragment ClientReservation on Reservation {
  id
  orderId
  state
  deadline
  lines {
    skuId
    reserved
    confirmed
    released
    expired
    held
  }
}
    `, {"fragmentName":"ClientReservation"}) as unknown as TypedDocumentString<ClientReservationFragment, unknown>;
export const ClientSkuFragmentDoc = new TypedDocumentString(`
    fragment ClientSku on Sku {
  id
  available
  reserved
  sold
}
    `, {"fragmentName":"ClientSku"}) as unknown as TypedDocumentString<ClientSkuFragment, unknown>;
export const ClientSettleRefusedFragmentDoc = new TypedDocumentString(`
    fragment ClientSettleRefused on Outcome {
  code
  message
  ... on ReservationExpired {
    orderId
    deadline
  }
  ... on ReservationAlreadyConfirmed {
    orderId
  }
  ... on ReservationAlreadyReleased {
    orderId
  }
  ... on UnknownReservation {
    orderId
  }
  ... on ExceedsReserved {
    lines {
      skuId
      held
      requested
      sku {
        ...ClientSku
      }
    }
  }
  ... on SkuNotInOrder {
    orderId
    skuIds
  }
  ... on IdempotencyConflict {
    idempotencyKey
  }
}
    fragment ClientSku on Sku {
  id
  available
  reserved
  sold
}`, {"fragmentName":"ClientSettleRefused"}) as unknown as TypedDocumentString<ClientSettleRefusedFragment, unknown>;
export const ClientTakenLineFragmentDoc = new TypedDocumentString(`
    fragment ClientTakenLine on TakenLine {
  skuId
  quantity
  availableAfter
  sku {
    ...ClientSku
  }
}
    fragment ClientSku on Sku {
  id
  available
  reserved
  sold
}`, {"fragmentName":"ClientTakenLine"}) as unknown as TypedDocumentString<ClientTakenLineFragment, unknown>;
export const ClientIdempotencyConflictFragmentDoc = new TypedDocumentString(`
    fragment ClientIdempotencyConflict on IdempotencyConflict {
  code
  message
  idempotencyKey
}
    `, {"fragmentName":"ClientIdempotencyConflict"}) as unknown as TypedDocumentString<ClientIdempotencyConflictFragment, unknown>;
export const ClientInsufficientStockFragmentDoc = new TypedDocumentString(`
    fragment ClientInsufficientStock on InsufficientStock {
  code
  message
  lines {
    skuId
    requested
    obtainable
    sku {
      ...ClientSku
    }
  }
}
    fragment ClientSku on Sku {
  id
  available
  reserved
  sold
}`, {"fragmentName":"ClientInsufficientStock"}) as unknown as TypedDocumentString<ClientInsufficientStockFragment, unknown>;
export const ClientThrottledFragmentDoc = new TypedDocumentString(`
    fragment ClientThrottled on Throttled {
  code
  message
  skuIds
  retryAfterMs
}
    `, {"fragmentName":"ClientThrottled"}) as unknown as TypedDocumentString<ClientThrottledFragment, unknown>;
export const ClientUnknownSkuFragmentDoc = new TypedDocumentString(`
    fragment ClientUnknownSku on UnknownSku {
  code
  message
  skuIds
}
    `, {"fragmentName":"ClientUnknownSku"}) as unknown as TypedDocumentString<ClientUnknownSkuFragment, unknown>;
export const ClientDeductAnswerFragmentDoc = new TypedDocumentString(`
    fragment ClientDeductAnswer on DeductStockResult {
  __typename
  ... on Outcome {
    code
    message
  }
  ... on DeductStockSuccess {
    orderId
    idempotencyKey
    lines {
      ...ClientTakenLine
    }
  }
  ...ClientIdempotencyConflict
  ...ClientInsufficientStock
  ...ClientThrottled
  ...ClientUnknownSku
}
    fragment ClientSku on Sku {
  id
  available
  reserved
  sold
}
fragment ClientTakenLine on TakenLine {
  skuId
  quantity
  availableAfter
  sku {
    ...ClientSku
  }
}
fragment ClientIdempotencyConflict on IdempotencyConflict {
  code
  message
  idempotencyKey
}
fragment ClientInsufficientStock on InsufficientStock {
  code
  message
  lines {
    skuId
    requested
    obtainable
    sku {
      ...ClientSku
    }
  }
}
fragment ClientThrottled on Throttled {
  code
  message
  skuIds
  retryAfterMs
}
fragment ClientUnknownSku on UnknownSku {
  code
  message
  skuIds
}`, {"fragmentName":"ClientDeductAnswer"}) as unknown as TypedDocumentString<ClientDeductAnswerFragment, unknown>;
export const ClientSetStockAnswerFragmentDoc = new TypedDocumentString(`
    fragment ClientSetStockAnswer on SetStockResult {
  __typename
  ... on SetStockSuccess {
    sku {
      ...ClientSku
    }
  }
  ... on StockChanged {
    code
    message
    skuId
    expectedAvailable
    currentAvailable
  }
  ...ClientUnknownSku
}
    fragment ClientSku on Sku {
  id
  available
  reserved
  sold
}
fragment ClientUnknownSku on UnknownSku {
  code
  message
  skuIds
}`, {"fragmentName":"ClientSetStockAnswer"}) as unknown as TypedDocumentString<ClientSetStockAnswerFragment, unknown>;
export const ClientSkuAuditFragmentDoc = new TypedDocumentString(`
    fragment ClientSkuAudit on SkuAudit {
  skuId
  conserved
  gateAgrees
  drift
  unmergedMovements
  lastReconciledAt
}
    `, {"fragmentName":"ClientSkuAudit"}) as unknown as TypedDocumentString<ClientSkuAuditFragment, unknown>;
export const TakeRefusedFragmentDoc = new TypedDocumentString(`
    fragment TakeRefused on Outcome {
  ... on InsufficientStock {
    code
    message
    lines {
      skuId
      requested
      obtainable
    }
  }
  ... on UnknownSku {
    code
    message
    skuIds
  }
  ... on IdempotencyConflict {
    code
    message
    idempotencyKey
  }
  ... on Throttled {
    code
    message
    skuIds
    retryAfterMs
  }
}
    `, {"fragmentName":"TakeRefused"}) as unknown as TypedDocumentString<TakeRefusedFragment, unknown>;
export const HoldLinesFragmentDoc = new TypedDocumentString(`
    fragment HoldLines on Reservation {
  lines {
    skuId
    reserved
    confirmed
    released
    expired
    held
  }
}
    `, {"fragmentName":"HoldLines"}) as unknown as TypedDocumentString<HoldLinesFragment, unknown>;
export const SettledReservationFragmentDoc = new TypedDocumentString(`
    fragment SettledReservation on Reservation {
  id
  orderId
  state
  deadline
  ...HoldLines
}
    fragment HoldLines on Reservation {
  lines {
    skuId
    reserved
    confirmed
    released
    expired
    held
  }
}`, {"fragmentName":"SettledReservation"}) as unknown as TypedDocumentString<SettledReservationFragment, unknown>;
export const SettleRefusedFragmentDoc = new TypedDocumentString(`
    fragment SettleRefused on Outcome {
  ... on ReservationExpired {
    code
    message
    orderId
    deadline
  }
  ... on ReservationAlreadyReleased {
    code
    message
    orderId
  }
  ... on ReservationAlreadyConfirmed {
    code
    message
    orderId
  }
  ... on UnknownReservation {
    code
    message
    orderId
  }
  ... on ExceedsReserved {
    code
    message
    lines {
      skuId
      held
      requested
    }
  }
  ... on SkuNotInOrder {
    code
    message
    orderId
    skuIds
  }
  ... on IdempotencyConflict {
    code
    message
    idempotencyKey
  }
}
    `, {"fragmentName":"SettleRefused"}) as unknown as TypedDocumentString<SettleRefusedFragment, unknown>;
export const SetStockAnswerFragmentDoc = new TypedDocumentString(`
    fragment SetStockAnswer on SetStockResult {
  __typename
  ... on SetStockSuccess {
    sku {
      id
      available
      reserved
      sold
      unlimited
      backorderLimit
    }
  }
  ... on StockChanged {
    code
    message
    skuId
    expectedAvailable
    currentAvailable
  }
  ... on UnknownSku {
    code
    message
    skuIds
  }
}
    `, {"fragmentName":"SetStockAnswer"}) as unknown as TypedDocumentString<SetStockAnswerFragment, unknown>;
export const OrderLinesFragmentDoc = new TypedDocumentString(`
    fragment OrderLines on Order {
  id
  lines {
    skuId
    deducted
    refunded
    refundable
  }
}
    `, {"fragmentName":"OrderLines"}) as unknown as TypedDocumentString<OrderLinesFragment, unknown>;
export const LevelFragmentDoc = new TypedDocumentString(`
    fragment Level on StockLevel {
  skuId
  available
  reserved
  sold
  unlimited
  state
  lowStockThreshold
  version
  changedAt
}
    `, {"fragmentName":"Level"}) as unknown as TypedDocumentString<LevelFragment, unknown>;
export const AuditFragmentDoc = new TypedDocumentString(`
    fragment Audit on SkuAudit {
  skuId
  conserved
  gateAgrees
  drift
  unmergedMovements
  lastReconciledAt
}
    `, {"fragmentName":"Audit"}) as unknown as TypedDocumentString<AuditFragment, unknown>;
export const AllocatedLineFragmentDoc = new TypedDocumentString(`
    fragment AllocatedLine on TakenLine {
  skuId
  quantity
  allocations {
    locationId
    quantity
  }
}
    `, {"fragmentName":"AllocatedLine"}) as unknown as TypedDocumentString<AllocatedLineFragment, unknown>;
export const ClientDeductDocument = new TypedDocumentString(`
    mutation ClientDeduct($input: DeductStockInput!) {
  deductStock(input: $input) {
    ...ClientDeductAnswer
  }
}
    fragment ClientSku on Sku {
  id
  available
  reserved
  sold
}
fragment ClientTakenLine on TakenLine {
  skuId
  quantity
  availableAfter
  sku {
    ...ClientSku
  }
}
fragment ClientIdempotencyConflict on IdempotencyConflict {
  code
  message
  idempotencyKey
}
fragment ClientInsufficientStock on InsufficientStock {
  code
  message
  lines {
    skuId
    requested
    obtainable
    sku {
      ...ClientSku
    }
  }
}
fragment ClientThrottled on Throttled {
  code
  message
  skuIds
  retryAfterMs
}
fragment ClientUnknownSku on UnknownSku {
  code
  message
  skuIds
}
fragment ClientDeductAnswer on DeductStockResult {
  __typename
  ... on Outcome {
    code
    message
  }
  ... on DeductStockSuccess {
    orderId
    idempotencyKey
    lines {
      ...ClientTakenLine
    }
  }
  ...ClientIdempotencyConflict
  ...ClientInsufficientStock
  ...ClientThrottled
  ...ClientUnknownSku
}`) as unknown as TypedDocumentString<ClientDeductMutation, ClientDeductMutationVariables>;
export const ClientDeductBatchDocument = new TypedDocumentString(`
    mutation ClientDeductBatch($input: DeductStockBatchInput!) {
  deductStockBatch(input: $input) {
    results {
      ...ClientDeductAnswer
    }
  }
}
    fragment ClientSku on Sku {
  id
  available
  reserved
  sold
}
fragment ClientTakenLine on TakenLine {
  skuId
  quantity
  availableAfter
  sku {
    ...ClientSku
  }
}
fragment ClientIdempotencyConflict on IdempotencyConflict {
  code
  message
  idempotencyKey
}
fragment ClientInsufficientStock on InsufficientStock {
  code
  message
  lines {
    skuId
    requested
    obtainable
    sku {
      ...ClientSku
    }
  }
}
fragment ClientThrottled on Throttled {
  code
  message
  skuIds
  retryAfterMs
}
fragment ClientUnknownSku on UnknownSku {
  code
  message
  skuIds
}
fragment ClientDeductAnswer on DeductStockResult {
  __typename
  ... on Outcome {
    code
    message
  }
  ... on DeductStockSuccess {
    orderId
    idempotencyKey
    lines {
      ...ClientTakenLine
    }
  }
  ...ClientIdempotencyConflict
  ...ClientInsufficientStock
  ...ClientThrottled
  ...ClientUnknownSku
}`) as unknown as TypedDocumentString<ClientDeductBatchMutation, ClientDeductBatchMutationVariables>;
export const ClientReserveDocument = new TypedDocumentString(`
    mutation ClientReserve($input: ReserveStockInput!) {
  reserveStock(input: $input) {
    __typename
    ... on ReserveStockSuccess {
      orderId
      idempotencyKey
      deadline
      lines {
        ...ClientTakenLine
      }
    }
    ...ClientIdempotencyConflict
    ...ClientInsufficientStock
    ...ClientThrottled
    ...ClientUnknownSku
  }
}
    fragment ClientSku on Sku {
  id
  available
  reserved
  sold
}
fragment ClientTakenLine on TakenLine {
  skuId
  quantity
  availableAfter
  sku {
    ...ClientSku
  }
}
fragment ClientIdempotencyConflict on IdempotencyConflict {
  code
  message
  idempotencyKey
}
fragment ClientInsufficientStock on InsufficientStock {
  code
  message
  lines {
    skuId
    requested
    obtainable
    sku {
      ...ClientSku
    }
  }
}
fragment ClientThrottled on Throttled {
  code
  message
  skuIds
  retryAfterMs
}
fragment ClientUnknownSku on UnknownSku {
  code
  message
  skuIds
}`) as unknown as TypedDocumentString<ClientReserveMutation, ClientReserveMutationVariables>;
export const ClientConfirmDocument = new TypedDocumentString(`
    mutation ClientConfirm($input: ConfirmReservationInput!) {
  confirmReservation(input: $input) {
    __typename
    ... on ConfirmReservationSuccess {
      reservation {
        ...ClientReservation
      }
    }
    ...ClientSettleRefused
  }
}
    fragment ClientSku on Sku {
  id
  available
  reserved
  sold
}
fragment ClientReservation on Reservation {
  id
  orderId
  state
  deadline
  lines {
    skuId
    reserved
    confirmed
    released
    expired
    held
  }
}
fragment ClientSettleRefused on Outcome {
  code
  message
  ... on ReservationExpired {
    orderId
    deadline
  }
  ... on ReservationAlreadyConfirmed {
    orderId
  }
  ... on ReservationAlreadyReleased {
    orderId
  }
  ... on UnknownReservation {
    orderId
  }
  ... on ExceedsReserved {
    lines {
      skuId
      held
      requested
      sku {
        ...ClientSku
      }
    }
  }
  ... on SkuNotInOrder {
    orderId
    skuIds
  }
  ... on IdempotencyConflict {
    idempotencyKey
  }
}`) as unknown as TypedDocumentString<ClientConfirmMutation, ClientConfirmMutationVariables>;
export const ClientReleaseDocument = new TypedDocumentString(`
    mutation ClientRelease($input: ReleaseReservationInput!) {
  releaseReservation(input: $input) {
    __typename
    ... on ReleaseReservationSuccess {
      reservation {
        ...ClientReservation
      }
    }
    ...ClientSettleRefused
  }
}
    fragment ClientSku on Sku {
  id
  available
  reserved
  sold
}
fragment ClientReservation on Reservation {
  id
  orderId
  state
  deadline
  lines {
    skuId
    reserved
    confirmed
    released
    expired
    held
  }
}
fragment ClientSettleRefused on Outcome {
  code
  message
  ... on ReservationExpired {
    orderId
    deadline
  }
  ... on ReservationAlreadyConfirmed {
    orderId
  }
  ... on ReservationAlreadyReleased {
    orderId
  }
  ... on UnknownReservation {
    orderId
  }
  ... on ExceedsReserved {
    lines {
      skuId
      held
      requested
      sku {
        ...ClientSku
      }
    }
  }
  ... on SkuNotInOrder {
    orderId
    skuIds
  }
  ... on IdempotencyConflict {
    idempotencyKey
  }
}`) as unknown as TypedDocumentString<ClientReleaseMutation, ClientReleaseMutationVariables>;
export const ClientRefundDocument = new TypedDocumentString(`
    mutation ClientRefund($input: RefundStockInput!) {
  refundStock(input: $input) {
    __typename
    ... on RefundStockSuccess {
      orderId
      idempotencyKey
      lines {
        skuId
        quantity
        deducted
        refunded
        refundable
        sku {
          ...ClientSku
        }
      }
    }
    ... on RefundExceedsDeducted {
      code
      message
      lines {
        skuId
        deducted
        alreadyRefunded
        requested
      }
    }
    ... on UnknownOrder {
      code
      message
      orderId
    }
    ... on SkuNotInOrder {
      code
      message
      orderId
      skuIds
    }
    ...ClientIdempotencyConflict
  }
}
    fragment ClientSku on Sku {
  id
  available
  reserved
  sold
}
fragment ClientIdempotencyConflict on IdempotencyConflict {
  code
  message
  idempotencyKey
}`) as unknown as TypedDocumentString<ClientRefundMutation, ClientRefundMutationVariables>;
export const ClientRestockDocument = new TypedDocumentString(`
    mutation ClientRestock($input: RestockInput!) {
  restock(input: $input) {
    __typename
    ... on RestockSuccess {
      skuId
      quantity
      availableAfter
      sku {
        ...ClientSku
      }
    }
    ...ClientIdempotencyConflict
    ...ClientUnknownSku
  }
}
    fragment ClientSku on Sku {
  id
  available
  reserved
  sold
}
fragment ClientIdempotencyConflict on IdempotencyConflict {
  code
  message
  idempotencyKey
}
fragment ClientUnknownSku on UnknownSku {
  code
  message
  skuIds
}`) as unknown as TypedDocumentString<ClientRestockMutation, ClientRestockMutationVariables>;
export const ClientSetStockDocument = new TypedDocumentString(`
    mutation ClientSetStock($input: SetStockInput!) {
  setStock(input: $input) {
    ...ClientSetStockAnswer
  }
}
    fragment ClientSku on Sku {
  id
  available
  reserved
  sold
}
fragment ClientUnknownSku on UnknownSku {
  code
  message
  skuIds
}
fragment ClientSetStockAnswer on SetStockResult {
  __typename
  ... on SetStockSuccess {
    sku {
      ...ClientSku
    }
  }
  ... on StockChanged {
    code
    message
    skuId
    expectedAvailable
    currentAvailable
  }
  ...ClientUnknownSku
}`) as unknown as TypedDocumentString<ClientSetStockMutation, ClientSetStockMutationVariables>;
export const ClientSetStockBatchDocument = new TypedDocumentString(`
    mutation ClientSetStockBatch($input: SetStockBatchInput!) {
  setStockBatch(input: $input) {
    results {
      ...ClientSetStockAnswer
    }
  }
}
    fragment ClientSku on Sku {
  id
  available
  reserved
  sold
}
fragment ClientUnknownSku on UnknownSku {
  code
  message
  skuIds
}
fragment ClientSetStockAnswer on SetStockResult {
  __typename
  ... on SetStockSuccess {
    sku {
      ...ClientSku
    }
  }
  ... on StockChanged {
    code
    message
    skuId
    expectedAvailable
    currentAvailable
  }
  ...ClientUnknownSku
}`) as unknown as TypedDocumentString<ClientSetStockBatchMutation, ClientSetStockBatchMutationVariables>;
export const ClientUpsertDocument = new TypedDocumentString(`
    mutation ClientUpsert($input: UpsertSkusInput!) {
  upsertSkus(input: $input) {
    __typename
    ... on UpsertSkusSuccess {
      skus {
        ...ClientSku
        name
        unlimited
        backorderLimit
      }
    }
  }
}
    fragment ClientSku on Sku {
  id
  available
  reserved
  sold
}`) as unknown as TypedDocumentString<ClientUpsertMutation, ClientUpsertMutationVariables>;
export const ClientSkuDocument = new TypedDocumentString(`
    query ClientSku($id: ID!) {
  sku(id: $id) {
    ...ClientSku
  }
}
    fragment ClientSku on Sku {
  id
  available
  reserved
  sold
}`) as unknown as TypedDocumentString<ClientSkuQuery, ClientSkuQueryVariables>;
export const ClientSkusDocument = new TypedDocumentString(`
    query ClientSkus($ids: [ID!]!) {
  skus(ids: $ids) {
    ...ClientSku
  }
}
    fragment ClientSku on Sku {
  id
  available
  reserved
  sold
}`) as unknown as TypedDocumentString<ClientSkusQuery, ClientSkusQueryVariables>;
export const ClientMovementsDocument = new TypedDocumentString(`
    query ClientMovements($skuId: ID, $orderId: ID, $kinds: [MovementKind!], $first: Int, $after: String) {
  movements(
    skuId: $skuId
    orderId: $orderId
    kinds: $kinds
    first: $first
    after: $after
  ) {
    edges {
      cursor
      node {
        id
        kind
        skuId
        quantity
        deltaAvailable
        deltaReserved
        deltaSold
        orderId
        createdAt
      }
    }
    pageInfo {
      startCursor
      endCursor
      hasNextPage
      hasPreviousPage
    }
  }
}
    `) as unknown as TypedDocumentString<ClientMovementsQuery, ClientMovementsQueryVariables>;
export const ClientStockLevelsDocument = new TypedDocumentString(`
    subscription ClientStockLevels($skuIds: [ID!]!) {
  stockLevels(skuIds: $skuIds) {
    skuId
    available
    reserved
    sold
    version
    changedAt
    sku {
      id
      available
    }
  }
}
    `) as unknown as TypedDocumentString<ClientStockLevelsSubscription, ClientStockLevelsSubscriptionVariables>;
export const ClientStockMovementsDocument = new TypedDocumentString(`
    subscription ClientStockMovements($skuIds: [ID!], $after: String) {
  stockMovements(skuIds: $skuIds, after: $after) {
    cursor
    movement {
      id
      kind
      skuId
      quantity
      deltaAvailable
      deltaSold
      orderId
      createdAt
    }
  }
}
    `) as unknown as TypedDocumentString<ClientStockMovementsSubscription, ClientStockMovementsSubscriptionVariables>;
export const ClientStockAuditDocument = new TypedDocumentString(`
    query ClientStockAudit($skuIds: [ID!]!) {
  stockAudit(skuIds: $skuIds) {
    ...ClientSkuAudit
  }
}
    fragment ClientSkuAudit on SkuAudit {
  skuId
  conserved
  gateAgrees
  drift
  unmergedMovements
  lastReconciledAt
}`) as unknown as TypedDocumentString<ClientStockAuditQuery, ClientStockAuditQueryVariables>;
export const ClientReconcileStockDocument = new TypedDocumentString(`
    mutation ClientReconcileStock($input: ReconcileStockInput!) {
  reconcileStock(input: $input) {
    __typename
    ... on ReconcileStockSuccess {
      audits {
        ...ClientSkuAudit
      }
    }
    ... on UnknownSku {
      code
      message
      skuIds
    }
  }
}
    fragment ClientSkuAudit on SkuAudit {
  skuId
  conserved
  gateAgrees
  drift
  unmergedMovements
  lastReconciledAt
}`) as unknown as TypedDocumentString<ClientReconcileStockMutation, ClientReconcileStockMutationVariables>;
export const ClientUpsertLocationsDocument = new TypedDocumentString(`
    mutation ClientUpsertLocations($input: UpsertLocationsInput!) {
  upsertLocations(input: $input) {
    __typename
    ... on UpsertLocationsSuccess {
      locations {
        id
        name
        priority
        active
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ClientUpsertLocationsMutation, ClientUpsertLocationsMutationVariables>;
export const ClientTransferStockDocument = new TypedDocumentString(`
    mutation ClientTransferStock($input: TransferStockInput!) {
  transferStock(input: $input) {
    __typename
    ... on TransferStockSuccess {
      skuId
      fromLocationId
      toLocationId
      quantity
      sku {
        id
        available
        levels {
          location {
            id
          }
          available
        }
      }
    }
    ... on InsufficientStock {
      code
      message
      lines {
        skuId
        requested
        obtainable
      }
    }
    ... on UnknownSku {
      code
      message
      skuIds
    }
    ... on IdempotencyConflict {
      code
      message
      idempotencyKey
    }
  }
}
    `) as unknown as TypedDocumentString<ClientTransferStockMutation, ClientTransferStockMutationVariables>;
export const DeductDocument = new TypedDocumentString(`
    mutation Deduct($input: DeductStockInput!) {
  deductStock(input: $input) {
    __typename
    ... on DeductStockSuccess {
      orderId
      idempotencyKey
      lines {
        skuId
        quantity
        availableAfter
      }
    }
    ...TakeRefused
  }
}
    fragment TakeRefused on Outcome {
  ... on InsufficientStock {
    code
    message
    lines {
      skuId
      requested
      obtainable
    }
  }
  ... on UnknownSku {
    code
    message
    skuIds
  }
  ... on IdempotencyConflict {
    code
    message
    idempotencyKey
  }
  ... on Throttled {
    code
    message
    skuIds
    retryAfterMs
  }
}`) as unknown as TypedDocumentString<DeductMutation, DeductMutationVariables>;
export const DeductBatchDocument = new TypedDocumentString(`
    mutation DeductBatch($input: DeductStockBatchInput!) {
  deductStockBatch(input: $input) {
    results {
      __typename
      ... on DeductStockSuccess {
        orderId
        idempotencyKey
        lines {
          skuId
          quantity
          availableAfter
        }
      }
      ...TakeRefused
    }
  }
}
    fragment TakeRefused on Outcome {
  ... on InsufficientStock {
    code
    message
    lines {
      skuId
      requested
      obtainable
    }
  }
  ... on UnknownSku {
    code
    message
    skuIds
  }
  ... on IdempotencyConflict {
    code
    message
    idempotencyKey
  }
  ... on Throttled {
    code
    message
    skuIds
    retryAfterMs
  }
}`) as unknown as TypedDocumentString<DeductBatchMutation, DeductBatchMutationVariables>;
export const ReserveBatchDocument = new TypedDocumentString(`
    mutation ReserveBatch($input: ReserveStockBatchInput!) {
  reserveStockBatch(input: $input) {
    results {
      __typename
      ... on ReserveStockSuccess {
        orderId
        idempotencyKey
        deadline
        lines {
          skuId
          quantity
          availableAfter
        }
      }
      ...TakeRefused
    }
  }
}
    fragment TakeRefused on Outcome {
  ... on InsufficientStock {
    code
    message
    lines {
      skuId
      requested
      obtainable
    }
  }
  ... on UnknownSku {
    code
    message
    skuIds
  }
  ... on IdempotencyConflict {
    code
    message
    idempotencyKey
  }
  ... on Throttled {
    code
    message
    skuIds
    retryAfterMs
  }
}`) as unknown as TypedDocumentString<ReserveBatchMutation, ReserveBatchMutationVariables>;
export const ReserveDocument = new TypedDocumentString(`
    mutation Reserve($input: ReserveStockInput!) {
  reserveStock(input: $input) {
    __typename
    ... on ReserveStockSuccess {
      orderId
      idempotencyKey
      deadline
      lines {
        skuId
        quantity
        availableAfter
      }
    }
    ...TakeRefused
  }
}
    fragment TakeRefused on Outcome {
  ... on InsufficientStock {
    code
    message
    lines {
      skuId
      requested
      obtainable
    }
  }
  ... on UnknownSku {
    code
    message
    skuIds
  }
  ... on IdempotencyConflict {
    code
    message
    idempotencyKey
  }
  ... on Throttled {
    code
    message
    skuIds
    retryAfterMs
  }
}`) as unknown as TypedDocumentString<ReserveMutation, ReserveMutationVariables>;
export const ConfirmDocument = new TypedDocumentString(`
    mutation Confirm($input: ConfirmReservationInput!) {
  settled: confirmReservation(input: $input) {
    __typename
    ... on ConfirmReservationSuccess {
      reservation {
        ...SettledReservation
      }
    }
    ...SettleRefused
  }
}
    fragment HoldLines on Reservation {
  lines {
    skuId
    reserved
    confirmed
    released
    expired
    held
  }
}
fragment SettledReservation on Reservation {
  id
  orderId
  state
  deadline
  ...HoldLines
}
fragment SettleRefused on Outcome {
  ... on ReservationExpired {
    code
    message
    orderId
    deadline
  }
  ... on ReservationAlreadyReleased {
    code
    message
    orderId
  }
  ... on ReservationAlreadyConfirmed {
    code
    message
    orderId
  }
  ... on UnknownReservation {
    code
    message
    orderId
  }
  ... on ExceedsReserved {
    code
    message
    lines {
      skuId
      held
      requested
    }
  }
  ... on SkuNotInOrder {
    code
    message
    orderId
    skuIds
  }
  ... on IdempotencyConflict {
    code
    message
    idempotencyKey
  }
}`) as unknown as TypedDocumentString<ConfirmMutation, ConfirmMutationVariables>;
export const ReleaseDocument = new TypedDocumentString(`
    mutation Release($input: ReleaseReservationInput!) {
  settled: releaseReservation(input: $input) {
    __typename
    ... on ReleaseReservationSuccess {
      reservation {
        ...SettledReservation
      }
    }
    ...SettleRefused
  }
}
    fragment HoldLines on Reservation {
  lines {
    skuId
    reserved
    confirmed
    released
    expired
    held
  }
}
fragment SettledReservation on Reservation {
  id
  orderId
  state
  deadline
  ...HoldLines
}
fragment SettleRefused on Outcome {
  ... on ReservationExpired {
    code
    message
    orderId
    deadline
  }
  ... on ReservationAlreadyReleased {
    code
    message
    orderId
  }
  ... on ReservationAlreadyConfirmed {
    code
    message
    orderId
  }
  ... on UnknownReservation {
    code
    message
    orderId
  }
  ... on ExceedsReserved {
    code
    message
    lines {
      skuId
      held
      requested
    }
  }
  ... on SkuNotInOrder {
    code
    message
    orderId
    skuIds
  }
  ... on IdempotencyConflict {
    code
    message
    idempotencyKey
  }
}`) as unknown as TypedDocumentString<ReleaseMutation, ReleaseMutationVariables>;
export const ReservationDocument = new TypedDocumentString(`
    query Reservation($orderId: ID!) {
  reservation(orderId: $orderId) {
    orderId
    state
    deadline
    ...HoldLines
  }
}
    fragment HoldLines on Reservation {
  lines {
    skuId
    reserved
    confirmed
    released
    expired
    held
  }
}`) as unknown as TypedDocumentString<ReservationQuery, ReservationQueryVariables>;
export const RefundDocument = new TypedDocumentString(`
    mutation Refund($input: RefundStockInput!) {
  refundStock(input: $input) {
    __typename
    ... on RefundStockSuccess {
      orderId
      idempotencyKey
      lines {
        skuId
        quantity
        deducted
        refunded
        refundable
      }
    }
    ... on RefundExceedsDeducted {
      code
      message
      lines {
        skuId
        deducted
        alreadyRefunded
        requested
      }
    }
    ... on UnknownOrder {
      code
      message
      orderId
    }
    ... on SkuNotInOrder {
      code
      message
      orderId
      skuIds
    }
    ... on IdempotencyConflict {
      code
      message
      idempotencyKey
    }
  }
}
    `) as unknown as TypedDocumentString<RefundMutation, RefundMutationVariables>;
export const RestockDocument = new TypedDocumentString(`
    mutation Restock($input: RestockInput!) {
  restock(input: $input) {
    __typename
    ... on RestockSuccess {
      skuId
      quantity
      availableAfter
    }
    ... on UnknownSku {
      code
      message
      skuIds
    }
    ... on IdempotencyConflict {
      code
      message
      idempotencyKey
    }
  }
}
    `) as unknown as TypedDocumentString<RestockMutation, RestockMutationVariables>;
export const SetStockDocument = new TypedDocumentString(`
    mutation SetStock($input: SetStockInput!) {
  setStock(input: $input) {
    ...SetStockAnswer
  }
}
    fragment SetStockAnswer on SetStockResult {
  __typename
  ... on SetStockSuccess {
    sku {
      id
      available
      reserved
      sold
      unlimited
      backorderLimit
    }
  }
  ... on StockChanged {
    code
    message
    skuId
    expectedAvailable
    currentAvailable
  }
  ... on UnknownSku {
    code
    message
    skuIds
  }
}`) as unknown as TypedDocumentString<SetStockMutation, SetStockMutationVariables>;
export const SetStockBatchDocument = new TypedDocumentString(`
    mutation SetStockBatch($input: SetStockBatchInput!) {
  setStockBatch(input: $input) {
    results {
      ...SetStockAnswer
    }
  }
}
    fragment SetStockAnswer on SetStockResult {
  __typename
  ... on SetStockSuccess {
    sku {
      id
      available
      reserved
      sold
      unlimited
      backorderLimit
    }
  }
  ... on StockChanged {
    code
    message
    skuId
    expectedAvailable
    currentAvailable
  }
  ... on UnknownSku {
    code
    message
    skuIds
  }
}`) as unknown as TypedDocumentString<SetStockBatchMutation, SetStockBatchMutationVariables>;
export const UpsertDocument = new TypedDocumentString(`
    mutation Upsert($input: UpsertSkusInput!) {
  upsertSkus(input: $input) {
    __typename
    ... on UpsertSkusSuccess {
      skus {
        id
        name
        available
        reserved
        sold
        unlimited
      }
    }
  }
}
    `) as unknown as TypedDocumentString<UpsertMutation, UpsertMutationVariables>;
export const SkusDocument = new TypedDocumentString(`
    query Skus($ids: [ID!]!) {
  skus(ids: $ids) {
    id
    name
    available
    reserved
    sold
    unlimited
  }
}
    `) as unknown as TypedDocumentString<SkusQuery, SkusQueryVariables>;
export const SkuDocument = new TypedDocumentString(`
    query Sku($id: ID!) {
  sku(id: $id) {
    id
    name
    available
    reserved
    sold
    unlimited
    backorderLimit
  }
}
    `) as unknown as TypedDocumentString<SkuQuery, SkuQueryVariables>;
export const UpsertThrottleDocument = new TypedDocumentString(`
    mutation UpsertThrottle($input: UpsertSkusInput!) {
  upsertSkus(input: $input) {
    __typename
    ... on UpsertSkusSuccess {
      skus {
        id
        available
        throttlePerSecond
      }
    }
  }
}
    `) as unknown as TypedDocumentString<UpsertThrottleMutation, UpsertThrottleMutationVariables>;
export const UpsertBucketsDocument = new TypedDocumentString(`
    mutation UpsertBuckets($input: UpsertSkusInput!) {
  upsertSkus(input: $input) {
    __typename
    ... on UpsertSkusSuccess {
      skus {
        id
        available
        backorderLimit
        buckets
      }
    }
  }
}
    `) as unknown as TypedDocumentString<UpsertBucketsMutation, UpsertBucketsMutationVariables>;
export const SoldThrottleDocument = new TypedDocumentString(`
    query SoldThrottle($ids: [ID!]!) {
  skus(ids: $ids) {
    id
    sold
    reserved
    throttlePerSecond
  }
}
    `) as unknown as TypedDocumentString<SoldThrottleQuery, SoldThrottleQueryVariables>;
export const OrderDocument = new TypedDocumentString(`
    query Order($id: ID!) {
  order(id: $id) {
    ...OrderLines
  }
}
    fragment OrderLines on Order {
  id
  lines {
    skuId
    deducted
    refunded
    refundable
  }
}`) as unknown as TypedDocumentString<OrderQuery, OrderQueryVariables>;
export const OrderWithReservationDocument = new TypedDocumentString(`
    query OrderWithReservation($id: ID!) {
  order(id: $id) {
    ...OrderLines
    reservation {
      state
      ...HoldLines
    }
  }
}
    fragment HoldLines on Reservation {
  lines {
    skuId
    reserved
    confirmed
    released
    expired
    held
  }
}
fragment OrderLines on Order {
  id
  lines {
    skuId
    deducted
    refunded
    refundable
  }
}`) as unknown as TypedDocumentString<OrderWithReservationQuery, OrderWithReservationQueryVariables>;
export const MovementsDocument = new TypedDocumentString(`
    query Movements($skuId: ID, $orderId: ID, $kinds: [MovementKind!], $first: Int, $after: String, $last: Int, $before: String) {
  movements(
    skuId: $skuId
    orderId: $orderId
    kinds: $kinds
    first: $first
    after: $after
    last: $last
    before: $before
  ) {
    edges {
      cursor
      node {
        id
        kind
        skuId
        quantity
        deltaAvailable
        deltaReserved
        deltaSold
        orderId
        orderLine
        idempotencyKey
        createdAt
      }
    }
    pageInfo {
      startCursor
      endCursor
      hasNextPage
      hasPreviousPage
    }
  }
}
    `) as unknown as TypedDocumentString<MovementsQuery, MovementsQueryVariables>;
export const LevelsDocument = new TypedDocumentString(`
    subscription Levels($skuIds: [ID!]!) {
  stockLevels(skuIds: $skuIds) {
    ...Level
  }
}
    fragment Level on StockLevel {
  skuId
  available
  reserved
  sold
  unlimited
  state
  lowStockThreshold
  version
  changedAt
}`) as unknown as TypedDocumentString<LevelsSubscription, LevelsSubscriptionVariables>;
export const AlertsDocument = new TypedDocumentString(`
    subscription Alerts($skuIds: [ID!]) {
  stockAlerts(skuIds: $skuIds) {
    kind
    skuId
    level {
      skuId
      available
      reserved
      sold
      state
      version
    }
  }
}
    `) as unknown as TypedDocumentString<AlertsSubscription, AlertsSubscriptionVariables>;
export const StockMovementsDocument = new TypedDocumentString(`
    subscription StockMovements($skuIds: [ID!], $after: String) {
  stockMovements(skuIds: $skuIds, after: $after) {
    cursor
    movement {
      id
      kind
      skuId
      quantity
      deltaAvailable
      deltaReserved
      deltaSold
      orderId
      orderLine
      idempotencyKey
      createdAt
    }
  }
}
    `) as unknown as TypedDocumentString<StockMovementsSubscription, StockMovementsSubscriptionVariables>;
export const StockAuditDocument = new TypedDocumentString(`
    query StockAudit($skuIds: [ID!]!) {
  stockAudit(skuIds: $skuIds) {
    ...Audit
  }
}
    fragment Audit on SkuAudit {
  skuId
  conserved
  gateAgrees
  drift
  unmergedMovements
  lastReconciledAt
}`) as unknown as TypedDocumentString<StockAuditQuery, StockAuditQueryVariables>;
export const ReconcileStockDocument = new TypedDocumentString(`
    mutation ReconcileStock($input: ReconcileStockInput!) {
  reconcileStock(input: $input) {
    __typename
    ... on ReconcileStockSuccess {
      audits {
        ...Audit
      }
    }
    ... on UnknownSku {
      code
      message
      skuIds
    }
  }
}
    fragment Audit on SkuAudit {
  skuId
  conserved
  gateAgrees
  drift
  unmergedMovements
  lastReconciledAt
}`) as unknown as TypedDocumentString<ReconcileStockMutation, ReconcileStockMutationVariables>;
export const UpsertLocationsDocument = new TypedDocumentString(`
    mutation UpsertLocations($input: UpsertLocationsInput!) {
  upsertLocations(input: $input) {
    __typename
    ... on UpsertLocationsSuccess {
      locations {
        id
        name
        priority
        active
      }
    }
  }
}
    `) as unknown as TypedDocumentString<UpsertLocationsMutation, UpsertLocationsMutationVariables>;
export const DeductAllocatedDocument = new TypedDocumentString(`
    mutation DeductAllocated($input: DeductStockInput!) {
  deductStock(input: $input) {
    __typename
    ... on DeductStockSuccess {
      lines {
        ...AllocatedLine
      }
    }
    ...TakeRefused
  }
}
    fragment TakeRefused on Outcome {
  ... on InsufficientStock {
    code
    message
    lines {
      skuId
      requested
      obtainable
    }
  }
  ... on UnknownSku {
    code
    message
    skuIds
  }
  ... on IdempotencyConflict {
    code
    message
    idempotencyKey
  }
  ... on Throttled {
    code
    message
    skuIds
    retryAfterMs
  }
}
fragment AllocatedLine on TakenLine {
  skuId
  quantity
  allocations {
    locationId
    quantity
  }
}`) as unknown as TypedDocumentString<DeductAllocatedMutation, DeductAllocatedMutationVariables>;
export const DeductBatchAllocatedDocument = new TypedDocumentString(`
    mutation DeductBatchAllocated($input: DeductStockBatchInput!) {
  deductStockBatch(input: $input) {
    results {
      __typename
      ... on DeductStockSuccess {
        lines {
          ...AllocatedLine
        }
      }
      ...TakeRefused
    }
  }
}
    fragment TakeRefused on Outcome {
  ... on InsufficientStock {
    code
    message
    lines {
      skuId
      requested
      obtainable
    }
  }
  ... on UnknownSku {
    code
    message
    skuIds
  }
  ... on IdempotencyConflict {
    code
    message
    idempotencyKey
  }
  ... on Throttled {
    code
    message
    skuIds
    retryAfterMs
  }
}
fragment AllocatedLine on TakenLine {
  skuId
  quantity
  allocations {
    locationId
    quantity
  }
}`) as unknown as TypedDocumentString<DeductBatchAllocatedMutation, DeductBatchAllocatedMutationVariables>;
export const ReserveAllocatedDocument = new TypedDocumentString(`
    mutation ReserveAllocated($input: ReserveStockInput!) {
  reserveStock(input: $input) {
    __typename
    ... on ReserveStockSuccess {
      lines {
        ...AllocatedLine
      }
    }
  }
}
    fragment AllocatedLine on TakenLine {
  skuId
  quantity
  allocations {
    locationId
    quantity
  }
}`) as unknown as TypedDocumentString<ReserveAllocatedMutation, ReserveAllocatedMutationVariables>;
export const SkuLevelsDocument = new TypedDocumentString(`
    query SkuLevels($id: ID!) {
  sku(id: $id) {
    available
    reserved
    sold
    levels {
      location {
        id
        active
      }
      available
      reserved
      sold
    }
  }
}
    `) as unknown as TypedDocumentString<SkuLevelsQuery, SkuLevelsQueryVariables>;
export const TransferStockDocument = new TypedDocumentString(`
    mutation TransferStock($input: TransferStockInput!) {
  transferStock(input: $input) {
    __typename
    ... on TransferStockSuccess {
      skuId
      fromLocationId
      toLocationId
      quantity
    }
    ... on InsufficientStock {
      lines {
        skuId
        requested
        obtainable
      }
    }
  }
}
    `) as unknown as TypedDocumentString<TransferStockMutation, TransferStockMutationVariables>;