/**
 * The change feed (issue 17): stockMovements streams every ledger movement once, in commit order, and a
 * subscriber resumes from its cursor with no gap and no duplicate, over graphql-ws and SSE, on another
 * instance, across a server restart and a Redis FLUSHALL (the ledger is the source).
 */
import type { Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, subscribe } from 'graphql';
import { setTimeout as sleep } from 'node:timers/promises';
import { OPEN_CALLER } from '../src/auth/scopes.ts';
import { comparePositions } from '../src/ledger/feed.ts';
import { decodeCursor } from '../src/live/feed-cursor.ts';
import { Live } from '../src/live/live.ts';
import { schema } from '../src/schema/index.ts';
import { checked, errorCode, type Client as Api } from './support/client.ts';
import { overSse, overWs, wsClient, type Feed } from './support/live.ts';
import { STOCK_MOVEMENTS } from './support/ops.ts';
import { useStack, type Running } from './support/stack.ts';

interface Event {
  cursor: string;
  movement: { id: string; kind: string; skuId: string; quantity: number; orderId: string | null };
}

const stack = useStack({ ownRedis: true });
const clients: Client[] = [];
const feeds: Feed<Event>[] = [];
afterEach(async () => {
  await Promise.all(feeds.splice(0).map(async (f) => f.close()));
  await Promise.all(clients.splice(0).map(async (c) => c.dispose()));
});

function movements(via: 'ws' | 'sse', svc: Running, skuIds: string[] | null, after?: string): Feed<Event> {
  const variables = { skuIds, ...(after ? { after } : {}) };
  let feed: Feed<Event>;
  if (via === 'ws') {
    const client = wsClient(svc.url);
    clients.push(client);
    feed = overWs<Event>(client, STOCK_MOVEMENTS, variables, 'stockMovements');
  } else {
    feed = overSse<Event>(svc.url, STOCK_MOVEMENTS, variables, 'stockMovements');
  }
  feeds.push(feed);
  return feed;
}

let runs = 0;
/** Fresh SKUs of a test, `stock` each, and a marker SKU the test restocks to see its subscribers live. */
async function skus(api: Api, n: number, stock = 1_000): Promise<{ ids: string[]; marker: string }> {
  const run = ++runs;
  const ids = Array.from({ length: n }, (_, i) => `feed-${run}-${i}`);
  const marker = `feed-${run}-marker`;
  await api.upserted([...ids, marker].map((id) => ({ id, available: stock })));
  return { ids, marker };
}

/** Restocks the marker until every feed has shown one of its movements: from then on they are live. */
async function untilLive(api: Api, marker: string, ...subscribers: Feed<Event>[]): Promise<void> {
  const seen = () => subscribers.every((f) => f.values.some((e) => e.movement.skuId === marker));
  for (let i = 0; i < 100 && !seen(); i++) {
    checked(await api.restock(marker, 1, `live-${marker}-${i}`), 'RestockSuccess');
    await Promise.race(subscribers.map((f) => f.until(() => seen(), 'the marker', 100).catch(() => {})));
  }
  expect(seen()).toBe(true);
}

/**
 * Mixed mutations on `ids`, all at once: deducts of one and two lines, reserves confirmed or released,
 * deducts partly refunded, restocks. Returns how many mutations were sent.
 */
async function mixed(api: Api, ids: string[], scenarios: number, tag: string): Promise<number> {
  const sent = await Promise.all(
    Array.from({ length: scenarios }, async (_, i): Promise<number> => {
      const a = ids[i % ids.length]!;
      const b = ids[(i + 1) % ids.length]!;
      const order = `${tag}-${i}`;
      switch (i % 5) {
        case 0:
          checked(await api.deduct(order, [{ skuId: a, quantity: 1 }]), 'DeductStockSuccess');
          return 1;
        case 1:
          checked(await api.reserve(order, [{ skuId: a, quantity: 2 }], 60), 'ReserveStockSuccess');
          checked(await api.confirm(order), 'ConfirmReservationSuccess');
          return 2;
        case 2:
          checked(
            await api.reserve(
              order,
              [
                { skuId: a, quantity: 1 },
                { skuId: b, quantity: 1 },
              ],
              60,
            ),
            'ReserveStockSuccess',
          );
          checked(await api.release(order), 'ReleaseReservationSuccess');
          return 2;
        case 3:
          checked(
            await api.deduct(order, [
              { skuId: a, quantity: 2 },
              { skuId: b, quantity: 1 },
            ]),
            'DeductStockSuccess',
          );
          checked(await api.refund(order, `${order}-refund`, [{ skuId: a, quantity: 1 }]), 'RefundStockSuccess');
          return 2;
        default:
          checked(await api.restock(a, 3, `${order}-restock`), 'RestockSuccess');
          return 1;
      }
    }),
  );
  return sent.reduce((x, y) => x + y, 0);
}

/** The ids of every movement of `ids` in the ledger, through the movements connection. */
async function ledgerIds(api: Api, ids: string[]): Promise<Set<string>> {
  const all = await Promise.all(ids.map((id) => api.allMovements(id)));
  return new Set(all.flat().map((m) => m.id));
}

const idsOf = (events: Event[], skuIds: string[]) => events.filter((e) => skuIds.includes(e.movement.skuId)).map((e) => e.movement.id);

/** Cursors only move forward: the feed is in commit order. */
function expectFeedOrder(events: Event[]): void {
  for (let i = 1; i < events.length; i++) {
    const before = decodeCursor(events[i - 1]!.cursor).position;
    const after = decodeCursor(events[i]!.cursor).position;
    expect(comparePositions(before, after), `event ${i} comes after event ${i - 1}`).toBeLessThan(0);
  }
}

describe('stockMovements', () => {
  it('streams every movement of 300 concurrent mixed mutations exactly once, as the movements connection lists them', async () => {
    const { api, svc } = stack;
    const { ids, marker } = await skus(api, 3);
    const before = await ledgerIds(api, ids);
    const overWsOfSkus = movements('ws', svc, [...ids, marker]);
    const overSseOfAll = movements('sse', svc, null);
    await untilLive(api, marker, overWsOfSkus, overSseOfAll);

    const sent = await mixed(api, ids, 200, 'mixed');
    expect(sent).toBeGreaterThanOrEqual(300);
    const expected = [...(await ledgerIds(api, ids))].filter((id) => !before.has(id)).sort();
    expect(expected.length).toBeGreaterThanOrEqual(sent);
    for (const feed of [overWsOfSkus, overSseOfAll]) {
      await feed.until((events) => idsOf(events, ids).length >= expected.length, `${expected.length} movements`);
      const got = idsOf(feed.values, ids);
      expect(new Set(got).size, 'no duplicates').toBe(got.length);
      expect([...got].sort()).toEqual(expected);
      expectFeedOrder(feed.values);
    }
    // Only the SKUs asked for, and all of them for the feed of every SKU.
    expect(overWsOfSkus.values.every((e) => [...ids, marker].includes(e.movement.skuId))).toBe(true);
  });

  it.each(['ws', 'sse'] as const)(
    'over %s, a subscriber that left after 50 movements resumes with its cursor on another instance, across a restart and a FLUSHALL, and misses none',
    async (via) => {
      const { api, redis } = stack;
      const { ids, marker } = await skus(api, 2);
      const before = await ledgerIds(api, ids);
      const first = movements(via, stack.svc, ids);
      await untilLive(api, marker, movements(via, stack.svc, [marker]));
      // untilLive's own subscriber started after `first`: `first` is live too.
      await Promise.all([mixed(api, ids, 40, `${via}-a`), first.until((e) => e.length >= 50, '50 movements')]);
      await first.close();
      const seen = first.values;
      const cursor = seen.at(-1)!.cursor;

      // While it is away: more movements, the instance restarts, and Redis is flushed.
      await mixed(api, ids, 20, `${via}-b`);
      await stack.svc.stop();
      const admin = new Redis(redis.url);
      await admin.flushall();
      admin.disconnect();
      stack.svc = await stack.serve();
      await mixed(api, ids, 20, `${via}-c`);

      const other = await stack.serve();
      const resumed = movements(via, other, ids, cursor);
      await mixed(api, ids, 10, `${via}-d`);
      const all = [...(await ledgerIds(api, ids))].filter((id) => !before.has(id));
      const missed = all.filter((id) => !idsOf(seen, ids).includes(id));
      await resumed.until((events) => events.length >= missed.length, `${missed.length} missed movements`);
      const got = idsOf(resumed.values, ids);
      expect(new Set(got).size, 'no duplicates').toBe(got.length);
      expect(
        got.filter((id) => idsOf(seen, ids).includes(id)),
        'nothing sent before the cursor',
      ).toEqual([]);
      expect([...got].sort()).toEqual([...missed].sort());
      expectFeedOrder([...seen, ...resumed.values]);
    },
  );

  it('never lets a transaction that drew a lower id and commits late fall behind a cursor', async () => {
    const { api, svc, ns } = stack;
    const { ids, marker } = await skus(api, 1);
    // The late movement's SKU has no other movement: no merge ever waits for its row, which the open
    // transaction's foreign-key check holds (a merge holding other rows meanwhile would stall the deduct).
    const quiet = `${marker}-quiet`;
    await api.upserted([{ id: quiet }]);
    const feed = movements('ws', svc, [...ids, marker, quiet]);
    await untilLive(api, marker, feed);
    // A transaction writes a movement (drawing the lower id) and stays open...
    const late = new pg.Client(ns.databaseUrl);
    await late.connect();
    try {
      await late.query('BEGIN');
      const [{ id: lateId }] = (
        await late.query<{ id: string }>(
          `INSERT INTO movement (kind, sku_id, quantity, delta_available) VALUES ('ADJUST', $1, 1, 0) RETURNING id::text`,
          [quiet],
        )
      ).rows as [{ id: string }];
      // ...while a deduct draws a higher id and commits first.
      const deducted = await api.deducted('late-commit', [{ skuId: ids[0]!, quantity: 1 }]);
      expect(deducted.orderId).toBe('late-commit');
      await sleep(500);
      // Sending the deduct now would hand out a cursor the late movement could fall behind.
      expect(feed.values.filter((e) => e.movement.orderId === 'late-commit')).toEqual([]);
      await late.query('COMMIT');
      await feed.until((events) => events.some((e) => e.movement.orderId === 'late-commit'), 'the deduct');
      const order = feed.values.map((e) => e.movement.id);
      expect(order.indexOf(lateId)).toBeGreaterThanOrEqual(0);
      expect(order.indexOf(lateId), 'the late commit comes before the deduct it held back').toBeLessThan(
        feed.values.findIndex((e) => e.movement.orderId === 'late-commit'),
      );
      expect(BigInt(lateId)).toBeLessThan(BigInt(feed.values.find((e) => e.movement.orderId === 'late-commit')!.movement.id));
    } finally {
      await late.end();
    }
  });

  it('answers a bad cursor INVALID_CURSOR and bad SKU ids INVALID_ID', async () => {
    for (const [variables, code] of [
      [{ after: 'not-a-cursor' }, 'INVALID_CURSOR'],
      [{ after: Buffer.from('{"v":1,"t":"x","i":"1"}').toString('base64url') }, 'INVALID_CURSOR'],
      // Past PostgreSQL's bigint, which positions are: no position of the ledger.
      [{ after: Buffer.from('{"v":1,"t":"9223372036854775808","i":"1"}').toString('base64url') }, 'INVALID_CURSOR'],
      [{ after: Buffer.from('{"v":1,"t":"1","i":"18446744073709551615"}').toString('base64url') }, 'INVALID_CURSOR'],
      // Past every transaction the server has begun: handed out by no ledger here (a restored backup's clients).
      [{ after: Buffer.from('{"v":1,"t":"4611686018427387904","i":"1"}').toString('base64url') }, 'INVALID_CURSOR'],
      [{ skuIds: ['bad id with spaces'] }, 'INVALID_ID'],
      [{ skuIds: [] }, 'EMPTY_SKU_LIST'],
    ] as const) {
      const feed = movements('sse', stack.svc, null);
      await feed.close();
      const res = await stack.svc.gql(STOCK_MOVEMENTS, variables);
      expect(errorCode(res), JSON.stringify(variables)).toBe(code);
    }
  });
});

describe('a subscriber that stops reading', () => {
  it('is sent what was queued, then FEED_BEHIND with the cursor to resume after, and resumes from it with nothing lost', async () => {
    const { api } = stack;
    const { ids } = await skus(api, 1);
    const services = stack.svc.app.services;
    const log = pino({ level: 'silent' });
    // The schema's own subscription, served by a Live of the app's services whose feed queues at most 5.
    const live = new Live(
      { openRedis: () => new Redis(stack.ns.redisUrl), prefix: stack.ns.prefix, ratePerSecond: 10, feed: { maxQueued: 5 } },
      services,
      log,
    );
    const result = await subscribe({
      schema,
      document: parse(STOCK_MOVEMENTS),
      variableValues: { skuIds: ids },
      contextValue: { ...services, live, caller: OPEN_CALLER },
    });
    if (!(Symbol.asyncIterator in result)) throw new Error(JSON.stringify(result));
    try {
      const firstPull = result.next();
      for (let i = 0; i < 20; i++) checked(await api.deduct(`slow-${i}`, [{ skuId: ids[0]!, quantity: 1 }]), 'DeductStockSuccess');
      const received: Event[] = [];
      const first = await firstPull;
      received.push((first.value as { data: { stockMovements: Event } }).data.stockMovements);
      // It stops reading meanwhile: the feed queues what comes until its limit.
      await sleep(500);
      let behind: { code?: unknown; cursor?: unknown } | undefined;
      for (;;) {
        const next = await result.next();
        if (next.done) break;
        if (next.value.errors) behind = next.value.errors[0]!.extensions;
        else received.push((next.value.data as { stockMovements: Event }).stockMovements);
      }
      expect(behind, 'FEED_BEHIND came last').toMatchObject({ code: 'FEED_BEHIND', retryable: true, cursor: received.at(-1)!.cursor });
      expect(received.length).toBe(6);
      const resumed = movements('sse', stack.svc, ids, String(behind!.cursor));
      await resumed.until((events) => events.length >= 20 - received.length, 'the rest');
      const all = [...idsOf(received, ids), ...idsOf(resumed.values, ids)];
      expect(new Set(all).size).toBe(20);
    } finally {
      await result.return?.();
      await live.close();
    }
  });
});
