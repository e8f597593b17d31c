/**
 * Every bad input gets a clear, typed error and changes nothing, property-based: random requests to the
 * real app whose fields hold hostile values (wrong types, out-of-range and fractional numbers, empty,
 * huge, control and non-Unicode text, nulls, nesting) in the shapes of the mutations and queries. Each
 * answer must be an HTTP 200 or 400 whose every error carries a documented code (src/errors.ts), never
 * an internal one nor TEMPORARILY_UNAVAILABLE; a request answered only with errors moves nothing (the
 * ledger's movements and the SKU rows are as before). Subscriptions likewise: refused with documented
 * codes, or running (a refusal that comes later than SUBSCRIBE_WAIT_MS, or never, is not seen here).
 * fast-check prints the seed and the shrunk request of a failure; FC_SEED replays one.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/errors.ts';
import { sql } from './support/ledger.ts';
import { useStack } from './support/stack.ts';

const stack = useStack();
const KNOWN_SKU = 'hostile-sku';
const KNOWN_ORDER = 'hostile-order';

beforeAll(async () => {
  await stack.api.upserted([{ id: KNOWN_SKU, available: 1_000 }]);
  const sold = await stack.api.deduct(KNOWN_ORDER, [{ skuId: KNOWN_SKU, quantity: 1 }]);
  expect(sold.errors).toBeUndefined();
});

/** Values no field should take as they are, and some it may. */
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(0, -1, 1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 1e308, 1.5, -0.5),
  fc.constantFrom(
    '',
    ' ',
    '0',
    '-1',
    '1e3',
    'x y',
    'a'.repeat(65),
    'a'.repeat(129),
    'a'.repeat(20_000),
    '\u0000',
    '\u0007x',
    'é',
    '🙂',
    '\ud800',
    '{"a":1}',
    'a,b',
    'a:b',
  ),
  fc.constantFrom(null, true, false, [], {}),
  fc.string({ maxLength: 12 }),
  fc.integer(),
);
/** A field's value: hostile one time in five, else a good one, so most requests get past their other fields to it. */
const field = (good: fc.Arbitrary<unknown>) => fc.oneof({ weight: 1, arbitrary: hostile }, { weight: 4, arbitrary: good });
const goodId = fc.constantFrom(KNOWN_SKU, 'hostile-nobody');
const goodQuantity = fc.integer({ min: 1, max: 3 });
const line = fc.record(
  { skuId: field(goodId), quantity: field(goodQuantity), locationId: field(fc.constantFrom('default', 'nowhere')) },
  { requiredKeys: ['skuId', 'quantity'] },
);
const lines = field(fc.array(line, { maxLength: 3 }));
const key = field(fc.string({ minLength: 1, maxLength: 20 }).map((s) => `k-${s}`));
const cart = fc.record(
  { orderId: field(fc.constantFrom(KNOWN_ORDER, 'hostile-new')), idempotencyKey: key, lines },
  { requiredKeys: ['orderId', 'lines'] },
);

interface ErrorBody {
  message: string;
  extensions?: { code?: string };
}
interface Sent {
  query: string;
  variables: Record<string, unknown>;
}
const request: fc.Arbitrary<Sent> = fc.oneof(
  cart.map((input) => ({
    query: 'mutation ($input: DeductStockInput!) { deductStock(input: $input) { __typename } }',
    variables: { input },
  })),
  fc.record({ carts: field(fc.array(cart, { maxLength: 3 })) }).map((input) => ({
    query: 'mutation ($input: DeductStockBatchInput!) { deductStockBatch(input: $input) { results { __typename } } }',
    variables: { input },
  })),
  fc
    .record(
      { orderId: field(fc.constant(KNOWN_ORDER)), idempotencyKey: key, lines, ttlSeconds: field(fc.constant(60)) },
      { requiredKeys: ['orderId', 'lines'] },
    )
    .map((input) => ({
      query: 'mutation ($input: ReserveStockInput!) { reserveStock(input: $input) { __typename } }',
      variables: { input },
    })),
  fc
    .record(
      { orderId: field(fc.constant(KNOWN_ORDER)), idempotencyKey: key, lines },
      { requiredKeys: ['orderId', 'idempotencyKey', 'lines'] },
    )
    .map((input) => ({
      query: 'mutation ($input: RefundStockInput!) { refundStock(input: $input) { __typename } }',
      variables: { input },
    })),
  fc
    .record(
      { skuId: field(goodId), quantity: field(goodQuantity), idempotencyKey: key, locationId: field(fc.constant('default')) },
      { requiredKeys: ['skuId', 'quantity', 'idempotencyKey'] },
    )
    .map((input) => ({
      query: 'mutation ($input: RestockInput!) { restock(input: $input) { __typename } }',
      variables: { input },
    })),
  fc
    .record(
      {
        skuId: field(goodId),
        available: field(fc.integer({ min: 0, max: 2_000 })),
        expectedAvailable: field(fc.integer({ min: 0, max: 2_000 })),
      },
      { requiredKeys: ['skuId', 'available'] },
    )
    .map((input) => ({
      query: 'mutation ($input: SetStockInput!) { setStock(input: $input) { __typename } }',
      variables: { input },
    })),
  fc
    .array(
      fc.record(
        {
          id: field(goodId),
          name: field(fc.constant('n')),
          available: field(fc.integer({ min: 0, max: 2_000 })),
          backorderLimit: hostile,
          buckets: hostile,
          throttlePerSecond: hostile,
          lowStockThreshold: hostile,
          locationId: hostile,
        },
        { requiredKeys: ['id'] },
      ),
      { maxLength: 3 },
    )
    .map((skus) => ({
      query: 'mutation ($input: UpsertSkusInput!) { upsertSkus(input: $input) { __typename } }',
      variables: { input: { skus } },
    })),
  fc
    .record({ ids: field(fc.array(goodId, { maxLength: 3 })) })
    .map((variables) => ({ query: 'query ($ids: [ID!]!) { skus(ids: $ids) { id available } }', variables })),
  fc.record({ skuId: field(goodId), first: hostile, after: hostile, before: hostile }, { requiredKeys: ['skuId'] }).map((variables) => ({
    query:
      'query ($skuId: ID!, $first: Int, $after: String, $before: String) { movements(skuId: $skuId, first: $first, after: $after, before: $before) { edges { cursor } } }',
    variables,
  })),
);

/** A cursor's text (src/live/feed-cursor.ts) around hostile positions: too large, negative, fractional, not numbers. */
const cursorLike = fc
  .record({
    t: fc.constantFrom(
      '0',
      '1',
      '-1',
      '1.5',
      'x',
      '9223372036854775807',
      '9223372036854775808',
      '18446744073709551615',
      '4611686018427387904',
    ),
    i: fc.constantFrom('0', '1', '99999999999999999999'),
  })
  .map(({ t, i }) => Buffer.from(JSON.stringify({ v: 1, t, i })).toString('base64url'));

const subscription: fc.Arbitrary<Sent> = fc.oneof(
  fc
    .record({ skuIds: field(fc.array(goodId, { maxLength: 3 })), after: fc.oneof(hostile, cursorLike) }, { requiredKeys: [] })
    .map((variables) => ({
      query: 'subscription ($skuIds: [ID!], $after: String) { stockMovements(skuIds: $skuIds, after: $after) { cursor } }',
      variables,
    })),
  fc
    .record(
      {
        skuIds: field(fc.array(goodId, { maxLength: 3 })),
        locationIds: field(fc.array(fc.constantFrom('default', 'nowhere'), { maxLength: 2 })),
      },
      { requiredKeys: ['skuIds'] },
    )
    .map((variables) => ({
      query: 'subscription ($skuIds: [ID!]!, $locationIds: [ID!]) { stockLevels(skuIds: $skuIds, locationIds: $locationIds) { skuId } }',
      variables,
    })),
  fc.record({ skuIds: field(fc.array(goodId, { maxLength: 3 })) }, { requiredKeys: [] }).map((variables) => ({
    query: 'subscription ($skuIds: [ID!]) { stockAlerts(skuIds: $skuIds) { kind } }',
    variables,
  })),
);

/** How long a subscription that started is given to send an error before it counts as running. */
const SUBSCRIBE_WAIT_MS = 300;

/**
 * A subscription over SSE: its errors (those of its first message, or the refusal of the request), or
 * none once it is running (its first message had data, or nothing came for SUBSCRIBE_WAIT_MS).
 */
async function subscriptionErrors({ query, variables }: Sent): Promise<{ status: number; errors: ErrorBody[] }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), SUBSCRIBE_WAIT_MS);
  try {
    const res = await fetch(stack.svc.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query, variables }),
      signal: abort.signal,
    });
    if (!res.headers.get('content-type')?.includes('text/event-stream')) {
      return { status: res.status, errors: ((await res.json()) as { errors?: ErrorBody[] }).errors ?? [] };
    }
    let text = '';
    for await (const chunk of res.body!) {
      text += Buffer.from(chunk).toString('utf8');
      const data = /^data: (.*)$/m.exec(text)?.[1];
      if (data) return { status: res.status, errors: (JSON.parse(data) as { errors?: ErrorBody[] }).errors ?? [] };
    }
    return { status: res.status, errors: [] };
  } catch (err) {
    if (abort.signal.aborted) return { status: 200, errors: [] };
    throw err;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

/** What a refused request must leave as it was: every movement, and every SKU's row. */
async function ledgerState(): Promise<string> {
  const [row] = await sql(
    stack.ns.databaseUrl,
    `SELECT (SELECT count(*) FROM movement) AS movements,
            (SELECT json_agg(s ORDER BY s.id) FROM (SELECT id, name, unlimited, backorder_limit, throttle_per_second, buckets, low_stock_threshold FROM sku) s) AS skus`,
  );
  return JSON.stringify(row);
}

/** Documented codes a bad input may get: not an internal error, nor "retry later" (it would fail again). */
const KNOWN_CODES = new Set<string>(ERROR_CODES.filter((code) => code !== 'INTERNAL_SERVER_ERROR' && code !== 'TEMPORARILY_UNAVAILABLE'));

describe('hostile input (property)', () => {
  it('gets a documented error code or a typed answer, and a request answered only with errors moves nothing', async () => {
    await fc.assert(
      fc.asyncProperty(request, async ({ query, variables }) => {
        const before = await ledgerState();
        const res = await fetch(stack.svc.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
          body: JSON.stringify({ query, variables }),
        });
        const text = await res.text();
        expect([200, 400], `HTTP status: ${text.slice(0, 500)}`).toContain(res.status);
        const body = JSON.parse(text) as { data?: Record<string, unknown> | null; errors?: ErrorBody[] };
        for (const e of body.errors ?? []) {
          expect(KNOWN_CODES.has(e.extensions?.code ?? ''), `an error without a documented code: ${JSON.stringify(e).slice(0, 500)}`).toBe(
            true,
          );
        }
        const answered = body.data && Object.values(body.data).some((v) => v !== null);
        if (!answered) expect(await ledgerState(), 'a request answered only with errors changed the ledger').toBe(before);
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 300), ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}) },
    );
  }, 120_000);

  it('to a subscription gets a documented error code, or the subscription runs', async () => {
    await fc.assert(
      fc.asyncProperty(subscription, async (sent) => {
        const { status, errors } = await subscriptionErrors(sent);
        expect([200, 400], `HTTP status for ${JSON.stringify(sent.variables)}`).toContain(status);
        for (const e of errors) {
          expect(KNOWN_CODES.has(e.extensions?.code ?? ''), `an error without a documented code: ${JSON.stringify(e).slice(0, 500)}`).toBe(
            true,
          );
        }
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 100), ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}) },
    );
  }, 120_000);
});
