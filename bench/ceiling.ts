import { refusal, serveBench, SOLD_OUT_SKU, type DeductInput, type DeductResult } from './schema.ts';

/**
 * The ceiling: the same HTTP server and Yoga, answering a mutation with a constant result and no I/O
 * (a refusal for the sold-out SKU, so that scenario has its own denominator). What stockgate reaches
 * on top of this is its own overhead. Its batch row (hot SKU ×100) is the most carts a second any
 * server on Yoga answers here in 100-cart requests: parsing, coercing and answering them, nothing more.
 */

/** A cart's constant answer: refused for the sold-out SKU, else every line served. */
const answer = (input: DeductInput): DeductResult =>
  input.lines.some((l) => l.skuId === SOLD_OUT_SKU)
    ? refusal
    : { __typename: 'DeductStockSuccess', orderId: input.orderId, lines: input.lines.map((l) => ({ ...l, available: 1 })) };

serveBench('ceiling', 4001, {
  deductStock: answer,
  deductStockBatch: (carts) => ({ results: carts.map(answer) }),
});
