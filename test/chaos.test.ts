/**
 * The chaos suite, short (issues 6 and 11): its own PostgreSQL and Redis, two stockgate server
 * processes (b reaching Redis through a TCP proxy), 32 clients, and a partition between b and Redis,
 * Redis FLUSHALL, Redis kill -9 + restart, kill -9 + restart of one instance, PostgreSQL immediate stop
 * + restart, one after another; then I1–I6 from the ledger and Redis, and what each instance answered
 * before and during the partition. The long run is `npm run chaos` (test/chaos/run.ts).
 */
import { expect, it } from 'vitest';
import { expectInvariantsKept } from './chaos/expect-invariants.ts';
import { CHAOS_PARTITION_MIN_DOMAIN_SHARE, costTable, FAULTS, partitionTable, runChaos, SHORT, table } from './chaos/run.ts';

/** Start-up (initdb, two servers), about 25 s of load, agreement, checks: generous for a loaded machine. */
const TIMEOUT_MS = 240_000;

it(
  'keeps I1–I6 through a Redis partition of one instance, FLUSHALL, a Redis kill, an instance kill and a PostgreSQL stop under load',
  async () => {
    const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const report = await runChaos({ ...SHORT, seed, ...(process.env.CHAOS_LOG ? { log: (l) => console.log(`chaos: ${l}`) } : {}) });
    console.log(`chaos (seed ${seed}):\n${table(report)}\n\n${costTable(report)}\n\n${partitionTable(report.partitions)}`);

    expect(report.faults.map((f) => f.fault)).toEqual(FAULTS);
    expect(FAULTS).toEqual(['redis-partition', 'redis-flushall', 'redis-kill', 'instance-kill', 'postgres-stop']);
    expectInvariantsKept(report);

    // Issue 11: the partition. The instance still reaching Redis keeps answering; the one cut off sells
    // through PostgreSQL.
    expect(report.partitions).toHaveLength(1);
    for (const p of report.partitions) {
      const [a, b] = p.instances;
      expect(a!.cut).toBe(false);
      expect(b!.cut).toBe(true);
      expect(a!.during.attempts, 'first attempts on a during the cut').toBeGreaterThan(0);
      expect(a!.during.share, `a's share of domain outcomes during the cut: ${JSON.stringify(a!.during)}`).toBeGreaterThanOrEqual(
        CHAOS_PARTITION_MIN_DOMAIN_SHARE,
      );
      expect(b!.during.acked, `b's sales during the cut: ${JSON.stringify(b!.during)}`).toBeGreaterThan(0);
    }
    expect(report.violations).toEqual([]);
  },
  TIMEOUT_MS,
);
