import { beforeAll, describe, expect, it } from 'vitest';
import { mergeOnce } from '../src/ledger/merge.ts';
import { outcome } from './support/client.ts';
import { audit, sql } from './support/ledger.ts';
import { DEDUCT, UPSERT } from './support/ops.ts';
import { useStack } from './support/stack.ts';

const stack = useStack();
const { api } = stack;

/** Waits until the merge worker has folded every movement, so the SKU row alone is the truth. */
async function merged() {
  while ((await mergeOnce(stack.svc.app.services.prisma)) > 0);
}

describe('deductStock under concurrency', () => {
  it('sells exactly 100 of 100 to 1,000 concurrent single-unit deducts', async () => {
    await api.upserted([{ id: 'hot', name: 'Hot item', available: 100 }]);
    const answers = await Promise.all(Array.from({ length: 1000 }, (_, i) => api.deduct(`hot-${i}`, [{ skuId: 'hot', quantity: 1 }])));
    const kinds = answers.map((a) => outcome(a));
    expect(kinds.filter((k) => k === 'DeductStockSuccess')).toHaveLength(100);
    expect(kinds.filter((k) => k === 'InsufficientStock')).toHaveLength(900);

    const ledger = await audit(stack.ns.databaseUrl, 'hot');
    expect(ledger).toMatchObject({ available: 0, sold: 100, ledgerSold: 100, deducts: 100 });
    expect(await api.level('hot')).toMatchObject({ available: 0, sold: 100 });
    await merged();
    const [row] = await sql(stack.ns.databaseUrl, 'SELECT available, sold FROM sku WHERE id = $1', ['hot']);
    expect(row).toEqual({ available: 0, sold: 100 });
  });

  it('moves every line of a cart or none: 200 concurrent 3-line carts over short SKUs', async () => {
    const stock = { c1: 50, c2: 70, c3: 90 };
    await api.upserted(Object.entries(stock).map(([id, available]) => ({ id, available })));
    const carts = Array.from({ length: 200 }, (_, i) => [
      { skuId: 'c1', quantity: 1 + (i % 2) },
      { skuId: 'c2', quantity: 1 },
      { skuId: 'c3', quantity: 1 + (i % 3) },
    ]);
    const answers = await Promise.all(carts.map((lines, i) => api.deduct(`cart-${i}`, lines)));
    const won = carts.filter((_, i) => answers[i]!.data?.deductStock.__typename === 'DeductStockSuccess');
    expect(won.length).toBeGreaterThan(0);
    expect(won.length).toBeLessThan(200);
    for (const a of answers) expect(['DeductStockSuccess', 'InsufficientStock']).toContain(a.data?.deductStock.__typename);

    const perOrder = await sql<{ order_id: string; n: string }>(
      stack.ns.databaseUrl,
      `SELECT order_id, count(*) AS n FROM movement WHERE order_id LIKE 'cart-%' GROUP BY order_id`,
    );
    expect(perOrder).toHaveLength(won.length);
    for (const o of perOrder) expect(Number(o.n)).toBe(3);

    for (const [id, initial] of Object.entries(stock)) {
      const sold = won.reduce((n, lines) => n + lines.find((l) => l.skuId === id)!.quantity, 0);
      const ledger = await audit(stack.ns.databaseUrl, id);
      expect(ledger.sold).toBe(sold);
      expect(ledger.available).toBe(initial - sold);
      expect(ledger.available).toBeGreaterThanOrEqual(0);
      expect(await api.level(id)).toMatchObject({ available: initial - sold, sold });
    }
  });
});

describe('idempotency', () => {
  it('answers 50 concurrent sends of one key identically and deducts once', async () => {
    await api.upserted([{ id: 'idem', available: 10 }]);
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => api.deduct('order-idem', [{ skuId: 'idem', quantity: 3 }], 'key-idem')),
    );
    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(answers[0]!.data!.deductStock).toEqual({
      __typename: 'DeductStockSuccess',
      orderId: 'order-idem',
      idempotencyKey: 'key-idem',
      lines: [{ skuId: 'idem', quantity: 3, availableAfter: 7 }],
    });
    expect(await audit(stack.ns.databaseUrl, 'idem')).toMatchObject({ available: 7, sold: 3, deducts: 1 });
    expect(await api.level('idem')).toMatchObject({ available: 7, sold: 3 });
  });

  it('defaults the key to the order id and refuses it with other lines', async () => {
    await api.upserted([{ id: 'idem2', available: 10 }]);
    const first = await api.deduct('order-conflict', [{ skuId: 'idem2', quantity: 1 }]);
    expect(first.data!.deductStock.idempotencyKey).toBe('order-conflict');
    const other = await api.deduct('order-conflict', [{ skuId: 'idem2', quantity: 2 }]);
    expect(other.data!.deductStock).toMatchObject({
      __typename: 'IdempotencyConflict',
      code: 'IDEMPOTENCY_CONFLICT',
      idempotencyKey: 'order-conflict',
    });
    expect(await audit(stack.ns.databaseUrl, 'idem2')).toMatchObject({ available: 9, sold: 1 });
  });

  it('treats line order as the same request', async () => {
    await api.upserted([
      { id: 'o1', available: 5 },
      { id: 'o2', available: 5 },
    ]);
    const a = await api.deduct('order-order', [
      { skuId: 'o1', quantity: 1 },
      { skuId: 'o2', quantity: 2 },
    ]);
    const b = await api.deduct('order-order', [
      { skuId: 'o2', quantity: 2 },
      { skuId: 'o1', quantity: 1 },
    ]);
    expect(b).toEqual(a);
    expect(await audit(stack.ns.databaseUrl, 'o2')).toMatchObject({ available: 3, sold: 2 });
  });

  it('stores answers without their order id and key, which replays take from the row, and answers older rows that hold them alike', async () => {
    await api.upserted([{ id: 'slim', available: 10 }]);
    const deduct = () => api.deduct('order-slim', [{ skuId: 'slim', quantity: 2 }], 'key-slim');
    const reserve = () => api.reserve('order-slim-r', [{ skuId: 'slim', quantity: 3 }], 600, 'client-slim');
    const first = { deduct: await deduct(), reserve: await reserve() };
    expect(outcome(first.deduct)).toBe('DeductStockSuccess');
    expect(outcome(first.reserve)).toBe('ReserveStockSuccess');
    const kept = (key: string) =>
      sql<{ answer: string }>(stack.ns.databaseUrl, `SELECT answer FROM gate_request WHERE idempotency_key = $1`, [key]);
    const [deducted] = await kept('key-slim');
    expect(Object.keys(JSON.parse(deducted!.answer))).toEqual(['lines']);
    const [reserved] = await kept('order-slim-r');
    expect(Object.keys(JSON.parse(reserved!.answer))).toEqual(['deadline', 'lines']);
    expect(await deduct()).toEqual(first.deduct);
    expect(await reserve()).toEqual(first.reserve);

    // Rows written by 0.3.0 and before hold both in the answer too (a reserve's key is its client key).
    const older = await sql(
      stack.ns.databaseUrl,
      `UPDATE gate_request
       SET answer = (answer::jsonb || jsonb_build_object('orderId', order_id, 'idempotencyKey', coalesce(client_key, idempotency_key)))::text
       WHERE idempotency_key IN ('key-slim', 'order-slim-r') RETURNING answer`,
    );
    expect(older).toHaveLength(2);
    expect(await deduct()).toEqual(first.deduct);
    expect(await reserve()).toEqual(first.reserve);
    expect(await audit(stack.ns.databaseUrl, 'slim')).toMatchObject({ available: 5, sold: 2, deducts: 1 });
  });
});

describe('outcomes', () => {
  it('never refuses an unlimited SKU', async () => {
    await api.upserted([{ id: 'inf', unlimited: true }]);
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => api.deduct(`inf-${i}`, [{ skuId: 'inf', quantity: 1_000 }])));
    for (const a of answers)
      expect(a.data!.deductStock).toMatchObject({ __typename: 'DeductStockSuccess', lines: [{ availableAfter: null }] });
    expect(await api.level('inf')).toMatchObject({ available: null, sold: 100_000, unlimited: true });
    // Unlimited SKUs count what they sell but never draw available down (it would overflow in time).
    expect(await audit(stack.ns.databaseUrl, 'inf')).toMatchObject({ available: 0, ledgerAvailable: 0, ledgerSold: 100_000 });
    const [counter] = await stack.svc.app.services.gate.levels(['inf']);
    expect(counter).toMatchObject({ available: 0, sold: 100_000 });
  });

  it('reports each short line and moves nothing', async () => {
    await api.upserted([
      { id: 's1', available: 2 },
      { id: 's2', available: 9 },
    ]);
    const res = await api.deduct('short-1', [
      { skuId: 's1', quantity: 3 },
      { skuId: 's2', quantity: 1 },
    ]);
    expect(res.data!.deductStock).toMatchObject({
      __typename: 'InsufficientStock',
      code: 'INSUFFICIENT_STOCK',
      lines: [{ skuId: 's1', requested: 3, obtainable: 2 }],
    });
    expect(await audit(stack.ns.databaseUrl, 's2')).toMatchObject({ available: 9, sold: 0 });
  });

  it('names unknown SKUs and moves nothing', async () => {
    await api.upserted([{ id: 'k1', available: 4 }]);
    const res = await api.deduct('unknown-1', [
      { skuId: 'k1', quantity: 1 },
      { skuId: 'nope-1', quantity: 1 },
      { skuId: 'nope-2', quantity: 1 },
    ]);
    expect(res.data!.deductStock).toMatchObject({ __typename: 'UnknownSku', code: 'UNKNOWN_SKU' });
    expect([...res.data!.deductStock.skuIds].sort()).toEqual(['nope-1', 'nope-2']);
    expect(await audit(stack.ns.databaseUrl, 'k1')).toMatchObject({ available: 4, sold: 0 });
  });

  it('lets restocking through upsert show in the next deduct', async () => {
    await api.upserted([{ id: 'r1', available: 1 }]);
    expect((await api.deduct('r-1', [{ skuId: 'r1', quantity: 1 }])).data!.deductStock.__typename).toBe('DeductStockSuccess');
    expect((await api.deduct('r-2', [{ skuId: 'r1', quantity: 1 }])).data!.deductStock.__typename).toBe('InsufficientStock');
    await api.upserted([{ id: 'r1', available: 5 }]);
    expect((await api.deduct('r-3', [{ skuId: 'r1', quantity: 5 }])).data!.deductStock.lines[0].availableAfter).toBe(0);
    const adjust = await sql(
      stack.ns.databaseUrl,
      `SELECT quantity, delta_available FROM movement WHERE sku_id = 'r1' AND kind = 'ADJUST' ORDER BY id`,
    );
    expect(adjust).toEqual([
      { quantity: 1, delta_available: 1 },
      { quantity: 5, delta_available: 5 },
    ]);
  });
});

describe('backorders', () => {
  it('sells down to -backorderLimit, refuses beyond with what is left above the floor, and a restock fills the backorder first', async () => {
    await api.upserted([
      { id: 'bo-a', available: 10, backorderLimit: 2 },
      { id: 'bo-b', available: 10, backorderLimit: 2 },
      { id: 'bo-c', available: 10, backorderLimit: 2 },
    ]);

    const eleven = await api.deduct('bo-11', [{ skuId: 'bo-a', quantity: 11 }]);
    expect(eleven.data!.deductStock).toEqual({
      __typename: 'DeductStockSuccess',
      orderId: 'bo-11',
      idempotencyKey: 'bo-11',
      lines: [{ skuId: 'bo-a', quantity: 11, availableAfter: -1 }],
    });
    expect(
      await sql(stack.ns.databaseUrl, `SELECT kind, quantity, delta_available, delta_sold FROM movement WHERE order_id = 'bo-11'`),
    ).toEqual([{ kind: 'DEDUCT', quantity: 11, delta_available: -11, delta_sold: 11 }]);
    expect(await audit(stack.ns.databaseUrl, 'bo-a')).toMatchObject({ available: -1, sold: 11 });
    expect(await api.level('bo-a')).toMatchObject({ available: -1, sold: 11 });

    // One unit is left above the floor of -2.
    const two = await api.deduct('bo-a-2', [{ skuId: 'bo-a', quantity: 2 }]);
    expect(two.data!.deductStock).toMatchObject({
      __typename: 'InsufficientStock',
      lines: [{ skuId: 'bo-a', requested: 2, obtainable: 1 }],
    });
    expect((await api.deduct('bo-a-1', [{ skuId: 'bo-a', quantity: 1 }])).data!.deductStock.lines).toEqual([
      { skuId: 'bo-a', quantity: 1, availableAfter: -2 },
    ]);
    const floor = await api.deduct('bo-a-floor', [{ skuId: 'bo-a', quantity: 1 }]);
    expect(floor.data!.deductStock).toMatchObject({
      __typename: 'InsufficientStock',
      lines: [{ skuId: 'bo-a', requested: 1, obtainable: 0 }],
    });

    // 12 reaches the floor exactly; 13 is refused and shows the 12 left above it.
    const twelve = await api.deduct('bo-12', [{ skuId: 'bo-b', quantity: 12 }]);
    expect(twelve.data!.deductStock.lines).toEqual([{ skuId: 'bo-b', quantity: 12, availableAfter: -2 }]);
    const thirteen = await api.deduct('bo-13', [{ skuId: 'bo-c', quantity: 13 }]);
    expect(thirteen.data!.deductStock).toMatchObject({
      __typename: 'InsufficientStock',
      code: 'INSUFFICIENT_STOCK',
      lines: [{ skuId: 'bo-c', requested: 13, obtainable: 12 }],
    });
    expect(await audit(stack.ns.databaseUrl, 'bo-b')).toMatchObject({ available: -2, sold: 12 });
    expect(await audit(stack.ns.databaseUrl, 'bo-c')).toMatchObject({ available: 10, sold: 0, deducts: 0 });

    // A restock first fills the 2 backordered units: 5 received leave 3 available.
    const restocked = await api.restock('bo-a', 5, 'bo-a-restock');
    expect(restocked.data.restock).toEqual({ __typename: 'RestockSuccess', skuId: 'bo-a', quantity: 5, availableAfter: 3 });
    expect(await api.level('bo-a')).toMatchObject({ available: 3, sold: 12 });
    // The next deducts see the new level, and the floor is still -2.
    expect((await api.deduct('bo-a-5', [{ skuId: 'bo-a', quantity: 5 }])).data!.deductStock.lines).toEqual([
      { skuId: 'bo-a', quantity: 5, availableAfter: -2 },
    ]);
    expect((await api.deduct('bo-a-6', [{ skuId: 'bo-a', quantity: 1 }])).data!.deductStock.__typename).toBe('InsufficientStock');
    expect(await audit(stack.ns.databaseUrl, 'bo-a')).toMatchObject({
      available: -2,
      sold: 17,
      ledgerAvailable: -2,
      ledgerSold: 17,
      deducts: 3,
    });
  });

  it('sells exactly stock + backorder limit to 100 concurrent single-unit deducts', async () => {
    await api.upserted([{ id: 'bo-hot', available: 10, backorderLimit: 5 }]);
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => api.deduct(`bo-hot-${i}`, [{ skuId: 'bo-hot', quantity: 1 }])));
    const won = answers.filter((a) => a.data?.deductStock.__typename === 'DeductStockSuccess');
    expect(won).toHaveLength(15);
    expect(answers.filter((a) => a.data?.deductStock.__typename === 'InsufficientStock')).toHaveLength(85);
    expect(won.map((a) => a.data!.deductStock.lines[0].availableAfter).sort((x: number, y: number) => x - y)).toEqual(
      Array.from({ length: 15 }, (_, i) => i - 5),
    );
    expect(await audit(stack.ns.databaseUrl, 'bo-hot')).toMatchObject({ available: -5, sold: 15, deducts: 15 });
    expect(await api.level('bo-hot')).toMatchObject({ available: -5, sold: 15 });
  });
});

describe('bad input is a typed error and moves nothing', () => {
  const long = 'x'.repeat(65);
  const cases: [string, Record<string, unknown>, string][] = [
    ['zero quantity', { orderId: 'bad', lines: [{ skuId: 'bad', quantity: 0 }] }, 'INVALID_QUANTITY'],
    ['negative quantity', { orderId: 'bad', lines: [{ skuId: 'bad', quantity: -1 }] }, 'INVALID_QUANTITY'],
    ['quantity above the maximum', { orderId: 'bad', lines: [{ skuId: 'bad', quantity: 1_000_001 }] }, 'INVALID_QUANTITY'],
    ['empty cart', { orderId: 'bad', lines: [] }, 'EMPTY_CART'],
    [
      'oversized cart',
      { orderId: 'bad', lines: Array.from({ length: 51 }, (_, i) => ({ skuId: `bad-${i}`, quantity: 1 })) },
      'CART_TOO_LARGE',
    ],
    [
      'duplicate SKU lines',
      {
        orderId: 'bad',
        lines: [
          { skuId: 'bad', quantity: 1 },
          { skuId: 'bad', quantity: 1 },
        ],
      },
      'DUPLICATE_SKU_LINE',
    ],
    ['over-long SKU id', { orderId: 'bad', lines: [{ skuId: long, quantity: 1 }] }, 'INVALID_ID'],
    ['over-long order id', { orderId: long, lines: [{ skuId: 'bad', quantity: 1 }] }, 'INVALID_ID'],
    ['SKU id with a brace', { orderId: 'bad', lines: [{ skuId: 'ba{d}', quantity: 1 }] }, 'INVALID_ID'],
    ['empty idempotency key', { orderId: 'bad', idempotencyKey: '', lines: [{ skuId: 'bad', quantity: 1 }] }, 'INVALID_IDEMPOTENCY_KEY'],
    ['non-integer quantity', { orderId: 'bad', lines: [{ skuId: 'bad', quantity: 1.5 }] }, 'BAD_USER_INPUT'],
    ['quantity beyond 32 bits', { orderId: 'bad', lines: [{ skuId: 'bad', quantity: 2 ** 31 }] }, 'BAD_USER_INPUT'],
    ['string quantity', { orderId: 'bad', lines: [{ skuId: 'bad', quantity: 'one' }] }, 'BAD_USER_INPUT'],
  ];

  beforeAll(async () => {
    await api.upserted([{ id: 'bad', available: 5 }]);
  });

  it.each(cases)('%s', async (_, input, code) => {
    const res = await api.gql(DEDUCT, { input });
    expect(res.data?.deductStock ?? null).toBeNull();
    expect(res.errors?.[0]?.extensions?.code).toBe(code);
    expect(await audit(stack.ns.databaseUrl, 'bad')).toMatchObject({ available: 5, sold: 0, deducts: 0 });
    expect(await api.level('bad')).toMatchObject({ available: 5, sold: 0 });
  });

  it('refuses bad upserts with a code and changes nothing', async () => {
    for (const [input, code] of [
      [[{ id: 'bad', available: -1 }], 'INVALID_STOCK_LEVEL'],
      [[{ id: 'bad', available: 1_000_000_001 }], 'INVALID_STOCK_LEVEL'],
      [
        [
          { id: 'bad', available: 1 },
          { id: 'bad', available: 2 },
        ],
        'DUPLICATE_SKU_LINE',
      ],
      [[{ id: '', available: 1 }], 'INVALID_ID'],
      [[], 'EMPTY_SKU_LIST'],
    ] as const) {
      const res = await api.gql(UPSERT, { input: { skus: input } });
      expect(res.errors?.[0]?.extensions?.code).toBe(code);
    }
    expect(await api.level('bad')).toMatchObject({ available: 5 });
  });
});
