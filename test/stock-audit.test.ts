/**
 * Stock that proves its own numbers (issue 17): stockAudit catches a gate counter changed in Redis, the
 * merge worker raises a SKU sold below its floor (log, metric, OVERSOLD alert) but not backorders owed
 * under a lowered limit, and reconcileStock rebuilds the counter from the truth, after which nothing
 * more is oversold through it.
 */
import type { Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadCounters } from '../src/sync/load.ts';
import { checked, errorCode, outcome } from './support/client.ts';
import { overWs, wsClient, type Feed } from './support/live.ts';
import { STOCK_ALERTS } from './support/ops.ts';
import { useStack } from './support/stack.ts';
import { eventually } from './support/wait.ts';

const stack = useStack();
let redis: Redis;
const clients: Client[] = [];
const feeds: Feed[] = [];
beforeAll(() => {
  redis = new Redis(stack.ns.redisUrl);
});
afterEach(async () => {
  await Promise.all(feeds.splice(0).map(async (f) => f.close()));
  await Promise.all(clients.splice(0).map(async (c) => c.dispose()));
});
afterAll(() => redis?.disconnect());

let runs = 0;
/** A SKU of `available` units whose gate counter Redis holds, raised there by `lie` units. */
async function liedAbout(available: number, lie: number): Promise<string> {
  const skuId = `audit-${++runs}`;
  await stack.api.upserted([{ id: skuId, available }]);
  const { gate, prisma } = stack.svc.app.services;
  expect(await loadCounters(gate, prisma, [skuId])).toEqual([]);
  expect(await redis.hincrby(gate.keys.counter(skuId), 'a', lie)).toBe(available + lie);
  return skuId;
}

let stampedes = 0;
/** `buyers` concurrent one-unit deducts of new orders; returns how many succeeded, the others being refused short. */
async function stampede(skuId: string, buyers: number): Promise<number> {
  const round = ++stampedes;
  const answers = await Promise.all(Array.from({ length: buyers }, (_, i) => stack.api.deductOne(`${skuId}-${round}-${i}`, skuId)));
  const outcomes = answers.map(outcome);
  expect(outcomes.filter((o) => o !== 'DeductStockSuccess' && o !== 'InsufficientStock')).toEqual([]);
  return outcomes.filter((o) => o === 'DeductStockSuccess').length;
}

/** Every SKU's stock alerts over graphql-ws, once the subscription is under way. */
async function watchAlerts(): Promise<Feed> {
  const { live } = stack.svc.app;
  // An earlier test's subscription ends after the test (afterEach): then Redis counts only this one below.
  await eventually('earlier subscriptions to end', () => live.subscriptions === 0, { every: 20 });
  const client = wsClient(stack.svc.url);
  clients.push(client);
  const alerts = overWs(client, STOCK_ALERTS, { skuIds: null }, 'stockAlerts');
  feeds.push(alerts);
  // Under way once this instance serves it and Redis counts the instance as a subscriber of the alerts channel.
  await eventually(
    'the alert subscription to listen',
    async () => live.subscriptions === 1 && Number((await redis.pubsub('NUMSUB', live.channels.alerts))[1]) === 1,
    { every: 20 },
  );
  return alerts;
}

async function audit(skuId: string) {
  const res = await stack.api.stockAudit([skuId]);
  expect(res.errors).toBeUndefined();
  return res.data.stockAudit[0];
}

describe('stockAudit and reconcileStock', () => {
  it('report a counter raised in Redis, and after reconcileStock it agrees and no unit is oversold through it', async () => {
    const skuId = await liedAbout(37, 5);
    const lied = await audit(skuId);
    expect(lied).toMatchObject({ skuId, conserved: true, gateAgrees: false, drift: 5 });
    expect(lied.lastReconciledAt).not.toBeNull();

    const reconciled = checked(await stack.api.reconcileStock([skuId]), 'ReconcileStockSuccess');
    expect(reconciled.audits).toEqual([expect.objectContaining({ skuId, conserved: true, gateAgrees: true, drift: 0 })]);
    expect(Date.parse(reconciled.audits[0].lastReconciledAt)).toBeGreaterThan(Date.parse(lied.lastReconciledAt));

    expect(await stampede(skuId, 60)).toBe(37);
    await eventually('every movement merged', async () => (await audit(skuId)).unmergedMovements === 0);
    expect(await audit(skuId)).toMatchObject({ conserved: true, gateAgrees: true, drift: 0 });
    expect(checked(await stack.api.sku(skuId))).toMatchObject({ available: 0, sold: 37 });
  });

  it('the merge worker raises a SKU oversold through a lying counter (log, metric, OVERSOLD alert), and the audit fails it', async () => {
    const alerts = await watchAlerts();
    const skuId = await liedAbout(37, 5);

    expect(await stampede(skuId, 60)).toBe(42);
    // A merge between two group-commit batches may alert first with part of the sales: every OVERSOLD
    // alert tells a level of the truth below the floor, and one tells all 42 sales.
    const oversold = (values: any[]) => values.filter((a) => a.kind === 'OVERSOLD');
    await alerts.until(
      (values) => oversold(values).some((a) => a.level.available === -5 && a.level.sold === 42),
      'an OVERSOLD alert of all 42 sales',
    );
    for (const a of oversold(alerts.values)) {
      expect(a.skuId).toBe(skuId);
      expect(a.level).toMatchObject({ skuId, reserved: 0 });
      expect(a.level.available, JSON.stringify(a)).toBeLessThan(0);
      expect(a.level.available + a.level.sold, JSON.stringify(a)).toBe(37);
    }
    expect(await stack.svc.app.metrics.exposition()).toMatch(/^stockgate_stock_below_floor_total [1-9]/m);
    // The counter sold down to 0 from its lie; the truth is 5 below.
    expect(await audit(skuId)).toMatchObject({ conserved: false, gateAgrees: false, drift: 5 });

    // Rebuilt from the truth (-5), the counter sells nothing more until restocked past the hole.
    const after = checked(await stack.api.reconcileStock([skuId]), 'ReconcileStockSuccess');
    expect(after.audits[0]).toMatchObject({ conserved: false, gateAgrees: true, drift: 0 });
    expect(await stampede(skuId, 10)).toBe(0);
    checked(await stack.api.restock(skuId, 7, `${skuId}-restock`), 'RestockSuccess');
    expect(await stampede(skuId, 10)).toBe(2);
  });

  it('a backorder limit lowered below the backorders sold keeps them within bounds (no OVERSOLD, conserved), and still catches a sale past them', async () => {
    const alerts = await watchAlerts();
    const skuId = `audit-${++runs}`;
    await stack.api.upserted([{ id: skuId, available: 3, backorderLimit: 10 }]);
    expect(await stampede(skuId, 8)).toBe(8);

    // A preorder campaign ends: 5 backorders stay owed, and nothing more is sold until they are filled.
    await stack.api.upserted([{ id: skuId, backorderLimit: 2 }]);
    expect(await stampede(skuId, 3)).toBe(0);
    checked(await stack.api.restock(skuId, 1, `${skuId}-restock`), 'RestockSuccess');
    await eventually('every movement merged', async () => (await audit(skuId)).unmergedMovements === 0);
    expect(await audit(skuId)).toMatchObject({ conserved: true, gateAgrees: true, drift: 0 });
    expect(checked(await stack.api.sku(skuId))).toMatchObject({ available: -4, sold: 8, backorderLimit: 2 });

    // 4 backorders are owed now: a counter raised by 3 sells 1 unit past them, and that is caught.
    const { gate } = stack.svc.app.services;
    await redis.hincrby(gate.keys.counter(skuId), 'a', 3);
    expect(await stampede(skuId, 3)).toBe(1);
    await alerts.until((values) => values.some((a) => a.kind === 'OVERSOLD' && a.skuId === skuId), 'an OVERSOLD alert');
    // The first OVERSOLD of the SKU is the sale past the owed backorders, none before it.
    expect(alerts.values.find((a) => a.kind === 'OVERSOLD' && a.skuId === skuId)!.level).toMatchObject({ available: -5, sold: 9 });
    expect(await audit(skuId)).toMatchObject({ conserved: false });
  });

  it('answer unknown SKUs UnknownSku (nothing rebuilt), bad ids INVALID_ID, and too many TOO_MANY_SKUS', async () => {
    const known = `audit-${++runs}`;
    await stack.api.upserted([{ id: known, available: 1 }]);
    const unknown = checked(await stack.api.reconcileStock([known, 'audit-nobody']), 'UnknownSku');
    expect(unknown).toMatchObject({ code: 'UNKNOWN_SKU', skuIds: ['audit-nobody'] });
    expect((await audit(known)).lastReconciledAt).toBeNull();

    expect(errorCode(await stack.api.reconcileStock(['bad id']))).toBe('INVALID_ID');
    expect(errorCode(await stack.api.reconcileStock([]))).toBe('EMPTY_SKU_LIST');
    const many = Array.from({ length: 101 }, (_, i) => `audit-many-${i}`);
    expect(errorCode(await stack.api.reconcileStock(many))).toBe('TOO_MANY_SKUS');
    expect(errorCode(await stack.api.stockAudit(['audit-nobody']))).toBe('UNKNOWN_SKU');
    expect(errorCode(await stack.api.stockAudit(['bad id']))).toBe('INVALID_ID');
  });
});
