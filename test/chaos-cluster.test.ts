/**
 * The chaos suite's cluster run (issue 16): its own PostgreSQL and a Redis Cluster of its own (3 masters,
 * a replica each), two stockgate server processes with the gate in its default 16 shards and the hot
 * SKUs in 8 buckets over the masters, 32 clients; the master serving a hot SKU's first bucket killed
 * with -9 under load (the cluster promotes its replica), then one instance killed with -9 and restarted;
 * then I1–I6 from the ledger and the gate.
 */
import { expect, it } from 'vitest';
import { expectInvariantsKept } from './chaos/expect-invariants.ts';
import { CLUSTER_FAULTS, costTable, runChaos, SHORT, table } from './chaos/run.ts';

/** Start-up (initdb, a cluster, two servers), about 8 s of load, agreement, checks: generous for a loaded machine. */
const TIMEOUT_MS = 240_000;

it(
  "keeps I1–I6 when the master of a hot SKU's bucket and then an instance are killed with -9 under load",
  async () => {
    const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const report = await runChaos({
      ...SHORT,
      seed,
      cluster: true,
      ...(process.env.CHAOS_LOG ? { log: (l) => console.log(`chaos cluster: ${l}`) } : {}),
    });
    console.log(`chaos cluster (seed ${seed}):\n${table(report)}\n\n${costTable(report)}`);

    expect(report.faults.map((f) => f.fault)).toEqual(CLUSTER_FAULTS);
    expectInvariantsKept(report);
    expect(report.violations).toEqual([]);
  },
  TIMEOUT_MS,
);
