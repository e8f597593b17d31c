import { z } from 'zod';
import { inputError, issue, splitIssue, type InputErrorCode } from '../errors.ts';
import { MAX_BUCKETS } from '../gate/buckets.ts';
import type { CartLine } from '../inventory.ts';

export { MAX_BUCKETS };

/** The largest quantity one line may move: GraphQL Int is 32-bit, and no real cart line needs more. */
export const MAX_LINE_QUANTITY = 1_000_000;
/** The largest stock level a merchant may set: levels must stay within GraphQL's 32-bit Int. */
export const MAX_STOCK_LEVEL = 1_000_000_000;
/** Lines per cart: a real cart is far smaller, and the gate script's cost grows with it. */
export const MAX_CART_LINES = 50;
/** SKUs per upsert call: one PostgreSQL transaction holds all their row locks. */
export const MAX_UPSERT_SKUS = 100;
/** SKUs per read: one Redis pipeline and at most one PostgreSQL query. */
export const MAX_READ_SKUS = 500;
/** Merchant SKU codes and order ids: bounded printable ASCII, no braces (they delimit Redis hash tags). */
export const MAX_ID_LENGTH = 64;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;
export const MAX_NAME_LENGTH = 200;

/** Built in src/errors.ts; still exported here, beside the limits, for the domain code that checks them. */
export { inputError };

const idPattern = /^[\x21-\x7a\x7c\x7e]+$/; // printable ASCII without space, "{" and "}"

const id = (code: InputErrorCode) =>
  z
    .string()
    .min(1, issue(code, 'must not be empty'))
    .max(MAX_ID_LENGTH, issue(code, `at most ${MAX_ID_LENGTH} characters`))
    .regex(idPattern, issue(code, 'printable ASCII without spaces or braces'));

export const skuId = id('INVALID_ID');
/** What a location's id must not hold besides an id's rules: the gate's scripts list locations with them (lua/includes/locations.lua). */
const LOCATION_SEPARATORS = /[,:]/;
/** A location's id: an id without "," and ":". */
export const locationId = id('INVALID_LOCATION').refine(
  (text) => !LOCATION_SEPARATORS.test(text),
  issue('INVALID_LOCATION', 'no "," or ":"'),
);
export const orderId = id('INVALID_ID');
export const idempotencyKey = z
  .string()
  .min(1, issue('INVALID_IDEMPOTENCY_KEY', 'must not be empty'))
  .max(MAX_IDEMPOTENCY_KEY_LENGTH, issue('INVALID_IDEMPOTENCY_KEY', `at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`))
  .regex(idPattern, issue('INVALID_IDEMPOTENCY_KEY', 'printable ASCII without spaces or braces'));

export const quantity = z
  .number()
  .int(issue('INVALID_QUANTITY', 'must be an integer'))
  .min(1, issue('INVALID_QUANTITY', 'must be at least 1'))
  .max(MAX_LINE_QUANTITY, issue('INVALID_QUANTITY', `at most ${MAX_LINE_QUANTITY}`));

export const stockLevel = z
  .number()
  .int(issue('INVALID_STOCK_LEVEL', 'must be an integer'))
  .min(0, issue('INVALID_STOCK_LEVEL', 'must not be negative'))
  .max(MAX_STOCK_LEVEL, issue('INVALID_STOCK_LEVEL', `at most ${MAX_STOCK_LEVEL}`));

/**
 * The highest hot-SKU throttle: one Redis serves on the order of 100,000 script calls a second for a
 * single key, so a higher throttle would never bite. The lowest is 1; null switches it off.
 */
export const MAX_THROTTLE_PER_SECOND = 100_000;

export const throttlePerSecond = z
  .number()
  .int(issue('INVALID_THROTTLE', 'must be a whole number of attempts per second'))
  .min(1, issue('INVALID_THROTTLE', 'must be at least 1 (null removes the throttle)'))
  .max(MAX_THROTTLE_PER_SECOND, issue('INVALID_THROTTLE', `at most ${MAX_THROTTLE_PER_SECOND}`));

/** Gate buckets of a SKU (src/gate/buckets.ts): 1 for none, at most MAX_BUCKETS. */
export const buckets = z
  .number()
  .int(issue('INVALID_BUCKETS', 'must be a whole number of buckets'))
  .min(1, issue('INVALID_BUCKETS', 'must be at least 1 (1: no buckets)'))
  .max(MAX_BUCKETS, issue('INVALID_BUCKETS', `at most ${MAX_BUCKETS}`));

/**
 * A position in the ledger as decimal text: a movement's id or its transaction's, both PostgreSQL
 * bigints, so never 2^63 or more (a larger one is no movement's, and a query would fail on it).
 */
export const ledgerId = z
  .string()
  .regex(/^\d{1,19}$/)
  .transform(BigInt)
  .refine((n) => n < 2n ** 63n);

/** How far below zero a SKU may sell (backorders); bounded like any level. */
export const MAX_BACKORDER_LIMIT = 1_000_000;

export const backorderLimit = z
  .number()
  .int(issue('INVALID_STOCK_LEVEL', 'must be an integer'))
  .min(0, issue('INVALID_STOCK_LEVEL', 'a backorder limit must not be negative'))
  .max(MAX_BACKORDER_LIMIT, issue('INVALID_STOCK_LEVEL', `a backorder limit is at most ${MAX_BACKORDER_LIMIT}`));

export const cartLines = z
  .array(
    z
      .object({ skuId, quantity, locationId: locationId.nullish() })
      // Named fields, not rest and spread (a slow path of V8's, run per line): every line one of two shapes.
      .transform(({ skuId, quantity, locationId: pinned }): CartLine =>
        pinned ? { skuId, quantity, locationId: pinned } : { skuId, quantity },
      ),
  )
  .min(1, issue('EMPTY_CART', 'a cart needs at least one line'))
  .max(MAX_CART_LINES, issue('CART_TOO_LARGE', `at most ${MAX_CART_LINES} lines`))
  .superRefine((lines, ctx) => {
    const seen = new Set<string>();
    for (const [i, l] of lines.entries()) {
      if (seen.has(l.skuId)) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'skuId'],
          message: issue('DUPLICATE_SKU_LINE', `SKU ${l.skuId} appears on more than one line; send one line per SKU`).error,
        });
      }
      seen.add(l.skuId);
    }
  });

/**
 * Lines that return units (a refund, a confirm or release of a hold) name no location: the units go back
 * where they came from (src/stock/locations.ts). A line that names one is refused (INVALID_LOCATION).
 */
export function unpinned(lines: CartLine[], field: string): CartLine[] {
  const at = lines.findIndex((l) => l.locationId !== undefined);
  if (at >= 0)
    throw inputError(
      'INVALID_LOCATION',
      `${field}.${at}.locationId: units go back where they came from; name no location`,
      `${field}.${at}.locationId`,
    );
  return lines;
}

/** A list of 1 to `max` SKU ids for one `what` (a subscription, an audit): EMPTY_SKU_LIST, TOO_MANY_SKUS. */
export function skuList(max: number, what: string) {
  return z
    .array(skuId)
    .min(1, issue('EMPTY_SKU_LIST', 'name at least one SKU'))
    .max(max, issue('TOO_MANY_SKUS', `at most ${max} SKUs per ${what}`));
}

/** Parses input or throws a GraphQL error whose extensions.code names the first problem. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  const [code, text] = splitIssue(first?.message ?? issue('INVALID_ID', 'invalid input').error);
  const path = [...(field ? [field] : []), ...(first?.path ?? [])].join('.');
  throw inputError(code, `${path}: ${text}`, path);
}

type CartInput = { orderId: string; idempotencyKey?: string | null | undefined; lines: unknown };

/**
 * A cart request as deduct and reserve take it: the key defaults to the order id (a valid order id is a
 * valid key). One parse a cart, not one a field: a batch parses a hundred carts per request.
 */
export const cart = z
  .object({ orderId, idempotencyKey: idempotencyKey.nullish(), lines: cartLines })
  .transform(({ orderId, idempotencyKey, lines }) => ({ orderId, key: idempotencyKey ?? orderId, lines }));

/** A cart as `cart` parses it. */
export type ParsedCart = z.output<typeof cart>;

const isId = (value: unknown, maxLength: number): value is string =>
  typeof value === 'string' && value.length >= 1 && value.length <= maxLength && idPattern.test(value);
const isQuantity = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_LINE_QUANTITY;

/**
 * The cart `cart` makes of an input every one of its rules accepts, without zod; null when any rule
 * may not hold, and zod then names the first that fails (parseCart). Zod's parse of a hundred carts
 * was 6.4 % of the server's CPU in a hot SKU ×100 window (`BENCH_PROFILE_DIR`, its inclusive time);
 * most carts are valid, and this is a few comparisons a field. The same limits and patterns as the
 * schemas above: test/cart-input.property.test.ts holds it to zod's answers.
 */
export function validCart(input: CartInput): ParsedCart | null {
  if (typeof input !== 'object' || input === null) return null;
  const { orderId: order, idempotencyKey: key, lines } = input;
  if (!isId(order, MAX_ID_LENGTH) || (key != null && !isId(key, MAX_IDEMPOTENCY_KEY_LENGTH))) return null;
  if (!Array.isArray(lines) || lines.length < 1 || lines.length > MAX_CART_LINES) return null;
  const parsed = new Array<CartLine>(lines.length);
  const seen = lines.length > 1 ? new Set<string>() : null;
  for (let i = 0; i < lines.length; i++) {
    const line: unknown = lines[i];
    if (typeof line !== 'object' || line === null) return null;
    const { skuId: sku, quantity: units, locationId: pinned } = line as Record<string, unknown>;
    if (!isId(sku, MAX_ID_LENGTH) || !isQuantity(units)) return null;
    if (pinned != null && (!isId(pinned, MAX_ID_LENGTH) || LOCATION_SEPARATORS.test(pinned))) return null;
    if (seen?.has(sku)) return null;
    seen?.add(sku);
    parsed[i] = pinned ? { skuId: sku, quantity: units, locationId: pinned } : { skuId: sku, quantity: units };
  }
  return { orderId: order, key: key ?? order, lines: parsed };
}

/** A cart request as deduct and reserve take it; `at` prefixes paths in errors (`carts.3.`). */
export function parseCart(input: CartInput, at = ''): ParsedCart {
  return validCart(input) ?? parseInput(cart, input, at.slice(0, -1));
}

/**
 * Carts per batch request: one gate pipeline and one group commit serve them all, and 1,000 carts
 * answer in well under a second; more would hold one request's memory and answer for too long.
 */
export const MAX_BATCH_CARTS = 1_000;
/** Lines per batch request, over all its carts: what one pipeline's scripts walk through. */
export const MAX_BATCH_LINES = 10_000;

/**
 * Items per setStockBatch: one transaction locks and fences every SKU row of them. A catalogue sync of
 * 10,000 variants fits in one request and commits in well under 2 s; more would hold the row locks
 * (and stall the group commit for those SKUs) for longer.
 */
export const MAX_SET_STOCK_ITEMS = 10_000;

/**
 * Every entry of a batch (`field`: its input's list, of `noun`s), checked before any I/O: 1 to `max`
 * of them, each parsed with its path (`carts.3.`); the first bad one refuses the whole request.
 */
export function parseBatch<I, P>(list: I[], field: string, noun: string, max: number, parse: (entry: I, at: string) => P): P[] {
  if (list.length === 0) throw inputError('EMPTY_BATCH', `${field}: a batch needs at least one ${noun}`, field);
  if (list.length > max) throw inputError('BATCH_TOO_LARGE', `${field}: at most ${max} ${noun}s per request`, field);
  return list.map((entry, i) => parse(entry, `${field}.${i}.`));
}

/** Every cart of a batch, checked before any I/O: the first bad one refuses the whole request. */
export function parseCarts(carts: CartInput[]) {
  const parsed = parseBatch(carts, 'carts', 'cart', MAX_BATCH_CARTS, parseCart);
  const lines = parsed.reduce((n, cart) => n + cart.lines.length, 0);
  if (lines > MAX_BATCH_LINES) {
    throw inputError('BATCH_TOO_LARGE', `carts: at most ${MAX_BATCH_LINES} lines per request, over all carts (${lines} sent)`, 'carts');
  }
  return parsed;
}
