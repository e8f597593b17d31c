/**
 * Redis Cluster (issue 16): two instances on a real 3-master, 3-replica cluster of the test's own
 * (REDIS_CLUSTER_NODES), the gate in its default 16 shards (src/gate/keys.ts), each under its own hash
 * tag, so each script call's keys share a slot and the shards spread over the masters: exact counts
 * under concurrency, carts over SKUs on three masters all or nothing, reservations and refunds
 * conserved, live levels across instances (pub/sub over the cluster), and the master serving a hot
 * SKU's shard killed with -9 under load: its replica promoted and adopted, every unit sold once.
 */
import calculateSlot from 'cluster-key-slot';
import { Redis, type Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShardKeys } from '../src/gate/keys.ts';
import { checked, outcome, type Result } from './support/client.ts';
import { gateAgrees } from './support/gate-check.ts';
import { audit } from './support/ledger.ts';
import { overWs, wsClient } from './support/live.ts';
import { STOCK_LEVELS, UPSERT_BUCKETS } from './support/ops.ts';
import { OwnRedisCluster } from './support/redis-cluster.ts';
import { namespace, serve, type Namespace, type Running } from './support/stack.ts';
import { eventually } from './support/wait.ts';

/** A buyer answered TEMPORARILY_UNAVAILABLE sends the same request again, as README says, this often. */
const RETRY = { attempts: 100, pause: () => 100 };

let cluster: OwnRedisCluster;
let ns: Namespace;
let a: Running;
let b: Running;
const sockets: ReturnType<typeof wsClient>[] = [];

beforeAll(async () => {
  cluster = await OwnRedisCluster.start();
  ns = await namespace(`redis://127.0.0.1:${cluster.servers[0]!.port}`);
  a = await serve(ns, { REDIS_CLUSTER_NODES: cluster.nodes });
  b = await serve(ns, { REDIS_CLUSTER_NODES: cluster.nodes });
  // The slot table, which masterOf() reads, is known once the cluster client is ready.
  await a.app.services.gate.redis.ping();
}, 60_000);

afterAll(async () => {
  await Promise.all(sockets.map(async (s) => s.dispose()));
  await a?.stop();
  await b?.stop();
  await ns?.drop();
  await cluster?.stop();
});

/** The master serving a gate shard now. */
function masterOfShard(shard: ShardKeys): string {
  return (a.app.services.gate.redis as Cluster).slots[calculateSlot(shard.generation)]![0]!;
}

/** The master serving a SKU's gate shard now. */
const masterOf = (skuId: string) => masterOfShard(a.app.services.gate.keys.shardOf(skuId));

/** `count` SKU ids starting with `stem`, each served by another master. */
function idsOnMasters(stem: string, count: number): string[] {
  const byMaster = new Map<string, string>();
  for (let i = 0; byMaster.size < count; i++) {
    expect(i, `no ${count} masters serve the gate`).toBeLessThan(1_000);
    const id = `${stem}-${i}`;
    if (!byMaster.has(masterOf(id))) byMaster.set(masterOf(id), id);
  }
  return [...byMaster.values()];
}

/** Sells one unit of `skuId` to each order, alternating the instances; the answers' kinds. */
async function buy(skuId: string, orders: string[]): Promise<string[]> {
  const answers = await Promise.all(orders.map((o, i) => (i % 2 ? a : b).api.retrying(RETRY).deductOne(o, skuId)));
  return answers.map(outcome);
}

describe('Redis Cluster', () => {
  it('sells exactly 100 of 100 to 1,000 concurrent buyers over two instances', async () => {
    await a.api.upserted([{ id: 'hot', available: 100 }]);
    const kinds = await buy(
      'hot',
      Array.from({ length: 1_000 }, (_, i) => `hot-${i}`),
    );
    expect(kinds.filter((k) => k === 'DeductStockSuccess')).toHaveLength(100);
    expect(kinds.filter((k) => k === 'InsufficientStock')).toHaveLength(900);
    expect(await gateAgrees(a, ns.databaseUrl, 'hot')).toMatchObject({ available: 0, sold: 100 });
    expect(await audit(ns.databaseUrl, 'hot')).toMatchObject({ sold: 100, ledgerSold: 100, deducts: 100 });
  });

  it('keeps 3-line carts over three masters all or nothing: 100 carts over SKUs of 30, 20 and 10 units sell exactly 10', async () => {
    const [x, y, z] = idsOnMasters('cart', 3) as [string, string, string];
    await a.api.upserted([
      { id: x, available: 30 },
      { id: y, available: 20 },
      { id: z, available: 10 },
    ]);
    const lines = [x, y, z].map((skuId) => ({ skuId, quantity: 1 }));
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).api.retrying(RETRY).deduct(`cart-${i}`, lines)),
    );
    expect(answers.map(outcome).filter((k) => k === 'DeductStockSuccess')).toHaveLength(10);
    for (const [id, left] of [
      [x, 20],
      [y, 10],
      [z, 0],
    ] as const) {
      expect(await gateAgrees(b, ns.databaseUrl, id)).toMatchObject({ available: left, sold: 10 });
    }
  });

  it('sells exactly 1,000 units in 8 buckets over the masters to 3,000 concurrent buyers, refusing none while a unit remained', async () => {
    checked(await a.gql(UPSERT_BUCKETS, { input: { skus: [{ id: 'crowd', available: 1_000, buckets: 8 }] } }), 'UpsertSkusSuccess');
    const masters = new Set(Array.from({ length: 8 }, (_, b) => masterOfShard(a.app.services.gate.keys.bucketShard('crowd', b))));
    expect(masters.size).toBe(3);
    const answers = await Promise.all(
      Array.from({ length: 3_000 }, (_, i) => (i % 2 ? a : b).api.retrying(RETRY).deductOne(`crowd-${i}`, 'crowd')),
    );
    const kinds = answers.map(outcome);
    expect(kinds.filter((k) => k === 'DeductStockSuccess')).toHaveLength(1_000);
    expect(kinds.filter((k) => k === 'InsufficientStock')).toHaveLength(2_000);
    for (const answer of answers.filter((r) => outcome(r) === 'InsufficientStock'))
      expect(answer.data?.deductStock).toMatchObject({ lines: [{ skuId: 'crowd', requested: 1, obtainable: 0 }] });
    expect(await gateAgrees(a, ns.databaseUrl, 'crowd')).toMatchObject({ available: 0, sold: 1_000 });
    expect(await audit(ns.databaseUrl, 'crowd')).toMatchObject({ sold: 1_000, ledgerSold: 1_000, deducts: 1_000 });
  });

  it('holds, confirms, releases and refunds with every unit accounted for', async () => {
    await a.api.upserted([{ id: 'held', available: 10 }]);
    const hold = checked(await a.api.reserve('res-1', [{ skuId: 'held', quantity: 5 }], 600), 'ReserveStockSuccess');
    expect(hold.lines[0]).toMatchObject({ availableAfter: 5 });
    expect(outcome(await b.api.confirm('res-1', [{ skuId: 'held', quantity: 3 }]))).toBe('ConfirmReservationSuccess');
    expect(outcome(await a.api.release('res-1'))).toBe('ReleaseReservationSuccess');
    expect(outcome(await b.api.deductOne('sale-1', 'held', 2))).toBe('DeductStockSuccess');
    expect(outcome(await a.api.refund('sale-1', 'refund-1', [{ skuId: 'held', quantity: 1 }]))).toBe('RefundStockSuccess');
    expect(await gateAgrees(a, ns.databaseUrl, 'held')).toMatchObject({ available: 6, reserved: 0, sold: 4 });
  });

  it('brings a live subscriber on one instance to the true level of deducts made through the other, summed over buckets', async () => {
    checked(await a.gql(UPSERT_BUCKETS, { input: { skus: [{ id: 'live', available: 50, buckets: 4 }] } }), 'UpsertSkusSuccess');
    const socket = wsClient(a.url);
    sockets.push(socket);
    const feed = overWs(socket, STOCK_LEVELS, { skuIds: ['live'] }, 'stockLevels');
    await feed.until((v) => v.length >= 1, 'the initial level');
    const kinds = await Promise.all(Array.from({ length: 20 }, (_, i) => b.api.deductOne(`live-${i}`, 'live')));
    expect(kinds.map(outcome)).toEqual(Array(20).fill('DeductStockSuccess'));
    const seen = await feed.until((v) => v.at(-1)?.available === 30, 'the level after 20 deducts through the other instance');
    expect(seen.at(-1)).toMatchObject({ skuId: 'live', available: 30, sold: 20 });
    await feed.close();
  });

  it("the master serving a hot SKU's shard killed with -9 under load: its replica promoted and adopted, every unit sold once", async () => {
    await a.api.upserted([{ id: 'fo', available: 100 }]);
    const { keys } = a.app.services.gate;
    const buying = Array.from({ length: 300 }, async (_, i): Promise<Result> => {
      await new Promise((r) => setTimeout(r, i * 10));
      return (i % 2 ? a : b).api.retrying(RETRY).deductOne(`fo-${i}`, 'fo');
    });
    await new Promise((r) => setTimeout(r, 1_000));
    const master = await cluster.killMasterOf(keys.shardOf('fo').generation);
    const kinds = (await Promise.all(buying)).map(outcome);

    expect(kinds.filter((k) => k !== 'DeductStockSuccess' && k !== 'InsufficientStock')).toEqual([]);
    expect(kinds.filter((k) => k === 'DeductStockSuccess')).toHaveLength(100);
    expect(await audit(ns.databaseUrl, 'fo')).toMatchObject({ available: 0, sold: 100, ledgerSold: 100, deducts: 100 });
    for (const svc of [a, b]) {
      await eventually('the gate to take through the promoted master', async () => {
        try {
          return outcome(await svc.api.deductOne(`probe-${Date.now()}`, 'fo')) === 'InsufficientStock';
        } catch {
          return false;
        }
      });
    }
    expect(await gateAgrees(a, ns.databaseUrl, 'fo')).toMatchObject({ available: 0, sold: 100 });
    expect(await gateAgrees(b, ns.databaseUrl, 'hot')).toMatchObject({ available: 0, sold: 100 });
    // The promoted master was adopted: its own replication id is the one the gate's data is under now.
    const promoted = new Redis({ port: master, host: '127.0.0.1' });
    try {
      const replicationId = /^master_replid:(\w+)/m.exec(await promoted.info('replication'))![1];
      expect(await promoted.get(keys.shardOf('fo').origin)).toBe(replicationId);
    } finally {
      promoted.disconnect();
    }
  });
});
