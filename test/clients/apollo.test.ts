/**
 * Apollo Client (core, no React) against the live server: a normalized InMemoryCache whose possibleTypes
 * come from the server's introspection, the every-outcome deduct keeping the SKU in the cache current from
 * the answer alone, and `movements` paged with fetchMore into relayStylePagination.
 */
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { relayStylePagination } from '@apollo/client/utilities';
import type { ResultOf } from '@graphql-typed-document-node/core';
import { readFileSync } from 'node:fs';
import { buildSchema, isAbstractType, type GraphQLAbstractType, type IntrospectionQuery } from 'graphql';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { useStack } from '../support/stack.ts';
import { ClientDeduct, ClientMovements, ClientSkuQuery } from './documents.ts';
import { ClientSkuFragmentDoc } from '../support/graphql/graphql.ts';
import { describeDeduct } from './exhaustive.ts';
import { countingFetch, documentNode, introspect, possibleTypesOf, uniqueId } from './support.ts';

const stack = useStack();
let schema: IntrospectionQuery;

beforeAll(async () => {
  schema = await introspect(stack.svc.url);
});

/**
 * What Apollo warned about during a test. A cache that cannot tell which members a union or Outcome has
 * says so here ("Cannot match fragment … missing `possibleTypes` entry … Data might be lost") and writes
 * by guesswork; each test ends with none of that.
 */
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

const DEDUCT = documentNode(ClientDeduct);
const SKU = documentNode(ClientSkuQuery);
const SKU_FIELDS = documentNode(ClientSkuFragmentDoc);
const MOVEMENTS = documentNode(ClientMovements);

/** A client of its own per test: an empty cache and a count of what it sent. */
function apollo() {
  const net = countingFetch();
  const cache = new InMemoryCache({
    possibleTypes: possibleTypesOf(schema),
    typePolicies: { Query: { fields: { movements: relayStylePagination(['skuId', 'orderId', 'kinds']) } } },
  });
  const client = new ApolloClient({ link: new HttpLink({ uri: stack.svc.url, fetch: net.fetch }), cache });
  return { client, cache, net };
}

describe('Apollo Client', () => {
  it('builds possibleTypes from introspection: every union and interface of the committed contract with all its members', () => {
    const contract = buildSchema(readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8'));
    const abstract = Object.values(contract.getTypeMap()).filter((t) => isAbstractType(t) && !t.name.startsWith('__'));
    const expected = Object.fromEntries(
      abstract.map((t) => [
        t.name,
        contract
          .getPossibleTypes(t as GraphQLAbstractType)
          .map((m) => m.name)
          .sort(),
      ]),
    );
    expect(possibleTypesOf(schema)).toEqual(expected);
    expect(expected.DeductStockResult).toEqual([
      'DeductStockSuccess',
      'IdempotencyConflict',
      'InsufficientStock',
      'Throttled',
      'UnknownSku',
    ]);
    expect(expected.Outcome).toEqual(expect.arrayContaining(['IdempotencyConflict', 'InsufficientStock', 'Throttled', 'UnknownSku']));
  });

  it('keeps the SKU in its cache current from the deduct answers, success and refusal, read through one document', async () => {
    const id = uniqueId('apollo-sku');
    await stack.api.upserted([{ id, available: 10 }]);
    const { client, cache, net } = apollo();
    const skuRef = cache.identify({ __typename: 'Sku', id });
    const cached = () => cache.readFragment({ id: skuRef, fragment: SKU_FIELDS });

    const before = await client.query({ query: SKU, variables: { id } });
    expect(before.data?.sku).toEqual({ __typename: 'Sku', id, available: 10, reserved: 0, sold: 0 });
    expect(net.count()).toBe(1);

    const order = uniqueId('apollo-order');
    const deducted = (
      await client.mutate({ mutation: DEDUCT, variables: { input: { orderId: order, lines: [{ skuId: id, quantity: 3 }] } } })
    ).data?.deductStock;
    expect(deducted?.__typename).toBe('DeductStockSuccess');
    if (deducted?.__typename !== 'DeductStockSuccess') throw new Error('unreachable');
    expect(deducted.lines).toEqual([
      {
        __typename: 'TakenLine',
        skuId: id,
        quantity: 3,
        availableAfter: 7,
        sku: { __typename: 'Sku', id, available: 7, reserved: 0, sold: 3 },
      },
    ]);
    expect(net.count()).toBe(2);

    // The answer's `lines { sku }` is the SKU entity: the cache shows its levels after the deduct, no request needed.
    expect(cached()).toEqual({ __typename: 'Sku', id, available: 7, reserved: 0, sold: 3 });
    const fromCache = await client.query({ query: SKU, variables: { id }, fetchPolicy: 'cache-only' });
    expect(fromCache.data?.sku).toEqual({ __typename: 'Sku', id, available: 7, reserved: 0, sold: 3 });
    expect(net.count()).toBe(2);
    expect(await stack.api.level(id)).toMatchObject({ available: 7, reserved: 0, sold: 3 });

    // Another client sells 2 behind this cache's back; the refusal's `lines { sku }` brings the cache up to date.
    await stack.api.deducted(uniqueId('elsewhere'), [{ skuId: id, quantity: 2 }]);
    const short = (
      await client.mutate({
        mutation: DEDUCT,
        variables: { input: { orderId: uniqueId('apollo-order'), lines: [{ skuId: id, quantity: 8 }] } },
      })
    ).data?.deductStock;
    expect(short?.__typename).toBe('InsufficientStock');
    if (short?.__typename !== 'InsufficientStock') throw new Error('unreachable');
    expect(short.code).toBe('INSUFFICIENT_STOCK');
    expect(short.message).toEqual(expect.any(String));
    expect(short.lines).toEqual([
      {
        __typename: 'ShortLine',
        skuId: id,
        requested: 8,
        obtainable: 5,
        sku: { __typename: 'Sku', id, available: 5, reserved: 0, sold: 5 },
      },
    ]);
    expect(cached()).toEqual({ __typename: 'Sku', id, available: 5, reserved: 0, sold: 5 });

    // The first order's key with another cart.
    const conflict = (
      await client.mutate({ mutation: DEDUCT, variables: { input: { orderId: order, lines: [{ skuId: id, quantity: 4 }] } } })
    ).data?.deductStock;
    expect(conflict).toEqual({
      __typename: 'IdempotencyConflict',
      code: 'IDEMPOTENCY_CONFLICT',
      message: expect.any(String),
      idempotencyKey: order,
    });
    expect(net.count()).toBe(4);
    expect(describeDeduct(conflict!)).toBe(`key ${order} was used for another request`);
    expect(cached()).toEqual({ __typename: 'Sku', id, available: 5, reserved: 0, sold: 5 });
  });

  it('pages movements with fetchMore: the merged list is every movement, newest first, each once', async () => {
    const id = uniqueId('apollo-paged');
    await stack.api.upserted([{ id, available: 30 }]);
    for (let i = 1; i <= 6; i++) await stack.api.deducted(uniqueId(`apollo-paged-${i}`), [{ skuId: id, quantity: i }]);
    const truth = (await stack.api.movements({ skuId: id, first: 100 })).data.movements;
    const ids: string[] = truth.edges.map((e: { node: { id: string } }) => e.node.id);
    expect(ids).toHaveLength(7); // the upsert's ADJUST and six deducts
    expect(truth.pageInfo.hasNextPage).toBe(false);

    const { client, net } = apollo();
    const query = client.watchQuery({ query: MOVEMENTS, variables: { skuId: id, first: 3 } });
    type Connection = NonNullable<ResultOf<typeof ClientMovements>['movements']>;
    /** What the watcher was last told: the list as the cache merged it (complete data only). */
    let latest: Connection | undefined;
    const sub = query.subscribe((r) => {
      if (r.dataState === 'complete') latest = r.data.movements;
    });
    const watched = (): Connection => {
      if (!latest) throw new Error('no complete movements yet');
      return latest;
    };
    try {
      await expect.poll(() => latest?.edges.length).toBe(3);
      let pages = 1;
      while (watched().pageInfo.hasNextPage) {
        const { endCursor } = watched().pageInfo;
        expect(endCursor).toEqual(expect.any(String));
        const had = watched().edges.length;
        const more = await query.fetchMore({ variables: { after: endCursor } });
        const page = more.data?.movements.edges ?? [];
        expect(page.length).toBeGreaterThan(0);
        pages++;
        expect(pages, 'pages').toBeLessThanOrEqual(3);
        // The watcher sees the page appended to what it had.
        await expect.poll(() => watched().edges.length).toBe(had + page.length);
      }
      expect(pages).toBe(3);
      expect(net.count()).toBe(3);

      const merged = watched();
      const mergedIds = merged.edges.map((e) => e.node.id);
      expect(mergedIds).toEqual(ids);
      expect(new Set(mergedIds).size).toBe(ids.length);
      expect(merged.edges.map((e) => e.node.kind)).toEqual([...Array<string>(6).fill('DEDUCT'), 'ADJUST']);
      expect(merged.edges.map((e) => e.node.quantity).slice(0, 6)).toEqual([6, 5, 4, 3, 2, 1]);
      expect(merged.pageInfo.hasNextPage).toBe(false);

      // The cache holds the merged list under the key arguments: read again, no request.
      const again = client.readQuery({ query: MOVEMENTS, variables: { skuId: id, first: 3 } });
      expect(again?.movements.edges.map((e) => e.node.id)).toEqual(ids);
      expect(net.count()).toBe(3);
    } finally {
      sub.unsubscribe();
    }
  });
});
