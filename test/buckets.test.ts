/**
 * Bucketed hot SKUs (seed 003, src/gate/buckets.ts) on a gate of 8 shards on one Redis: a SKU's stock
 * split into buckets sells exactly its units to a crowd (no bucket oversold, no buyer refused while any
 * bucket held a unit), a line larger than any bucket takes from several, restocks and reservations
 * keep every unit accounted for, and changing the bucket count folds and re-splits the stock.
 * test/cluster.test.ts runs the crowd over a real Redis Cluster.
 */
import { describe, expect, it } from 'vitest';
import { checked, outcome, type Variables } from './support/client.ts';
import { gateAgrees } from './support/gate-check.ts';
import { audit } from './support/ledger.ts';
import { permutations } from './support/permutations.ts';
import { UPSERT_BUCKETS } from './support/ops.ts';
import { loadCounters } from '../src/sync/load.ts';
import { useStack, type Stack } from './support/stack.ts';

const stack = useStack({ env: { GATE_SHARDS: '8' } });
const { api } = stack;

/** Upserts SKUs and answers them with their bucket counts. */
async function upserted(
  skus: Variables[],
  on: Stack = stack,
): Promise<{ id: string; available: number; backorderLimit: number; buckets: number }[]> {
  return checked(await on.svc.gql(UPSERT_BUCKETS, { input: { skus } }), 'UpsertSkusSuccess').skus;
}

/** Each bucket's share of the gate's available, as the counters hold it now. */
async function bucketShares(skuId: string, buckets: number, on: Stack = stack): Promise<number[]> {
  const { gate } = on.svc.app.services;
  const shares = await Promise.all(Array.from({ length: buckets }, (_, b) => gate.redis.hget(gate.keys.counter(skuId, b), 'a')));
  return shares.map(Number);
}

/**
 * A cart refused for one line names only the lines truly short: a line of a SKU in buckets that its
 * buckets together could serve is not short, whether the cart's lines share one shard or not.
 */
async function refusesOnlyTrulyShort(on: Stack): Promise<void> {
  const { api } = on;
  await upserted(
    [
      { id: 'spread', available: 5, buckets: 3 },
      { id: 'empty', available: 0 },
    ],
    on,
  );
  for (const [key, lines] of [
    [
      'spread-1',
      [
        { skuId: 'spread', quantity: 5 },
        { skuId: 'empty', quantity: 2 },
      ],
    ],
    [
      'spread-2',
      [
        { skuId: 'empty', quantity: 2 },
        { skuId: 'spread', quantity: 5 },
      ],
    ],
  ] as const) {
    const refused = await api.deduct(key, [...lines]);
    expect(refused.data?.deductStock).toMatchObject({
      __typename: 'InsufficientStock',
      lines: [{ skuId: 'empty', requested: 2, obtainable: 0 }],
    });
  }
  expect((await bucketShares('spread', 3, on)).reduce((a, b) => a + b, 0)).toBe(5);
  checked(await api.deduct('spread-3', [{ skuId: 'spread', quantity: 5 }]), 'DeductStockSuccess');
}

describe('a SKU in buckets', () => {
  it('sells exactly 1,000 units in 8 buckets to 3,000 concurrent buyers, refusing none while a unit remained', async () => {
    const [sku] = await upserted([{ id: 'crowd', available: 1_000, buckets: 8 }]);
    expect(sku).toMatchObject({ available: 1_000, buckets: 8 });
    const answers = await Promise.all(Array.from({ length: 3_000 }, (_, i) => api.deductOne(`crowd-${i}`, 'crowd')));
    const kinds = answers.map(outcome);
    expect(kinds.filter((k) => k === 'DeductStockSuccess')).toHaveLength(1_000);
    expect(kinds.filter((k) => k === 'InsufficientStock')).toHaveLength(2_000);
    // A refusal saw every bucket empty: none said a unit was obtainable.
    for (const answer of answers.filter((a) => outcome(a) === 'InsufficientStock'))
      expect(answer.data?.deductStock).toMatchObject({ lines: [{ skuId: 'crowd', requested: 1, obtainable: 0 }] });
    // A take from a bucket reports no level after it: it knows only its bucket.
    const sold = answers.find((a) => outcome(a) === 'DeductStockSuccess')!;
    expect(sold.data?.deductStock).toMatchObject({ lines: [{ skuId: 'crowd', availableAfter: null }] });
    expect(await bucketShares('crowd', 8)).toEqual(Array(8).fill(0));
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'crowd')).toMatchObject({ available: 0, sold: 1_000 });
    expect(await audit(stack.ns.databaseUrl, 'crowd')).toMatchObject({ sold: 1_000, ledgerSold: 1_000, deducts: 1_000 });
  });

  it('splits the stock evenly over the buckets on different shards, and reads back the sums', async () => {
    await upserted([{ id: 'even', available: 19, buckets: 4, backorderLimit: 2 }]);
    const { gate, prisma } = stack.svc.app.services;
    expect(await loadCounters(gate, prisma, ['even'])).toEqual([]);
    expect(await gate.levels(['even'])).toMatchObject([{ available: 19, buckets: 4, backorderLimit: 2 }]);
    expect(await bucketShares('even', 4)).toEqual([5, 5, 5, 4]);
    const shards = [0, 1, 2, 3].map((b) => gate.keys.bucketShard('even', b).index);
    expect(new Set(shards).size).toBe(4);
    // The backorder floor is the first bucket's: the SKU sells 19 + 2, then refuses.
    checked(await api.deduct('even-1', [{ skuId: 'even', quantity: 21 }]), 'DeductStockSuccess');
    expect(outcome(await api.deductOne('even-2', 'even'))).toBe('InsufficientStock');
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'even')).toMatchObject({ available: -2, sold: 21 });
  });

  it('takes a line larger than any bucket from several, all or nothing, and names what they hold together', async () => {
    await upserted([{ id: 'big', available: 16, buckets: 8 }]);
    checked(await api.deduct('big-1', [{ skuId: 'big', quantity: 10 }]), 'DeductStockSuccess');
    expect((await bucketShares('big', 8)).reduce((a, b) => a + b, 0)).toBe(6);
    const refused = await api.deduct('big-2', [{ skuId: 'big', quantity: 7 }]);
    expect(refused.data?.deductStock).toMatchObject({
      __typename: 'InsufficientStock',
      lines: [{ skuId: 'big', requested: 7, obtainable: 6 }],
    });
    expect((await bucketShares('big', 8)).reduce((a, b) => a + b, 0)).toBe(6);
    checked(await api.deduct('big-3', [{ skuId: 'big', quantity: 6 }]), 'DeductStockSuccess');
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'big')).toMatchObject({ available: 0, sold: 16 });
  });

  it('refuses a cart for its truly short line only, not for a line its buckets could serve together', () => refusesOnlyTrulyShort(stack));

  it('sells restocked units, holds and releases reservations, and refunds, every unit accounted for', async () => {
    await upserted([{ id: 'flow', available: 4, buckets: 4 }]);
    checked(await api.deduct('flow-1', [{ skuId: 'flow', quantity: 4 }]), 'DeductStockSuccess');
    checked(await api.restock('flow', 6, 'flow-restock'), 'RestockSuccess');
    // The restock went to one bucket: a line of 5 spills over from wherever it starts.
    checked(await api.reserve('flow-2', [{ skuId: 'flow', quantity: 5 }], 600), 'ReserveStockSuccess');
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'flow')).toMatchObject({ available: 1, reserved: 5, sold: 4 });
    expect(outcome(await api.release('flow-2'))).toBe('ReleaseReservationSuccess');
    expect(outcome(await api.refund('flow-1', 'flow-refund', [{ skuId: 'flow', quantity: 2 }]))).toBe('RefundStockSuccess');
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'flow')).toMatchObject({ available: 8, reserved: 0, sold: 2 });
    checked(await api.deduct('flow-3', [{ skuId: 'flow', quantity: 8 }]), 'DeductStockSuccess');
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'flow')).toMatchObject({ available: 0, sold: 10 });
  });

  it('folds and re-splits the stock when the bucket count changes, in both directions', async () => {
    await upserted([{ id: 'fold', available: 30, buckets: 6 }]);
    checked(await api.deduct('fold-1', [{ skuId: 'fold', quantity: 4 }]), 'DeductStockSuccess');
    const [three] = await upserted([{ id: 'fold', buckets: 3 }]);
    expect(three).toMatchObject({ available: 26, buckets: 3 });
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'fold')).toMatchObject({ available: 26, sold: 4 });
    expect(await bucketShares('fold', 3)).toEqual([9, 9, 8]);
    const [one] = await upserted([{ id: 'fold', buckets: 1 }]);
    expect(one).toMatchObject({ available: 26, buckets: 1 });
    checked(await api.deduct('fold-2', [{ skuId: 'fold', quantity: 26 }]), 'DeductStockSuccess');
    const [eight] = await upserted([{ id: 'fold', available: 8, buckets: 8 }]);
    expect(eight).toMatchObject({ available: 8, buckets: 8 });
    const kinds = (await Promise.all(Array.from({ length: 12 }, (_, i) => api.deductOne(`fold-3-${i}`, 'fold')))).map(outcome);
    expect(kinds.filter((k) => k === 'DeductStockSuccess')).toHaveLength(8);
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'fold')).toMatchObject({ available: 0, sold: 38 });
  });

  it('refuses a bad bucket count with INVALID_BUCKETS and changes nothing', async () => {
    for (const buckets of [0, 65]) {
      const res = await stack.svc.gql(UPSERT_BUCKETS, { input: { skus: [{ id: 'bad-buckets', available: 1, buckets }] } });
      expect(res.errors?.[0]?.extensions?.code).toBe('INVALID_BUCKETS');
    }
    expect(await api.sku('bad-buckets')).toMatchObject({ data: { sku: null } });
  });
});

describe('a SKU in buckets on a gate of one shard (every line of a cart in one take.lua call)', () => {
  const oneShard = useStack({ env: { GATE_SHARDS: '1' } });
  it('refuses a cart for its truly short line only, not for a line its buckets could serve together', () =>
    refusesOnlyTrulyShort(oneShard));
});

/**
 * Carts answered as if taken one at a time (issue 15's property, seed 900535394): a cart refused for a
 * line of a SKU in buckets names what was short at one moment. Before, its other lines were judged by
 * the first take.lua call and its bucketed line by a later reading of every bucket, and another cart
 * taking both in between made a refusal no order of the carts explains (the other line not named short).
 */
describe('concurrent carts over a SKU in buckets, on a gate of one shard', () => {
  const oneShard = useStack({ env: { GATE_SHARDS: '1' } });
  /** Rounds of three concurrent carts; a mixed refusal showed in about one round of ten before the fix. */
  const ROUNDS = 60;
  it('answers each round as some one-at-a-time order of its carts would', async () => {
    const carts = [
      [
        { sku: 'plain', quantity: 3 },
        { sku: 'split', quantity: 2 },
      ],
      [
        { sku: 'plain', quantity: 3 },
        { sku: 'split', quantity: 1 },
      ],
      [{ sku: 'split', quantity: 1 }],
    ];
    for (let round = 0; round < ROUNDS; round++) {
      const id = (sku: string) => `${sku}-r${round}`;
      await upserted(
        [
          { id: id('plain'), available: 3 },
          { id: id('split'), available: 3, buckets: 3 },
        ],
        oneShard,
      );
      const answers = await Promise.all(
        carts.map((lines, c) =>
          oneShard.api.deduct(
            `mixed-r${round}-c${c}`,
            lines.map((l) => ({ skuId: id(l.sku), quantity: l.quantity })),
          ),
        ),
      );
      const got = answers.map((a) => {
        const answer = a.data?.deductStock;
        return answer.__typename === 'InsufficientStock'
          ? answer.lines
              .map((l: { skuId: string; obtainable: number }) => `${l.skuId.split('-')[0]}:${l.obtainable}`)
              .sort()
              .join('+')
          : answer.__typename;
      });
      const serial = (order: number[]) => {
        const left = new Map([
          ['plain', 3],
          ['split', 3],
        ]);
        const outcomes: string[] = [];
        for (const c of order) {
          const short = carts[c]!.filter((l) => left.get(l.sku)! < l.quantity).map((l) => `${l.sku}:${left.get(l.sku)}`);
          if (short.length === 0) for (const l of carts[c]!) left.set(l.sku, left.get(l.sku)! - l.quantity);
          outcomes[c] = short.length > 0 ? short.sort().join('+') : 'DeductStockSuccess';
        }
        return outcomes;
      };
      expect(permutations(carts.length).map(serial), `round ${round}`).toContainEqual(got);
    }
  });
});
