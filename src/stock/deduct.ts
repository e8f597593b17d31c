import type { CartLine } from '../inventory.ts';
import { parseCart, parseCarts } from './input.ts';
import { type IdempotencyConflict, type InsufficientStock, type Throttled, type UnknownSku } from './outcomes.ts';
import { fingerprint } from './idempotency.ts';
import type { Services } from './services.ts';
import type { TakenLine, TakeRequest } from './take/request.ts';
import { take, takeMany } from './take/take.ts';

export interface DeductInput {
  orderId: string;
  idempotencyKey?: string | null | undefined;
  lines: CartLine[];
}

export type DeductedLine = TakenLine;

/** What a deduct can answer besides success (take() throws them as Outcome errors). */
export type DeductOutcome = InsufficientStock | UnknownSku | IdempotencyConflict | Throttled;

export interface DeductSuccess {
  orderId: string;
  idempotencyKey: string;
  lines: DeductedLine[];
}

/** Sells a whole cart: validated before any I/O, then the gate and the ledger (take). */
export function deduct(s: Services, input: DeductInput): Promise<DeductSuccess> {
  return take(s, deductRequest(parseCart(input)));
}

/**
 * Sells many carts (deductStockBatch), each all or nothing on its own and idempotent by its own key:
 * every cart is validated before any I/O (the first bad one refuses the request), then one gate
 * pipeline and one group commit serve them (takeMany). One answer per cart, in order: its success or
 * its outcome.
 */
export async function deductBatch(s: Services, carts: DeductInput[]): Promise<(DeductSuccess | DeductOutcome)[]> {
  // take() throws only a deduct's outcomes.
  return (await takeMany(s, parseCarts(carts).map(deductRequest))) as (DeductSuccess | DeductOutcome)[];
}

function deductRequest({ orderId, key, lines }: { orderId: string; key: string; lines: CartLine[] }): TakeRequest<DeductSuccess> {
  return {
    kind: 'DEDUCT',
    orderId,
    idempotencyKey: key,
    fingerprint: fingerprint(orderId, lines),
    lines,
    kept: (done) => ({ lines: done }),
  };
}
