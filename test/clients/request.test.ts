/**
 * graphql-request against the live server, sending the typed string documents as they are: every mutation
 * once with its every-outcome document, then each member of DeductStockResult and ConfirmReservationResult
 * brought about for real (and of DeductStockResult and SetStockResult in one batch each) and read through the
 * exhaustive switches of exhaustive.ts, whose member lists must be the live server's union members.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { GraphQLClient } from 'graphql-request';
import type { IntrospectionQuery } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { useStack } from '../support/stack.ts';
import {
  ClientConfirm,
  ClientDeduct,
  ClientDeductBatch,
  ClientReconcileStock,
  ClientRefund,
  ClientRelease,
  ClientReserve,
  ClientRestock,
  ClientSetStock,
  ClientSetStockBatch,
  ClientSkus,
  ClientStockAudit,
  ClientTransferStock,
  ClientUpsert,
  ClientUpsertLocations,
} from './documents.ts';
import {
  CONFIRM_MEMBERS,
  DEDUCT_MEMBERS,
  describeConfirm,
  describeDeduct,
  describeReconcile,
  describeSetStock,
  RECONCILE_MEMBERS,
  TRANSFER_MEMBERS,
  describeTransfer,
  SET_STOCK_MEMBERS,
} from './exhaustive.ts';
import { introspect, possibleTypesOf, uniqueId } from './support.ts';

const stack = useStack();
let client: GraphQLClient;
let schema: IntrospectionQuery;

beforeAll(async () => {
  client = new GraphQLClient(stack.svc.url);
  schema = await introspect(stack.svc.url);
});

const sku = (id: string, available: number | null, reserved: number, sold: number) => ({ id, available, reserved, sold });

describe('graphql-request', () => {
  it('sends every mutation with its every-outcome document and reads each typed answer', async () => {
    const a = uniqueId('req-a');
    const b = uniqueId('req-b');
    const upsert = (
      await client.request(ClientUpsert, {
        input: {
          skus: [
            { id: a, available: 10 },
            { id: b, available: 5, name: 'B' },
          ],
        },
      })
    ).upsertSkus;
    expect(upsert).toEqual({
      __typename: 'UpsertSkusSuccess',
      skus: [
        { ...sku(a, 10, 0, 0), name: null, unlimited: false, backorderLimit: 0 },
        { ...sku(b, 5, 0, 0), name: 'B', unlimited: false, backorderLimit: 0 },
      ],
    });

    const sale = uniqueId('req-sale');
    const deduct = (await client.request(ClientDeduct, { input: { orderId: sale, lines: [{ skuId: a, quantity: 2 }] } })).deductStock;
    expect(deduct).toEqual({
      __typename: 'DeductStockSuccess',
      orderId: sale,
      idempotencyKey: sale,
      lines: [{ skuId: a, quantity: 2, availableAfter: 8, sku: sku(a, 8, 0, 2) }],
    });

    const hold = uniqueId('req-hold');
    const reserve = (await client.request(ClientReserve, { input: { orderId: hold, lines: [{ skuId: a, quantity: 3 }], ttlSeconds: 600 } }))
      .reserveStock;
    expect(reserve).toEqual({
      __typename: 'ReserveStockSuccess',
      orderId: hold,
      idempotencyKey: hold,
      deadline: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
      lines: [{ skuId: a, quantity: 3, availableAfter: 5, sku: sku(a, 5, 3, 2) }],
    });
    if (reserve.__typename !== 'ReserveStockSuccess') throw new Error('unreachable');
    const deadline = reserve.deadline;
    const holdLine = { skuId: a, reserved: 3, expired: 0 };

    const confirm = (
      await client.request(ClientConfirm, {
        input: { orderId: hold, lines: [{ skuId: a, quantity: 1 }], idempotencyKey: `${hold}-confirm` },
      })
    ).confirmReservation;
    expect(confirm).toEqual({
      __typename: 'ConfirmReservationSuccess',
      reservation: { id: hold, orderId: hold, state: 'ACTIVE', deadline, lines: [{ ...holdLine, confirmed: 1, released: 0, held: 2 }] },
    });

    const release = (await client.request(ClientRelease, { input: { orderId: hold, idempotencyKey: `${hold}-release` } }))
      .releaseReservation;
    expect(release).toEqual({
      __typename: 'ReleaseReservationSuccess',
      reservation: { id: hold, orderId: hold, state: 'RELEASED', deadline, lines: [{ ...holdLine, confirmed: 1, released: 2, held: 0 }] },
    });

    const refundKey = uniqueId('req-refund');
    const refund = (
      await client.request(ClientRefund, { input: { orderId: sale, idempotencyKey: refundKey, lines: [{ skuId: a, quantity: 1 }] } })
    ).refundStock;
    expect(refund).toEqual({
      __typename: 'RefundStockSuccess',
      orderId: sale,
      idempotencyKey: refundKey,
      lines: [{ skuId: a, quantity: 1, deducted: 2, refunded: 1, refundable: 1, sku: sku(a, 8, 0, 2) }],
    });

    const restock = (await client.request(ClientRestock, { input: { skuId: a, quantity: 5, idempotencyKey: uniqueId('req-restock') } }))
      .restock;
    expect(restock).toEqual({ __typename: 'RestockSuccess', skuId: a, quantity: 5, availableAfter: 13, sku: sku(a, 13, 0, 2) });

    const setStock = (await client.request(ClientSetStock, { input: { skuId: b, available: 9, expectedAvailable: 5 } })).setStock;
    expect(setStock).toEqual({ __typename: 'SetStockSuccess', sku: sku(b, 9, 0, 0) });

    expect((await client.request(ClientSkus, { ids: [a, b] })).skus).toEqual([sku(a, 13, 0, 2), sku(b, 9, 0, 0)]);
  });
});

describe('codegen types: the exhaustive switches', () => {
  it('name exactly the members of the live server’s DeductStockResult, SetStockResult and ConfirmReservationResult', () => {
    const possible = possibleTypesOf(schema);
    expect(Object.keys(DEDUCT_MEMBERS).sort()).toEqual(possible.DeductStockResult);
    expect(Object.keys(SET_STOCK_MEMBERS).sort()).toEqual(possible.SetStockResult);
    expect(Object.keys(CONFIRM_MEMBERS).sort()).toEqual(possible.ConfirmReservationResult);
    expect(Object.keys(RECONCILE_MEMBERS).sort()).toEqual(possible.ReconcileStockResult);
    expect(Object.keys(TRANSFER_MEMBERS).sort()).toEqual(possible.TransferStockResult);
  });

  it('read every member of TransferStockResult, each brought about for real, and the levels per location', async () => {
    const id = uniqueId('exh-transfer');
    const depot = uniqueId('depot');
    const upserted = (await client.request(ClientUpsertLocations, { input: { locations: [{ id: depot, name: 'Depot', priority: 5 }] } }))
      .upsertLocations;
    expect(upserted).toEqual({
      __typename: 'UpsertLocationsSuccess',
      locations: [{ id: depot, name: 'Depot', priority: 5, active: true }],
    });
    await stack.api.upserted([{ id, available: 3 }]);
    const transfer = async (quantity: number, idempotencyKey: string, skuId = id) =>
      (
        await client.request(ClientTransferStock, {
          input: { skuId, fromLocationId: 'default', toLocationId: depot, quantity, idempotencyKey },
        })
      ).transferStock;
    const key = uniqueId('move');
    const moved = await transfer(2, key);
    expect(moved).toMatchObject({ sku: { id, available: 3 } });
    if (moved.__typename !== 'TransferStockSuccess') throw new Error(describeTransfer(moved));
    expect(moved.sku.levels.filter((l) => l.location.id === 'default' || l.location.id === depot)).toEqual([
      { location: { id: 'default' }, available: 1 },
      { location: { id: depot }, available: 2 },
    ]);
    const ghost = uniqueId('ghost');
    const answers = [moved, await transfer(5, uniqueId('move')), await transfer(1, key), await transfer(1, uniqueId('move'), ghost)];
    expect(answers.map(describeTransfer)).toEqual([
      `moved 2 × ${id} from default to ${depot}`,
      `short: ${id} 5 > 1`,
      `key ${key} was used for another request`,
      `unknown: ${ghost}`,
    ]);
    expect(answers.map((r) => r.__typename).sort()).toEqual(Object.keys(TRANSFER_MEMBERS).sort());
  });

  it('read every member of ReconcileStockResult, and the audit of a SKU, each brought about for real', async () => {
    const id = uniqueId('exh-audit');
    const ghost = uniqueId('exh-ghost');
    await stack.api.upserted([{ id, available: 8 }]);
    const audit = (await client.request(ClientStockAudit, { skuIds: [id] })).stockAudit;
    expect(audit).toMatchObject([{ skuId: id, conserved: true, gateAgrees: true, drift: 0 }]);
    const answers = [
      (await client.request(ClientReconcileStock, { input: { skuIds: [id] } })).reconcileStock,
      (await client.request(ClientReconcileStock, { input: { skuIds: [id, ghost] } })).reconcileStock,
    ];
    expect(answers.map(describeReconcile)).toEqual([`${id}: agrees`, `unknown: ${ghost}`]);
    expect(answers.map((r) => r.__typename).sort()).toEqual(Object.keys(RECONCILE_MEMBERS).sort());
  });

  it('read every member of DeductStockResult, each brought about for real', async () => {
    const id = uniqueId('exh-deduct');
    const hot = uniqueId('exh-hot');
    await stack.api.upserted([
      { id, available: 5 },
      { id: hot, available: 100, throttlePerSecond: 1 },
    ]);
    const deduct = async (orderId: string, skuId: string, quantity: number) =>
      (await client.request(ClientDeduct, { input: { orderId, lines: [{ skuId, quantity }] } })).deductStock;
    const seen = new Set<string>();
    const read = (answer: Awaited<ReturnType<typeof deduct>>, expected: string) => {
      seen.add(answer.__typename);
      expect(describeDeduct(answer)).toBe(expected);
    };

    const order = uniqueId('exh-order');
    read(await deduct(order, id, 2), `deducted 2 × ${id} (3 left) for ${order}`);
    read(await deduct(uniqueId('exh-order'), id, 4), `short: ${id} 4 > 3`);
    const ghost = uniqueId('exh-ghost');
    read(await deduct(uniqueId('exh-order'), ghost, 1), `unknown: ${ghost}`);
    read(await deduct(order, id, 1), `key ${order} was used for another request`);

    // One attempt a second on the hot SKU: the next ones within that second are throttled.
    let throttled: Awaited<ReturnType<typeof deduct>> | undefined;
    for (let i = 0; i < 5 && !throttled; i++) {
      const answer = await deduct(uniqueId('exh-hot-order'), hot, 1);
      if (answer.__typename === 'Throttled') throttled = answer;
    }
    expect(throttled?.__typename, 'a Throttled answer within 5 quick attempts').toBe('Throttled');
    if (throttled?.__typename !== 'Throttled') throw new Error('unreachable');
    expect(throttled.retryAfterMs).toBeGreaterThan(0);
    read(throttled, `busy: ${hot}; retry after ${throttled.retryAfterMs} ms`);

    expect([...seen].sort()).toEqual(Object.keys(DEDUCT_MEMBERS).sort());
  });

  it('read every member of a deductStockBatch’s and a setStockBatch’s results with the single mutations’ switches', async () => {
    const id = uniqueId('exh-batch');
    const hot = uniqueId('exh-batch-hot');
    await stack.api.upserted([
      { id, available: 5 },
      { id: hot, available: 100, throttlePerSecond: 1 },
    ]);
    const [sold, ghost] = [uniqueId('exh-batch-order'), uniqueId('exh-batch-ghost')];
    const cart = (orderId: string, skuId: string, quantity: number) => ({ orderId, lines: [{ skuId, quantity }] });
    // One attempt a second on the hot SKU: its second and third carts in one batch are throttled.
    const carts = [cart(sold, id, 2), cart(uniqueId('o'), id, 4), cart(uniqueId('o'), ghost, 1), cart(sold, id, 1)];
    const hotCarts = [1, 2, 3].map(() => cart(uniqueId('exh-batch-hot-order'), hot, 1));
    const { results } = (await client.request(ClientDeductBatch, { input: { carts: [...carts, ...hotCarts] } })).deductStockBatch;
    expect(results.slice(0, 4).map(describeDeduct)).toEqual([
      `deducted 2 × ${id} (3 left) for ${sold}`,
      `short: ${id} 4 > 3`,
      `unknown: ${ghost}`,
      `key ${sold} was used for another request`,
    ]);
    const throttled = results.slice(4).find((r) => r.__typename === 'Throttled');
    expect(throttled, JSON.stringify(results.slice(4))).toBeDefined();
    expect(describeDeduct(throttled!)).toMatch(new RegExp(`^busy: ${hot}; retry after \\d+ ms$`));
    expect(new Set(results.map((r) => r.__typename))).toEqual(new Set(Object.keys(DEDUCT_MEMBERS)));

    const set = (
      await client.request(ClientSetStockBatch, {
        input: {
          items: [
            { skuId: id, available: 9, expectedAvailable: 3 },
            { skuId: hot, available: 1, expectedAvailable: 7 },
            { skuId: ghost, available: 1 },
          ],
        },
      })
    ).setStockBatch.results;
    expect(set.map(describeSetStock)).toEqual([`${id} set to 9`, `${hot} is 99, not 7: not set`, `unknown: ${ghost}`]);
    expect(set.map((r) => r.__typename).sort()).toEqual(Object.keys(SET_STOCK_MEMBERS).sort());
  });

  it('read every member of ConfirmReservationResult, each brought about for real', async () => {
    const id = uniqueId('exh-hold');
    const other = uniqueId('exh-other');
    await stack.api.upserted([
      { id, available: 50 },
      { id: other, available: 50 },
    ]);
    const reserve = async (orderId: string, ttlSeconds = 600) => {
      const answer = (await client.request(ClientReserve, { input: { orderId, lines: [{ skuId: id, quantity: 2 }], ttlSeconds } }))
        .reserveStock;
      if (answer.__typename !== 'ReserveStockSuccess') throw new Error(`reserve: ${JSON.stringify(answer)}`);
      return answer;
    };
    const confirm = async (orderId: string, lines?: { skuId: string; quantity: number }[], idempotencyKey?: string) =>
      (await client.request(ClientConfirm, { input: { orderId, lines, idempotencyKey } })).confirmReservation;
    const release = async (orderId: string) => (await client.request(ClientRelease, { input: { orderId } })).releaseReservation.__typename;
    const seen = new Set<string>();
    const read = (answer: Awaited<ReturnType<typeof confirm>>, expected: string) => {
      seen.add(answer.__typename);
      expect(describeConfirm(answer)).toBe(expected);
    };

    const sold = uniqueId('exh-sold');
    await reserve(sold);
    read(await confirm(sold, [{ skuId: id, quantity: 3 }], `${sold}-over`), `over the hold: ${id} 3 > 2`);
    read(await confirm(sold, [{ skuId: other, quantity: 1 }], `${sold}-other`), `${other} not in ${sold}`);
    read(await confirm(sold, [{ skuId: id, quantity: 1 }], `${sold}-1`), `sold; ${sold} is ACTIVE`);
    // A refused step records nothing; a key that sold something answers only its own request.
    read(await confirm(sold, [{ skuId: id, quantity: 2 }], `${sold}-1`), `key ${sold}-1 was used for another request`);
    read(await confirm(sold, undefined, `${sold}-2`), `sold; ${sold} is CONFIRMED`);
    read(await confirm(sold, undefined, `${sold}-3`), `${sold} was confirmed before`);

    const cancelled = uniqueId('exh-cancelled');
    await reserve(cancelled);
    expect(await release(cancelled)).toBe('ReleaseReservationSuccess');
    read(await confirm(cancelled, undefined, `${cancelled}-late`), `${cancelled} was cancelled`);

    const nothing = uniqueId('exh-nothing');
    read(await confirm(nothing), `${nothing} holds nothing`);

    const lapsed = uniqueId('exh-lapsed');
    const { deadline } = await reserve(lapsed, 1);
    await sleep(Math.max(0, Date.parse(deadline) - Date.now()) + 200);
    read(await confirm(lapsed), `${lapsed} expired at ${deadline}`);

    expect([...seen].sort()).toEqual(Object.keys(CONFIRM_MEMBERS).sort());
  });
});
