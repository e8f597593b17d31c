import type { CartLine, LocationUnits, TakeKind } from '../../inventory.ts';

/** A line of a take's answer. */
export interface TakenLine {
  skuId: string;
  quantity: number;
  /** Available right after this request; null for unlimited SKUs. */
  available: number | null;
  /**
   * Where its units came from, in the order taken (src/stock/locations.ts). Absent when they all came
   * from `default` (and in answers stored before locations): the schema answers `allInDefault`.
   */
  allocations?: LocationUnits[];
}

/** A validated request to take units: a deduct or a reserve, whichever path serves it (take.ts). */
export interface TakeRequest<A> {
  kind: TakeKind;
  orderId: string;
  idempotencyKey: string;
  /** RESERVE only: the client's key (the idempotency key is the order id); one order per client key. */
  clientKey?: string;
  fingerprint: string;
  lines: CartLine[];
  /** RESERVE only: when the reservation lapses. */
  deadline?: Date;
  /** The answer for a successful take, from the available level after each line. */
  answer: (lines: TakenLine[]) => A;
}
