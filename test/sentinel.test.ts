/**
 * Redis Sentinel (issue 16): two instances reach the gate's Redis through three Sentinels
 * (REDIS_SENTINELS, REDIS_SENTINEL_NAME) of the test's own, a master and its replica on loopback ports.
 * They sell through the master the Sentinels name, and follow a real failover under load (SENTINEL
 * FAILOVER, then the master killed with -9): every unit sold once, the ledger holding exactly the sales
 * answered, the promoted server adopted as a new generation (its counters loaded from the truth again),
 * and the gate agreeing with the truth on the new master.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outcome, type Result } from './support/client.ts';
import { gateAgrees } from './support/gate-check.ts';
import { audit } from './support/ledger.ts';
import { OwnSentinels } from './support/redis-sentinel.ts';
import { eventually } from './support/wait.ts';
import { namespace, serve, type Namespace, type Running } from './support/stack.ts';

/** Buyers per failover, against this much stock: enough to keep selling through the switch, and to sell out. */
const BUYERS = 300;
const STOCK = 100;
/** A buyer answered TEMPORARILY_UNAVAILABLE sends the same request again, as README says, this often. */
const RETRY = { attempts: 100, pause: () => 100 };
/** Buyers start over this long, so the failover happens while they buy. */
const SPREAD_MS = 3_000;

let sentinels: OwnSentinels;
let ns: Namespace;
let a: Running;
let b: Running;

beforeAll(async () => {
  sentinels = await OwnSentinels.start();
  ns = await namespace(`redis://127.0.0.1:${await sentinels.masterPort()}`);
  a = await serve(ns, sentinels.env);
  b = await serve(ns, sentinels.env);
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await ns?.drop();
  await sentinels?.stop();
});

/** Until an instance's gate talks to the master on `port` (it may still be reconnecting after a failover). */
async function followed(svc: Running, port: number): Promise<void> {
  const redis = svc.app.services.gate.redis;
  await eventually(`the gate to talk to the master on port ${port}`, async () => {
    try {
      const info = await redis.info('server');
      const role = ((await redis.call('ROLE')) as [string])[0];
      return Number(/tcp_port:(\d+)/.exec(info)![1]) === port && role === 'master';
    } catch {
      return false;
    }
  });
}

/** The replication history the gate's data was adopted under (lua/adopt-3.lua), and the master's own, now. */
async function histories(): Promise<{ adopted: string | null; master: string }> {
  const { redis, keys } = a.app.services.gate;
  const master = /^master_replid:(\w+)/m.exec(await redis.info('replication'))![1]!;
  return { adopted: await redis.get(keys.first.origin), master };
}

describe('Redis Sentinel', () => {
  it('sells through the master the Sentinels name, from both instances', async () => {
    await a.api.upserted([{ id: 'tee', available: 50 }]);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).api.deductOne(`tee-${i}`, 'tee')));
    expect(answers.map(outcome)).toEqual(Array(20).fill('DeductStockSuccess'));
    const master = await sentinels.masterPort();
    for (const svc of [a, b]) await followed(svc, master);
    expect(await gateAgrees(a, ns.databaseUrl, 'tee')).toMatchObject({ available: 30, sold: 20 });
  });

  it.each([
    ['a graceful failover (SENTINEL FAILOVER)', () => sentinels.failover()],
    ['the master killed with -9 (its replica promoted)', () => sentinels.killMaster()],
  ])('%s under load: every unit sold once, and the gate follows the new master', async (_how, failover) => {
    const sku = `fo-${Date.now()}`;
    await a.api.upserted([{ id: sku, available: STOCK }]);
    const buying = Array.from({ length: BUYERS }, async (_, i): Promise<Result> => {
      await new Promise((r) => setTimeout(r, (i * SPREAD_MS) / BUYERS));
      return (i % 2 ? a : b).api.retrying(RETRY).deductOne(`${sku}-o${i}`, sku);
    });
    await new Promise((r) => setTimeout(r, SPREAD_MS / 3));
    const before = await histories();
    expect(before.adopted).toBe(before.master);
    const master = await failover();
    const answers = await Promise.all(buying);

    const kinds = answers.map(outcome);
    expect(kinds.filter((k) => k !== 'DeductStockSuccess' && k !== 'InsufficientStock')).toEqual([]);
    const sold = kinds.filter((k) => k === 'DeductStockSuccess').length;
    expect(sold).toBe(STOCK);
    expect(await audit(ns.databaseUrl, sku)).toMatchObject({ available: 0, sold: STOCK, ledgerSold: STOCK, deducts: STOCK });
    for (const svc of [a, b]) await followed(svc, master);
    expect(await gateAgrees(a, ns.databaseUrl, sku)).toMatchObject({ available: 0, sold: STOCK });
    expect(await gateAgrees(b, ns.databaseUrl, 'tee')).toMatchObject({ available: 30, sold: 20 });
    // The promoted server holds another replication history, adopted by the first take or load there as a
    // new generation: no counter it received short of the old master's last takes sold again.
    const after = await histories();
    expect(after.adopted).toBe(after.master);
    expect(after.master).not.toBe(before.master);
  });
});
