/**
 * Fault handling, one fault at a time (issue 6), on a Redis of this file's own (it gets killed) and a
 * database of its own: the PostgreSQL-only path while Redis is dead and the fast path's return, the
 * circuit breaker, reconciliation of takes that passed the gate but never reached the ledger, the
 * epoch fence against their late writes, a replay after Redis forgot its key, and a PostgreSQL of the
 * file's own stopped and restarted. The whole mix under load is test/chaos.test.ts.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gate } from '../src/gate/gate.ts';
import type { StockSeed } from '../src/inventory.ts';
import { loadCounters } from '../src/sync/load.ts';
import { INFLIGHT_DEADLINE_MS, reconcile } from '../src/sync/reconcile.ts';
import { deployMigrations } from '../src/db/migrate.ts';
import { createLedgerPool } from '../src/db/client.ts';
import { LedgerWriter, type LedgerEntry } from '../src/ledger/group-commit.ts';
import { errorCode, outcome } from './support/client.ts';
import { counterNow, gateAgrees } from './support/gate-check.ts';
import { audit, outboxDelivered, sql } from './support/ledger.ts';
import { OwnPostgres } from './support/postgres-server.ts';
import { gateShardsEnv, serve, useStack, type Running } from './support/stack.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** ioredis's own command timeout in src/app.ts: what every request would wait without the breaker. */
const REDIS_COMMAND_TIMEOUT_MS = 2_000;
/** Past the in-flight deadline, for reconcile()'s `now`, so nothing has to wait for it. */
const LATER = () => Date.now() + INFLIGHT_DEADLINE_MS + 1_000;

// The app's own reconciliation pass must not settle this file's takes before the tests do: here it
// runs once a minute and settles only takes older than ten minutes.
const stack = useStack({ ownRedis: true, env: { INFLIGHT_DEADLINE_MS: '600000', RECONCILE_INTERVAL_MS: '60000' } });
const { api } = stack;

/**
 * Whether a deduct's key is in Redis (this period's records or the last's, read past the breaker): only
 * the gate path (take.lua) writes it, the PostgreSQL path does not.
 */
async function wentThroughGate(key: string): Promise<boolean> {
  const { gate } = stack.svc.app.services;
  const { field, shard } = gate.trace('DEDUCT', key);
  const period = Math.floor(Date.now() / ((stack.svc.config.IDEMPOTENCY_RECORD_SECONDS * 1000) / 2));
  try {
    const found = await Promise.all(
      [period, period - 1].map((p) => gate.redis.hexists(gate.keys.shards[shard]!.idempotencyRecords(p), field)),
    );
    return found.includes(1);
  } catch {
    return false;
  }
}

/**
 * Deducts one unit at a time, each with a new key, until one goes through the gate again (bounded);
 * returns how many it took. Every one of them must succeed, whichever path it took.
 */
async function untilTheGateTakes(skuId: string, prefix: string): Promise<number> {
  const deadline = Date.now() + 20_000;
  for (let n = 1; ; n++) {
    const key = `${prefix}-${n}`;
    expect(outcome(await api.deductOne(key, skuId))).toBe('DeductStockSuccess');
    if (await wentThroughGate(key)) return n;
    expect(Date.now(), 'the gate never took a request again').toBeLessThan(deadline);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** reconcile() until it holds the lock (the app's own pass may hold it for a moment). */
async function reconcileNow(gate: Gate, now: number) {
  for (let i = 0; i < 50; i++) {
    const report = await reconcile(gate, stack.svc.app.services.prisma, now);
    if (report.ran) return report;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the reconcile lock stayed taken');
}

/** Whether a gate id is still in flight in any shard (its index entry or its payload). */
async function inFlight(gateId: string): Promise<boolean> {
  const { gate } = stack.svc.app.services;
  const found = await Promise.all(
    gate.keys.shards.map(async (shard) => {
      const [score, payload] = await Promise.all([
        gate.redis.zscore(shard.inflight, gateId),
        gate.redis.hexists(shard.inflightPayloads, gateId),
      ]);
      return score !== null || payload === 1;
    }),
  );
  return found.includes(true);
}

/** Test 1's requests while Redis is dead: every kind of change goes through PostgreSQL alone. */
async function whileRedisIsDead() {
  const single = await api.deductOne('down-2', 'down-a', 3);
  expect(single.data?.deductStock).toMatchObject({
    __typename: 'DeductStockSuccess',
    lines: [{ skuId: 'down-a', quantity: 3, availableAfter: 15 }],
  });
  const cart = await api.deduct('down-3', [
    { skuId: 'down-a', quantity: 1 },
    { skuId: 'down-b', quantity: 2 },
  ]);
  expect(cart.data?.deductStock).toMatchObject({
    __typename: 'DeductStockSuccess',
    lines: [{ availableAfter: 14 }, { availableAfter: 8 }],
  });
  // The truth refuses what it does not have, all lines or none.
  expect(
    outcome(
      await api.deduct('down-4', [
        { skuId: 'down-a', quantity: 1 },
        { skuId: 'down-b', quantity: 9 },
      ]),
    ),
  ).toBe('InsufficientStock');
  const refund = await api.refund('down-1', 'down-r1', [{ skuId: 'down-a', quantity: 1 }]);
  expect(refund.data?.refundStock).toMatchObject({
    __typename: 'RefundStockSuccess',
    lines: [{ deducted: 2, refunded: 1, refundable: 1 }],
  });
  const restock = await api.restock('down-b', 5, 'down-k1');
  expect(restock.data?.restock).toMatchObject({ __typename: 'RestockSuccess', availableAfter: 13 });
  // Replays are answered from PostgreSQL, identically, and move nothing.
  expect(await api.deductOne('down-2', 'down-a', 3)).toEqual(single);
  expect(outcome(await api.deductOne('down-2', 'down-a', 4))).toBe('IdempotencyConflict');
  expect(await audit(stack.ns.databaseUrl, 'down-a')).toMatchObject({ available: 15, sold: 5, deducts: 3 });
  expect(await audit(stack.ns.databaseUrl, 'down-b')).toMatchObject({ available: 13, sold: 2, deducts: 1 });

  return { single, cart };
}

describe('Redis dead: the PostgreSQL-only path', () => {
  it('deducts, refunds and restocks keep working; the fast path comes back without a restart, counters equal to the truth', async () => {
    await api.upsert([
      { id: 'down-a', available: 20 },
      { id: 'down-b', available: 10 },
    ]);
    expect(outcome(await api.deductOne('down-1', 'down-a', 2))).toBe('DeductStockSuccess');
    expect(await wentThroughGate('down-1')).toBe(true);

    await stack.redis.kill();
    let single, cart;
    try {
      ({ single, cart } = await whileRedisIsDead());
    } finally {
      await stack.redis.restart();
    }
    // Same app, no restart: within a few breaker probes the gate takes requests again.
    const n = await untilTheGateTakes('down-a', 'down-back');
    expect(stack.svc.app.services.gate.breaker.open).toBe(false);
    await outboxDelivered(stack.ns.databaseUrl, ['down-a', 'down-b']);
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'down-a')).toMatchObject({ available: 15 - n, sold: 5 + n });
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'down-b')).toMatchObject({ available: 13, sold: 2 });
    // Replays of what the PostgreSQL path answered still get those answers through the gate.
    expect(await api.deductOne('down-2', 'down-a', 3)).toEqual(single);
    expect(
      await api.deduct('down-3', [
        { skuId: 'down-a', quantity: 1 },
        { skuId: 'down-b', quantity: 2 },
      ]),
    ).toEqual(cart);
    expect(await audit(stack.ns.databaseUrl, 'down-a')).toMatchObject({ available: 15 - n, deducts: 3 + n });
  });

  it('the breaker opens: deducts while Redis is dead do not each wait for the Redis command timeout', async () => {
    const N = 12;
    await api.upsert([{ id: 'breaker', available: 100 }]);
    expect(outcome(await api.deductOne('breaker-0', 'breaker'))).toBe('DeductStockSuccess');
    await stack.redis.kill();
    try {
      const started = Date.now();
      for (let i = 1; i <= N; i++) expect(outcome(await api.deductOne(`breaker-${i}`, 'breaker'))).toBe('DeductStockSuccess');
      const took = Date.now() - started;
      // Without the breaker each would wait up to the command timeout; only the first few, which open it, may.
      expect(took).toBeLessThan((N * REDIS_COMMAND_TIMEOUT_MS) / 3);
    } finally {
      await stack.redis.restart();
    }
    const n = await untilTheGateTakes('breaker', 'breaker-back');
    expect(await audit(stack.ns.databaseUrl, 'breaker')).toMatchObject({ available: 100 - N - 1 - n, sold: N + 1 + n });
  });
});

describe('reconciliation of takes that passed the gate', () => {
  /** Takes at the gate directly, as a request that dies before its ledger write would (loading the counter first if needed). */
  async function ghostTake(skuId: string, quantity: number) {
    const { gate, prisma } = stack.svc.app.services;
    const gateId = randomUUID();
    const key = `ghost-${randomUUID()}`;
    let took = await gate.take('DEDUCT', key, `fp-${key}`, gateId, [{ skuId, quantity }]);
    if (took.kind === 'missing') {
      expect(await loadCounters(gate, prisma, [skuId])).toEqual([]);
      took = await gate.take('DEDUCT', key, `fp-${key}`, gateId, [{ skuId, quantity }]);
    }
    expect(took.kind).toBe('taken');
    if (took.kind !== 'taken') throw new Error('not taken');
    const record = took.record;
    /** The ledger write its request would have made, with the epoch it took under. */
    const entry: LedgerEntry = {
      kind: 'DEDUCT',
      gateId,
      idempotencyKey: key,
      orderId: key,
      fingerprint: `fp-${key}`,
      kept: { orderId: key },
      lines: [{ skuId, quantity, epoch: record.epochs[0]!, unlimited: false }],
    };
    return { gateId, key, record, entry };
  }

  it('gives back a take that never reached the ledger, once past the deadline, and only then', async () => {
    const { gate } = stack.svc.app.services;
    await api.upsert([{ id: 'ghost', available: 10 }]);
    expect(outcome(await api.deductOne('ghost-1', 'ghost'))).toBe('DeductStockSuccess');
    const ghost = await ghostTake('ghost', 3);
    expect(await counterNow(stack.svc, 'ghost')).toMatchObject({ available: 6, sold: 4 });

    expect(await reconcileNow(gate, Date.now())).toMatchObject({ ran: true, settled: 0 });
    expect(await counterNow(stack.svc, 'ghost')).toMatchObject({ available: 6 });

    expect(await reconcileNow(gate, LATER())).toMatchObject({ settled: 1, units: 3, rebuilt: ['ghost'] });
    expect(await inFlight(ghost.gateId)).toBe(false);
    // Its key is free again: a retry takes anew instead of waiting for a first answer that never comes.
    expect(await gate.recordedGateToken('DEDUCT', ghost.key)).toBeNull();
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'ghost')).toMatchObject({ available: 9, sold: 1 });
    expect(await counterNow(stack.svc, 'ghost')).toMatchObject({ epoch: ghost.record.epochs[0]! + 1 });
    // Nothing left to settle: a second pass changes nothing.
    expect(await reconcileNow(gate, LATER())).toMatchObject({ settled: 0 });
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'ghost')).toMatchObject({ available: 9, sold: 1 });
  });

  it('does not count twice a take whose ledger row committed but whose in-flight entry stayed', async () => {
    const { gate } = stack.svc.app.services;
    await api.upsert([{ id: 'landed', available: 10 }]);
    expect(outcome(await api.deductOne('landed-1', 'landed'))).toBe('DeductStockSuccess');
    const take = await ghostTake('landed', 2);
    // The ledger write commits, but the process dies before it marks the take settled in Redis.
    const pool = createLedgerPool(stack.ns.databaseUrl);
    const writer = new LedgerWriter(pool, () => {});
    try {
      expect(await writer.write(take.entry)).toBe('committed');
    } finally {
      await pool.end();
    }
    expect(await inFlight(take.gateId)).toBe(true);

    expect(await reconcileNow(gate, LATER())).toMatchObject({ settled: 1, rebuilt: ['landed'] });
    expect(await inFlight(take.gateId)).toBe(false);
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'landed')).toMatchObject({ available: 7, sold: 3 });
    expect(await audit(stack.ns.databaseUrl, 'landed')).toMatchObject({ available: 7, sold: 3, deducts: 2 });
  });

  it('fences a late ledger write of an epoch that reconciliation rebuilt', async () => {
    const { gate, ledger } = stack.svc.app.services;
    await api.upsert([{ id: 'late', available: 10 }]);
    expect(outcome(await api.deductOne('late-1', 'late'))).toBe('DeductStockSuccess');
    const take = await ghostTake('late', 4);
    expect(await reconcileNow(gate, LATER())).toMatchObject({ settled: 1, units: 4 });
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'late')).toMatchObject({ available: 9, sold: 1 });

    // The request was only slow: its write arrives now, with the epoch it took under.
    const late = await ledger.write(take.entry);
    expect(late).toBe('fenced');
    expect(await sql(stack.ns.databaseUrl, `SELECT 1 FROM gate_request WHERE idempotency_key = $1`, [take.key])).toEqual([]);
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'late')).toMatchObject({ available: 9, sold: 1 });
    expect(await audit(stack.ns.databaseUrl, 'late')).toMatchObject({ deducts: 1 });
  });

  it('fences a ledger write naming a SKU that does not exist: no foreign key, and nothing written', async () => {
    const { ledger } = stack.svc.app.services;
    // An unknown SKU has no row, so no epoch to match: only the missing row can fence this write.
    const entry: LedgerEntry = {
      kind: 'DEDUCT',
      gateId: randomUUID(),
      idempotencyKey: 'ghost-sku',
      orderId: 'ghost-sku',
      fingerprint: 'fp',
      kept: {},
      lines: [{ skuId: 'no-such-sku', quantity: 1, epoch: 0, unlimited: false }],
    };
    expect(await ledger.write(entry)).toBe('fenced');
    expect(await sql(stack.ns.databaseUrl, `SELECT 1 FROM gate_request WHERE idempotency_key = 'ghost-sku'`)).toEqual([]);
    expect(await sql(stack.ns.databaseUrl, `SELECT 1 FROM movement WHERE sku_id = 'no-such-sku'`)).toEqual([]);
  });

  it('a change committed while reconciliation rebuilds a counter still reaches the counter', async () => {
    const { gate } = stack.svc.app.services;
    await api.upsert([{ id: 'rebuilt', available: 10 }]);
    expect(outcome(await api.deductOne('rebuilt-1', 'rebuilt'))).toBe('DeductStockSuccess');
    await ghostTake('rebuilt', 2);

    // Reconciliation, slowed down between reading the truth (new epoch) and seeding the counter.
    let seeding!: () => void;
    const seedCalled = new Promise<void>((resolve) => (seeding = resolve));
    let proceed!: () => void;
    const held = new Promise<void>((resolve) => (proceed = resolve));
    class SlowSeeds extends Gate {
      override async seed(c: StockSeed, token: string): Promise<number> {
        seeding();
        await held;
        return super.seed(c, token);
      }
    }
    const pass = reconcileNow(new SlowSeeds(gate.redis, gate.keys), LATER());
    await Promise.race([seedCalled, pass]);
    // Meanwhile a restock commits under the new epoch and is delivered before the seed is in.
    const restock = await api.restock('rebuilt', 5, 'rebuilt-k');
    expect(restock.data?.restock).toMatchObject({ __typename: 'RestockSuccess', availableAfter: 14 });
    proceed();
    expect(await pass).toMatchObject({ settled: 1 });

    await outboxDelivered(stack.ns.databaseUrl, ['rebuilt']);
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'rebuilt')).toMatchObject({ available: 14, sold: 1 });
  });

  it('npm run reconcile settles stale takes in one pass and says what it repaired', async () => {
    await api.upsert([{ id: 'cli', available: 10 }]);
    expect(outcome(await api.deductOne('cli-1', 'cli'))).toBe('DeductStockSuccess');
    const take = await ghostTake('cli', 3);
    await new Promise((r) => setTimeout(r, 1_100));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/reconcile.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: stack.ns.databaseUrl,
        REDIS_URL: stack.redis.url,
        REDIS_PREFIX: stack.ns.prefix,
        INFLIGHT_DEADLINE_MS: '1000',
        ...gateShardsEnv(),
      },
      timeout: 60_000,
    });
    expect(stdout).toContain('stale in-flight takes settled: 1 (3 units counted from the ledger again)');
    expect(stdout).toContain('counters rebuilt from the truth: cli');
    expect(await inFlight(take.gateId)).toBe(false);
    expect(await gateAgrees(stack.svc, stack.ns.databaseUrl, 'cli')).toMatchObject({ available: 9, sold: 1 });
  });
});

describe('Redis lost a key', () => {
  it('a replay of a deduct that sold out the SKU still gets its first answer, not InsufficientStock', async () => {
    await api.upsert([{ id: 'forgot', available: 3 }]);
    const first = await api.deductOne('forgot-1', 'forgot', 3);
    expect(outcome(first)).toBe('DeductStockSuccess');
    await stack.redis.flushAll();
    expect(await api.deductOne('forgot-1', 'forgot', 3)).toEqual(first);
    expect(outcome(await api.deductOne('forgot-1', 'forgot', 2))).toBe('IdempotencyConflict');
    expect(outcome(await api.deductOne('forgot-2', 'forgot'))).toBe('InsufficientStock');
    expect(await audit(stack.ns.databaseUrl, 'forgot')).toMatchObject({ available: 0, sold: 3, deducts: 1 });
  });
});

describe('PostgreSQL stopped', () => {
  let pg: OwnPostgres;
  let own: Running;
  let databaseUrl: string;

  beforeAll(async () => {
    pg = await OwnPostgres.start();
    databaseUrl = pg.databaseUrl('stockgate_faults');
    await deployMigrations(databaseUrl);
    own = await serve(
      { databaseUrl, redisUrl: stack.redis.url, prefix: 'pgdown:', drop: async () => {} },
      { INFLIGHT_DEADLINE_MS: '600000', RECONCILE_INTERVAL_MS: '60000' },
    );
  });
  afterAll(async () => {
    await own?.stop();
    await pg?.destroy();
  });

  it('every request is answered TEMPORARILY_UNAVAILABLE; after the restart the same keys succeed, once', async () => {
    const { api } = own;
    await api.upsert([{ id: 'pg-a', available: 10 }]);
    const sold = await api.deductOne('pg-1', 'pg-a', 2);
    expect(sold.data?.deductStock).toMatchObject({ __typename: 'DeductStockSuccess', lines: [{ availableAfter: 8 }] });

    await pg.stopImmediate();
    try {
      expect(errorCode(await api.deductOne('pg-2', 'pg-a'))).toBe('TEMPORARILY_UNAVAILABLE');
      // The replay finds its key at the gate and must ask PostgreSQL for the first answer.
      expect(errorCode(await api.deductOne('pg-1', 'pg-a', 2))).toBe('TEMPORARILY_UNAVAILABLE');
      expect(errorCode(await api.restock('pg-a', 5, 'pg-k'))).toBe('TEMPORARILY_UNAVAILABLE');
      expect(errorCode(await api.refund('pg-1', 'pg-r', [{ skuId: 'pg-a', quantity: 1 }]))).toBe('TEMPORARILY_UNAVAILABLE');
    } finally {
      await pg.restart();
    }

    const restock = await api.restock('pg-a', 5, 'pg-k');
    expect(restock.data?.restock).toMatchObject({ __typename: 'RestockSuccess', availableAfter: 13 });
    const refund = await api.refund('pg-1', 'pg-r', [{ skuId: 'pg-a', quantity: 1 }]);
    expect(refund.data?.refundStock).toMatchObject({ __typename: 'RefundStockSuccess', lines: [{ refunded: 1 }] });
    expect(await api.deductOne('pg-1', 'pg-a', 2)).toEqual(sold);
    // pg-2's take passed the gate but its ledger write failed: reconciliation settles it, then its retry takes anew.
    const report = await reconcile(own.app.services.gate, own.app.services.prisma, LATER());
    expect(report).toMatchObject({ ran: true, settled: 1, units: 1 });
    const retried = await api.deductOne('pg-2', 'pg-a');
    expect(retried.data?.deductStock).toMatchObject({ __typename: 'DeductStockSuccess', lines: [{ availableAfter: 13 }] });

    await outboxDelivered(databaseUrl);
    expect(await gateAgrees(own, databaseUrl, 'pg-a')).toMatchObject({ available: 13, sold: 2 });
    expect(await audit(databaseUrl, 'pg-a')).toMatchObject({ available: 13, sold: 2, deducts: 2 });
  });
});
