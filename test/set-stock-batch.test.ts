/**
 * setStockBatch against the real app, PostgreSQL and Redis: results[i] answers items[i]; each item is
 * set on its own (an unknown SKU or a failed compare-and-set answers its outcome, the others are set);
 * every level in the ledger as ADJUST and in the gate (Redis = PostgreSQL after); 10,000 items in one
 * request; deducts racing a batch conserve every unit; bad input and the limits refuse the whole
 * request before anything moves; the admin role is needed; live subscribers see the new levels.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SET_STOCK_ITEMS } from '../src/stock/input.ts';
import { checked, outcome, type Result } from './support/client.ts';
import { counterNow, gateAgrees } from './support/gate-check.ts';
import { audit, sql } from './support/ledger.ts';
import { overWs, wsClient } from './support/live.ts';
import { SET_STOCK_BATCH, STOCK_LEVELS } from './support/ops.ts';
import { useStack } from './support/stack.ts';

const stack = useStack();
const { api } = stack;

type Item = { skuId: string; available: unknown; expectedAvailable?: unknown };

/** The results of a batch that was answered (no request error), one per item sent. */
async function setLevels(items: Item[]): Promise<any[]> {
  const results = checked(await api.setStockBatch(items)).results as any[];
  expect(results).toHaveLength(items.length);
  return results;
}

const tag = () => randomBytes(3).toString('hex');

/** ADJUST movements of these SKUs in the ledger. */
async function adjusts(skuIds: string[]): Promise<number> {
  const [row] = await sql(stack.ns.databaseUrl, `SELECT count(*)::int AS n FROM movement WHERE kind = 'ADJUST' AND sku_id = ANY($1)`, [
    skuIds,
  ]);
  return row.n;
}

/**
 * Creates SKUs with nothing in stock straight in PostgreSQL, as upsertSkus creates them (a row, no
 * movement, no gate counter), in one statement: 10,000 of them through upsertSkus would take 100 calls.
 */
async function created(ids: string[]): Promise<void> {
  await sql(stack.ns.databaseUrl, `INSERT INTO sku (id, updated_at) SELECT unnest($1::text[]), now()`, [ids]);
}

describe('each item on its own', () => {
  it('sets what it can and answers UnknownSku and StockChanged for the rest; a replay moves nothing more', async () => {
    const t = tag();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((x) => `ssb-${x}-${t}`) as [string, string, string, string];
    await api.upserted([
      { id: a, available: 10 },
      { id: b, available: 10 },
      { id: c, available: 10 },
      { id: d, available: 10 },
    ]);
    expect(outcome(await api.deductOne(`ssb-o-${t}`, b, 4))).toBe('DeductStockSuccess');
    const adjustsBefore = await adjusts([a, b, c, d]);
    // Counters loaded first: a live announcement of the upsert loads a missing one, which moves its epoch.
    for (const id of [b, d]) await gateAgrees(stack.svc, stack.ns.databaseUrl, id);
    const epochs = () => sql(stack.ns.databaseUrl, `SELECT id, epoch FROM sku WHERE id = ANY($1) ORDER BY id`, [[b, d]]);
    const untouched = await epochs();

    const items: Item[] = [
      { skuId: a, available: 25 },
      { skuId: `ssb-none-${t}`, available: 5 },
      { skuId: b, available: 3, expectedAvailable: 10 },
      { skuId: c, available: 0, expectedAvailable: 10 },
      { skuId: d, available: 10 },
    ];
    const results = await setLevels(items);
    expect(results).toEqual([
      { __typename: 'SetStockSuccess', sku: { id: a, available: 25, reserved: 0, sold: 0, unlimited: false, backorderLimit: 0 } },
      { __typename: 'UnknownSku', code: 'UNKNOWN_SKU', message: expect.any(String), skuIds: [`ssb-none-${t}`] },
      {
        __typename: 'StockChanged',
        code: 'STOCK_CHANGED',
        message: expect.any(String),
        skuId: b,
        expectedAvailable: 10,
        currentAvailable: 6,
      },
      { __typename: 'SetStockSuccess', sku: { id: c, available: 0, reserved: 0, sold: 0, unlimited: false, backorderLimit: 0 } },
      { __typename: 'SetStockSuccess', sku: { id: d, available: 10, reserved: 0, sold: 0, unlimited: false, backorderLimit: 0 } },
    ]);
    // Two levels moved (a up 15, c down 10); b was refused and d was already there: not even fenced.
    expect(await adjusts([a, b, c, d])).toBe(adjustsBefore + 2);
    expect(await epochs()).toEqual(untouched);
    for (const [id, level] of [
      [a, { available: 25, sold: 0 }],
      [b, { available: 6, sold: 4 }],
      [c, { available: 0, sold: 0 }],
      [d, { available: 10, sold: 0 }],
    ] as const) {
      expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, id)).toMatchObject(level);
      expect(await audit(stack.ns.databaseUrl, id)).toMatchObject({ available: level.available, ledgerAvailable: level.available });
    }

    // The same request again: the levels are already there, so nothing moves; b's compare still fails.
    const again = await setLevels(items);
    // c is 0 now, not the expected 10.
    expect(again.map((r) => r.__typename)).toEqual(['SetStockSuccess', 'UnknownSku', 'StockChanged', 'StockChanged', 'SetStockSuccess']);
    expect(await adjusts([a, b, c, d])).toBe(adjustsBefore + 2);
  });

  it(`sets ${MAX_SET_STOCK_ITEMS.toLocaleString('en')} levels in one request, every one in the gate and the ledger`, async () => {
    const t = tag();
    const ids = Array.from({ length: MAX_SET_STOCK_ITEMS }, (_, i) => `bulk-${t}-${i}`);
    await created(ids);
    const results = await setLevels(ids.map((skuId, i) => ({ skuId, available: i % 100 })));
    expect(results.every((r, i) => r.__typename === 'SetStockSuccess' && r.sku.id === ids[i] && r.sku.available === i % 100)).toBe(true);

    // The counters of the levels that moved (not item 0's: it stayed 0) are loaded from the truth the batch
    // committed, and the outbox is delivered: nothing is left for the first sales, the live announcements
    // or the sweeper to load one at a time.
    for (const i of [1, 4_999, MAX_SET_STOCK_ITEMS - 1]) expect(await counterNow(stack.svc, ids[i]!)).toMatchObject({ available: i % 100 });
    const [left] = await sql(stack.ns.databaseUrl, `SELECT count(*)::int AS n FROM gate_outbox WHERE sku_id LIKE $1`, [`bulk-${t}-%`]);
    expect(left).toEqual({ n: 0 });

    const [sums] = await sql(
      stack.ns.databaseUrl,
      `SELECT count(*)::int AS skus, sum(available + coalesce(u.a, 0))::bigint AS available
       FROM sku s LEFT JOIN LATERAL (SELECT sum(delta_available) AS a FROM movement m WHERE m.sku_id = s.id AND (m.tx, m.id) > (s.merged_through_tx, s.merged_through_id)) u ON true
       WHERE s.id LIKE $1`,
      [`bulk-${t}-%`],
    );
    const expected = ids.reduce((n, _, i) => n + (i % 100), 0);
    expect(sums).toEqual({ skus: MAX_SET_STOCK_ITEMS, available: expected });
    // Levels read back through the gate (500 ids per read), and a sample checked against PostgreSQL.
    for (let i = 0; i < ids.length; i += 500) {
      const read = checked(await api.skus(ids.slice(i, i + 500))) as { available: number }[];
      expect(read.map((s) => s.available)).toEqual(ids.slice(i, i + 500).map((_, j) => (i + j) % 100));
    }
    for (const i of [0, 1, 4_999, MAX_SET_STOCK_ITEMS - 1]) {
      expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, ids[i]!)).toMatchObject({ available: i % 100 });
    }
  });

  it('deducts racing a batch that lowers the level: no unit oversold, every unit accounted for', async () => {
    const t = tag();
    const ids = Array.from({ length: 5 }, (_, i) => `race-${t}-${i}`);
    await api.upserted(ids.map((id) => ({ id, available: 100 })));
    const orders = Array.from({ length: 300 }, (_, i) => api.deductOne(`race-o-${t}-${i}`, ids[i % ids.length]!));
    const batch = setLevels(ids.map((skuId) => ({ skuId, available: 20 })));
    const answers = await Promise.all(orders);
    expect((await batch).every((r) => r.__typename === 'SetStockSuccess')).toBe(true);
    expect(answers.every((a) => ['DeductStockSuccess', 'InsufficientStock'].includes(outcome(a)))).toBe(true);

    for (const id of ids) {
      const level = await gateAgrees(stack.svc, stack.ns.databaseUrl, id);
      const ledger = await audit(stack.ns.databaseUrl, id);
      // What the ledger says was sold is what the answers said was sold, and the level never went below 0.
      expect(level.available).toBeGreaterThanOrEqual(0);
      expect(ledger).toMatchObject({ available: level.available, sold: level.sold, ledgerAvailable: level.available });
    }
    const sold = answers.filter((a) => outcome(a) === 'DeductStockSuccess').length;
    const ledgerSold = (await Promise.all(ids.map((id) => audit(stack.ns.databaseUrl, id)))).reduce((n, a) => n + a.ledgerSold, 0);
    expect(ledgerSold).toBe(sold);
  });
});

describe('limits: the whole request is refused and nothing moves', () => {
  const id = `lim-${tag()}`;
  beforeAll(async () => {
    await api.upserted([{ id, available: 5 }]);
  });

  async function expectRefused(items: Item[], code: string, field: string): Promise<void> {
    const adjustsBefore = await adjusts([id]);
    const res: Result = await api.setStockBatch(items);
    expect(res.data ?? null).toBeNull();
    expect(res.errors, JSON.stringify(res.errors)).toHaveLength(1);
    expect(res.errors![0].extensions).toMatchObject({ code, field });
    expect(res.errors![0].message).toContain(field);
    expect(await api.level(id)).toMatchObject({ available: 5 });
    expect(await adjusts([id])).toBe(adjustsBefore);
  }

  it('0 items: EMPTY_BATCH', () => expectRefused([], 'EMPTY_BATCH', 'items'));

  it(`${MAX_SET_STOCK_ITEMS + 1} items: BATCH_TOO_LARGE`, () =>
    expectRefused(
      Array.from({ length: MAX_SET_STOCK_ITEMS + 1 }, (_, i) => ({ skuId: i === 0 ? id : `x-${i}`, available: 9 })),
      'BATCH_TOO_LARGE',
      'items',
    ));

  it('one SKU twice: DUPLICATE_SKU_LINE at the second', () =>
    expectRefused(
      [
        { skuId: id, available: 9 },
        { skuId: 'other', available: 1 },
        { skuId: id, available: 8 },
      ],
      'DUPLICATE_SKU_LINE',
      'items.2.skuId',
    ));

  it.each([
    [{ skuId: 'ok', available: -1 }, 'INVALID_STOCK_LEVEL', 'items.1.available'],
    [{ skuId: 'ok', available: 2_000_000_000 }, 'INVALID_STOCK_LEVEL', 'items.1.available'],
    [{ skuId: 'a b', available: 1 }, 'INVALID_ID', 'items.1.skuId'],
  ] as const)('a bad item after a good one: %j refused with %s at %s', (bad, code, field) =>
    expectRefused([{ skuId: id, available: 9 }, bad], code, field),
  );
});

describe('roles and live levels', () => {
  const secret = () => randomBytes(24).toString('hex');
  const KEYS = { checkout: secret(), admin: secret() };
  const id = `role-${tag()}`;
  let keyed: Awaited<ReturnType<typeof stack.serve>>;
  const sockets: ReturnType<typeof wsClient>[] = [];
  beforeAll(async () => {
    keyed = await stack.serve({ STOCKGATE_API_KEYS: `shop:checkout:${KEYS.checkout},boss:admin:${KEYS.admin}` });
    await api.upserted([{ id, available: 10 }]);
  });
  afterAll(async () => {
    await Promise.all(sockets.map(async (s) => s.dispose()));
  });

  async function asKey(key: string, items: Item[]): Promise<Result> {
    const res = await fetch(keyed.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: SET_STOCK_BATCH, variables: { input: { items } } }),
    });
    return (await res.json()) as Result;
  }

  it('a checkout key: FORBIDDEN, and nothing moves', async () => {
    const res = await asKey(KEYS.checkout, [{ skuId: id, available: 50 }]);
    expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(res.errors![0].message).toContain('needs role admin');
    expect(await api.level(id)).toMatchObject({ available: 10 });
  });

  it('an admin key: served, and a live subscriber sees the new level', async () => {
    const socket = wsClient(stack.svc.url);
    sockets.push(socket);
    const feed = overWs(socket, STOCK_LEVELS, { skuIds: [id] }, 'stockLevels');
    await feed.until((v) => v.length >= 1, 'the initial level');
    const res = await asKey(KEYS.admin, [{ skuId: id, available: 42 }]);
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    expect(res.data.setStockBatch.results).toMatchObject([{ __typename: 'SetStockSuccess', sku: { id, available: 42 } }]);
    const seen = await feed.until((v) => v.at(-1)?.available === 42, 'the new level');
    expect(seen.at(-1)).toMatchObject({ skuId: id, available: 42 });
    await feed.close();
  });
});
