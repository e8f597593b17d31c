import type { CartLine } from '../inventory.ts';
import { passGate, type GatedLine } from './gated.ts';
import { parseCart } from './input.ts';
import { fingerprint } from './operations.ts';
import type { Services } from './services.ts';

export interface DeductInput {
  orderId: string;
  idempotencyKey?: string | null | undefined;
  lines: CartLine[];
}

export type DeductedLine = GatedLine;

export interface DeductSuccess {
  orderId: string;
  idempotencyKey: string;
  lines: DeductedLine[];
}

/** Sells a whole cart: validated before any I/O, then the gate and the ledger (passGate). */
export function deduct(s: Services, input: DeductInput): Promise<DeductSuccess> {
  const { orderId, key, lines } = parseCart(input);
  return passGate(s, {
    kind: 'DEDUCT',
    orderId,
    idempotencyKey: key,
    fingerprint: fingerprint(orderId, lines),
    lines,
    answer: (done) => ({ orderId, idempotencyKey: key, lines: done }),
  });
}
