import type { CartLine } from '../inventory.ts';
import { parseCart } from './input.ts';
import { fingerprint } from './idempotency.ts';
import type { Services } from './services.ts';
import type { TakenLine } from './take/request.ts';
import { take } from './take/take.ts';

export interface DeductInput {
  orderId: string;
  idempotencyKey?: string | null | undefined;
  lines: CartLine[];
}

export type DeductedLine = TakenLine;

export interface DeductSuccess {
  orderId: string;
  idempotencyKey: string;
  lines: DeductedLine[];
}

/** Sells a whole cart: validated before any I/O, then the gate and the ledger (take). */
export function deduct(s: Services, input: DeductInput): Promise<DeductSuccess> {
  const { orderId, key, lines } = parseCart(input);
  return take(s, {
    kind: 'DEDUCT',
    orderId,
    idempotencyKey: key,
    fingerprint: fingerprint(orderId, lines),
    lines,
    answer: (done) => ({ orderId, idempotencyKey: key, lines: done }),
  });
}
