import type { ReplicaStatus } from '../db/replicas.ts';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PrismaClient } from '../db/client.ts';
import type { TakeKind } from '../inventory.ts';
import type { ReconcileReport } from '../sync/reconcile.ts';
import type { LedgerObserver } from '../ledger/group-commit.ts';
import { UNMERGED_OF_S } from '../ledger/truth.ts';

/**
 * What a deduct or reserve met at the gate, one count per gate call (a request that loads counters
 * first counts `missing`, then what it met next): the TakeOutcome kinds, plus `fallback` for requests
 * taken through PostgreSQL alone while Redis is away.
 */
export type GateOutcomeKind = 'taken' | 'short' | 'replay' | 'conflict' | 'missing' | 'throttled' | 'fallback';
export const GATE_OUTCOMES: readonly GateOutcomeKind[] = ['taken', 'short', 'replay', 'conflict', 'missing', 'throttled', 'fallback'];

/**
 * Requests per ledger statement: 1 when idle, up to hundreds in a burst (at most MAX_BATCH_LINES
 * lines). Powers of two keep the buckets few while showing how much grouping happens.
 */
const BATCH_REQUEST_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];
/**
 * Seconds a request waits from handing its rows to the writer to their commit: the 2 ms window plus a
 * round trip when healthy, up to the 5 s statement timeout when not.
 */
const LEDGER_WAIT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/**
 * A scrape never waits longer than this for the merge-lag query: a stalled PostgreSQL must not stall
 * the scraper too (the gauges then keep their last values, and `up` stays 1).
 */
const MERGE_LAG_QUERY_TIMEOUT_MS = 1_000;
/**
 * A SKU with a movement unmerged for this long is stuck: the merge worker folds every movement within
 * a few of its 250 ms passes, and one that fails on a SKU leaves it out and retries it every 10 s
 * (src/ledger/merge.ts). Counted from the ledger, so every instance reports the same SKUs.
 */
const MERGE_STUCK_AFTER_SECONDS = 60;

/**
 * The process's own metrics (CPU, memory, event loop lag, GC), collected once per process: their
 * collectors hook into the runtime and are never removed, so not once per app (tests build many).
 */
let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** Where the gauges read their values at scrape time. */
export interface MetricSources {
  prisma: PrismaClient;
  /** Whether the gate's circuit breaker is not closed (deducts going through PostgreSQL alone). */
  breakerOpen: () => boolean;
  /** Live subscriptions this instance serves. */
  subscriptions: () => number;
  /** Whether Redis answers now (src/observe/ready.ts: the check /ready makes). */
  redisAnswers: () => Promise<boolean>;
  /** The read replicas' states, in DATABASE_REPLICA_URLS order (none without replicas). */
  replicas?: () => ReplicaStatus[];
}

/** Where a metric registers: this app's registry alone. */
type Registers = Registry[];

/**
 * The domain's Prometheus metrics, on a registry of this app alone (two apps in one test process
 * must not share counters); Yoga's own GraphQL metrics go on the same registry (src/app/yoga.ts).
 * Names are listed in README's "Observability".
 */
export class DomainMetrics {
  readonly registry = new Registry();
  private readonly gateOutcomes: Counter<'kind' | 'outcome'>;
  private readonly rateLimited: Counter;
  private readonly reconciliation: ReconcileCounters;
  private readonly outboxSwept: Counter;
  private readonly stockBelowFloor: Counter;
  /** For LedgerWriter.observer: batch sizes and waits. */
  readonly ledger: LedgerObserver;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    this.gateOutcomes = gateOutcomeCounter(registers);
    this.rateLimited = new Counter({
      name: 'stockgate_rate_limited_total',
      help: 'HTTP requests refused by the per-caller rate limit (429)',
      registers,
    });
    this.ledger = ledgerObserver(registers);
    this.reconciliation = reconcileCounters(registers);
    this.outboxSwept = new Counter({
      name: 'stockgate_outbox_swept_total',
      help: 'Outbox rows delivered to the gate by the sweeper rather than by their own request (a crash or a Redis outage left them)',
      registers,
    });
    this.stockBelowFloor = new Counter({
      name: 'stockgate_stock_below_floor_total',
      help: 'SKUs the merge worker found below their floor (units sold that did not exist: a gate counter lied). Alert on any increase',
      registers,
    });
    stateGauges(sources, registers);
    mergeLagGauges(sources.prisma, registers);
    replicaGauges(sources.replicas ?? (() => []), registers);
  }

  /**
   * Where exposition() reads: this process's own registries, unless a worker process of several set
   * it to every worker's sum (src/observe/cluster-metrics.ts).
   */
  private scrape: () => Promise<string> = () => this.ownExposition();

  /**
   * The Prometheus text exposition: the process's metrics, then this app's (domain and GraphQL); in a
   * worker process of several, those of every worker, aggregated (README, "Observability").
   */
  exposition(): Promise<string> {
    return this.scrape();
  }

  /** This process's exposition alone. */
  private async ownExposition(): Promise<string> {
    return (await processMetrics().metrics()) + '\n' + (await this.registry.metrics());
  }

  /** The registries this process exposes: the process's own metrics and this app's. */
  registries(): Registry[] {
    return [processMetrics(), this.registry];
  }

  /** Makes exposition() answer what `scrape` reads instead (every worker's metrics, summed by the primary). */
  exposeFrom(scrape: () => Promise<string>): void {
    this.scrape = scrape;
  }

  readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE;

  /** `count` gate attempts of `kind` met `outcome` (a batch counts its carts' outcomes once each, not per cart). */
  gateOutcome(kind: TakeKind, outcome: GateOutcomeKind, count = 1): void {
    this.gateOutcomes.inc({ kind, outcome }, count);
  }

  rateLimit(): void {
    this.rateLimited.inc();
  }

  reconciled(report: ReconcileReport): void {
    this.reconciliation.settled.inc(report.settled);
    this.reconciliation.units.inc(report.units);
    this.reconciliation.rebuilt.inc(report.rebuilt.length);
  }

  swept(rows: number): void {
    this.outboxSwept.inc(rows);
  }

  belowFloor(skus: number): void {
    this.stockBelowFloor.inc(skus);
  }
}

/** The take kinds that pass the gate, each with every GateOutcomeKind. */
const GATED_KINDS = ['DEDUCT', 'RESERVE'] as const satisfies readonly TakeKind[];

function gateOutcomeCounter(registers: Registers): Counter<'kind' | 'outcome'> {
  const counter = new Counter({
    name: 'stockgate_gate_outcomes_total',
    help: 'Deduct and reserve attempts by what they met at the gate (taken, short, replay, conflict, missing, throttled, fallback)',
    labelNames: ['kind', 'outcome'],
    registers,
  });
  // Every series exists from the start, so rate() and alerts see a 0 rather than nothing.
  for (const kind of GATED_KINDS) for (const outcome of GATE_OUTCOMES) counter.inc({ kind, outcome }, 0);
  return counter;
}

/** The group commit's histograms and deadlock count, behind the observer interface the ledger writer calls. */
function ledgerObserver(registers: Registers): LedgerObserver {
  const batchRequests = new Histogram({
    name: 'stockgate_ledger_batch_requests',
    help: 'Requests written per group-commit statement',
    buckets: BATCH_REQUEST_BUCKETS,
    registers,
  });
  const batchLines = new Histogram({
    name: 'stockgate_ledger_batch_lines',
    help: 'Cart lines (movements) written per group-commit statement',
    buckets: BATCH_REQUEST_BUCKETS,
    registers,
  });
  const wait = new Histogram({
    name: 'stockgate_ledger_wait_seconds',
    help: "Time from a request handing its rows to the group commit to its batch's commit",
    buckets: LEDGER_WAIT_BUCKETS,
    registers,
  });
  const deadlocks = new Counter({
    name: 'stockgate_ledger_deadlock_retries_total',
    help: 'Group-commit statements that lost a PostgreSQL deadlock and ran again',
    registers,
  });
  return {
    deadlockRetried: () => deadlocks.inc(),
    batchCommitted: (requests, lines) => {
      batchRequests.observe(requests);
      batchLines.observe(lines);
    },
    waited: (ms) => wait.observe(ms / 1000),
  };
}

interface ReconcileCounters {
  settled: Counter;
  units: Counter;
  rebuilt: Counter;
}

function reconcileCounters(registers: Registers): ReconcileCounters {
  return {
    settled: new Counter({
      name: 'stockgate_reconcile_settled_takes_total',
      help: 'Stale in-flight gate takes settled by reconciliation (a crash or a failed write left them)',
      registers,
    }),
    units: new Counter({
      name: 'stockgate_reconcile_settled_units_total',
      help: 'Units those takes still held at the gate, counted from the truth again',
      registers,
    }),
    rebuilt: new Counter({
      name: 'stockgate_reconcile_rebuilt_counters_total',
      help: 'Gate counters rebuilt from the truth by reconciliation',
      registers,
    }),
  };
}

/**
 * Gauges of this instance's state, read from `sources` at scrape time. With several worker processes
 * (src/app/processes.ts) a scrape answers every worker's, summed unless `aggregator` says otherwise:
 * the 0/1 gauges take the max (1 while any worker is in that state).
 */
function stateGauges(sources: MetricSources, registers: Registers): void {
  new Gauge({
    name: 'stockgate_gate_fallback',
    help: '1 while the circuit breaker is open or probing, and deducts and reserves go through PostgreSQL alone',
    registers,
    aggregator: 'max',
    collect() {
      this.set(sources.breakerOpen() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'stockgate_degraded',
    help: '1 while Redis does not answer and this instance sells through PostgreSQL alone: /ready\'s 200 "degraded"',
    registers,
    aggregator: 'max',
    async collect() {
      this.set((await sources.redisAnswers()) ? 0 : 1);
    },
  });
  new Gauge({
    name: 'stockgate_live_subscriptions',
    help: 'Live subscriptions (levels and alerts, graphql-ws and SSE) this instance serves',
    registers,
    collect() {
      this.set(sources.subscriptions());
    },
  });
}

/** Each read replica's lag and whether it serves reads, labelled by its place in DATABASE_REPLICA_URLS (1, 2, …; no URLs). */
function replicaGauges(replicas: () => ReplicaStatus[], registers: Registers): void {
  new Gauge({
    name: 'stockgate_replica_lag_seconds',
    help: 'How far each read replica is behind the primary (-1 while unreachable), as last measured (src/db/replicas.ts)',
    labelNames: ['replica'],
    registers,
    collect() {
      this.reset();
      replicas().forEach((r, i) => this.set({ replica: String(i + 1) }, r.lagMs === null ? -1 : r.lagMs / 1_000));
    },
  });
  new Gauge({
    name: 'stockgate_replica_in_rotation',
    help: '1 while a read replica serves reads (reachable, and within REPLICA_MAX_LAG_MS of the primary), else 0',
    labelNames: ['replica'],
    registers,
    collect() {
      this.reset();
      replicas().forEach((r, i) => this.set({ replica: String(i + 1) }, r.state === 'in rotation' ? 1 : 0));
    },
  });
}

/**
 * The merge worker's lag, read from the ledger at scrape time (the same on every instance): every
 * worker process reads the same value, so they aggregate by max, not sum.
 */
function mergeLagGauges(prisma: PrismaClient, registers: Registers): void {
  // One query per scrape feeds all three gauges: the registry collects them concurrently, so they share it.
  let reading: Promise<MergeLag | null> | null = null;
  const lag = () =>
    (reading ??= mergeLag(prisma)
      .catch(() => null)
      .finally(() => setImmediate(() => (reading = null))));
  const gauge = (name: string, help: string, value: (lag: MergeLag) => number) =>
    new Gauge({
      name,
      help,
      registers,
      aggregator: 'max',
      async collect() {
        const now = await lag();
        if (now) this.set(value(now));
      },
    });
  gauge('stockgate_merge_unmerged_movements', 'Ledger movements not yet folded into their SKU rows by the merge worker', (l) => l.count);
  gauge(
    'stockgate_merge_oldest_unmerged_seconds',
    'Age of the oldest movement not yet merged (0 when none): how far the merge worker lags',
    (l) => l.oldestSeconds,
  );
  gauge(
    'stockgate_merge_stuck_skus',
    `SKUs with a movement unmerged for over ${MERGE_STUCK_AFTER_SECONDS} s: their rows cannot be updated (see the merge worker's log), or no merge worker runs`,
    (l) => l.stuckSkus,
  );
}

interface MergeLag {
  count: number;
  oldestSeconds: number;
  stuckSkus: number;
}

/**
 * Unmerged movements (src/ledger/merge.ts): those after the merge position, and those of SKUs waiting
 * for a retry between their rows' merged positions and it.
 */
const MERGE_LAG_SQL = `
WITH p AS (SELECT tx, movement_id AS id FROM merge_position), unmerged AS (
  SELECT m.sku_id, m.created_at FROM movement m, p WHERE (m.tx, m.id) > (p.tx, p.id)
  UNION ALL
  SELECT m.sku_id, m.created_at FROM merge_retry r JOIN sku s ON s.id = r.sku_id JOIN movement m ON m.sku_id = s.id, p
  WHERE ${UNMERGED_OF_S} AND (m.tx, m.id) <= (p.tx, p.id)
)
SELECT count(*)::int AS n, extract(epoch FROM now() - min(created_at))::float8 AS age,
       count(DISTINCT sku_id) FILTER (WHERE created_at < now() - make_interval(secs => $1))::int AS stuck
FROM unmerged`;

async function mergeLag(prisma: PrismaClient): Promise<MergeLag> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('merge lag query timed out')), MERGE_LAG_QUERY_TIMEOUT_MS);
  });
  try {
    const [row] = await Promise.race([
      prisma.$queryRawUnsafe<{ n: number; age: number | null; stuck: number }[]>(MERGE_LAG_SQL, MERGE_STUCK_AFTER_SECONDS),
      timeout,
    ]);
    return { count: row?.n ?? 0, oldestSeconds: Math.max(0, row?.age ?? 0), stuckSkus: row?.stuck ?? 0 };
  } finally {
    clearTimeout(timer);
  }
}
