import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cart, MAX_CART_LINES, MAX_ID_LENGTH, MAX_IDEMPOTENCY_KEY_LENGTH, MAX_LINE_QUANTITY, validCart } from '../src/stock/input.ts';

/**
 * validCart (src/stock/input.ts) accepts a cart without zod, and zod explains the carts it does not
 * accept: it must never accept one zod refuses, and must make of each the cart zod makes. Inputs near
 * every rule's edge (lengths at and past each limit, characters the id pattern refuses, quantities
 * that are not whole, not positive or too large, repeated SKUs, location separators) and plain valid
 * carts, so both answers are met often.
 */

/** Characters an id may hold, and some it may not (space, braces, controls, non-ASCII). */
const idCharacter = fc.oneof(
  { weight: 40, arbitrary: fc.constantFrom('a', 'Z', '0', '-', '_', '.', '~', '|', '"', '\\', '/') },
  { weight: 1, arbitrary: fc.constantFrom(' ', '{', '}', '\u0000', '\u001f', '\u007f', 'é', '😀', ',', ':') },
);
const text = (maxLength: number) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.string({ unit: idCharacter, minLength: 1, maxLength: 8 }) },
    { weight: 1, arbitrary: fc.string({ unit: idCharacter, minLength: maxLength - 1, maxLength: maxLength + 1 }) },
    { weight: 1, arbitrary: fc.constant('') },
  );
const anything = fc.constantFrom<unknown>(null, undefined, 1, true, [], {}, 'x');
const quantity = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 5 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(
      0,
      -1,
      1.5,
      MAX_LINE_QUANTITY,
      MAX_LINE_QUANTITY + 1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      '1',
      null,
    ),
  },
);
const skuIds = fc.constantFrom('A', 'B', 'C');
const line = fc.record(
  {
    skuId: fc.oneof({ weight: 4, arbitrary: skuIds }, { weight: 1, arbitrary: text(MAX_ID_LENGTH) }, { weight: 1, arbitrary: anything }),
    quantity,
    locationId: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom<unknown>(null, undefined, 'east') },
      { weight: 1, arbitrary: fc.oneof(fc.constantFrom('a,b', 'a:b'), text(MAX_ID_LENGTH)) },
    ),
  },
  { requiredKeys: ['skuId', 'quantity'] },
);
const lines = fc.oneof(
  { weight: 6, arbitrary: fc.array(line, { minLength: 1, maxLength: 3 }) },
  { weight: 1, arbitrary: fc.array(line, { minLength: MAX_CART_LINES, maxLength: MAX_CART_LINES + 1 }) },
  { weight: 1, arbitrary: fc.oneof(fc.constant([]), anything) },
);
const cartInput = fc.record(
  {
    orderId: fc.oneof({ weight: 4, arbitrary: text(MAX_ID_LENGTH) }, { weight: 1, arbitrary: anything }),
    idempotencyKey: fc.oneof(fc.constantFrom<unknown>(null, undefined), text(MAX_IDEMPOTENCY_KEY_LENGTH)),
    lines,
  },
  { requiredKeys: ['orderId', 'lines'] },
);

describe('validCart', () => {
  it('accepts only what zod accepts, as zod parses it', () => {
    let accepted = 0;
    fc.assert(
      fc.property(cartInput, (input) => {
        const fast = validCart(input as Parameters<typeof validCart>[0]);
        const parsed = cart.safeParse(input);
        if (fast !== null) {
          accepted++;
          expect(parsed.success).toBe(true);
          expect(fast).toEqual(parsed.data);
          // Pinned lines keep their location, unpinned ones have none (not even undefined).
          fast.lines.forEach((l, i) => expect(Object.keys(l)).toEqual(Object.keys(parsed.data!.lines[i]!)));
        }
      }),
      { numRuns: 5_000 },
    );
    // Valid carts were met, so the comparison above ran.
    expect(accepted).toBeGreaterThan(100);
  });

  it('accepts every valid cart zod accepts, so the common case skips zod', () => {
    const valid = fc.record({
      orderId: fc.string({ unit: fc.constantFrom('a', '0', '-', '|'), minLength: 1, maxLength: MAX_ID_LENGTH }),
      idempotencyKey: fc.option(fc.string({ unit: fc.constantFrom('k', '9', '_'), minLength: 1, maxLength: MAX_IDEMPOTENCY_KEY_LENGTH })),
      lines: fc.uniqueArray(
        fc.record({
          skuId: fc.string({ unit: fc.constantFrom('s', '1'), minLength: 1, maxLength: 8 }),
          quantity: fc.integer({ min: 1, max: MAX_LINE_QUANTITY }),
        }),
        { minLength: 1, maxLength: MAX_CART_LINES, selector: (l) => l.skuId },
      ),
    });
    fc.assert(
      fc.property(valid, (input) => {
        expect(cart.safeParse(input).success).toBe(true);
        expect(validCart(input)).not.toBeNull();
      }),
      { numRuns: 1_000 },
    );
  });
});
