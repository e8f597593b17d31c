/**
 * Read replicas (src/db/replicas.ts, src/stock/reads.ts) on a real streaming replica: a PostgreSQL of the
 * test's own (initdb) and its replica (pg_basebackup -R), both on loopback ports. The reads that may lag
 * are served by the replica (its own scan counters move) while deducts go to the primary; a replica
 * paused past the lag bound leaves rotation and reads stay right; a stopped one costs no request an
 * error; an order read right after its deduct is found.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { deployMigrations } from '../src/db/migrate.ts';
import { checked } from './support/client.ts';
import { sql } from './support/ledger.ts';
import { OwnPostgres } from './support/postgres-server.ts';
import { deleteKeys, serve, type Namespace, type Running } from './support/stack.ts';

/** The lag bound of this test: short, so a paused replica leaves rotation within a second. */
const MAX_LAG_MS = 300;
const CHECK_MS = 50;
/** How long the lenient instance's replica stays paused: hundreds of its checks, 10 ms apart. */
const LENIENT_PAUSE_MS = 3_000;
/** How long a replica's statistics may take to show a read: a backend idle after it flushes within ten seconds. */
const STATS_FLUSH_MS = 15_000;
const MOVEMENTS = `query($skuId: ID!) { movements(skuId: $skuId, first: 5) { edges { node { id kind quantity } } } }`;
const ORDER = `query($id: ID!) { order(id: $id) { id lines { skuId deducted } } }`;

let primary: OwnPostgres;
let replica: OwnPostgres;
let svc: Running;
const database = 'stockgate';

/**
 * Scans of the ledger's table on the replica itself: only reads served there move them (the replica's
 * lag checks read no table). A backend's counters reach this view when it commits a second after its
 * last flush, or after ten idle seconds, so a test waits for the count it expects.
 */
async function movementScansOnReplica(): Promise<number> {
  const [row] = await sql(
    replica.databaseUrl(database),
    `SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) AS n FROM pg_stat_user_tables WHERE relname = 'movement'`,
  );
  return Number(row.n);
}

async function ready(): Promise<{ ready: boolean; replicas: { replica: number; state: string; lagMs: number | null }[] }> {
  const res = await fetch(svc.url.replace('/graphql', '/ready'));
  return (await res.json()) as never;
}

/**
 * Pauses the replica's replay and waits until it has stopped: pg_wal_replay_pause only asks, and the
 * replica may replay what is already received (the deduct a test makes next) before it pauses.
 */
async function pauseReplay(): Promise<void> {
  await sql(replica.databaseUrl(database), `SELECT pg_wal_replay_pause()`);
  await vi.waitFor(
    async () => {
      const [row] = await sql(replica.databaseUrl(database), `SELECT pg_get_wal_replay_pause_state() AS state`);
      expect(row.state).toBe('paused');
    },
    { timeout: 10_000, interval: 20 },
  );
}

async function inRotationGauge(): Promise<string | undefined> {
  const metrics = await (await fetch(svc.url.replace('/graphql', '/metrics'))).text();
  return /stockgate_replica_in_rotation\{replica="1"\} (\d)/.exec(metrics)?.[1];
}

/** The test's database on its own primary, and a key prefix of its own on the shared Redis (deleted after). */
const prefix = `sgtest:replicas:${process.pid}_${randomBytes(4).toString('hex')}:`;
function namespaceOf(server: OwnPostgres): Namespace {
  return {
    databaseUrl: server.databaseUrl(database),
    redisUrl: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    prefix,
    drop: async () => {},
  };
}

beforeAll(async () => {
  primary = await OwnPostgres.start();
  await deployMigrations(primary.databaseUrl(database));
  replica = await OwnPostgres.startReplicaOf(primary);
  svc = await serve(namespaceOf(primary), {
    DATABASE_REPLICA_URLS: replica.databaseUrl(database),
    REPLICA_MAX_LAG_MS: String(MAX_LAG_MS),
    REPLICA_CHECK_MS: String(CHECK_MS),
  });
  await svc.api.upserted([{ id: 'r', available: 1_000 }]);
  await vi.waitFor(
    async () => expect((await ready()).replicas).toEqual([{ replica: 1, state: 'in rotation', lagMs: expect.any(Number) }]),
    {
      timeout: 20_000,
      interval: 50,
    },
  );
}, 120_000);

afterAll(async () => {
  await svc?.stop();
  await replica?.destroy();
  await primary?.destroy();
  await deleteKeys(namespaceOf(primary).redisUrl, prefix);
});

describe('read replicas', () => {
  it('serve the reads that may lag, while deducts go to the primary; an order read right after its deduct is found', async () => {
    for (let i = 0; i < 5; i++) checked(await svc.api.deduct(`first-${i}`, [{ skuId: 'r', quantity: 1 }]), 'DeductStockSuccess');
    // Nothing has read the ledger's table on the replica yet: every scan counted there is a `movements`.
    const before = await movementScansOnReplica();
    for (let i = 0; i < 20; i++) expect(checked(await svc.gql(MOVEMENTS, { skuId: 'r' })).edges).toHaveLength(5);
    await vi.waitFor(async () => expect(await movementScansOnReplica()).toBeGreaterThanOrEqual(before + 20), {
      timeout: STATS_FLUSH_MS,
      interval: 200,
    });
    for (let i = 0; i < 20; i++) {
      checked(await svc.api.deduct(`ryw-${i}`, [{ skuId: 'r', quantity: 1 }]), 'DeductStockSuccess');
      // Read-your-writes: the order just deducted, at once.
      expect(checked(await svc.gql(ORDER, { id: `ryw-${i}` }))).toEqual({ id: `ryw-${i}`, lines: [{ skuId: 'r', deducted: 1 }] });
    }
    // The deducts were written on the primary (the replica is read-only) and replayed on the replica.
    const [onReplica] = await sql(replica.databaseUrl(database), `SELECT count(*)::int AS n FROM movement WHERE order_id LIKE 'ryw-%'`);
    expect(onReplica.n).toBe(20);
  });

  it('serve a read that may lag from a replica within the bound, and an order just deducted from one that has it', async () => {
    // An instance that tolerates ten minutes of lag keeps the paused replica in rotation, also past a
    // few thousand of its checks (10 ms apart here).
    const lenient = await serve(namespaceOf(primary), {
      DATABASE_REPLICA_URLS: replica.databaseUrl(database),
      REPLICA_MAX_LAG_MS: '600000',
      REPLICA_CHECK_MS: '10',
    });
    const lenientReplica = () => lenient.app.services.replicas!.status()[0]!;
    try {
      await vi.waitFor(() => expect(lenientReplica().state).toBe('in rotation'), { timeout: 20_000, interval: 50 });
      await pauseReplay();
      checked(await lenient.api.deduct('stale-1', [{ skuId: 'r', quantity: 3 }]), 'DeductStockSuccess');
      await vi.waitFor(() => expect(lenientReplica().lagMs).toBeGreaterThan(LENIENT_PAUSE_MS), {
        timeout: LENIENT_PAUSE_MS + 20_000,
        interval: 100,
      });
      expect(lenientReplica().state).toBe('in rotation');
      // The replica has not replayed the deduct: `movements` served there does not show it yet…
      const edges = checked(await lenient.gql(MOVEMENTS, { skuId: 'r' })).edges;
      expect(edges.map((e: { node: { quantity: number } }) => e.node.quantity)).not.toContain(3);
      // …while the order read, which must see its own write, is answered by the primary.
      expect(checked(await lenient.gql(ORDER, { id: 'stale-1' }))).toEqual({ id: 'stale-1', lines: [{ skuId: 'r', deducted: 3 }] });
    } finally {
      await sql(replica.databaseUrl(database), `SELECT pg_wal_replay_resume()`);
      await lenient.stop();
    }
  }, 60_000);

  it('take a replica paused past the lag bound out of rotation, and reads stay right; back once it catches up', async () => {
    // In rotation first: the service may still count the replica as lagging from the last test's pause,
    // and a 'lagging' seen below must come from this pause (its lag only grows from here on).
    await vi.waitFor(async () => expect((await ready()).replicas[0]).toMatchObject({ state: 'in rotation' }), {
      timeout: 10_000,
      interval: 50,
    });
    await pauseReplay();
    try {
      checked(await svc.api.deduct('paused-1', [{ skuId: 'r', quantity: 2 }]), 'DeductStockSuccess');
      await vi.waitFor(async () => expect((await ready()).replicas[0]).toMatchObject({ state: 'lagging' }), {
        timeout: 10_000,
        interval: 50,
      });
      const status = await ready();
      expect(status.ready).toBe(true);
      expect(status.replicas[0]!.lagMs).toBeGreaterThan(MAX_LAG_MS);
      // The gauge is read at scrape time from the same state; waited for, as the replica is re-measured
      // every CHECK_MS between the two reads.
      await vi.waitFor(async () => expect(await inRotationGauge()).toBe('0'), { timeout: 10_000, interval: 50 });
      for (let i = 0; i < 10; i++) {
        const edges = checked(await svc.gql(MOVEMENTS, { skuId: 'r' })).edges;
        // The deduct the paused replica has not replayed is there: the primary answered.
        expect(edges[0].node).toMatchObject({ kind: 'DEDUCT', quantity: 2 });
        expect(checked(await svc.gql(ORDER, { id: 'paused-1' }))).toEqual({ id: 'paused-1', lines: [{ skuId: 'r', deducted: 2 }] });
      }
    } finally {
      await sql(replica.databaseUrl(database), `SELECT pg_wal_replay_resume()`);
    }
    await vi.waitFor(async () => expect((await ready()).replicas[0]).toMatchObject({ state: 'in rotation' }), {
      timeout: 10_000,
      interval: 50,
    });
  });

  it('cost no request an error when the replica stops: reads fall back to the primary at once', async () => {
    await replica.stopImmediate();
    const reads = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        i % 3 === 0
          ? svc.gql(MOVEMENTS, { skuId: 'r' })
          : i % 3 === 1
            ? svc.gql(ORDER, { id: 'ryw-0' })
            : svc.gql(`query { stockAudit(skuIds: ["r"]) { conserved } }`),
      ),
    );
    for (const res of reads) expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    expect(reads.filter((_, i) => i % 3 === 1).map((res) => res.data?.order)).toEqual(
      Array(10).fill({ id: 'ryw-0', lines: [{ skuId: 'r', deducted: 1 }] }),
    );
    expect(reads.filter((_, i) => i % 3 === 2).map((res) => res.data?.stockAudit)).toEqual(Array(10).fill([{ conserved: true }]));
    const status = await ready();
    expect(status).toMatchObject({ ready: true, replicas: [{ replica: 1, state: 'unreachable', lagMs: null }] });
  });
});
