/**
 * Stock in many locations (src/stock/locations.ts) on the real services: allocation in priority order,
 * split over locations when no one holds enough, pinned lines, reservations and refunds back where the
 * units came from, transfers racing deducts, deactivation, and the typed refusals. Every SKU's units are
 * checked against the ledger per location: the merged rows plus the unmerged movements there.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { checked, errorCode, outcome, type Line, type Result } from './support/client.ts';
import { gateAgrees } from './support/gate-check.ts';
import { sql } from './support/ledger.ts';
import { DEDUCT_ALLOCATED, RESERVE_ALLOCATED, SET_STOCK, SKU_LEVELS, TRANSFER_STOCK, UPSERT_LOCATIONS } from './support/ops.ts';
import { overSse, overWs, wsClient } from './support/live.ts';
import { countingQueries } from './support/queries.ts';
import { useStack } from './support/stack.ts';

const stack = useStack();
const { api } = stack;

type Pinned = Line & { locationId?: string };
type Levels = Record<string, { available: number | null; reserved: number; sold: number; active: boolean }>;

const deduct = (orderId: string, lines: Pinned[]): Promise<Result> => api.gql(DEDUCT_ALLOCATED, { input: { orderId, lines } });

async function upsertLocations(locations: { id: string; name?: string; priority: number; active?: boolean }[]): Promise<void> {
  checked(
    await api.gql(UPSERT_LOCATIONS, { input: { locations: locations.map((l) => ({ name: l.id, ...l })) } }),
    'UpsertLocationsSuccess',
  );
}

/** A SKU holding `units` per location (each set with setStock's locationId). */
async function stocked(skuId: string, units: Record<string, number>): Promise<void> {
  await api.upserted([{ id: skuId }]);
  for (const [locationId, available] of Object.entries(units))
    checked(await api.gql(SET_STOCK, { input: { skuId, available, locationId } }), 'SetStockSuccess');
}

async function levels(skuId: string): Promise<{ available: number | null; reserved: number; sold: number; at: Levels }> {
  const sku = checked(await api.gql(SKU_LEVELS, { id: skuId }));
  const at: Levels = {};
  for (const l of sku.levels) at[l.location.id] = { available: l.available, reserved: l.reserved, sold: l.sold, active: l.location.active };
  return { available: sku.available, reserved: sku.reserved, sold: sku.sold, at };
}

/** What the ledger says per location: every movement's deltas summed (an auditor's read, bypassing the service). */
async function ledgerAt(skuId: string): Promise<Record<string, { available: number; reserved: number; sold: number }>> {
  const rows = await sql(
    stack.ns.databaseUrl,
    `SELECT location_id, sum(delta_available) AS a, sum(delta_reserved) AS r, sum(delta_sold) AS s FROM movement WHERE sku_id = $1 GROUP BY location_id`,
    [skuId],
  );
  return Object.fromEntries(rows.map((r) => [r.location_id, { available: Number(r.a), reserved: Number(r.r), sold: Number(r.s) }]));
}

/** Sums allocations of successful answers per location. */
function allocatedPerLocation(answers: Result[]): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const a of answers.filter((r) => outcome(r) === 'DeductStockSuccess'))
    for (const line of a.data.deductStock.lines)
      for (const { locationId, quantity } of line.allocations) sums[locationId] = (sums[locationId] ?? 0) + quantity;
  return sums;
}

describe('stock in many locations', () => {
  it('keeps a deployment without other locations as it was: every movement in default, one location listed', async () => {
    await api.upserted([{ id: 'alone', available: 4 }]);
    const sold = checked(await deduct('alone-1', [{ skuId: 'alone', quantity: 3 }]), 'DeductStockSuccess');
    expect(sold.lines).toEqual([{ skuId: 'alone', quantity: 3, allocations: [{ locationId: 'default', quantity: 3 }] }]);
    expect(await levels('alone')).toEqual({
      available: 1,
      reserved: 0,
      sold: 3,
      at: { default: { available: 1, reserved: 0, sold: 3, active: true } },
    });
    expect(await ledgerAt('alone')).toEqual({ default: { available: 1, reserved: 0, sold: 3 } });
  });

  it('sells exactly the 10 units of three locations (2, 3, 5) to 100 concurrent buyers, each location to 0', async () => {
    await upsertLocations([
      { id: 'north', priority: 1 },
      { id: 'east', priority: 2 },
    ]);
    await stocked('crowd', { default: 2, north: 3, east: 5 });
    expect((await levels('crowd')).available).toBe(10);
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => deduct(`crowd-${i}`, [{ skuId: 'crowd', quantity: 1 }])));
    expect(answers.filter((a) => outcome(a) === 'DeductStockSuccess')).toHaveLength(10);
    expect(answers.filter((a) => outcome(a) === 'InsufficientStock')).toHaveLength(90);
    expect(allocatedPerLocation(answers)).toEqual({ default: 2, north: 3, east: 5 });
    const after = await levels('crowd');
    expect(after).toMatchObject({ available: 0, sold: 10 });
    expect(after.at).toMatchObject({
      default: { available: 0, sold: 2 },
      north: { available: 0, sold: 3 },
      east: { available: 0, sold: 5 },
    });
    expect(await ledgerAt('crowd')).toEqual({
      default: { available: 0, reserved: 0, sold: 2 },
      north: { available: 0, reserved: 0, sold: 3 },
      east: { available: 0, reserved: 0, sold: 5 },
    });
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'crowd')).toMatchObject({ available: 0, sold: 10 });
    expect(checked(await api.stockAudit(['crowd']))).toMatchObject([{ skuId: 'crowd', conserved: true, gateAgrees: true }]);
  });

  it('sends live levels per location to a subscriber that names locations, over graphql-ws and SSE', async () => {
    await stocked('watched', { default: 1, north: 4 });
    const query = `subscription($skuIds: [ID!]!, $locationIds: [ID!]) {
      stockLevels(skuIds: $skuIds, locationIds: $locationIds) { skuId available levels { location { id } available sold } }
    }`;
    const client = wsClient(stack.svc.url);
    const feeds = [
      overWs(client, query, { skuIds: ['watched'], locationIds: ['north'] }, 'stockLevels'),
      overSse(stack.svc.url, query, { skuIds: ['watched'], locationIds: ['north'] }, 'stockLevels'),
    ];
    try {
      for (const feed of feeds) await feed.until((levels) => levels.length > 0, 'the first reading');
      checked(await deduct('watched-1', [{ skuId: 'watched', quantity: 3, locationId: 'north' }]), 'DeductStockSuccess');
      for (const feed of feeds) {
        const levels = await feed.until((all) => all.some((l: any) => l.available === 2), 'the reading after the sale');
        expect(levels.find((l: any) => l.available === 2)).toEqual({
          skuId: 'watched',
          available: 2,
          levels: [{ location: { id: 'north' }, available: 1, sold: 3 }],
        });
      }
    } finally {
      for (const feed of feeds) await feed.close();
      await client.dispose();
    }
    const unknown = overSse(stack.svc.url, query, { skuIds: ['watched'], locationIds: ['nowhere'] }, 'stockLevels');
    for (let waited = 0; unknown.errors.length === 0 && waited < 5_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    await unknown.close();
    expect(JSON.stringify(unknown.errors)).toContain('UNKNOWN_LOCATION');
  });

  it('splits a 7-unit line 2 + 3 + 2 in priority order, and a refund returns the units where they came from', async () => {
    await stocked('split', { default: 2, north: 3, east: 5 });
    const sold = checked(await deduct('split-1', [{ skuId: 'split', quantity: 7 }]), 'DeductStockSuccess');
    expect(sold.lines[0].allocations).toEqual([
      { locationId: 'default', quantity: 2 },
      { locationId: 'north', quantity: 3 },
      { locationId: 'east', quantity: 2 },
    ]);
    expect((await levels('split')).at).toMatchObject({ default: { available: 0 }, north: { available: 0 }, east: { available: 3 } });
    // A refund of 4 returns to the locations in the order they served: default's 2, then 2 of north's 3.
    checked(await api.refund('split-1', 'split-refund-1', [{ skuId: 'split', quantity: 4 }]), 'RefundStockSuccess');
    expect((await levels('split')).at).toMatchObject({
      default: { available: 2, sold: 0 },
      north: { available: 2, sold: 1 },
      east: { available: 3, sold: 2 },
    });
    // The rest of it: north's last, then east's.
    checked(await api.refund('split-1', 'split-refund-2', [{ skuId: 'split', quantity: 3 }]), 'RefundStockSuccess');
    expect((await levels('split')).at).toMatchObject({
      default: { available: 2, sold: 0 },
      north: { available: 3, sold: 0 },
      east: { available: 5, sold: 0 },
    });
    expect(await ledgerAt('split')).toMatchObject({ default: { available: 2 }, north: { available: 3 }, east: { available: 5 } });
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'split')).toMatchObject({ available: 10, sold: 0 });
  });

  it('serves a pinned line from its location only, and refuses it what that location lacks', async () => {
    await stocked('pinned', { default: 2, north: 3, east: 5 });
    const sold = checked(await deduct('pinned-1', [{ skuId: 'pinned', quantity: 4, locationId: 'east' }]), 'DeductStockSuccess');
    expect(sold.lines[0].allocations).toEqual([{ locationId: 'east', quantity: 4 }]);
    const refused = await deduct('pinned-2', [{ skuId: 'pinned', quantity: 2, locationId: 'east' }]);
    expect(refused.data?.deductStock).toMatchObject({
      __typename: 'InsufficientStock',
      lines: [{ skuId: 'pinned', requested: 2, obtainable: 1 }],
    });
    expect((await levels('pinned')).at).toMatchObject({
      default: { available: 2, sold: 0 },
      north: { available: 3, sold: 0 },
      east: { available: 1, sold: 4 },
    });
    expect(await ledgerAt('pinned')).toEqual({
      default: { available: 2, reserved: 0, sold: 0 },
      north: { available: 3, reserved: 0, sold: 0 },
      east: { available: 1, reserved: 0, sold: 4 },
    });
  });

  it('holds reservations per location, and a release or a confirm settles each where it is held', async () => {
    await stocked('held', { default: 1, north: 2, east: 2 });
    const reserved = checked(
      await api.gql(RESERVE_ALLOCATED, { input: { orderId: 'held-1', lines: [{ skuId: 'held', quantity: 4 }], ttlSeconds: 600 } }),
      'ReserveStockSuccess',
    );
    expect(reserved.lines[0].allocations).toEqual([
      { locationId: 'default', quantity: 1 },
      { locationId: 'north', quantity: 2 },
      { locationId: 'east', quantity: 1 },
    ]);
    checked(await api.release('held-1', [{ skuId: 'held', quantity: 2 }], 'held-release'), 'ReleaseReservationSuccess');
    checked(await api.confirm('held-1', undefined, 'held-confirm'), 'ConfirmReservationSuccess');
    expect((await levels('held')).at).toEqual({
      default: { available: 1, reserved: 0, sold: 0, active: true },
      north: { available: 1, reserved: 0, sold: 1, active: true },
      east: { available: 1, reserved: 0, sold: 1, active: true },
    });
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'held')).toMatchObject({ available: 3, reserved: 0, sold: 2 });
  });

  it('conserves every unit when transfers race deducts, never below zero in a location', async () => {
    await stocked('moving', { default: 30, north: 30 });
    const transfers = Array.from({ length: 20 }, (_, i) =>
      api.gql(TRANSFER_STOCK, {
        input: {
          skuId: 'moving',
          fromLocationId: i % 2 === 0 ? 'default' : 'north',
          toLocationId: i % 2 === 0 ? 'north' : 'default',
          quantity: 3,
          idempotencyKey: `moving-transfer-${i}`,
        },
      }),
    );
    const deducts = Array.from({ length: 80 }, (_, i) => api.retrying({ attempts: 5, pause: () => 20 }).deductOne(`moving-${i}`, 'moving'));
    const [moved, sold] = await Promise.all([Promise.all(transfers), Promise.all(deducts)]);
    for (const t of moved) expect(['TransferStockSuccess', 'InsufficientStock']).toContain(outcome(t));
    const soldUnits = sold.filter((d) => outcome(d) === 'DeductStockSuccess').length;
    expect(sold.every((d) => ['DeductStockSuccess', 'InsufficientStock'].includes(outcome(d)))).toBe(true);
    expect(soldUnits).toBe(60);
    const after = await levels('moving');
    expect(after).toMatchObject({ available: 0, sold: 60 });
    const ledger = await ledgerAt('moving');
    expect(ledger.default!.available + ledger.north!.available).toBe(0);
    expect(ledger.default!.sold + ledger.north!.sold).toBe(60);
    for (const at of Object.values(ledger)) expect(at.available).toBeGreaterThanOrEqual(0);
    expect(after.at).toMatchObject({ default: ledger.default, north: ledger.north });
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'moving')).toMatchObject({ available: 0, sold: 60 });
  });

  it('stockAudit compares the gate with the truth per location, and reconcileStock sets a misplaced share right', async () => {
    await upsertLocations([
      { id: 'north', priority: 1 },
      { id: 'east', priority: 2 },
    ]);
    await stocked('placed', { default: 2, north: 3, east: 5 });
    checked(await deduct('placed-1', [{ skuId: 'placed', quantity: 1 }]), 'DeductStockSuccess');
    const audit = async () => checked(await api.stockAudit(['placed']))[0];
    expect(await audit()).toMatchObject({ conserved: true, gateAgrees: true, drift: 0 });

    // Two units of share moved from north to east in Redis: the sum agrees, the locations do not.
    const counter = stack.svc.app.services.gate.keys.counter('placed');
    const redis = new Redis(stack.ns.redisUrl);
    try {
      await redis.multi().hincrby(counter, 'l:north', -2).hincrby(counter, 'l:east', 2).exec();
    } finally {
      redis.disconnect();
    }
    expect(await audit()).toMatchObject({ conserved: true, gateAgrees: false, drift: 0 });
    const reconciled = checked(await api.reconcileStock(['placed']), 'ReconcileStockSuccess');
    expect(reconciled.audits[0]).toMatchObject({ conserved: true, gateAgrees: true, drift: 0 });
    expect((await levels('placed')).at).toMatchObject({ default: { available: 1 }, north: { available: 3 }, east: { available: 5 } });
  });

  it('replays a transfer by its key, and refuses more than the source holds', async () => {
    await stocked('twice', { default: 5 });
    const input = { skuId: 'twice', fromLocationId: 'default', toLocationId: 'east', quantity: 4, idempotencyKey: 'twice-1' };
    checked(await api.gql(TRANSFER_STOCK, { input }), 'TransferStockSuccess');
    checked(await api.gql(TRANSFER_STOCK, { input }), 'TransferStockSuccess');
    expect((await levels('twice')).at).toMatchObject({ default: { available: 1 }, east: { available: 4 } });
    const over = await api.gql(TRANSFER_STOCK, { input: { ...input, quantity: 2, idempotencyKey: 'twice-2' } });
    expect(over.data?.transferStock).toMatchObject({
      __typename: 'InsufficientStock',
      lines: [{ skuId: 'twice', requested: 2, obtainable: 1 }],
    });
    expect(outcome(await api.gql(TRANSFER_STOCK, { input: { ...input, quantity: 1 } }))).toBe('IdempotencyConflict');
  });

  it('stops allocating from a deactivated location, whose units stay accounted for', async () => {
    await stocked('closing', { default: 1, north: 2, east: 3 });
    await upsertLocations([{ id: 'north', priority: 1, active: false }]);
    try {
      const now = await levels('closing');
      expect(now.available).toBe(4);
      expect(now.at.north).toEqual({ available: 2, reserved: 0, sold: 0, active: false });
      const sold = checked(await deduct('closing-1', [{ skuId: 'closing', quantity: 4 }]), 'DeductStockSuccess');
      expect(sold.lines[0].allocations).toEqual([
        { locationId: 'default', quantity: 1 },
        { locationId: 'east', quantity: 3 },
      ]);
      expect(outcome(await deduct('closing-2', [{ skuId: 'closing', quantity: 1 }]))).toBe('InsufficientStock');
      expect(outcome(await deduct('closing-3', [{ skuId: 'closing', quantity: 1, locationId: 'north' }]))).toBe('InsufficientStock');
      expect((await levels('closing')).at.north).toMatchObject({ available: 2 });
    } finally {
      await upsertLocations([{ id: 'north', priority: 1, active: true }]);
    }
    expect((await levels('closing')).available).toBe(2);
    checked(await deduct('closing-4', [{ skuId: 'closing', quantity: 2 }]), 'DeductStockSuccess');
  });

  it('never takes a SKU below its floor with a pinned line, even while the location holds units', async () => {
    await api.upserted([{ id: 'owed', backorderLimit: 3 }]);
    // The first location owes the backorders: default at -3, the SKU at its floor.
    checked(await deduct('owed-1', [{ skuId: 'owed', quantity: 3 }]), 'DeductStockSuccess');
    await api.upserted([{ id: 'owed', backorderLimit: 0 }]);
    checked(await api.gql(SET_STOCK, { input: { skuId: 'owed', available: 3, locationId: 'north' } }), 'SetStockSuccess');
    expect((await levels('owed')).available).toBe(0);
    const pinned = await deduct('owed-2', [{ skuId: 'owed', quantity: 3, locationId: 'north' }]);
    expect(pinned.data?.deductStock).toMatchObject({
      __typename: 'InsufficientStock',
      lines: [{ skuId: 'owed', requested: 3, obtainable: 0 }],
    });
    expect(outcome(await deduct('owed-3', [{ skuId: 'owed', quantity: 1 }]))).toBe('InsufficientStock');
    expect((await levels('owed')).at).toMatchObject({ default: { available: -3 }, north: { available: 3 } });
    expect(checked(await api.stockAudit(['owed']))).toMatchObject([{ conserved: true, gateAgrees: true }]);
  });

  it('refuses bad location input with typed errors, nothing moved', async () => {
    await stocked('strict', { default: 3 });
    expect(errorCode(await deduct('strict-1', [{ skuId: 'strict', quantity: 1, locationId: 'nowhere' }]))).toBe('UNKNOWN_LOCATION');
    const badId = await deduct('strict-2', [{ skuId: 'strict', quantity: 1, locationId: 'a,b' }]);
    expect(errorCode(badId), JSON.stringify(badId)).toBe('INVALID_LOCATION');
    checked(await deduct('strict-3', [{ skuId: 'strict', quantity: 1 }]), 'DeductStockSuccess');
    const pinnedRefund = await api.gql(`mutation($input: RefundStockInput!) { refundStock(input: $input) { __typename } }`, {
      input: { orderId: 'strict-3', idempotencyKey: 'strict-refund', lines: [{ skuId: 'strict', quantity: 1, locationId: 'east' }] },
    });
    expect(errorCode(pinnedRefund)).toBe('INVALID_LOCATION');
    await api.upserted([{ id: 'strict-buckets', available: 4, buckets: 2 }]);
    // Its buckets hold `default`: a line pinned elsewhere is short at once, whatever they hold together.
    expect((await deduct('strict-4', [{ skuId: 'strict-buckets', quantity: 1, locationId: 'east' }])).data?.deductStock).toMatchObject({
      __typename: 'InsufficientStock',
      lines: [{ skuId: 'strict-buckets', requested: 1, obtainable: 0 }],
    });
    expect(errorCode(await api.gql(SET_STOCK, { input: { skuId: 'strict-buckets', available: 1, locationId: 'east' } }))).toBe(
      'LOCATION_NOT_ALLOWED',
    );
    expect(errorCode(await api.gql(UPSERT_LOCATIONS, { input: { locations: [{ id: 'x', name: 'x', priority: -1 }] } }))).toBe(
      'INVALID_PRIORITY',
    );
    expect(await levels('strict')).toMatchObject({ available: 2, sold: 1 });
    expect(await ledgerAt('strict')).toEqual({ default: { available: 2, reserved: 0, sold: 1 } });
  });
});

describe('Sku.levels of many SKUs', () => {
  // A stack of its own: its 40 SKUs stay out of those the tests above fence at every location change.
  const own = useStack();

  it('reads the levels per location of many SKUs in one query together, not once per SKU', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `many-${i}`);
    await own.api.upserted(ids.map((id, i) => ({ id, available: i })));
    // Counts the app's reads of SKU truths (src/ledger/truth.ts: the row and its unmerged movements)
    // while the query runs. The background workers read no truth this way (their loads and merges read it
    // inside transactions), but make other reads meanwhile.
    const { result: answer, count: truthReads } = await countingQueries(own.svc.app.services.prisma, /FROM sku s\s+LEFT JOIN LATERAL/, () =>
      own.api.gql(`query ($ids: [ID!]!) { skus(ids: $ids) { id levels { location { id } available } } }`, { ids }),
    );
    expect(checked(answer)).toEqual(ids.map((id, i) => ({ id, levels: [{ location: { id: 'default' }, available: i }] })));
    // One truth read for the SKUs' levels and one for their levels per location, each for all 40, not
    // one per SKU: one per SKU drained the pool, and half the answers failed.
    expect(truthReads).toBeLessThanOrEqual(2);
  });
});

describe('stock in many locations through PostgreSQL alone (the database-only path)', () => {
  const alone = useStack({ env: { STOCKGATE_MODE: 'db-only' } });

  it('allocates as the gate does: split in priority order, pinned lines from their location only', async () => {
    checked(
      await alone.api.gql(UPSERT_LOCATIONS, {
        input: {
          locations: [
            { id: 'north', name: 'north', priority: 1 },
            { id: 'east', name: 'east', priority: 2 },
          ],
        },
      }),
      'UpsertLocationsSuccess',
    );
    await alone.api.upserted([{ id: 'db-split' }]);
    for (const [locationId, available] of Object.entries({ default: 2, north: 3, east: 5 }))
      checked(await alone.api.gql(SET_STOCK, { input: { skuId: 'db-split', available, locationId } }), 'SetStockSuccess');
    const sold = checked(
      await alone.api.gql(DEDUCT_ALLOCATED, { input: { orderId: 'db-split-1', lines: [{ skuId: 'db-split', quantity: 7 }] } }),
      'DeductStockSuccess',
    );
    expect(sold.lines[0].allocations).toEqual([
      { locationId: 'default', quantity: 2 },
      { locationId: 'north', quantity: 3 },
      { locationId: 'east', quantity: 2 },
    ]);
    const pinned = await alone.api.gql(DEDUCT_ALLOCATED, {
      input: { orderId: 'db-split-2', lines: [{ skuId: 'db-split', quantity: 3, locationId: 'north' }] },
    });
    expect(pinned.data?.deductStock).toMatchObject({ __typename: 'InsufficientStock', lines: [{ obtainable: 0 }] });
    const rows = await sql(
      alone.ns.databaseUrl,
      `SELECT location_id, sum(delta_available) AS a, sum(delta_sold) AS s FROM movement WHERE sku_id = 'db-split' GROUP BY location_id ORDER BY location_id`,
    );
    expect(rows.map((r) => [r.location_id, Number(r.a), Number(r.s)])).toEqual([
      ['default', 0, 2],
      ['east', 3, 2],
      ['north', 0, 3],
    ]);
    expect(checked(await alone.api.stockAudit(['db-split']))).toMatchObject([{ skuId: 'db-split', conserved: true }]);
  });
});
