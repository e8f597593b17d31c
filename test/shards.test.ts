/**
 * A gate over several shards (GATE_SHARDS, src/gate/keys.ts) on one Redis: carts whose lines live in
 * different shards stay all or nothing as clients see them (a part refused gives the earlier parts
 * back), replays and conflicts are answered by the key's home shard, and a cart cut off between its
 * parts is settled by reconciliation in every shard. test/cluster.test.ts runs the same over a real
 * Redis Cluster, where the shards are on different masters.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GateKeys } from '../src/gate/keys.ts';
import { loadCounters } from '../src/sync/load.ts';
import { INFLIGHT_DEADLINE_MS, reconcile } from '../src/sync/reconcile.ts';
import { checked, outcome } from './support/client.ts';
import { gateAgrees } from './support/gate-check.ts';
import { audit } from './support/ledger.ts';
import { useStack } from './support/stack.ts';
import { eventually } from './support/wait.ts';

const SHARDS = 4;
// The app's own reconciliation must leave this file's takes to the tests: once a minute, ten minutes old.
const stack = useStack({ env: { GATE_SHARDS: String(SHARDS), INFLIGHT_DEADLINE_MS: '600000', RECONCILE_INTERVAL_MS: '60000' } });
const { api } = stack;
const LATER = () => Date.now() + 600_000 + INFLIGHT_DEADLINE_MS;

/** `count` SKU ids starting with `stem`, each in a shard of its own. */
function idsInShards(stem: string, count: number): string[] {
  const keys = new GateKeys('any:', SHARDS);
  const byShard = new Map<number, string>();
  for (let i = 0; byShard.size < count; i++) {
    const id = `${stem}-${i}`;
    byShard.set(keys.shardOf(id).index, byShard.get(keys.shardOf(id).index) ?? id);
  }
  return [...byShard.values()];
}

/** An order key whose home shard holds none of `skuIds`: its record is a part of its own. */
function keyAwayFrom(stem: string, skuIds: string[]): string {
  const { gate } = stack.svc.app.services;
  const shards = new Set(skuIds.map((id) => gate.keys.shardOf(id).index));
  for (let i = 0; ; i++) if (!shards.has(gate.trace('DEDUCT', `${stem}-${i}`).shard)) return `${stem}-${i}`;
}

/** The shards in which `gateId` is in flight. */
async function inFlightIn(gateId: string): Promise<number[]> {
  const { gate } = stack.svc.app.services;
  const scores = await Promise.all(gate.keys.shards.map((shard) => gate.redis.zscore(shard.inflight, gateId)));
  return gate.keys.shards.filter((_, i) => scores[i] !== null).map((shard) => shard.index);
}

/** Every in-flight entry of every shard. */
async function allInFlight(): Promise<number> {
  const { gate } = stack.svc.app.services;
  const counts = await Promise.all(gate.keys.shards.map((shard) => gate.redis.zcard(shard.inflight)));
  return counts.reduce((a, b) => a + b, 0);
}

describe('a gate over several shards', () => {
  it('keeps 3-line carts over three shards all or nothing: 100 concurrent carts over 30, 20 and 10 units sell exactly 10', async () => {
    const ids = idsInShards('cart', 3);
    await api.upserted(ids.map((id, i) => ({ id, available: [30, 20, 10][i] })));
    const lines = ids.map((skuId) => ({ skuId, quantity: 1 }));
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => api.deduct(`cart-${i}`, lines)));
    const kinds = answers.map(outcome);
    expect(kinds.filter((k) => k === 'DeductStockSuccess')).toHaveLength(10);
    expect(kinds.filter((k) => k === 'InsufficientStock')).toHaveLength(90);
    for (const [i, id] of ids.entries()) {
      expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, id)).toMatchObject({ available: [20, 10, 0][i], sold: 10 });
      expect(await audit(stack.ns.databaseUrl, id)).toMatchObject({ sold: 10, ledgerSold: 10, deducts: 10 });
    }
    // Settled in every shard it took in: the record's home shard and each line's.
    await eventually('every entry settled', async () => (await allInFlight()) === 0);
  });

  it('gives back what earlier shards took when a later one is short, names every short line, and frees the key', async () => {
    const [plenty, none, few] = idsInShards('short', 3) as [string, string, string];
    await api.upserted([
      { id: plenty, available: 10 },
      { id: none, available: 0 },
      { id: few, available: 1 },
    ]);
    const lines = [
      { skuId: plenty, quantity: 2 },
      { skuId: none, quantity: 1 },
      { skuId: few, quantity: 2 },
    ];
    const key = keyAwayFrom('short-order', [plenty, none, few]);
    const refused = await api.deduct(key, lines);
    expect(refused.data?.deductStock).toMatchObject({
      __typename: 'InsufficientStock',
      lines: [
        { skuId: none, requested: 1, obtainable: 0 },
        { skuId: few, requested: 2, obtainable: 1 },
      ],
    });
    const { gate } = stack.svc.app.services;
    expect((await gate.levels([plenty]))[0]).toMatchObject({ available: 10, sold: 0 });
    expect(await gate.recordedGateToken('DEDUCT', key)).toBeNull();
    expect(await allInFlight()).toBe(0);

    checked(await api.restock(none, 1, `${key}-r1`), 'RestockSuccess');
    checked(await api.restock(few, 1, `${key}-r2`), 'RestockSuccess');
    expect(outcome(await api.deduct(key, lines))).toBe('DeductStockSuccess');
    for (const [id, left] of [
      [plenty, 8],
      [none, 0],
      [few, 0],
    ] as const) {
      expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, id)).toMatchObject({ available: left });
    }
  });

  it('answers replays and conflicts from the home shard, moving nothing again', async () => {
    const ids = idsInShards('replay', 2);
    await api.upserted(ids.map((id) => ({ id, available: 5 })));
    const lines = ids.map((skuId) => ({ skuId, quantity: 2 }));
    const key = keyAwayFrom('replay-order', ids);
    const first = checked(await api.deduct(key, lines), 'DeductStockSuccess');
    const replays = await Promise.all(Array.from({ length: 10 }, () => api.deduct(key, lines)));
    for (const replay of replays) expect(checked(replay, 'DeductStockSuccess')).toEqual(first);
    expect(outcome(await api.deduct(key, [{ skuId: ids[1]!, quantity: 1 }]))).toBe('IdempotencyConflict');
    for (const id of ids) expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, id)).toMatchObject({ available: 3, sold: 2 });
  });

  it('settles a cart cut off between the gate and the ledger in every shard it took in', async () => {
    const ids = idsInShards('cut', 3);
    await api.upserted(ids.map((id) => ({ id, available: 4 })));
    const { gate, prisma } = stack.svc.app.services;
    const key = keyAwayFrom('cut-order', ids);
    expect(await loadCounters(gate, prisma, ids)).toEqual([]);
    const gateId = randomUUID();
    // The gate took every part, and the process died before the ledger write.
    const took = await gate.take(
      'DEDUCT',
      key,
      `fingerprint of ${key}`,
      gateId,
      ids.map((skuId) => ({ skuId, quantity: 3 })),
    );
    expect(took.kind).toBe('taken');
    const shards = [gate.trace('DEDUCT', key).shard, ...ids.map((id) => gate.keys.shardOf(id).index)].sort();
    expect(await inFlightIn(gateId)).toEqual(shards);

    const report = await reconcile(gate, prisma, LATER());
    expect(report).toMatchObject({ ran: true, settled: 1, units: 9 });
    expect(await inFlightIn(gateId)).toEqual([]);
    expect(await gate.recordedGateToken('DEDUCT', key)).toBeNull();
    for (const id of ids) expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, id)).toMatchObject({ available: 4, sold: 0 });
    // The key is free: the client's retry takes anew, once.
    expect(
      outcome(
        await api.deduct(
          key,
          ids.map((skuId) => ({ skuId, quantity: 3 })),
        ),
      ),
    ).toBe('DeductStockSuccess');
    for (const id of ids) expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, id)).toMatchObject({ available: 1, sold: 3 });
  });
});
