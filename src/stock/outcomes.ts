import type { OutcomeCode } from '../errors.ts';

/**
 * Domain outcomes a client handles: they surface as members of result unions (Pothos errors plugin),
 * never as GraphQL errors. Each carries a stable code, listed with the error codes in src/errors.ts.
 */
export abstract class Outcome extends Error {
  abstract readonly code: OutcomeCode;

  constructor(message: string) {
    // An outcome is an answer, not a fault: nobody reads its stack, and capturing one (source-mapped
    // under tsx) made a sold-out stampede's refusals cost more than sales.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}

export interface ShortLine {
  skuId: string;
  requested: number;
  /** The most the line could get now: available plus the backorder allowance. */
  obtainable: number;
}

export class InsufficientStock extends Outcome {
  readonly code = 'INSUFFICIENT_STOCK';
  constructor(readonly lines: ShortLine[]) {
    super(`not enough stock for ${lines.map((l) => `${l.skuId} (requested ${l.requested}, obtainable ${l.obtainable})`).join(', ')}`);
  }
}

export class UnknownSku extends Outcome {
  readonly code = 'UNKNOWN_SKU';
  constructor(readonly skuIds: string[]) {
    super(`unknown SKU ${skuIds.join(', ')}`);
  }
}

export class IdempotencyConflict extends Outcome {
  readonly code = 'IDEMPOTENCY_CONFLICT';
  constructor(readonly idempotencyKey: string) {
    super(`idempotency key ${idempotencyKey} was already used with a different request`);
  }
}

export class UnknownOrder extends Outcome {
  readonly code = 'UNKNOWN_ORDER';
  constructor(readonly orderId: string) {
    super(`no stock was deducted for order ${orderId}`);
  }
}

export class SkuNotInOrder extends Outcome {
  readonly code = 'SKU_NOT_IN_ORDER';
  constructor(
    readonly orderId: string,
    readonly skuIds: string[],
  ) {
    super(`order ${orderId} has no line for ${skuIds.join(', ')}`);
  }
}

export interface ExceedingLine {
  skuId: string;
  deducted: number;
  alreadyRefunded: number;
  requested: number;
}

export class RefundExceedsDeducted extends Outcome {
  readonly code = 'REFUND_EXCEEDS_DEDUCTED';
  constructor(readonly lines: ExceedingLine[]) {
    super(
      `refund exceeds what was deducted: ${lines
        .map((l) => `${l.skuId} (deducted ${l.deducted}, already refunded ${l.alreadyRefunded}, requested ${l.requested})`)
        .join(', ')}`,
    );
  }
}

export class StockChanged extends Outcome {
  readonly code = 'STOCK_CHANGED';
  constructor(
    readonly skuId: string,
    readonly expectedAvailable: number,
    readonly currentAvailable: number,
  ) {
    super(`available of ${skuId} is ${currentAvailable}, not the expected ${expectedAvailable}; nothing was changed`);
  }
}

export class UnknownReservation extends Outcome {
  readonly code = 'UNKNOWN_RESERVATION';
  constructor(readonly orderId: string) {
    super(`order ${orderId} has no reservation`);
  }
}

export class ReservationExpired extends Outcome {
  readonly code = 'RESERVATION_EXPIRED';
  constructor(
    readonly orderId: string,
    readonly deadline: Date,
  ) {
    super(`the reservation of order ${orderId} expired at ${deadline.toISOString()}; its units went back to stock`);
  }
}

export class ReservationAlreadyReleased extends Outcome {
  readonly code = 'RESERVATION_ALREADY_RELEASED';
  constructor(readonly orderId: string) {
    super(`the reservation of order ${orderId} was released`);
  }
}

export class ReservationAlreadyConfirmed extends Outcome {
  readonly code = 'RESERVATION_ALREADY_CONFIRMED';
  constructor(readonly orderId: string) {
    super(`the reservation of order ${orderId} was confirmed; refund it instead`);
  }
}

export interface ExceedingHold {
  skuId: string;
  held: number;
  requested: number;
}

export class ExceedsReserved extends Outcome {
  readonly code = 'EXCEEDS_RESERVED';
  constructor(readonly lines: ExceedingHold[]) {
    super(`more than is held: ${lines.map((l) => `${l.skuId} (held ${l.held}, requested ${l.requested})`).join(', ')}`);
  }
}

export class Throttled extends Outcome {
  readonly code = 'THROTTLED';
  constructor(
    readonly skuIds: string[],
    /** When every throttled SKU admits an attempt again; the same request may be sent then. */
    readonly retryAfterMs: number,
  ) {
    super(`${skuIds.join(', ')} ${skuIds.length === 1 ? 'is' : 'are'} selling too fast right now; retry in ${retryAfterMs} ms`);
  }
}
