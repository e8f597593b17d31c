/**
 * Merchant changes over HTTP against the real app, PostgreSQL and Redis (issue 3): restock (idempotent
 * by key), setStock (compare-and-set, ADJUST movements), upsert with a level or a backorder limit, and
 * the transactional outbox that brings the gate up to changes that start in PostgreSQL, also after a
 * crash between the commit and the Redis call. After each change the gate must agree with the truth
 * and the next deduct must see the new level.
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrisma, type PrismaClient } from '../src/db/client.ts';
import { Gate } from '../src/gate/gate.ts';
import { GateKeys } from '../src/gate/keys.ts';
import { defineGateCommands } from '../src/gate/scripts.ts';
import { truthForLoad } from '../src/ledger/truth.ts';
import { sweepOutbox } from '../src/sync/outbox.ts';
import { checked, outcome } from './support/client.ts';
import { counterNow, gateAgrees, movementsOf } from './support/gate-check.ts';
import { audit, outboxDelivered, sql } from './support/ledger.ts';
import { gateShardsEnv, serve, useNamespace, useStack, type Running } from './support/stack.ts';

const stack = useStack();
const { api } = stack;

/** A deduct that must succeed; returns the available level it reports. */
async function sell(orderId: string, skuId: string, quantity: number, on: Running = stack.svc): Promise<number | null> {
  return (await on.api.deducted(orderId, [{ skuId, quantity }])).lines[0].availableAfter;
}

/** A deduct that must be refused; returns what the short line says is left. */
async function refused(orderId: string, skuId: string, quantity: number, on: Running = stack.svc): Promise<number> {
  return checked(await on.api.deductOne(orderId, skuId, quantity), 'InsufficientStock').lines[0].obtainable;
}

async function epoch(skuId: string, databaseUrl = stack.ns.databaseUrl): Promise<number> {
  const [row] = await sql(databaseUrl, `SELECT epoch FROM sku WHERE id = $1`, [skuId]);
  return row.epoch;
}

/**
 * What a merchant change could move for a SKU: its ledger, truth, idempotency records and the gate's
 * quantities. Take it with the counter loaded (see gateAgrees): a load may replace the counter at any
 * time (the live publisher loads after every change), with the same quantities under a newer epoch.
 */
async function state(skuId: string) {
  const counter = await counterNow(stack.svc, skuId);
  return {
    movements: await movementsOf(stack.ns.databaseUrl, skuId),
    audit: await audit(stack.ns.databaseUrl, skuId),
    operations: await sql(
      stack.ns.databaseUrl,
      `SELECT kind, key, fingerprint, result FROM operation WHERE result->>'skuId' = $1 ORDER BY kind, key`,
      [skuId],
    ),
    counter: counter && { available: counter.available, reserved: counter.reserved, sold: counter.sold },
  };
}

describe('restock', () => {
  it('counts one key once: 30 concurrent sends and later replays answer the same, one RESTOCK movement', async () => {
    await api.upserted([{ id: 'rs', available: 5 }]);
    expect(await sell('rs-1', 'rs', 1)).toBe(4);

    const answers = await Promise.all(Array.from({ length: 30 }, () => api.restock('rs', 6, 'rs-k1')));

    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(answers[0]!.data!.restock).toEqual({ __typename: 'RestockSuccess', skuId: 'rs', quantity: 6, availableAfter: 10 });
    const restocks = (await movementsOf(stack.ns.databaseUrl, 'rs')).filter((m) => m.kind === 'RESTOCK');
    expect(restocks).toEqual([expect.objectContaining({ quantity: 6, delta_available: 6, delta_sold: 0, idempotency_key: 'rs-k1' })]);
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'rs')).toMatchObject({ available: 10, sold: 1 });

    // Later, after the level moved on, a replay still answers what the first restock answered.
    expect(await sell('rs-2', 'rs', 3)).toBe(7);
    expect(await api.restock('rs', 6, 'rs-k1')).toEqual(answers[0]);
    expect(await audit(stack.ns.databaseUrl, 'rs')).toMatchObject({ available: 7, sold: 4 });
    // The next deducts see every restocked unit, and no more.
    expect(await sell('rs-3', 'rs', 7)).toBe(0);
    expect(await refused('rs-4', 'rs', 1)).toBe(0);
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'rs')).toMatchObject({ available: 0, sold: 11 });
  });

  it('another quantity or SKU under a used key is IdempotencyConflict and moves nothing', async () => {
    await api.upserted([
      { id: 'rc', available: 1 },
      { id: 'rc2', available: 1 },
    ]);
    const first = await api.restock('rc', 4, 'rc-k');
    expect(first.data.restock).toMatchObject({ __typename: 'RestockSuccess', availableAfter: 5 });
    await gateAgrees(stack.svc, stack.ns.databaseUrl, 'rc');
    const before = [await state('rc'), await state('rc2')];

    for (const [skuId, quantity] of [
      ['rc', 5],
      ['rc2', 4],
    ] as const) {
      expect((await api.restock(skuId, quantity, 'rc-k')).data.restock).toEqual({
        __typename: 'IdempotencyConflict',
        code: 'IDEMPOTENCY_CONFLICT',
        message: expect.stringContaining('rc-k'),
        idempotencyKey: 'rc-k',
      });
    }
    // Raced: 20 sends of one key with different quantities; one first answer, every other a conflict.
    const raced = await Promise.all(Array.from({ length: 20 }, (_, i) => api.restock('rc2', 1 + (i % 4), 'rc-race')));
    const won = raced.filter((r) => outcome(r) === 'RestockSuccess');
    expect(raced.map((r) => outcome(r)).filter((k) => k !== 'RestockSuccess' && k !== 'IdempotencyConflict')).toEqual([]);
    const q = won[0]!.data.restock.quantity;
    expect(won).toHaveLength(raced.filter((_, i) => 1 + (i % 4) === q).length);
    for (const w of won) expect(w).toEqual(won[0]);

    expect(await state('rc')).toEqual(before[0]);
    expect((await movementsOf(stack.ns.databaseUrl, 'rc2')).filter((m) => m.kind === 'RESTOCK')).toHaveLength(1);
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'rc')).toMatchObject({ available: 5 });
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'rc2')).toMatchObject({ available: 1 + q });
  });

  it('an unknown SKU is UnknownSku, nothing is recorded, and the key stays free', async () => {
    const before = await sql(stack.ns.databaseUrl, `SELECT count(*)::int AS n FROM movement`);
    expect((await api.restock('rs-ghost', 3, 'ghost-k')).data.restock).toEqual({
      __typename: 'UnknownSku',
      code: 'UNKNOWN_SKU',
      message: expect.stringContaining('rs-ghost'),
      skuIds: ['rs-ghost'],
    });
    expect(await sql(stack.ns.databaseUrl, `SELECT count(*)::int AS n FROM movement`)).toEqual(before);
    expect(await sql(stack.ns.databaseUrl, `SELECT key FROM operation WHERE key = 'ghost-k'`)).toEqual([]);
    expect(await sql(stack.ns.databaseUrl, `SELECT id FROM sku WHERE id = 'rs-ghost'`)).toEqual([]);
    await api.upserted([{ id: 'rs-ghost', available: 0 }]);
    expect((await api.restock('rs-ghost', 3, 'ghost-k')).data.restock).toMatchObject({ __typename: 'RestockSuccess', availableAfter: 3 });
  });

  it('restocks racing deducts on a sold-out SKU: every restocked unit is sold at most once and none is lost', async () => {
    await api.upserted([{ id: 'rr', available: 0 }]);
    expect(await refused('rr-0', 'rr', 1)).toBe(0); // the counter is live before the race

    const deducts = Array.from({ length: 100 }, (_, i) => api.deductOne(`rr-${i + 1}`, 'rr', 1));
    const restocks = Array.from({ length: 20 }, (_, i) => api.restock('rr', 1, `rr-k${i}`));
    const [d, r] = await Promise.all([Promise.all(deducts), Promise.all(restocks)]);

    for (const x of r) expect(outcome(x)).toBe('RestockSuccess');
    const sold = d.filter((x) => outcome(x) === 'DeductStockSuccess').length;
    expect(d.filter((x) => outcome(x) === 'InsufficientStock')).toHaveLength(100 - sold);
    expect(sold).toBeLessThanOrEqual(20);
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'rr')).toMatchObject({ available: 20 - sold, sold });
    // Whatever the race left is all still sellable.
    if (sold < 20) expect(await sell('rr-rest', 'rr', 20 - sold)).toBe(0);
    expect(await refused('rr-more', 'rr', 1)).toBe(0);
  });

  describe('bad input is a GraphQL error with a code and moves nothing', () => {
    const cases: [string, string, unknown, unknown, string][] = [
      ['zero quantity', 'rb', 0, 'rb-k', 'INVALID_QUANTITY'],
      ['negative quantity', 'rb', -3, 'rb-k', 'INVALID_QUANTITY'],
      ['quantity above the largest level', 'rb', 1_000_000_001, 'rb-k', 'INVALID_QUANTITY'],
      ['non-integer quantity', 'rb', 2.5, 'rb-k', 'BAD_USER_INPUT'],
      ['empty key', 'rb', 1, '', 'INVALID_IDEMPOTENCY_KEY'],
      ['over-long key', 'rb', 1, 'k'.repeat(129), 'INVALID_IDEMPOTENCY_KEY'],
      ['key with a brace', 'rb', 1, 'rb-{k}', 'INVALID_IDEMPOTENCY_KEY'],
      ['missing key', 'rb', 1, null, 'BAD_USER_INPUT'],
      ['over-long SKU id', 'x'.repeat(65), 1, 'rb-k', 'INVALID_ID'],
    ];
    let before: Awaited<ReturnType<typeof state>>;
    beforeAll(async () => {
      await api.upserted([{ id: 'rb', available: 999_999_990 }]);
      await gateAgrees(stack.svc, stack.ns.databaseUrl, 'rb');
      before = await state('rb');
    });

    it.each(cases)('%s', async (_, skuId, quantity, key, code) => {
      const res = await api.restock(skuId, quantity, key);
      expect(res.data?.restock ?? null).toBeNull();
      expect(res.errors?.[0]?.extensions?.code).toBe(code);
      expect(await state('rb')).toEqual(before);
    });

    it('a restock past the largest level is INVALID_STOCK_LEVEL and moves nothing; one that fits goes through', async () => {
      const res = await api.restock('rb', 11, 'rb-k');
      expect(res.errors?.[0]?.extensions?.code).toBe('INVALID_STOCK_LEVEL');
      expect(await state('rb')).toEqual(before);
      expect((await api.restock('rb', 10, 'rb-k')).data.restock).toMatchObject({
        __typename: 'RestockSuccess',
        availableAfter: 1_000_000_000,
      });
    });
  });
});

describe('setStock', () => {
  it('with a stale expectedAvailable answers StockChanged with the current level and moves nothing', async () => {
    await api.upserted([{ id: 'ss', available: 10 }]);
    expect(await sell('ss-1', 'ss', 3)).toBe(7);
    const before = await state('ss');
    expect(before.counter).toEqual({ available: 7, reserved: 0, sold: 3 });
    const live = await counterNow(stack.svc, 'ss');
    const epochBefore = await epoch('ss');

    const res = await api.setStock({ skuId: 'ss', available: 20, expectedAvailable: 10 });

    expect(res.data.setStock).toEqual({
      __typename: 'StockChanged',
      code: 'STOCK_CHANGED',
      message: expect.stringContaining('ss'),
      skuId: 'ss',
      expectedAvailable: 10,
      currentAvailable: 7,
    });
    expect(await state('ss')).toEqual(before);
    // Not even fenced: the epoch did not move and the live counter is the same one.
    expect(await epoch('ss')).toBe(epochBefore);
    expect(await counterNow(stack.svc, 'ss')).toEqual(live);
    expect(await sell('ss-2', 'ss', 7)).toBe(0);
  });

  it('with the right expectedAvailable applies, writes one ADJUST of the delta, and the next deduct sees it', async () => {
    await api.upserted([{ id: 'sr', available: 10 }]);
    expect(await sell('sr-1', 'sr', 4)).toBe(6);
    const adjustsBefore = (await movementsOf(stack.ns.databaseUrl, 'sr')).filter((m) => m.kind === 'ADJUST');

    const up = await api.setStock({ skuId: 'sr', available: 25, expectedAvailable: 6 });
    expect(up.data.setStock).toEqual({
      __typename: 'SetStockSuccess',
      sku: { id: 'sr', available: 25, reserved: 0, sold: 4, unlimited: false, backorderLimit: 0 },
    });
    const down = await api.setStock({ skuId: 'sr', available: 2, expectedAvailable: 25 });
    expect(down.data.setStock).toMatchObject({ __typename: 'SetStockSuccess', sku: { available: 2, sold: 4 } });

    const adjusts = (await movementsOf(stack.ns.databaseUrl, 'sr')).filter((m) => m.kind === 'ADJUST');
    expect(adjusts.slice(adjustsBefore.length)).toEqual([
      expect.objectContaining({ quantity: 19, delta_available: 19, delta_reserved: 0, delta_sold: 0 }),
      expect.objectContaining({ quantity: 23, delta_available: -23, delta_reserved: 0, delta_sold: 0 }),
    ]);
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'sr')).toMatchObject({ available: 2, sold: 4 });
    expect(await refused('sr-2', 'sr', 3)).toBe(2);
    expect(await sell('sr-3', 'sr', 2)).toBe(0);
    expect(await audit(stack.ns.databaseUrl, 'sr')).toMatchObject({ available: 0, sold: 6 });
  });

  it('without expectedAvailable it just sets; setting the current level writes nothing', async () => {
    await api.upserted([{ id: 'sj', available: 10 }]);
    expect(await sell('sj-1', 'sj', 1)).toBe(9);
    expect((await api.setStock({ skuId: 'sj', available: 40 })).data.setStock).toMatchObject({
      __typename: 'SetStockSuccess',
      sku: { available: 40, sold: 1 },
    });
    const count = (await movementsOf(stack.ns.databaseUrl, 'sj')).length;
    expect((await api.setStock({ skuId: 'sj', available: 40, expectedAvailable: 40 })).data.setStock).toMatchObject({
      sku: { available: 40 },
    });
    expect((await api.setStock({ skuId: 'sj', available: 40 })).data.setStock).toMatchObject({ sku: { available: 40 } });
    const movements = await movementsOf(stack.ns.databaseUrl, 'sj');
    expect(movements).toHaveLength(count);
    expect(movements.at(-1)).toMatchObject({ kind: 'ADJUST', quantity: 31, delta_available: 31 });
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'sj')).toMatchObject({ available: 40, sold: 1 });
    expect(await sell('sj-2', 'sj', 40)).toBe(0);
  });

  it('ten concurrent compare-and-sets from the same level: exactly one applies, the rest see its level', async () => {
    await api.upserted([{ id: 'sc', available: 10 }]);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => api.setStock({ skuId: 'sc', available: 11 + i, expectedAvailable: 10 })),
    );
    const won = answers.filter((a) => outcome(a) === 'SetStockSuccess');
    expect(won).toHaveLength(1);
    const level = won[0]!.data.setStock.sku.available;
    for (const a of answers.filter((x) => x !== won[0])) {
      expect(a.data.setStock).toMatchObject({ __typename: 'StockChanged', expectedAvailable: 10, currentAvailable: level });
    }
    const adjusts = (await movementsOf(stack.ns.databaseUrl, 'sc')).filter((m) => m.kind === 'ADJUST');
    expect(adjusts.map((m) => m.delta_available)).toEqual([10, level - 10]);
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'sc')).toMatchObject({ available: level });
  });

  it('lowering the level while deducts race it never oversells, and the units add up', async () => {
    await api.upserted([{ id: 'sf', available: 100 }]);
    expect(await sell('sf-0', 'sf', 1)).toBe(99);
    const deducts = Array.from({ length: 200 }, (_, i) => api.deductOne(`sf-${i + 1}`, 'sf', 1));
    const set = (async () => {
      await new Promise((r) => setTimeout(r, 5));
      return api.setStock({ skuId: 'sf', available: 10 });
    })();
    const [d, s] = await Promise.all([Promise.all(deducts), set]);
    expect(outcome(s)).toBe('SetStockSuccess');
    for (const x of d) expect(['DeductStockSuccess', 'InsufficientStock']).toContain(outcome(x));
    const sold = 1 + d.filter((x) => outcome(x) === 'DeductStockSuccess').length;

    const adjusts = (await movementsOf(stack.ns.databaseUrl, 'sf')).filter((m) => m.kind === 'ADJUST');
    expect(adjusts).toHaveLength(2);
    const truth = await gateAgrees(stack.svc, stack.ns.databaseUrl, 'sf');
    expect(truth.sold).toBe(sold);
    expect(truth.available).toBeGreaterThanOrEqual(0);
    expect(truth.available).toBe(100 + adjusts[1]!.delta_available - sold);
    if (truth.available > 0) expect(await sell('sf-rest', 'sf', truth.available)).toBe(0);
    expect(await refused('sf-more', 'sf', 1)).toBe(0);
  });

  it('an unknown SKU is UnknownSku; bad levels are GraphQL errors with a code; nothing moves', async () => {
    expect((await api.setStock({ skuId: 'ss-ghost', available: 3 })).data.setStock).toMatchObject({
      __typename: 'UnknownSku',
      skuIds: ['ss-ghost'],
    });
    expect(await sql(stack.ns.databaseUrl, `SELECT id FROM sku WHERE id = 'ss-ghost'`)).toEqual([]);
    await api.upserted([{ id: 'sb', available: 4 }]);
    await gateAgrees(stack.svc, stack.ns.databaseUrl, 'sb');
    const before = await state('sb');
    for (const [input, code] of [
      [{ skuId: 'sb', available: -1 }, 'INVALID_STOCK_LEVEL'],
      [{ skuId: 'sb', available: 1_000_000_001 }, 'INVALID_STOCK_LEVEL'],
      [{ skuId: 'sb', available: 1.5 }, 'BAD_USER_INPUT'],
      [{ skuId: 'sb', available: 5, expectedAvailable: 'four' }, 'BAD_USER_INPUT'],
      [{ skuId: 'x'.repeat(65), available: 5 }, 'INVALID_ID'],
      [{ skuId: '', available: 5 }, 'INVALID_ID'],
    ] as const) {
      const res = await api.setStock(input);
      expect(res.data?.setStock ?? null, JSON.stringify(input)).toBeNull();
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(input)).toBe(code);
    }
    expect(await state('sb')).toEqual(before);
  });
});

describe('upsert with a level, a backorder limit, a name, unlimited', () => {
  it('raising the backorder limit of a sold-out SKU lets the next deducts sell into backorder, down to the new floor', async () => {
    await api.upserted([{ id: 'ub', available: 2 }]);
    expect(await sell('ub-1', 'ub', 2)).toBe(0);
    expect(await refused('ub-2', 'ub', 1)).toBe(0);

    const [after] = await api.upserted([{ id: 'ub', backorderLimit: 3 }]);
    expect(after).toMatchObject({ id: 'ub', available: 0, sold: 2 });
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'ub')).toMatchObject({ available: 0, backorderLimit: 3 });
    expect(await refused('ub-3', 'ub', 4)).toBe(3);
    expect(await sell('ub-4', 'ub', 3)).toBe(-3);
    expect(await refused('ub-5', 'ub', 1)).toBe(0);

    // Restocks fill the backorder first.
    expect((await api.restock('ub', 5, 'ub-k')).data.restock).toEqual({
      __typename: 'RestockSuccess',
      skuId: 'ub',
      quantity: 5,
      availableAfter: 2,
    });
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'ub')).toMatchObject({ available: 2, sold: 5, backorderLimit: 3 });
    expect(await sell('ub-6', 'ub', 5)).toBe(-3);
    expect(await audit(stack.ns.databaseUrl, 'ub')).toMatchObject({ available: -3, sold: 10, ledgerAvailable: -3 });
  });

  it('lowering the backorder limit takes effect at the next deduct; setting a level leaves the limit', async () => {
    await api.upserted([{ id: 'ul', available: 1, backorderLimit: 5 }]);
    expect(await sell('ul-1', 'ul', 3)).toBe(-2);
    await api.upserted([{ id: 'ul', backorderLimit: 2 }]);
    expect(await refused('ul-2', 'ul', 1)).toBe(0);
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'ul')).toMatchObject({ available: -2, sold: 3, backorderLimit: 2 });
    const [set] = await api.upserted([{ id: 'ul', available: 4 }]);
    expect(set).toMatchObject({ available: 4, sold: 3 });
    expect((await movementsOf(stack.ns.databaseUrl, 'ul')).at(-1)).toMatchObject({ kind: 'ADJUST', quantity: 6, delta_available: 6 });
    expect(await sell('ul-3', 'ul', 6)).toBe(-2);
    expect(await refused('ul-4', 'ul', 1)).toBe(0);
  });

  it('a new name shows in the sku query served from the gate', async () => {
    await api.upserted([{ id: 'un', name: 'Old', available: 3 }]);
    expect(await sell('un-1', 'un', 1)).toBe(2);
    await api.upserted([{ id: 'un', name: 'New' }]);
    await gateAgrees(stack.svc, stack.ns.databaseUrl, 'un');
    expect(await counterNow(stack.svc, 'un')).toMatchObject({ name: 'New', available: 2 });
    expect((await api.sku('un')).data.sku).toMatchObject({ name: 'New', available: 2, sold: 1 });
  });

  it('switching unlimited on stops refusing; switching it off enforces the level again', async () => {
    await api.upserted([{ id: 'uu', available: 2 }]);
    expect(await sell('uu-1', 'uu', 2)).toBe(0);
    await api.upserted([{ id: 'uu', unlimited: true }]);
    expect(await sell('uu-2', 'uu', 1_000)).toBeNull();
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'uu')).toMatchObject({ available: 0, sold: 1_002, unlimited: true });
    await api.upserted([{ id: 'uu', unlimited: false }]);
    expect(await refused('uu-3', 'uu', 1)).toBe(0);
    await api.upserted([{ id: 'uu', available: 3 }]);
    expect(await sell('uu-4', 'uu', 3)).toBe(0);
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'uu')).toMatchObject({ available: 0, sold: 1_005, unlimited: false });
  });
});

describe('the outbox repairs a crash between the commit and Redis', () => {
  /** What a crashed restock left: its movement and an APPLY outbox row, committed; Redis never heard. */
  async function crashedRestock(databaseUrl: string, skuId: string, quantity: number, ageSeconds: number): Promise<string> {
    const [row] = await sql(
      databaseUrl,
      `WITH m AS (
         INSERT INTO movement (kind, sku_id, quantity, delta_available, idempotency_key)
         VALUES ('RESTOCK', $1::text, $2::int, $2::int, 'crashed-' || $1::text)
       )
       INSERT INTO gate_outbox (sku_id, action, epoch, delta_available, created_at)
       SELECT id, 'APPLY', epoch, $2::int, now() - make_interval(secs => $3::int) FROM sku WHERE id = $1::text
       RETURNING id::text`,
      [skuId, quantity, ageSeconds],
    );
    return row.id;
  }

  /** What a crashed set-stock left: its ADJUST movement, the epoch bump, and a DROP outbox row, committed. */
  async function crashedAdjust(databaseUrl: string, skuId: string, delta: number, ageSeconds: number): Promise<void> {
    await sql(
      databaseUrl,
      `WITH bumped AS (UPDATE sku SET epoch = epoch + 1 WHERE id = $1::text RETURNING id, epoch),
       m AS (INSERT INTO movement (kind, sku_id, quantity, delta_available) VALUES ('ADJUST', $1::text, abs($2::int), $2::int))
       INSERT INTO gate_outbox (sku_id, action, epoch, created_at)
       SELECT id, 'DROP', epoch, now() - make_interval(secs => $3::int) FROM bumped`,
      [skuId, delta, ageSeconds],
    );
  }

  describe('sweepOutbox on its own, while no app runs', () => {
    const space = useNamespace();
    let redis: Redis;
    let prisma: PrismaClient;
    let gate: Gate;
    let services: Parameters<typeof sweepOutbox>[0];

    beforeAll(() => {
      const own = space.ns;
      redis = new Redis(own.redisUrl, { maxRetriesPerRequest: 1 });
      defineGateCommands(redis);
      gate = new Gate(redis, new GateKeys(own.prefix, Number(gateShardsEnv().GATE_SHARDS ?? 1)));
      prisma = createPrisma(own.databaseUrl);
      services = { prisma, gate, log: pino({ level: 'silent' }), levelsChanged: () => {} };
    });
    afterAll(async () => {
      redis?.disconnect();
      await prisma?.$disconnect();
    });

    it('applies a crashed restock once, drops the counter of a crashed set-stock, waits out the grace of a fresh row', async () => {
      const own = space.ns;
      // The SKUs and live counters, made by an app that then went away.
      const first = await serve(own);
      try {
        await first.api.upserted([
          { id: 'oa', available: 10 },
          { id: 'od', available: 10 },
          { id: 'of', available: 10 },
        ]);
        for (const id of ['oa', 'od', 'of']) expect(await sell(`${id}-1`, id, 1, first)).toBe(9);
      } finally {
        await first.stop();
      }
      const [liveA, liveD, liveF] = await gate.levels(['oa', 'od', 'of']);
      expect(liveA).toMatchObject({ available: 9, sold: 1 });

      const applyId = await crashedRestock(own.databaseUrl, 'oa', 5, 60);
      await crashedAdjust(own.databaseUrl, 'od', 20, 60);
      await crashedRestock(own.databaseUrl, 'of', 7, 0); // committed just now: its own request may still deliver it
      // Redis never heard: the counters still say what they said.
      expect(await gate.levels(['oa', 'od', 'of'])).toEqual([liveA, liveD, liveF]);

      expect(await sweepOutbox(services)).toBe(2);

      const [a, d, f] = await gate.levels(['oa', 'od', 'of']);
      expect(a).toEqual({ ...liveA, available: 14 }); // applied in place, same epoch
      expect(d).toBeNull(); // dropped: the next request loads the truth
      expect(f).toEqual(liveF); // within its grace
      expect(await sql(own.databaseUrl, `SELECT sku_id, action::text FROM gate_outbox ORDER BY id`)).toEqual([
        { sku_id: 'of', action: 'APPLY' },
      ]);

      // Redelivery of an applied row (Redis applied it, the DELETE was lost) changes nothing.
      await sql(
        own.databaseUrl,
        `INSERT INTO gate_outbox (id, sku_id, action, epoch, delta_available, created_at)
         VALUES ($1::bigint, 'oa', 'APPLY', $2, 5, now() - interval '1 minute')`,
        [applyId, liveA!.epoch],
      );
      expect(await sweepOutbox(services)).toBe(1);
      expect((await gate.levels(['oa']))[0]).toEqual({ ...liveA, available: 14 });

      // Once its grace is over, the fresh row is delivered too.
      await sql(own.databaseUrl, `UPDATE gate_outbox SET created_at = now() - interval '1 minute'`);
      expect(await sweepOutbox(services)).toBe(1);
      expect((await gate.levels(['of']))[0]).toEqual({ ...liveF, available: 16 });
      expect(await sql(own.databaseUrl, `SELECT count(*)::int AS n FROM gate_outbox`)).toEqual([{ n: 0 }]);
      expect(await sweepOutbox(services)).toBe(0);

      // A new instance: the gate agrees with the truth, and deducts see it.
      const next = await serve(own);
      try {
        expect(await gateAgrees(next, own.databaseUrl, 'oa')).toMatchObject({ available: 14, sold: 1 });
        expect(await gateAgrees(next, own.databaseUrl, 'od')).toMatchObject({ available: 29, sold: 1 });
        expect(await gateAgrees(next, own.databaseUrl, 'of')).toMatchObject({ available: 16, sold: 1 });
        expect(await sell('oa-2', 'oa', 14, next)).toBe(0);
        expect(await sell('od-2', 'od', 29, next)).toBe(0);
        expect(await sell('of-2', 'of', 16, next)).toBe(0);
        for (const id of ['oa', 'od', 'of']) expect(await refused(`${id}-3`, id, 1, next)).toBe(0);
      } finally {
        await next.stop();
      }
    });
  });

  it("the running app's own sweeper delivers what a crashed instance left, within seconds", async () => {
    await api.upserted([
      { id: 'ps', available: 10 },
      { id: 'pd', available: 10 },
    ]);
    expect(await sell('ps-1', 'ps', 1)).toBe(9);
    expect(await sell('pd-1', 'pd', 1)).toBe(9);
    const live = await counterNow(stack.svc, 'ps');

    // Committed just now, so the sweeper waits out its grace: the stale counters are observable first.
    await crashedRestock(stack.ns.databaseUrl, 'ps', 4, 0);
    await crashedAdjust(stack.ns.databaseUrl, 'pd', -5, 0);
    expect(await counterNow(stack.svc, 'ps')).toEqual(live);
    const stale = await counterNow(stack.svc, 'pd');
    expect(stale).toMatchObject({ available: 9 });

    await outboxDelivered(stack.ns.databaseUrl, ['ps', 'pd'], { within: 10_000 });
    expect(await counterNow(stack.svc, 'ps')).toMatchObject({ available: 13, sold: 1 });
    // The stale counter is gone: dropped, or already reloaded from the truth under a newer epoch.
    const pd = await counterNow(stack.svc, 'pd');
    if (pd) expect(pd.epoch).toBeGreaterThan(stale!.epoch);
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'ps')).toMatchObject({ available: 13, sold: 1 });
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'pd')).toMatchObject({ available: 4, sold: 1 });
    expect(await sell('ps-2', 'ps', 13)).toBe(0);
    expect(await refused('pd-2', 'pd', 5)).toBe(4);
  });

  it('changes committed while a counter is being loaded reach the counter once the load is in', async () => {
    await api.upserted([
      { id: 'lr', available: 10 },
      { id: 'ld', available: 10 },
    ]);
    expect(await sell('lr-1', 'lr', 2)).toBe(8);
    expect(await sell('ld-1', 'ld', 2)).toBe(8);
    const { gate, prisma } = stack.svc.app.services;
    await gate.redis.del(gate.keys.counter('lr'), gate.keys.counter('ld')); // Redis lost the counters

    // A loader, step by step as loadCounters goes, slowed down between reading the truth and seeding it.
    for (const id of ['lr', 'ld']) expect(await gate.redis.set(gate.keys.loadLock(id), 'slow-loader', 'PX', 5_000, 'NX')).toBe('OK');
    const truth = await truthForLoad(prisma, ['lr', 'ld']);
    expect(truth.get('lr')).toMatchObject({ available: 8, sold: 2 });
    // Meanwhile changes commit: a restock and a refund (applied in place) and a set-stock (dropped).
    expect((await api.restock('lr', 5, 'lr-k')).data.restock).toMatchObject({ __typename: 'RestockSuccess', availableAfter: 13 });
    const refunded = await api.refund('lr-1', 'lr-r', [{ skuId: 'lr', quantity: 1 }]);
    expect(refunded.data.refundStock.__typename).toBe('RefundStockSuccess');
    expect((await api.setStock({ skuId: 'ld', available: 30 })).data.setStock).toMatchObject({
      __typename: 'SetStockSuccess',
      sku: { available: 30 },
    });
    for (const id of ['lr', 'ld']) {
      expect(await gate.seed(truth.get(id)!, 'slow-loader')).toBe(1);
      expect(await gate.unlock(gate.keys.loadLock(id), 'slow-loader')).toBe(1);
    }

    // The seeds hold the truth from before the changes; the outbox must still bring the changes in.
    await outboxDelivered(stack.ns.databaseUrl, ['lr', 'ld'], { within: 10_000 });
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'lr')).toMatchObject({ available: 14, sold: 1 });
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'ld')).toMatchObject({ available: 30, sold: 2 });
    expect(await sell('lr-2', 'lr', 14)).toBe(0);
    expect(await sell('ld-2', 'ld', 30)).toBe(0);
  });

  it('a deduct that passed a counter a crashed set-stock left behind is fenced and answered from the truth', async () => {
    await api.upserted([{ id: 'pf', available: 10 }]);
    expect(await sell('pf-1', 'pf', 1)).toBe(9);
    await crashedAdjust(stack.ns.databaseUrl, 'pf', -7, 0);
    expect(await counterNow(stack.svc, 'pf')).toMatchObject({ available: 9 });
    // The stale counter would let 9 through; the truth has 2.
    expect(await refused('pf-2', 'pf', 3)).toBe(2);
    expect(await sell('pf-3', 'pf', 2)).toBe(0);
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'pf')).toMatchObject({ available: 0, sold: 3 });
  });
});
