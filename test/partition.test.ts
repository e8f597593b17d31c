/**
 * A network partition between one instance and Redis (issue 11, item 2). Two stockgate server processes
 * on one database and one Redis of the test's own; b reaches Redis through a TCP proxy
 * (test/support/tcp-proxy.ts) that the test cuts, once refusing new connections and once blackholing
 * them, 6 s each, while 16 clients (8 per instance, each keeping to its instance) deduct 1 unit at a
 * time from one SKU with a million units.
 *
 * Required, per cut, counting each request's first attempt by when it was sent:
 * - a, which still reaches Redis, answers at least 99 % of them with a domain outcome (success or a typed
 *   outcome), not TEMPORARILY_UNAVAILABLE: b's database-only sales must not fence a's gate;
 * - b sells through PostgreSQL meanwhile (successes during the cut);
 * and afterwards nothing oversold, lost or doubled, and the gate agrees with the ledger.
 * Before the first cut both instances answer at least 99 % (the baseline).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awaitAgreement, verify } from './chaos/check.ts';
import { Instance } from './chaos/instance.ts';
import { Load } from './chaos/load.ts';
import { PARTITION_MIN_DOMAIN_SHARE, partitionCosts, partitionTable, partitionViolations, type FaultRecord } from './chaos/run.ts';
import { freePort, OwnRedis } from './support/redis-server.ts';
import { namespace, type Namespace } from './support/stack.ts';
import { TcpProxy, type CutMode } from './support/tcp-proxy.ts';

/** Load before the first cut, each cut, the load between and after them. */
const BEFORE_MS = 4_000;
const CUT_MS = 6_000;
const BETWEEN_MS = 4_000;
const AFTER_MS = 3_000;
/** The window before a cut that counts as its baseline (the first second of load loads counters). */
const BASELINE_MS = 3_000;
const CLIENTS = 16;
const SKU = 'deep';
const STOCK = 1_000_000;

let redis: OwnRedis;
let proxy: TcpProxy;
let ns: Namespace;
let dir: string;
const instances: Instance[] = [];

beforeAll(async () => {
  redis = await OwnRedis.start();
  proxy = await TcpProxy.start(redis.port);
  ns = await namespace(redis.url);
  dir = mkdtempSync(join(tmpdir(), 'stockgate-partition-'));
}, 60_000);

afterAll(async () => {
  await Promise.all(instances.map((i) => i.stop()));
  await proxy?.close();
  await ns?.drop();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('the TCP proxy', () => {
  /**
   * Connects through the proxy, sends PING and says what came back within `timeoutMs`: the reply, an
   * error code, 'closed' or 'silent' (connected, no answer).
   */
  function ping(timeoutMs = 500): Promise<string> {
    const socket = connect(proxy.port, '127.0.0.1');
    return new Promise((resolve) => {
      let got = '';
      let connected = false;
      const done = (what: string) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(what);
      };
      const timer = setTimeout(() => done(connected ? 'silent' : 'no connection'), timeoutMs);
      socket.on('connect', () => {
        connected = true;
        socket.write('PING\r\n');
      });
      socket.on('data', (d) => {
        got += d.toString();
        if (got.includes('\r\n')) done(got.trim());
      });
      socket.on('error', (e: NodeJS.ErrnoException) => done(`error ${e.code}`));
      socket.on('close', () => done('closed'));
    });
  }

  it('forwards, refuses or blackholes while cut, destroys open connections at the cut, and heals', async () => {
    expect(await ping()).toBe('+PONG');

    // A connection open at the cut goes with it.
    const open = new Redis(proxy.url('redis'), { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    open.on('error', () => {});
    await open.connect();
    expect(await open.ping()).toBe('PONG');
    const closed = new Promise((resolve) => open.once('end', resolve));
    proxy.cut('refuse');
    await closed;
    expect(await ping()).toMatch(/^(error ECONNRESET|closed)$/);
    expect(proxy.counts.refused).toBeGreaterThan(0);
    proxy.heal();
    expect(await ping()).toBe('+PONG');

    proxy.cut('blackhole');
    expect(await ping()).toBe('silent');
    expect(proxy.counts.held).toBeGreaterThan(0);
    proxy.heal();
    expect(await ping()).toBe('+PONG');
    expect(proxy.isCut).toBe(false);
  });
});

describe('a partition between one instance and Redis, under load', () => {
  it('keeps the other instance answering (≥ 99 % domain outcomes), lets the cut-off one sell through PostgreSQL, and oversells nothing', async () => {
    const env = {
      DATABASE_URL: ns.databaseUrl,
      REDIS_URL: redis.url,
      REDIS_PREFIX: ns.prefix,
      LOG_LEVEL: 'warn',
      MERGE_INTERVAL_MS: '100',
      INFLIGHT_DEADLINE_MS: '3000',
      RECONCILE_INTERVAL_MS: '500',
    };
    instances.push(new Instance('a', await freePort(), env, join(dir, 'a.log')));
    instances.push(new Instance('b', await freePort(), { ...env, REDIS_URL: proxy.url('redis') }, join(dir, 'b.log')));
    await Promise.all(instances.map((i) => i.start()));
    const seeded = await fetch(instances[0]!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation ($input: UpsertSkusInput!) { upsertSkus(input: $input) { __typename } }',
        variables: { input: { skus: [{ id: SKU, available: STOCK }] } },
      }),
    }).then((r) => r.json() as Promise<{ errors?: unknown }>);
    expect(seeded.errors).toBeUndefined();

    const seed = Number(process.env.PARTITION_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const load = new Load({
      urls: () => instances.map((i) => i.url),
      clients: CLIENTS,
      skus: [{ id: SKU, initial: STOCK, weight: 1 }],
      maxAttempts: 25,
      maxRequestMs: 30_000,
      attemptTimeoutMs: 15_000,
      replayShare: 0,
      seed,
      mix: { refunds: 0, restocks: 0, carts: 0, maxQuantity: 1 },
      pinned: true,
    });
    const faults: FaultRecord[] = [];
    const cut = async (mode: CutMode) => {
      const at = load.now();
      proxy.cut(mode);
      await sleep(CUT_MS);
      proxy.heal();
      faults.push({ fault: 'redis-partition', at, repairMs: load.now() - at, mode });
    };
    load.start();
    try {
      await sleep(BEFORE_MS);
      await cut('refuse');
      await sleep(BETWEEN_MS);
      await cut('blackhole');
      await sleep(AFTER_MS);
    } finally {
      await load.stop();
    }

    const partitions = partitionCosts(
      faults,
      BASELINE_MS,
      load.stats.attemptLog,
      instances.map((i) => i.name),
      1,
    );
    const report = partitionTable(partitions);
    console.log(`partition (seed ${seed}):\n${report}`);

    const agreement = await awaitAgreement(ns.databaseUrl, { redis: redis.url, prefix: ns.prefix }, 20_000);
    const verdict = await verify(ns.databaseUrl, load.done);
    const logs = () =>
      instances
        .map(
          (i) =>
            `--- ${i.name}\n${i
              .logTail(8)
              .split('\n')
              .map((l) => l.slice(0, 300))
              .join('\n')}`,
        )
        .join('\n');
    console.log(
      `partition: agreement ${agreement.agreed ? 'yes' : 'NO'} after ${agreement.waitedMs} ms; oversold ${verdict.oversold}, lost ${verdict.lost}, doubled ${verdict.doubled}, ` +
        `${verdict.violations.length} violations; ${load.stats.acked} acked, ${load.stats.gaveUp} gave up, errors ${JSON.stringify(load.stats.errors)}`,
    );

    // The baseline: before the first cut both instances answer.
    for (const i of partitions[0]!.instances)
      expect(i.before.share, `${i.name} before the first cut: ${JSON.stringify(i.before)}`).toBeGreaterThanOrEqual(
        PARTITION_MIN_DOMAIN_SHARE,
      );
    for (const p of partitions) {
      const [a, b] = p.instances;
      expect(a!.during.attempts, `first attempts on a during the ${p.mode} cut`).toBeGreaterThan(0);
      expect(
        a!.during.share,
        `a, still reaching Redis, during the ${p.mode} cut: ${JSON.stringify(a!.during)}\n${report}\n${logs()}`,
      ).toBeGreaterThanOrEqual(PARTITION_MIN_DOMAIN_SHARE);
      expect(
        b!.during.acked,
        `b, cut off, sold through PostgreSQL during the ${p.mode} cut: ${JSON.stringify(b!.during)}\n${report}`,
      ).toBeGreaterThan(0);
    }
    expect(partitionViolations(partitions)).toEqual([]);

    expect(verdict.oversold).toBe(0);
    expect(verdict.lost).toBe(0);
    expect(verdict.doubled).toBe(0);
    expect(verdict.violations).toEqual([]);
    expect(
      agreement.agreed,
      `gate and ledger: ${agreement.differences.join('; ')} (in flight ${agreement.inFlight}, outbox ${agreement.outbox})`,
    ).toBe(true);
    expect(load.stats.errors).toEqual({});
    expect(instances.flatMap((i) => i.crashes)).toEqual([]);
  }, 180_000);
});
