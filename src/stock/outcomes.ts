/**
 * Domain outcomes a client handles: they surface as members of result unions (Pothos errors plugin),
 * never as GraphQL errors. Each carries a stable code.
 */
export abstract class Outcome extends Error {
  abstract readonly code: string;
}

export interface ShortLine {
  skuId: string;
  requested: number;
  available: number;
}

export class InsufficientStock extends Outcome {
  readonly code = 'INSUFFICIENT_STOCK';
  constructor(readonly lines: ShortLine[]) {
    super(`not enough stock for ${lines.map((l) => `${l.skuId} (requested ${l.requested}, available ${l.available})`).join(', ')}`);
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
