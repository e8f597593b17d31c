import type { CartLine, LocationUnits, TakeKind } from '../../inventory.ts';
import { withIdentity } from '../idempotency.ts';

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

/** What the ledger keeps of a take's answer `A`: all but the order id and key, which the take's row holds in its own columns. */
export type KeptAnswer<A> = Omit<A, 'orderId' | 'idempotencyKey'>;

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
  /**
   * What the ledger keeps of a successful take's answer (gate_request.answer), from the available level
   * after each line: the answer without its order id and key, which the take's row holds in its own
   * columns. The answer is made of it as every replay's is (answered).
   */
  kept: (lines: TakenLine[]) => KeptAnswer<A>;
}

/**
 * A successful take's answer from what the ledger keeps of it: the same function makes a replay's from
 * the take's row (withIdentity), so a replay answers what the first request answered (I4) by construction.
 */
export function answered<A>(req: TakeRequest<A>, kept: KeptAnswer<A>): A {
  return withIdentity(kept, { orderId: req.orderId, idempotencyKey: req.idempotencyKey, clientKey: req.clientKey ?? null }) as A;
}
