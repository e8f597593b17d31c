/**
 * The chaos suite, short (issue 6): its own PostgreSQL and Redis, two stockgate server processes, 32
 * clients, and Redis FLUSHALL, Redis kill -9 + restart, kill -9 + restart of one instance, PostgreSQL
 * immediate stop + restart, one after another; then I1–I6 from the ledger and Redis. The long run is
 * `npm run chaos` (test/chaos/run.ts).
 */
import { expect, it } from 'vitest';
import { costTable, runChaos, SHORT, table } from './chaos/run.ts';

/** Start-up (initdb, two servers), about 15 s of load, agreement, checks: generous for a loaded machine. */
const TIMEOUT_MS = 240_000;

it(
  'keeps I1–I6 through FLUSHALL, a Redis kill, an instance kill and a PostgreSQL stop under load',
  async () => {
    const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const report = await runChaos({ ...SHORT, seed, ...(process.env.CHAOS_LOG ? { log: (l) => console.log(`chaos: ${l}`) } : {}) });
    console.log(`chaos (seed ${seed}):\n${table(report)}\n\n${costTable(report)}`);

    expect(report.faults.map((f) => f.fault)).toEqual(['redis-flushall', 'redis-kill', 'instance-kill', 'postgres-stop']);
    expect(report.stats.acked).toBeGreaterThan(0);
    expect(report.verdict.oversold).toBe(0);
    expect(report.verdict.lost).toBe(0);
    expect(report.verdict.doubled).toBe(0);
    expect(report.agreement.agreed).toBe(true);
    expect(report.agreement.stranded).toBe(0);
    expect(report.agreement.phantom).toBe(0);
    expect(report.stats.errors).toEqual({});
    expect(report.violations).toEqual([]);
  },
  TIMEOUT_MS,
);
