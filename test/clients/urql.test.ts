/**
 * urql with graphcache against the live server: a normalized cache that knows the schema (the server's
 * introspection: unions and Outcome resolve exactly, no heuristic fragment matching), the every-outcome
 * deduct keeping the SKU in the cache current from its answers alone.
 */
import { Client, fetchExchange, gql, type AnyVariables } from '@urql/core';
import { cacheExchange } from '@urql/exchange-graphcache';
import type { IntrospectionQuery } from 'graphql';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TypedDocumentString } from '../support/graphql/graphql.ts';
import { useStack } from '../support/stack.ts';
import { ClientDeduct, ClientSkuQuery } from './documents.ts';
import { describeDeduct } from './exhaustive.ts';
import { countingFetch, introspect, keylessTypes, uniqueId } from './support.ts';

const stack = useStack();
let schema: IntrospectionQuery;

beforeAll(async () => {
  schema = await introspect(stack.svc.url);
});

/** Graphcache's warnings (heuristic fragment matching, keyless entities, missing fields): each test ends with none. */
let warnings: string[] = [];
beforeEach(() => {
  warnings = [];
  for (const level of ['warn', 'error'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void warnings.push(args.map(String).join(' ')));
  }
});
afterEach(() => {
  vi.restoreAllMocks();
  expect(warnings).toEqual([]);
});

/** The typed string document as urql's own typed DocumentNode. */
const urqlDocument = <R, V extends AnyVariables>(doc: TypedDocumentString<R, V>) => gql<R, V>(doc.toString());

const DEDUCT = urqlDocument(ClientDeduct);
const SKU = urqlDocument(ClientSkuQuery);

/** A client of its own per test: an empty cache and a count of what it sent. */
function urql() {
  const net = countingFetch();
  const cache = cacheExchange({
    schema,
    // Results, lines and refusals have no id: they live inside their parent, not as entities.
    keys: Object.fromEntries(keylessTypes(schema).map((type) => [type, () => null])),
    // `sku(id)` is the Sku entity of that id: a cached SKU answers the query without a request.
    resolvers: { Query: { sku: (_parent, args) => ({ __typename: 'Sku', id: args.id as string }) } },
  });
  const client = new Client({ url: stack.svc.url, fetch: net.fetch, exchanges: [cache, fetchExchange], preferGetMethod: false });
  return { client, net };
}

describe('urql with graphcache', () => {
  it('keeps the SKU in its cache current from the deduct answers, success and refusal, read through one document', async () => {
    const id = uniqueId('urql-sku');
    await stack.api.upserted([{ id, available: 10 }]);
    const { client, net } = urql();
    const cachedSku = async () => {
      const res = await client.query(SKU, { id }, { requestPolicy: 'cache-only' }).toPromise();
      expect(res.error).toBeUndefined();
      return res.data?.sku;
    };
    const deduct = async (orderId: string, quantity: number) => {
      const res = await client.mutation(DEDUCT, { input: { orderId, lines: [{ skuId: id, quantity }] } }).toPromise();
      expect(res.error).toBeUndefined();
      const answer = res.data?.deductStock;
      if (!answer) throw new Error(`no answer: ${JSON.stringify(res)}`);
      return answer;
    };

    expect(await cachedSku()).toBeUndefined(); // nothing cached yet, and cache-only sends nothing
    expect(net.count()).toBe(0);
    const before = await client.query(SKU, { id }).toPromise();
    expect(before.data?.sku).toEqual({ id, available: 10, reserved: 0, sold: 0 });
    expect(net.count()).toBe(1);

    const order = uniqueId('urql-order');
    const deducted = await deduct(order, 3);
    if (deducted.__typename !== 'DeductStockSuccess') throw new Error(describeDeduct(deducted));
    expect(deducted).toEqual({
      __typename: 'DeductStockSuccess',
      orderId: order,
      idempotencyKey: order,
      lines: [
        {
          skuId: id,
          quantity: 3,
          availableAfter: 7,
          sku: { id, available: 7, reserved: 0, sold: 3 },
        },
      ],
    });
    expect(net.count()).toBe(2);
    expect(await cachedSku()).toEqual({ id, available: 7, reserved: 0, sold: 3 });
    expect(net.count()).toBe(2);

    // Another client sells 2 behind this cache's back; the refusal's `lines { sku }` brings the cache up to date.
    await stack.api.deducted(uniqueId('elsewhere'), [{ skuId: id, quantity: 2 }]);
    const short = await deduct(uniqueId('urql-order'), 8);
    expect(short).toEqual({
      __typename: 'InsufficientStock',
      code: 'INSUFFICIENT_STOCK',
      message: expect.any(String),
      lines: [
        {
          skuId: id,
          requested: 8,
          obtainable: 5,
          sku: { id, available: 5, reserved: 0, sold: 5 },
        },
      ],
    });
    expect(await cachedSku()).toEqual({ id, available: 5, reserved: 0, sold: 5 });

    const conflict = await deduct(order, 4);
    expect(conflict).toEqual({
      __typename: 'IdempotencyConflict',
      code: 'IDEMPOTENCY_CONFLICT',
      message: expect.any(String),
      idempotencyKey: order,
    });
    expect(describeDeduct(conflict)).toBe(`key ${order} was used for another request`);

    const unknown = await client
      .mutation(DEDUCT, { input: { orderId: uniqueId('urql-order'), lines: [{ skuId: uniqueId('no-such-sku'), quantity: 1 }] } })
      .toPromise();
    expect(unknown.data?.deductStock).toMatchObject({ __typename: 'UnknownSku', code: 'UNKNOWN_SKU', message: expect.any(String) });
    expect(net.count()).toBe(5);
    expect(await cachedSku()).toEqual({ id, available: 5, reserved: 0, sold: 5 });
    expect(await stack.api.level(id)).toMatchObject({ available: 5, reserved: 0, sold: 5 });
  });
});
