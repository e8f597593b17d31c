/**
 * The live levels through the real subscription clients, graphql-ws and graphql-sse (distinct connections):
 * a subscriber of `stockLevels` that watches N concurrent deducts ends on the true final level (as `skus`
 * reads it), with versions strictly growing, and the SKU inside each reading agrees with it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResultOf, VariablesOf } from '@graphql-typed-document-node/core';
import { GraphQLClient } from 'graphql-request';
import { createClient as createSseClient } from 'graphql-sse';
import type { ExecutionResult } from 'graphql';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Feed, wsClient } from '../support/live.ts';
import { useStack } from '../support/stack.ts';
import { ClientDeduct, ClientMovements, ClientSkus, ClientStockLevels, ClientStockMovements } from './documents.ts';
import { uniqueId } from './support.ts';

/** Deducts in flight at once. */
const CONCURRENT_DEDUCTS = 24;
const STOCK = 500;

type Level = ResultOf<typeof ClientStockLevels>['stockLevels'];
type Variables = VariablesOf<typeof ClientStockLevels>;

/** What a subscription client takes: graphql-ws's and graphql-sse's `subscribe` share this shape. */
interface Subscriber {
  subscribe<R>(request: { query: string; variables: Record<string, unknown> }, sink: SinkOf<ExecutionResult<R>>): () => void;
}
type Event = ResultOf<typeof ClientStockMovements>['stockMovements'];
interface SinkOf<T> {
  next(value: T): void;
  error(error: unknown): void;
  complete(): void;
}

const stack = useStack();
let http: GraphQLClient;
/** What each test opened, closed after it. */
const opened: (() => void)[] = [];

beforeAll(() => {
  http = new GraphQLClient(stack.svc.url);
});
afterEach(() => {
  for (const close of opened.splice(0)) close();
});

/** The typed live levels of these SKUs through a subscription client. */
function levels(client: Subscriber, skuIds: Variables['skuIds']): Feed<Level> {
  let stop = () => {};
  const feed = new Feed<Level>(() => stop());
  stop = client.subscribe<ResultOf<typeof ClientStockLevels>>(
    { query: ClientStockLevels.toString(), variables: { skuIds } },
    {
      next: (result) => {
        if (result.errors) feed.fail(result.errors);
        else if (result.data) feed.add(result.data.stockLevels);
      },
      error: (err) => feed.fail(err instanceof Error ? err.message : err),
      complete: () => feed.end(),
    },
  );
  opened.push(() => void feed.close());
  return feed;
}

async function endsOnTheFinalLevel(client: Subscriber) {
  const id = uniqueId('live');
  await stack.api.upserted([{ id, available: STOCK }]);
  const feed = levels(client, [id]);
  const [first] = await feed.until((v) => v.length > 0, 'the current level');
  expect(first).toMatchObject({ skuId: id, available: STOCK, reserved: 0, sold: 0, sku: { id, available: STOCK } });

  const quantities = Array.from({ length: CONCURRENT_DEDUCTS }, (_, i) => 1 + (i % 3));
  const answers = await Promise.all(
    quantities.map(
      async (quantity) =>
        (await http.request(ClientDeduct, { input: { orderId: uniqueId('live-order'), lines: [{ skuId: id, quantity }] } })).deductStock,
    ),
  );
  expect(answers.map((a) => a.__typename)).toEqual(quantities.map(() => 'DeductStockSuccess'));
  const sold = quantities.reduce((a, b) => a + b, 0);
  const [truth] = (await http.request(ClientSkus, { ids: [id] })).skus;
  expect(truth).toEqual({ id, available: STOCK - sold, reserved: 0, sold });
  const final = { skuId: id, available: STOCK - sold, reserved: 0, sold, sku: { id, available: STOCK - sold } };

  await feed.until((v) => v.at(-1)?.sold === sold, `the final level (sold ${sold})`);
  // Past several of the server's rate intervals nothing came after it: the feed ends on the truth.
  await sleep((3 * 1000) / stack.svc.config.LIVE_RATE_PER_SECOND + 200);
  expect(feed.errors).toEqual([]);
  expect(feed.last).toEqual({ ...final, version: expect.any(Number), changedAt: expect.any(String) });
  expect(Date.parse(feed.last!.changedAt)).not.toBeNaN();

  const readings = feed.values;
  expect(readings.length).toBeGreaterThan(1);
  expect(readings.length).toBeLessThanOrEqual(CONCURRENT_DEDUCTS + 1);
  for (const [i, r] of readings.entries()) {
    expect(r.skuId).toBe(id);
    expect(r.sku, `reading ${i}: its sku has the reading's counts`).toEqual({ id, available: r.available });
    expect(r.available! + r.reserved + r.sold, `reading ${i} conserves units`).toBe(STOCK);
    if (i > 0) expect(r.version, `version of reading ${i}`).toBeGreaterThan(readings[i - 1]!.version);
  }
}

describe('live levels through the subscription clients', () => {
  it('graphql-ws: ends on the true final level after concurrent deducts, versions strictly growing', async () => {
    const client = wsClient(stack.svc.url);
    opened.push(() => void client.dispose());
    await endsOnTheFinalLevel(client);
  });

  it('graphql-sse: ends on the true final level after concurrent deducts, versions strictly growing', async () => {
    const client = createSseClient({ url: stack.svc.url, retryAttempts: 0 });
    opened.push(() => client.dispose());
    await endsOnTheFinalLevel(client);
  });
});

/** The typed change feed of these SKUs through a subscription client. */
function movements(client: Subscriber, skuIds: string[], after?: string): Feed<Event> {
  let stop = () => {};
  const feed = new Feed<Event>(() => stop());
  stop = client.subscribe<ResultOf<typeof ClientStockMovements>>(
    { query: ClientStockMovements.toString(), variables: { skuIds, ...(after ? { after } : {}) } },
    {
      next: (result) => {
        if (result.errors) feed.fail(result.errors);
        else if (result.data) feed.add(result.data.stockMovements);
      },
      error: (err) => feed.fail(err instanceof Error ? err.message : err),
      complete: () => feed.end(),
    },
  );
  opened.push(() => void feed.close());
  return feed;
}

const deductOne = async (skuId: string) =>
  (await http.request(ClientDeduct, { input: { orderId: uniqueId('feed-order'), lines: [{ skuId, quantity: 1 }] } })).deductStock;

describe('the change feed through the subscription clients', () => {
  it('graphql-sse streams the movements of concurrent deducts, and graphql-ws resumes after a cursor with exactly the rest', async () => {
    const id = uniqueId('feed');
    await stack.api.upserted([{ id, available: STOCK }]);
    const sse = createSseClient({ url: stack.svc.url, retryAttempts: 0 });
    opened.push(() => sse.dispose());
    const first = movements(sse, [id]);
    // Deducts one by one until the feed shows one: it is live from there on.
    for (let i = 0; i < 50 && first.values.length === 0; i++) {
      expect((await deductOne(id)).__typename).toBe('DeductStockSuccess');
      await first.until((v) => v.length > 0, 'a movement', 100).catch(() => {});
    }
    const [start] = await first.until((v) => v.length > 0, 'the first movement');
    const answers = await Promise.all(Array.from({ length: CONCURRENT_DEDUCTS }, () => deductOne(id)));
    expect(answers.every((a) => a.__typename === 'DeductStockSuccess')).toBe(true);

    const edges = (await http.request(ClientMovements, { skuId: id, kinds: ['DEDUCT'], first: 100 })).movements.edges;
    const expected = edges.map((e) => e.node.id).filter((m) => BigInt(m) >= BigInt(start!.movement.id));
    const got = await first.until((v) => v.length >= expected.length, `${expected.length} movements`);
    expect(got.map((e) => e.movement.id).sort()).toEqual([...expected].sort());
    expect(got.every((e) => e.movement.kind === 'DEDUCT' && e.movement.skuId === id && e.movement.deltaSold === 1)).toBe(true);

    const ws = wsClient(stack.svc.url);
    opened.push(() => void ws.dispose());
    const rest = movements(ws, [id], got[2]!.cursor);
    const resumed = await rest.until((v) => v.length >= got.length - 3, 'the movements after the third');
    await sleep(200);
    expect(rest.values.map((e) => e.movement.id)).toEqual(got.slice(3).map((e) => e.movement.id));
    expect(resumed.length).toBe(got.length - 3);
  });
});
