/**
 * refundStock over HTTP against the real app, PostgreSQL and Redis (issue 3): bounded refunds (I5)
 * under races, idempotency by refund id (I4), typed outcomes and errors that move nothing, the gate
 * agreeing with the truth after every refund, and the merge worker folding a mixed ledger.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mergeOnce } from '../src/ledger/merge.ts';
import { readTruth } from '../src/ledger/truth.ts';
import { checked, outcome, type Line } from './support/client.ts';
import { counterNow, gateAgrees, mergeAll, movementsOf } from './support/gate-check.ts';
import { audit, sql } from './support/ledger.ts';
import { REFUND } from './support/ops.ts';
import { useStack } from './support/stack.ts';

const stack = useStack();
const { api } = stack;

/** Everything a refund could move: the SKUs' ledgers and truths, the order, the refund records. */
async function state(skuIds: string[], orderId: string) {
  return {
    movements: await Promise.all(skuIds.map((id) => movementsOf(stack.ns.databaseUrl, id))),
    audits: await Promise.all(skuIds.map((id) => audit(stack.ns.databaseUrl, id))),
    order: checked(await api.order(orderId)),
    operations: await sql(stack.ns.databaseUrl, `SELECT kind, key, order_id, result FROM operation ORDER BY kind, key`),
  };
}

describe('refunds racing over one order line', () => {
  it('100 concurrent 1-unit refunds over a line that deducted 10: exactly 10 succeed, stock up by exactly 10', async () => {
    await api.upserted([{ id: 'race', available: 50 }]);
    await api.deducted('race-order', [{ skuId: 'race', quantity: 10 }]);
    expect(await counterNow(stack.svc, 'race')).toMatchObject({ available: 40, sold: 10 });

    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => api.refund('race-order', `race-r${i}`, [{ skuId: 'race', quantity: 1 }])),
    );

    const kinds = answers.map((a) => outcome(a));
    const won = answers.filter((a) => outcome(a) === 'RefundStockSuccess').map((a) => a.data!.refundStock);
    expect(won).toHaveLength(10);
    expect(kinds.filter((k) => k === 'RefundExceedsDeducted')).toHaveLength(90);
    // Racing refunds of one line run one after another: each saw every refund before it.
    expect(won.map((w) => w.lines[0].refunded).sort((a: number, b: number) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const w of won) {
      expect(w.lines).toEqual([
        { skuId: 'race', quantity: 1, deducted: 10, refunded: w.lines[0].refunded, refundable: 10 - w.lines[0].refunded },
      ]);
    }
    for (const lost of answers.filter((a) => outcome(a) === 'RefundExceedsDeducted')) {
      expect(lost.data!.refundStock).toMatchObject({
        code: 'REFUND_EXCEEDS_DEDUCTED',
        lines: [{ skuId: 'race', deducted: 10, requested: 1 }],
      });
      // Refused only once all 10 were refunded: every loser ran after the tenth winner.
      expect(lost.data!.refundStock.lines[0].alreadyRefunded).toBe(10);
    }

    expect(checked(await api.order('race-order'))).toEqual({
      id: 'race-order',
      lines: [{ skuId: 'race', deducted: 10, refunded: 10, refundable: 0 }],
    });
    const refunds = (await movementsOf(stack.ns.databaseUrl, 'race')).filter((m) => m.kind === 'REFUND');
    expect(refunds).toHaveLength(10);
    for (const m of refunds) expect(m).toMatchObject({ quantity: 1, delta_available: 1, delta_sold: -1, order_id: 'race-order' });
    expect(new Set(refunds.map((m) => m.idempotency_key)).size).toBe(10);

    // Refunds only add units: each was applied once to the live counter that said 40 (no reload needed).
    expect(await counterNow(stack.svc, 'race')).toMatchObject({ available: 50, sold: 0 });
    expect(await audit(stack.ns.databaseUrl, 'race')).toMatchObject({ available: 50, sold: 0, ledgerAvailable: 50, ledgerSold: 0 });
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'race')).toMatchObject({ available: 50, sold: 0, reserved: 0 });
    expect(await counterNow(stack.svc, 'race')).toMatchObject({ available: 50, sold: 0 });

    // A following deduct sees all 50 units, and not one more.
    expect((await api.deducted('race-after', [{ skuId: 'race', quantity: 50 }])).lines[0].availableAfter).toBe(0);
    const more = await api.deductOne('race-more', 'race');
    expect(more.data.deductStock).toMatchObject({ __typename: 'InsufficientStock', lines: [{ obtainable: 0 }] });
  });

  it('the same refundId sent 30 times at once moves units once, and every answer is the same', async () => {
    await api.upserted([{ id: 'replay', available: 20 }]);
    await api.deducted('replay-order', [{ skuId: 'replay', quantity: 10 }]);

    const answers = await Promise.all(
      Array.from({ length: 30 }, () => api.refund('replay-order', 'replay-r1', [{ skuId: 'replay', quantity: 4 }])),
    );

    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(answers[0]!.data!.refundStock).toEqual({
      __typename: 'RefundStockSuccess',
      orderId: 'replay-order',
      idempotencyKey: 'replay-r1',
      lines: [{ skuId: 'replay', quantity: 4, deducted: 10, refunded: 4, refundable: 6 }],
    });
    expect((await movementsOf(stack.ns.databaseUrl, 'replay')).filter((m) => m.kind === 'REFUND')).toHaveLength(1);
    expect(checked(await api.order('replay-order'))).toMatchObject({
      lines: [{ skuId: 'replay', deducted: 10, refunded: 4, refundable: 6 }],
    });
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'replay')).toMatchObject({ available: 14, sold: 6 });

    // Later refunds change the line, but a replay still answers what the first request answered.
    expect(outcome(await api.refund('replay-order', 'replay-r2', [{ skuId: 'replay', quantity: 6 }]))).toBe('RefundStockSuccess');
    expect(await api.refund('replay-order', 'replay-r1', [{ skuId: 'replay', quantity: 4 }])).toEqual(answers[0]);
    expect(await audit(stack.ns.databaseUrl, 'replay')).toMatchObject({ available: 20, sold: 0 });
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'replay')).toMatchObject({ available: 20, sold: 0 });
  });

  it('the same refundId with other lines or another order is IdempotencyConflict and moves nothing', async () => {
    await api.upserted([
      { id: 'conf-a', available: 20 },
      { id: 'conf-b', available: 20 },
    ]);
    await api.deducted('conf-order', [
      { skuId: 'conf-a', quantity: 5 },
      { skuId: 'conf-b', quantity: 5 },
    ]);
    await api.deducted('conf-other', [{ skuId: 'conf-a', quantity: 5 }]);
    const first = await api.refund('conf-order', 'conf-r', [{ skuId: 'conf-a', quantity: 2 }]);
    expect(outcome(first)).toBe('RefundStockSuccess');
    const before = await state(['conf-a', 'conf-b'], 'conf-order');

    for (const [orderId, lines] of [
      ['conf-order', [{ skuId: 'conf-a', quantity: 3 }]],
      ['conf-order', [{ skuId: 'conf-b', quantity: 2 }]],
      [
        'conf-order',
        [
          { skuId: 'conf-a', quantity: 2 },
          { skuId: 'conf-b', quantity: 1 },
        ],
      ],
      ['conf-other', [{ skuId: 'conf-a', quantity: 2 }]],
    ] as [string, Line[]][]) {
      const res = await api.refund(orderId, 'conf-r', lines);
      expect(res.data!.refundStock).toEqual({
        __typename: 'IdempotencyConflict',
        code: 'IDEMPOTENCY_CONFLICT',
        message: expect.stringContaining('conf-r'),
        idempotencyKey: 'conf-r',
      });
    }
    expect(await state(['conf-a', 'conf-b'], 'conf-order')).toEqual(before);
    // Line order is not part of the request: a reordered two-line refund is a replay.
    const two = await api.refund('conf-order', 'conf-r2', [
      { skuId: 'conf-a', quantity: 1 },
      { skuId: 'conf-b', quantity: 1 },
    ]);
    expect(outcome(two)).toBe('RefundStockSuccess');
    expect(
      await api.refund('conf-order', 'conf-r2', [
        { skuId: 'conf-b', quantity: 1 },
        { skuId: 'conf-a', quantity: 1 },
      ]),
    ).toEqual(two);
    expect(await api.refund('conf-order', 'conf-r', [{ skuId: 'conf-a', quantity: 2 }])).toEqual(first);
  });

  it('one refundId raced with different lines on different SKUs: one wins, the rest conflict, units move once', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `dup-${i}`);
    await api.upserted(ids.map((id) => ({ id, available: 10 })));
    await api.deducted(
      'dup-order',
      ids.map((skuId) => ({ skuId, quantity: 3 })),
    );

    // Different SKUs lock different rows, so these really run side by side; the refund record decides.
    const answers = await Promise.all(
      ids.flatMap((skuId) => Array.from({ length: 3 }, () => api.refund('dup-order', 'dup-r', [{ skuId, quantity: 2 }]))),
    );
    const won = answers.filter((a) => outcome(a) === 'RefundStockSuccess');
    expect(answers.map((a) => outcome(a)).filter((k) => k !== 'RefundStockSuccess' && k !== 'IdempotencyConflict')).toEqual([]);
    // The winner's two twins are replays of it; every other request is a conflict.
    expect(won).toHaveLength(3);
    for (const w of won) expect(w).toEqual(won[0]);
    const winner = won[0]!.data!.refundStock.lines[0].skuId;
    expect(answers.filter((a) => outcome(a) === 'IdempotencyConflict')).toHaveLength(21);

    const order = checked(await api.order('dup-order'));
    for (const line of order.lines)
      expect(line).toEqual({
        skuId: line.skuId,
        deducted: 3,
        refunded: line.skuId === winner ? 2 : 0,
        refundable: line.skuId === winner ? 1 : 3,
      });
    for (const id of ids)
      expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, id)).toMatchObject({
        available: id === winner ? 9 : 7,
        sold: id === winner ? 1 : 3,
      });
    expect(
      await sql(stack.ns.databaseUrl, `SELECT count(*)::int AS n FROM movement WHERE kind = 'REFUND' AND idempotency_key = 'dup-r'`),
    ).toEqual([{ n: 1 }]);
  });
});

describe('partial refunds', () => {
  it('3 + 3 + 4 of 10 succeed; a fourth fails naming the line, deducted, already refunded and requested', async () => {
    await api.upserted([{ id: 'part', available: 30 }]);
    await api.deducted('part-order', [{ skuId: 'part', quantity: 10 }]);

    const steps = [
      ['part-r1', 3, 3],
      ['part-r2', 3, 6],
      ['part-r3', 4, 10],
    ] as const;
    for (const [refundId, quantity, refunded] of steps) {
      const res = await api.refund('part-order', refundId, [{ skuId: 'part', quantity }]);
      expect(res.data!.refundStock).toEqual({
        __typename: 'RefundStockSuccess',
        orderId: 'part-order',
        idempotencyKey: refundId,
        lines: [{ skuId: 'part', quantity, deducted: 10, refunded, refundable: 10 - refunded }],
      });
      expect(checked(await api.order('part-order'))).toEqual({
        id: 'part-order',
        lines: [{ skuId: 'part', deducted: 10, refunded, refundable: 10 - refunded }],
      });
      expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'part')).toMatchObject({ available: 20 + refunded, sold: 10 - refunded });
    }

    const before = await state(['part'], 'part-order');
    const fourth = await api.refund('part-order', 'part-r4', [{ skuId: 'part', quantity: 1 }]);
    expect(fourth.data!.refundStock).toEqual({
      __typename: 'RefundExceedsDeducted',
      code: 'REFUND_EXCEEDS_DEDUCTED',
      message: expect.stringContaining('part'),
      lines: [{ skuId: 'part', deducted: 10, alreadyRefunded: 10, requested: 1 }],
    });
    expect(await state(['part'], 'part-order')).toEqual(before);
    // A refused refund id is not remembered: asked again, it is judged again (and still refused).
    expect(outcome(await api.refund('part-order', 'part-r4', [{ skuId: 'part', quantity: 1 }]))).toBe('RefundExceedsDeducted');
    expect(await sql(stack.ns.databaseUrl, `SELECT key FROM operation WHERE key LIKE 'part-%' ORDER BY key`)).toEqual([
      { key: 'part-r1' },
      { key: 'part-r2' },
      { key: 'part-r3' },
    ]);
    const refunds = (await movementsOf(stack.ns.databaseUrl, 'part')).filter((m) => m.kind === 'REFUND');
    expect(refunds.map((m) => [m.idempotency_key, m.quantity, m.delta_available, m.delta_sold])).toEqual([
      ['part-r1', 3, 3, -3],
      ['part-r2', 3, 3, -3],
      ['part-r3', 4, 4, -4],
    ]);
  });

  it('refuses a refund bigger than what is left, with what was refunded so far', async () => {
    await api.upserted([{ id: 'left', available: 30 }]);
    await api.deducted('left-order', [{ skuId: 'left', quantity: 10 }]);
    expect(outcome(await api.refund('left-order', 'left-r1', [{ skuId: 'left', quantity: 6 }]))).toBe('RefundStockSuccess');
    const res = await api.refund('left-order', 'left-r2', [{ skuId: 'left', quantity: 5 }]);
    expect(res.data!.refundStock).toMatchObject({
      __typename: 'RefundExceedsDeducted',
      lines: [{ skuId: 'left', deducted: 10, alreadyRefunded: 6, requested: 5 }],
    });
    // Refused, not remembered: the same id with what fits goes through.
    expect((await api.refund('left-order', 'left-r2', [{ skuId: 'left', quantity: 4 }])).data!.refundStock.lines).toEqual([
      { skuId: 'left', quantity: 4, deducted: 10, refunded: 10, refundable: 0 },
    ]);
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'left')).toMatchObject({ available: 30, sold: 0 });
  });

  it('a multi-line refund with one exceeding line moves nothing on any line and names only that line', async () => {
    await api.upserted([
      { id: 'ml-a', available: 10 },
      { id: 'ml-b', available: 10 },
      { id: 'ml-c', available: 10 },
    ]);
    await api.deducted('ml-order', [
      { skuId: 'ml-a', quantity: 2 },
      { skuId: 'ml-b', quantity: 3 },
      { skuId: 'ml-c', quantity: 4 },
    ]);
    const before = await state(['ml-a', 'ml-b', 'ml-c'], 'ml-order');

    const res = await api.refund('ml-order', 'ml-r', [
      { skuId: 'ml-a', quantity: 2 },
      { skuId: 'ml-b', quantity: 4 },
      { skuId: 'ml-c', quantity: 5 },
    ]);

    expect(res.data!.refundStock).toMatchObject({
      __typename: 'RefundExceedsDeducted',
      lines: [
        { skuId: 'ml-b', deducted: 3, alreadyRefunded: 0, requested: 4 },
        { skuId: 'ml-c', deducted: 4, alreadyRefunded: 0, requested: 5 },
      ],
    });
    expect(await state(['ml-a', 'ml-b', 'ml-c'], 'ml-order')).toEqual(before);

    const ok = await api.refund('ml-order', 'ml-r2', [
      { skuId: 'ml-c', quantity: 4 },
      { skuId: 'ml-a', quantity: 1 },
    ]);
    expect(ok.data!.refundStock.lines).toEqual([
      { skuId: 'ml-c', quantity: 4, deducted: 4, refunded: 4, refundable: 0 },
      { skuId: 'ml-a', quantity: 1, deducted: 2, refunded: 1, refundable: 1 },
    ]);
    expect(checked(await api.order('ml-order'))).toEqual({
      id: 'ml-order',
      lines: [
        { skuId: 'ml-a', deducted: 2, refunded: 1, refundable: 1 },
        { skuId: 'ml-b', deducted: 3, refunded: 0, refundable: 3 },
        { skuId: 'ml-c', deducted: 4, refunded: 4, refundable: 0 },
      ],
    });
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'ml-a')).toMatchObject({ available: 9, sold: 1 });
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'ml-b')).toMatchObject({ available: 7, sold: 3 });
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'ml-c')).toMatchObject({ available: 10, sold: 0 });
  });

  it('adds up the deducts of one order under several idempotency keys', async () => {
    await api.upserted([{ id: 'multi', available: 10 }]);
    const a = await api.deduct('multi-order', [{ skuId: 'multi', quantity: 2 }], 'multi-k1');
    const b = await api.deduct('multi-order', [{ skuId: 'multi', quantity: 3 }], 'multi-k2');
    expect([a.data.deductStock.__typename, b.data.deductStock.__typename]).toEqual(['DeductStockSuccess', 'DeductStockSuccess']);
    expect(checked(await api.order('multi-order'))).toEqual({
      id: 'multi-order',
      lines: [{ skuId: 'multi', deducted: 5, refunded: 0, refundable: 5 }],
    });
    expect(outcome(await api.refund('multi-order', 'multi-r1', [{ skuId: 'multi', quantity: 5 }]))).toBe('RefundStockSuccess');
    expect(outcome(await api.refund('multi-order', 'multi-r2', [{ skuId: 'multi', quantity: 1 }]))).toBe('RefundExceedsDeducted');
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'multi')).toMatchObject({ available: 10, sold: 0 });
  });

  it('refunds an unlimited line: sold goes back, available stays unlimited', async () => {
    await api.upserted([{ id: 'unl', unlimited: true }]);
    await api.deducted('unl-order', [{ skuId: 'unl', quantity: 7 }]);
    const res = await api.refund('unl-order', 'unl-r', [{ skuId: 'unl', quantity: 5 }]);
    expect(res.data!.refundStock.lines).toEqual([{ skuId: 'unl', quantity: 5, deducted: 7, refunded: 5, refundable: 2 }]);
    expect((await movementsOf(stack.ns.databaseUrl, 'unl')).filter((m) => m.kind === 'REFUND')).toEqual([
      expect.objectContaining({ quantity: 5, delta_available: 0, delta_sold: -5 }),
    ]);
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'unl')).toEqual({
      available: 0,
      reserved: 0,
      sold: 2,
      unlimited: true,
      backorderLimit: 0,
    });
  });

  it('refunds a backordered sale back above zero', async () => {
    await api.upserted([{ id: 'bo', available: 2, backorderLimit: 3 }]);
    await api.deducted('bo-order', [{ skuId: 'bo', quantity: 5 }]);
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'bo')).toMatchObject({ available: -3, sold: 5, backorderLimit: 3 });
    expect(outcome(await api.refund('bo-order', 'bo-r', [{ skuId: 'bo', quantity: 4 }]))).toBe('RefundStockSuccess');
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'bo')).toMatchObject({ available: 1, sold: 1, backorderLimit: 3 });
    // The floor is still -3: 4 more units can go, not 5.
    const five = await api.deductOne('bo-5', 'bo', 5);
    expect(five.data.deductStock).toMatchObject({ __typename: 'InsufficientStock', lines: [{ skuId: 'bo', requested: 5, obtainable: 4 }] });
    expect((await api.deducted('bo-4', [{ skuId: 'bo', quantity: 4 }])).lines[0].availableAfter).toBe(-3);
  });
});

describe('outcomes that move nothing', () => {
  it('an order no stock moved for is UnknownOrder', async () => {
    await api.upserted([{ id: 'uo', available: 1 }]);
    // A refused deduct leaves no order behind.
    const refused = await api.deductOne('uo-refused', 'uo', 2);
    expect(refused.data.deductStock.__typename).toBe('InsufficientStock');
    const before = await state(['uo'], 'uo-refused');
    expect(before.order).toBeNull();

    for (const orderId of ['uo-never', 'uo-refused']) {
      const res = await api.refund(orderId, `uo-r-${orderId}`, [{ skuId: 'uo', quantity: 1 }]);
      expect(res.data!.refundStock).toEqual({
        __typename: 'UnknownOrder',
        code: 'UNKNOWN_ORDER',
        message: expect.stringContaining(orderId),
        orderId,
      });
    }
    expect(await state(['uo'], 'uo-refused')).toEqual(before);
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'uo')).toMatchObject({ available: 1, sold: 0 });
  });

  it('a SKU the order has no line for is SkuNotInOrder naming each such SKU, known or not', async () => {
    await api.upserted([
      { id: 'sn-a', available: 10 },
      { id: 'sn-b', available: 10 },
    ]);
    await api.deducted('sn-order', [{ skuId: 'sn-a', quantity: 3 }]);
    const before = await state(['sn-a', 'sn-b'], 'sn-order');

    const res = await api.refund('sn-order', 'sn-r', [
      { skuId: 'sn-a', quantity: 1 },
      { skuId: 'sn-b', quantity: 1 },
      { skuId: 'sn-ghost', quantity: 1 },
    ]);

    expect(res.data!.refundStock).toMatchObject({ __typename: 'SkuNotInOrder', code: 'SKU_NOT_IN_ORDER', orderId: 'sn-order' });
    expect([...res.data!.refundStock.skuIds].sort()).toEqual(['sn-b', 'sn-ghost']);
    expect(await state(['sn-a', 'sn-b'], 'sn-order')).toEqual(before);
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'sn-a')).toMatchObject({ available: 7, sold: 3 });
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'sn-b')).toMatchObject({ available: 10, sold: 0 });
    // The same refund id is still free: nothing was recorded under it.
    expect(outcome(await api.refund('sn-order', 'sn-r', [{ skuId: 'sn-a', quantity: 1 }]))).toBe('RefundStockSuccess');
  });
});

describe('bad refund input is a GraphQL error with a code and moves nothing', () => {
  const long = 'x'.repeat(65);
  const line = (quantity: unknown, skuId = 'bad') => [{ skuId, quantity }];
  const cases: [string, Record<string, unknown>, string][] = [
    ['zero quantity', { orderId: 'bad-order', idempotencyKey: 'bad-r', lines: line(0) }, 'INVALID_QUANTITY'],
    ['negative quantity', { orderId: 'bad-order', idempotencyKey: 'bad-r', lines: line(-1) }, 'INVALID_QUANTITY'],
    ['quantity above the maximum', { orderId: 'bad-order', idempotencyKey: 'bad-r', lines: line(1_000_001) }, 'INVALID_QUANTITY'],
    ['empty lines', { orderId: 'bad-order', idempotencyKey: 'bad-r', lines: [] }, 'EMPTY_CART'],
    [
      'too many lines',
      { orderId: 'bad-order', idempotencyKey: 'bad-r', lines: Array.from({ length: 51 }, (_, i) => ({ skuId: `bad-${i}`, quantity: 1 })) },
      'CART_TOO_LARGE',
    ],
    ['duplicate SKU lines', { orderId: 'bad-order', idempotencyKey: 'bad-r', lines: [...line(1), ...line(1)] }, 'DUPLICATE_SKU_LINE'],
    ['over-long order id', { orderId: long, idempotencyKey: 'bad-r', lines: line(1) }, 'INVALID_ID'],
    ['over-long SKU id', { orderId: 'bad-order', idempotencyKey: 'bad-r', lines: line(1, long) }, 'INVALID_ID'],
    ['empty order id', { orderId: '', idempotencyKey: 'bad-r', lines: line(1) }, 'INVALID_ID'],
    ['over-long refund id', { orderId: 'bad-order', idempotencyKey: 'r'.repeat(129), lines: line(1) }, 'INVALID_IDEMPOTENCY_KEY'],
    ['empty refund id', { orderId: 'bad-order', idempotencyKey: '', lines: line(1) }, 'INVALID_IDEMPOTENCY_KEY'],
    ['refund id with a space', { orderId: 'bad-order', idempotencyKey: 'bad r', lines: line(1) }, 'INVALID_IDEMPOTENCY_KEY'],
    ['non-integer quantity', { orderId: 'bad-order', idempotencyKey: 'bad-r', lines: line(1.5) }, 'BAD_USER_INPUT'],
    ['string quantity', { orderId: 'bad-order', idempotencyKey: 'bad-r', lines: line('one') }, 'BAD_USER_INPUT'],
    ['missing refund id', { orderId: 'bad-order', lines: line(1) }, 'BAD_USER_INPUT'],
  ];

  let before: Awaited<ReturnType<typeof state>>;
  beforeAll(async () => {
    await api.upserted([{ id: 'bad', available: 10 }]);
    await api.deducted('bad-order', [{ skuId: 'bad', quantity: 5 }]);
    before = await state(['bad'], 'bad-order');
  });

  it.each(cases)('%s', async (_, input, code) => {
    const res = await api.gql(REFUND, { input });
    expect(res.data?.refundStock ?? null).toBeNull();
    expect(res.errors?.[0]?.extensions?.code).toBe(code);
    expect(await state(['bad'], 'bad-order')).toEqual(before);
  });

  it('the valid refund those cases were built around does go through', async () => {
    expect(outcome(await api.refund('bad-order', 'bad-r', [{ skuId: 'bad', quantity: 1 }]))).toBe('RefundStockSuccess');
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'bad')).toMatchObject({ available: 6, sold: 4 });
  });
});

describe('the merge worker and refunds', () => {
  it('after a mix of deducts, refunds and restocks, merging to the end keeps the truth and rows equal the ledger sums', async () => {
    const skus = { 'mix-a': 100, 'mix-b': 40, 'mix-c': 0 };
    await api.upserted([
      { id: 'mix-a', available: 100 },
      { id: 'mix-b', available: 40, backorderLimit: 5 },
      { id: 'mix-c', unlimited: true },
    ]);
    const carts: Line[][] = Array.from({ length: 60 }, (_, i) => [
      { skuId: 'mix-a', quantity: 1 + (i % 3) },
      ...(i % 2 === 0 ? [{ skuId: 'mix-b', quantity: 1 + (i % 4) }] : []),
      ...(i % 5 === 0 ? [{ skuId: 'mix-c', quantity: 10 }] : []),
    ]);

    // Merging all along, with small batches, while the traffic runs.
    let stop = false;
    const merger = (async () => {
      let n = 0;
      while (!stop) n += await mergeOnce(stack.svc.app.services.prisma, 7);
      return n;
    })();

    const deducted = await Promise.all(carts.map((lines, i) => api.deduct(`mix-${i}`, lines)));
    const sold = carts.filter((_, i) => deducted[i]!.data?.deductStock.__typename === 'DeductStockSuccess');
    expect(sold.length).toBeGreaterThan(10);
    for (const d of deducted) expect(['DeductStockSuccess', 'InsufficientStock']).toContain(d.data?.deductStock.__typename);

    // Refund half of each sold cart's lines (rounded up), twice over, racing restocks and more deducts.
    const soldIds = carts.map((_, i) => i).filter((i) => deducted[i]!.data?.deductStock.__typename === 'DeductStockSuccess');
    const refunds = soldIds.flatMap((i) =>
      [1, 2].map((step) =>
        api.refund(
          `mix-${i}`,
          `mix-r${i}-${step}`,
          carts[i]!.map((l) => ({ skuId: l.skuId, quantity: Math.ceil(l.quantity / 2) })),
        ),
      ),
    );
    const restocks = Array.from({ length: 10 }, (_, i) => api.restock(i % 2 ? 'mix-a' : 'mix-b', 3, `mix-restock-${i}`));
    const late = Array.from({ length: 20 }, (_, i) => api.deductOne(`mix-late-${i}`, 'mix-b'));
    const [refunded, restocked, lateDeducts] = await Promise.all([Promise.all(refunds), Promise.all(restocks), Promise.all(late)]);
    stop = true;
    expect(await merger).toBeGreaterThan(0);

    for (const r of restocked) expect(r.data.restock.__typename).toBe('RestockSuccess');
    for (const r of refunded) expect(['RefundStockSuccess', 'RefundExceedsDeducted']).toContain(outcome(r));
    for (const d of lateDeducts) expect(['DeductStockSuccess', 'InsufficientStock']).toContain(d.data?.deductStock.__typename);

    // What the answers say moved, per SKU.
    const expected = Object.fromEntries(Object.entries(skus).map(([id, initial]) => [id, { available: initial, sold: 0 }]));
    for (const i of soldIds) for (const l of carts[i]!) expected[l.skuId]!.sold += l.quantity;
    for (const r of refunded.filter((x) => outcome(x) === 'RefundStockSuccess')) {
      for (const l of r.data!.refundStock.lines) expected[l.skuId]!.sold -= l.quantity;
    }
    expected['mix-b']!.sold += lateDeducts.filter((x) => x.data?.deductStock.__typename === 'DeductStockSuccess').length;
    for (const [id, e] of Object.entries(expected)) {
      const restockedUnits = id === 'mix-c' ? 0 : restocked.filter((_, i) => (i % 2 ? 'mix-a' : 'mix-b') === id).length * 3;
      e.available = id === 'mix-c' ? 0 : skus[id as keyof typeof skus] + restockedUnits - e.sold;
    }
    // Each sold line was refunded at most its quantity: the second half-refund of an odd line exceeded.
    for (const i of soldIds) {
      for (const line of checked(await api.order(`mix-${i}`)).lines) {
        expect(line.refunded).toBeLessThanOrEqual(line.deducted);
        expect(line.refundable).toBe(line.deducted - line.refunded);
      }
    }

    const ids = Object.keys(skus);
    const truthBefore = await readTruth(stack.svc.app.services.prisma, ids);
    await mergeAll(stack.svc, stack.ns.databaseUrl);
    expect(await readTruth(stack.svc.app.services.prisma, ids)).toEqual(truthBefore);

    const rows = await sql(
      stack.ns.databaseUrl,
      `SELECT s.id, s.available, s.reserved, s.sold,
              sum(m.delta_available)::int AS ledger_available, sum(m.delta_reserved)::int AS ledger_reserved, sum(m.delta_sold)::int AS ledger_sold
       FROM sku s JOIN movement m ON m.sku_id = s.id WHERE s.id = ANY($1) GROUP BY s.id ORDER BY s.id`,
      [ids],
    );
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect({ id: r.id, available: r.available, reserved: r.reserved, sold: r.sold }).toEqual({
        id: r.id,
        available: r.ledger_available,
        reserved: r.ledger_reserved,
        sold: r.ledger_sold,
      });
      expect({ available: r.available, sold: r.sold }).toEqual(expected[r.id]);
    }
    expect(expected['mix-b']!.available).toBeGreaterThanOrEqual(-5);
    for (const id of ids)
      expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, id)).toMatchObject({
        available: expected[id]!.available,
        sold: expected[id]!.sold,
      });
  });
});
