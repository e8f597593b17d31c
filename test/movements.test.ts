/**
 * The read side of issue 3 over HTTP: the `order` query (deducted, refunded, refundable per line) and
 * the `movements` Relay connection (newest first, in the order of the transactions that wrote it: the
 * change feed's; filters by SKU, order and kinds; cursor paging both ways with no duplicates or gaps;
 * bounded pages; typed errors for bad cursors and ids). Every expectation is checked against the ledger
 * as PostgreSQL holds it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from './support/ledger.ts';
import { checked } from './support/client.ts';
import { useStack } from './support/stack.ts';

const stack = useStack();
const { api } = stack;

interface Page {
  edges: { cursor: string; node: Record<string, any> }[];
  pageInfo: { startCursor: string | null; endCursor: string | null; hasNextPage: boolean; hasPreviousPage: boolean };
}
const movements = async (args: Record<string, unknown>): Promise<Page> => checked(await api.movements(args));

/** The ledger as the connection should show it: newest first by (tx, id), in its GraphQL shape. */
async function ledger(where = 'true', params: unknown[] = []) {
  const rows = await sql(
    stack.ns.databaseUrl,
    `SELECT id::text, kind::text, sku_id, quantity, delta_available, delta_reserved, delta_sold, order_id, order_line, idempotency_key, created_at
     FROM movement WHERE ${where} ORDER BY movement.tx DESC, movement.id DESC`,
    params,
  );
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    skuId: r.sku_id,
    quantity: r.quantity,
    deltaAvailable: r.delta_available,
    deltaReserved: r.delta_reserved,
    deltaSold: r.delta_sold,
    orderId: r.order_id,
    orderLine: r.order_line,
    idempotencyKey: r.idempotency_key,
    createdAt: (r.created_at as Date).toISOString(),
  }));
}

/** A cursor naming a place in the connection's order, as src/schema/movements.ts writes one: clients never build them. */
const place = (tx: string, id: string) => Buffer.from(`${tx}.${id}`).toString('base64url');

/** Walks a connection forward page by page to the end; checks each page's cursors on the way. */
async function walkForward(args: Record<string, unknown>, size: number, from?: string) {
  const nodes: Record<string, any>[] = [];
  let after: string | undefined = from;
  let pages = 0;
  for (;;) {
    const page = await movements({ ...args, first: size, ...(after ? { after } : {}) });
    pages++;
    expect(page.edges.length).toBeLessThanOrEqual(size);
    expect(page.pageInfo.hasPreviousPage).toBe(after !== undefined);
    // Opaque: URL-safe text, one per movement.
    for (const e of page.edges) expect(e.cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(new Set(page.edges.map((e) => e.cursor)).size).toBe(page.edges.length);
    if (page.edges.length > 0) {
      expect(page.pageInfo.startCursor).toBe(page.edges[0]!.cursor);
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)!.cursor);
    }
    nodes.push(...page.edges.map((e) => e.node));
    if (!page.pageInfo.hasNextPage) break;
    expect(page.edges).toHaveLength(size);
    after = page.pageInfo.endCursor!;
    expect(pages).toBeLessThan(1_000);
  }
  return { nodes, pages };
}

/** Walks a connection backward from the oldest end with last/before. */
async function walkBackward(args: Record<string, unknown>, size: number) {
  const nodes: Record<string, any>[] = [];
  let before: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await movements({ ...args, last: size, ...(before ? { before } : {}) });
    pages++;
    expect(page.edges.length).toBeLessThanOrEqual(size);
    expect(page.pageInfo.hasNextPage).toBe(before !== undefined);
    nodes.unshift(...page.edges.map((e) => e.node));
    if (!page.pageInfo.hasPreviousPage) break;
    expect(page.edges).toHaveLength(size);
    before = page.pageInfo.startCursor!;
    expect(pages).toBeLessThan(1_000);
  }
  return { nodes, pages };
}

describe('the order query', () => {
  it('shows each SKU of an order with what was deducted, refunded and is still refundable', async () => {
    await api.upserted([
      { id: 'oq-a', available: 20 },
      { id: 'oq-b', available: 20 },
      { id: 'oq-c', available: 20 },
    ]);
    await api.deducted('oq-1', [
      { skuId: 'oq-c', quantity: 4 },
      { skuId: 'oq-a', quantity: 2 },
      { skuId: 'oq-b', quantity: 5 },
    ]);
    expect(checked(await api.order('oq-1'))).toEqual({
      id: 'oq-1',
      lines: [
        { skuId: 'oq-a', deducted: 2, refunded: 0, refundable: 2 },
        { skuId: 'oq-b', deducted: 5, refunded: 0, refundable: 5 },
        { skuId: 'oq-c', deducted: 4, refunded: 0, refundable: 4 },
      ],
    });
    await api.refunded('oq-1', 'oq-r1', [{ skuId: 'oq-b', quantity: 2 }]);
    await api.refunded('oq-1', 'oq-r2', [
      { skuId: 'oq-b', quantity: 1 },
      { skuId: 'oq-c', quantity: 4 },
    ]);
    const refunded = checked(await api.order('oq-1'));
    expect(refunded).toEqual({
      id: 'oq-1',
      lines: [
        { skuId: 'oq-a', deducted: 2, refunded: 0, refundable: 2 },
        { skuId: 'oq-b', deducted: 5, refunded: 3, refundable: 2 },
        { skuId: 'oq-c', deducted: 4, refunded: 4, refundable: 0 },
      ],
    });
  });

  it('counts a replayed deduct once, and a refused deduct or an unknown id is no order at all', async () => {
    await api.upserted([{ id: 'oq-r', available: 3 }]);
    const first = await api.deducted('oq-2', [{ skuId: 'oq-r', quantity: 2 }]);
    expect(await api.deducted('oq-2', [{ skuId: 'oq-r', quantity: 2 }])).toEqual(first);
    expect(checked(await api.order('oq-2'))).toEqual({ id: 'oq-2', lines: [{ skuId: 'oq-r', deducted: 2, refunded: 0, refundable: 2 }] });

    const refused = await api.deductOne('oq-3', 'oq-r', 2);
    expect(refused.data.deductStock.__typename).toBe('InsufficientStock');
    expect(checked(await api.order('oq-3'))).toBeNull();
    expect(checked(await api.order('oq-never'))).toBeNull();
  });
});

describe('the movements connection', () => {
  beforeAll(async () => {
    // A small ledger of every kind this issue writes, in a known order.
    await api.upserted([
      { id: 'mv-a', available: 50 },
      { id: 'mv-b', available: 50 },
    ]);
    await api.deducted('mv-o1', [
      { skuId: 'mv-a', quantity: 2 },
      { skuId: 'mv-b', quantity: 3 },
    ]);
    await api.deducted('mv-o2', [{ skuId: 'mv-a', quantity: 1 }], 'mv-o2-key');
    await api.refunded('mv-o1', 'mv-r1', [{ skuId: 'mv-a', quantity: 1 }]);
    checked(await api.restock('mv-b', 5, 'mv-k'), 'RestockSuccess');
    checked(await api.setStock({ skuId: 'mv-a', available: 60 }), 'SetStockSuccess');
  });

  it('lists the whole ledger newest first, every field as PostgreSQL holds it', async () => {
    const all = await ledger(`sku_id LIKE 'mv-%'`);
    expect(all.map((m) => m.kind)).toEqual(['ADJUST', 'RESTOCK', 'REFUND', 'DEDUCT', 'DEDUCT', 'DEDUCT', 'ADJUST', 'ADJUST']);
    const page = await movements({ first: 100 });
    expect(page.edges.map((e) => e.node).filter((n) => n.skuId.startsWith('mv-'))).toEqual(all);
    expect(page.edges.map((e) => e.node)).toEqual((await ledger()).slice(0, 100));
    expect(all.find((m) => m.kind === 'REFUND')).toMatchObject({
      skuId: 'mv-a',
      quantity: 1,
      deltaAvailable: 1,
      deltaSold: -1,
      orderId: 'mv-o1',
      idempotencyKey: 'mv-r1',
    });
    expect(all.find((m) => m.orderId === 'mv-o2')).toMatchObject({
      kind: 'DEDUCT',
      deltaAvailable: -1,
      deltaSold: 1,
      idempotencyKey: 'mv-o2-key',
    });
    expect(all[0]).toMatchObject({ kind: 'ADJUST', skuId: 'mv-a', quantity: 12, deltaAvailable: 12, orderId: null, idempotencyKey: null });
  });

  it('filters by SKU, by order, by kinds, and by all of them at once', async () => {
    const nodes = async (args: Record<string, unknown>) => (await movements({ first: 100, ...args })).edges.map((e) => e.node);

    expect(await nodes({ skuId: 'mv-a' })).toEqual(await ledger(`sku_id = 'mv-a'`));
    expect((await nodes({ skuId: 'mv-a' })).map((n) => n.kind)).toEqual(['ADJUST', 'REFUND', 'DEDUCT', 'DEDUCT', 'ADJUST']);
    expect(await nodes({ orderId: 'mv-o1' })).toEqual(await ledger(`order_id = 'mv-o1'`));
    expect((await nodes({ orderId: 'mv-o1' })).map((n) => [n.kind, n.skuId])).toEqual([
      ['REFUND', 'mv-a'],
      ['DEDUCT', 'mv-b'],
      ['DEDUCT', 'mv-a'],
    ]);
    expect((await nodes({ kinds: ['REFUND', 'RESTOCK'] })).filter((n) => n.skuId.startsWith('mv-')).map((n) => [n.kind, n.skuId])).toEqual([
      ['RESTOCK', 'mv-b'],
      ['REFUND', 'mv-a'],
    ]);
    expect((await nodes({ skuId: 'mv-a', kinds: ['ADJUST'] })).map((n) => n.deltaAvailable)).toEqual([12, 50]);
    expect((await nodes({ skuId: 'mv-b', orderId: 'mv-o1', kinds: ['DEDUCT'] })).map((n) => n.quantity)).toEqual([3]);
    expect(await nodes({ skuId: 'mv-b', orderId: 'mv-o2' })).toEqual([]);
    const none = await movements({ skuId: 'mv-nope', first: 10 });
    expect(none).toMatchObject({ edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false } });
  });

  it('pages forward with first/after to the end, with no duplicates or gaps', async () => {
    await api.upserted([{ id: 'pg', available: 1_000 }]);
    const answers = await Promise.all(
      Array.from({ length: 56 }, (_, i) => api.deducted(`pg-${i}`, [{ skuId: 'pg', quantity: 1 + (i % 3) }])),
    );
    expect(answers).toHaveLength(56);
    const all = await ledger(`sku_id = 'pg'`);
    expect(all).toHaveLength(57);

    for (const size of [1, 10, 19, 57, 100]) {
      const { nodes, pages } = await walkForward({ skuId: 'pg' }, size);
      expect(nodes, `pages of ${size}`).toEqual(all);
      expect(pages).toBe(Math.ceil(57 / size));
    }
    const deducts = await walkForward({ skuId: 'pg', kinds: ['DEDUCT'] }, 13);
    expect(deducts.nodes).toEqual(all.filter((m) => m.kind === 'DEDUCT'));
    expect(deducts.nodes).toHaveLength(56);
    expect(new Set(deducts.nodes.map((n) => n.orderId)).size).toBe(56);
  });

  it('keeps its place while new movements arrive: they only appear ahead of the first page', async () => {
    await api.upserted([{ id: 'pl', available: 1_000 }]);
    for (let i = 0; i < 15; i++) await api.deducted(`pl-${i}`, [{ skuId: 'pl', quantity: 1 }]);
    const before = await ledger(`sku_id = 'pl'`);
    const first = await movements({ skuId: 'pl', first: 6 });
    await Promise.all(Array.from({ length: 5 }, (_, i) => api.deducted(`pl-new-${i}`, [{ skuId: 'pl', quantity: 1 }])));
    const rest = await walkForward({ skuId: 'pl' }, 6, first.pageInfo.endCursor!);
    expect([...first.edges.map((e) => e.node), ...rest.nodes]).toEqual(before);
    const fresh = await movements({ skuId: 'pl', first: 5 });
    expect(fresh.edges.map((e) => e.node.orderId).sort()).toEqual(['pl-new-0', 'pl-new-1', 'pl-new-2', 'pl-new-3', 'pl-new-4']);
  });

  it('pages backward with last/before from the oldest end to the newest', async () => {
    const all = await ledger(`sku_id = 'pg'`);
    for (const size of [7, 57]) {
      const { nodes } = await walkBackward({ skuId: 'pg' }, size);
      expect(nodes, `pages of ${size}`).toEqual(all);
    }
    const oldest = await movements({ skuId: 'pg', last: 3 });
    expect(oldest.edges.map((e) => e.node)).toEqual(all.slice(-3));
  });

  it('serves 20 by default and at most 100 a page', async () => {
    await api.upserted([{ id: 'big', available: 100_000 }]);
    await Promise.all(Array.from({ length: 120 }, (_, i) => api.deducted(`big-${i}`, [{ skuId: 'big', quantity: 1 }])));
    const all = await ledger(`sku_id = 'big'`);
    expect(all).toHaveLength(121);

    const byDefault = await movements({ skuId: 'big' });
    expect(byDefault.edges.map((e) => e.node)).toEqual(all.slice(0, 20));
    expect(byDefault.pageInfo.hasNextPage).toBe(true);
    const capped = await movements({ skuId: 'big', first: 500 });
    expect(capped.edges.map((e) => e.node)).toEqual(all.slice(0, 100));
    expect(capped.pageInfo.hasNextPage).toBe(true);
    const tail = await movements({ skuId: 'big', first: 500, after: capped.pageInfo.endCursor });
    expect(tail.edges.map((e) => e.node)).toEqual(all.slice(100));
    expect(tail.pageInfo.hasNextPage).toBe(false);
    expect((await movements({ skuId: 'big', first: 0 })).edges).toEqual([]);
  });

  describe('bad arguments are GraphQL errors with a code', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['a word as cursor', { after: 'abc' }, 'INVALID_CURSOR'],
      ['an empty cursor', { after: '' }, 'INVALID_CURSOR'],
      ['a negative cursor', { after: '-5' }, 'INVALID_CURSOR'],
      ['an opaque base64 cursor', { after: 'TW92ZW1lbnQ6MQ==' }, 'INVALID_CURSOR'],
      ['a 20-digit cursor', { after: '12345678901234567890' }, 'INVALID_CURSOR'],
      ['a movement id as cursor', { after: '9999999999999999999' }, 'INVALID_CURSOR'],
      ['a place past the largest transaction id', { after: place('9223372036854775808', '1') }, 'INVALID_CURSOR'],
      ['a place past the largest movement id', { after: place('1', '9223372036854775808') }, 'INVALID_CURSOR'],
      ['a place with a sign', { after: place('-1', '1') }, 'INVALID_CURSOR'],
      ['a place of one number', { after: place('1', '') }, 'INVALID_CURSOR'],
      ['a cursor longer than any place', { after: 'A'.repeat(53) }, 'INVALID_CURSOR'],
      ['a bad before cursor', { before: 'x1', last: 3 }, 'INVALID_CURSOR'],
      ['an over-long SKU id', { skuId: 'x'.repeat(65) }, 'INVALID_ID'],
      ['an over-long order id', { orderId: 'x'.repeat(65) }, 'INVALID_ID'],
      ['an unknown kind', { kinds: ['STEAL'] }, 'BAD_USER_INPUT'],
      ['a negative page size', { first: -1 }, 'BAD_USER_INPUT'],
      ['a negative last', { last: -1 }, 'BAD_USER_INPUT'],
    ];
    it.each(cases)('%s', async (_, args, code) => {
      const res = await api.movements(args);
      expect(res.data?.movements ?? null).toBeNull();
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(res.errors)).toBe(code);
    });

    it('the first and the largest places work: nothing is older than the first, everything than the largest', async () => {
      const page = await movements({ after: place('0', '0'), first: 5 });
      expect(page.edges).toEqual([]);
      const top = await movements({ after: place('9223372036854775807', '9223372036854775807'), first: 1 });
      expect(top.edges.map((e) => e.node)).toEqual((await ledger()).slice(0, 1));
    });
  });
});
