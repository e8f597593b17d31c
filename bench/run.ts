/**
 * `npm run bench`: stockgate against the designs it replaces, side by side in one run (issues 7 and 14).
 *
 * Modes (each a fresh server process on its own database and Redis prefix):
 *   ceiling           the same Yoga server answering a constant result: HTTP + GraphQL alone
 *   seed 001 bare     seed 001's design as it stands (bench/bare.ts): one transaction per request, the
 *                     flow-table INSERT and a conditional UPDATE … WHERE available >= n (the honest baseline)
 *   db-only           stockgate's Redis-down fallback (STOCKGATE_MODE=db-only): PostgreSQL alone
 *   gate+per-request  seed 002: the Redis gate, then one ledger transaction per request
 *   lean              the least a cart costs on this stack (bench/lean.ts): Yoga, one minimal Lua call
 *                     and one INSERT per 100-cart request; batch scenarios only
 *   stockgate         the full path: gate, group commit, merge worker
 *   stockgate ×2      the same with WEB_CONCURRENCY=2 (a primary and its workers; CPU counted over all)
 *   stockgate cluster the full path on a Redis Cluster of its own (3 masters, a replica each: issue 16),
 *                     the gate in its default 16 shards and the hot SKU in HOT_BUCKETS buckets; its
 *                     Redis CPU is every node's
 *   ceiling again     the ceiling's hot SKU once more, at the run's end: the hot-SKU ratios take the
 *                     mean of both as their denominator (the machine's speed drifts within a run)
 * Scenarios: one hot SKU, 1,000 SKUs uniformly, 3-line carts; and sold out (a SKU seeded with 0
 * available, every request refused InsufficientStock) for the ceiling and both stockgate rows. The
 * stockgate rows also run the batch scenarios of issue 15 (deductStockBatch, 100 carts per request):
 * hot SKU ×100 (one-unit carts of the hot SKU) and 3-line carts ×100 (over the 1,000 SKUs); their
 * figures count carts, and their ratios are taken against the ceiling's hot-SKU req/s. The ceiling
 * runs hot SKU ×100 too: the most carts a second Yoga alone answers in 100-cart requests here; the
 * lean runs both batch scenarios: the most a leaner design could reach here.
 * Load: autocannon, 64 connections (batch scenarios: BATCH_CONNECTIONS), a fixed time per run; one constant query
 * text with the order ids in the variables (autocannon's [<id>] replacement), as real clients send it.
 * Around each window: the server's CPU (its process tree, from /proc), Redis's CPU and memory (INFO),
 * PostgreSQL's CPU (every postgres process, from /proc) and its transactions in the bench's database
 * (pg_stat_database). bench/report.ts turns them into the table and the issue-14 and issue-15 targets.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer as createNetServer } from 'node:net';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import { CLUSTER_GATE_SHARDS } from '../src/config.ts';
import { deployMigrations, dropDatabase } from '../src/db/migrate.ts';
import { Gate } from '../src/gate/gate.ts';
import { GateKeys } from '../src/gate/keys.ts';
import { defineGateCommands } from '../src/gate/scripts.ts';
import { OwnRedisCluster } from '../test/support/redis-cluster.ts';
import { bareAcknowledged, bareCheck, createBareDatabase, leanCheck } from './bare-db.ts';
import {
  FLUSH_SECONDS,
  keyTtls,
  lastingKeys,
  pgTransactions,
  postgresCpuMs,
  postmasterPid,
  redisCpuMs,
  redisUsedMemory,
  stillRunning,
  treeCpu,
  type TreeCpu,
} from './meter.ts';
import { chart, HISTORY_COLUMNS, historyRow, table, targetsSection, type Row } from './report.ts';
import { SOLD_OUT_SKU } from './schema.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results');
/** Connections the load generator keeps busy (issue 7). */
const CONNECTIONS = 64;
/** Carts per deductStockBatch request in the batch scenarios (issue 15). */
const CARTS_PER_REQUEST = 100;
/**
 * Connections for the batch scenarios. 64 would keep 6,400 carts in flight: a request waits seconds in
 * the server's queue (p99 over 2 s in a trial, near the 5 s statement timeout) and the requests under
 * way at a window's edges blur its count by up to 6,400 carts. 16 (1,600 in flight) left the cores idle
 * while the machine ran slow: hot SKU ×100 reached 79–88 % of the carts a second its CPU per cart allows
 * (2026-12-03, on an AMD EPYC; 24 to 48 connections: 91–92 %), its carts waiting on one another's
 * latency, not on a core. 32 keep 3,200 in flight (±2 % of a window's count), p99 under 0.7 s.
 */
const BATCH_CONNECTIONS = 32;
/**
 * Seconds per measured run. 25 runs of warm-up and window (4 of them issue 15's batch scenarios), plus
 * an idle window and two stats flushes for each sold-out row with a database, plus starting, seeding
 * and checking six servers: about 10 minutes at 10 s (issue 14 allows 12).
 */
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
/** Seconds of unmeasured warm-up per run (JIT, connection pools, script cache; sold out: the gate learns it). */
const WARMUP_S = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
/**
 * Stock of the hot SKU: more than any run can sell, so every cart is a real deduct. The most
 * upsertSkus accepts (src/stock/input.ts MAX_STOCK_LEVEL): the batch scenarios sell 100 carts per
 * request, and checkStockSuffices makes sure no run can sell a SKU out even at CART_RATE_BOUND.
 */
const HOT_STOCK = 1_000_000_000;
/** Carts a second no run of this bench comes near (the ceiling answers about 3,000 requests a second here, issue 15 aims at 30,000 carts): what the stock is sized for. */
const CART_RATE_BOUND = 200_000;
const UNIFORM_SKUS = 1_000;
/** Every SKU the bench seeds, and its available units. */
const STOCK = new Map<string, number>([
  ['hot', HOT_STOCK],
  ...Array.from({ length: UNIFORM_SKUS }, (_, i) => [`u${i}`, HOT_STOCK / UNIFORM_SKUS] as [string, number]),
  [SOLD_OUT_SKU, 0],
]);
/** How long a server process may take to start listening. */
const START_TIMEOUT_MS = 30_000;
/** Ports tried per server: another process may take a free port before the server listens on it. */
const START_ATTEMPTS = 3;
const PG_BASE = process.env.BENCH_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Looks at the invariants before a difference between Redis and PostgreSQL counts (checkSettled). */
const CHECK_LOOKS = 3;
/** The longest wait for a server to finish what the load left under way (settle). */
const SETTLE_LIMIT_MS = 20_000;
/** The longest wait for the merge worker's backlog after the load scenarios (idle). */
const IDLE_LIMIT_MS = 120_000;
/** The longest wait for a new deployment's replay filter: its keeper's settle delay (30 s) and two passes, with room. */
const REPLAY_FILTER_LIMIT_MS = 90_000;
/** Idempotency records under a deployment's prefix (src/gate/keys.ts): whose TTL the report shows. */
const IDEMPOTENCY_KEYS = 'idem:*';

/** setStockBatch items the bench times in one request (issue 15), and how many times (the median counts). */
const BULK_SET_ITEMS = 10_000;
const BULK_SET_RUNS = 3;

type Scenario = 'hot SKU' | '1,000 SKUs' | '3-line carts' | 'sold out' | 'hot SKU ×100' | '3-line carts ×100';
const DEDUCTS: Scenario[] = ['hot SKU', '1,000 SKUs', '3-line carts'];
const ALL: Scenario[] = [...DEDUCTS, 'sold out'];
/** deductStockBatch, CARTS_PER_REQUEST carts per request (issue 15): the stockgate rows', lean's and (hot SKU ×100) the ceiling's. */
const BATCH: Scenario[] = ['hot SKU ×100', '3-line carts ×100'];
const isBatch = (scenario: Scenario) => BATCH.includes(scenario);
const connectionsFor = (scenario: Scenario) => (isBatch(scenario) ? BATCH_CONNECTIONS : CONNECTIONS);
const cartsPerRequest = (scenario: Scenario) => (isBatch(scenario) ? CARTS_PER_REQUEST : 1);

interface ModeSpec {
  mode: string;
  entry: 'bench/ceiling.ts' | 'bench/bare.ts' | 'bench/lean.ts' | 'src/main.ts';
  /** STOCKGATE_MODE for src/main.ts. */
  serverMode?: 'db-only' | 'per-request' | 'full';
  /** WEB_CONCURRENCY for src/main.ts (default 1); the bench's own servers get none. */
  workers?: number;
  /** On a Redis Cluster of the mode's own instead of the shared Redis. */
  cluster?: boolean;
  scenarios: Scenario[];
}
const ALL_MODES: ModeSpec[] = [
  { mode: 'ceiling', entry: 'bench/ceiling.ts', scenarios: [...ALL, 'hot SKU ×100'] },
  { mode: 'seed 001 bare', entry: 'bench/bare.ts', scenarios: DEDUCTS },
  { mode: 'db-only', entry: 'src/main.ts', serverMode: 'db-only', scenarios: DEDUCTS },
  { mode: 'gate+per-request', entry: 'src/main.ts', serverMode: 'per-request', scenarios: DEDUCTS },
  { mode: 'lean', entry: 'bench/lean.ts', scenarios: BATCH },
  { mode: 'stockgate', entry: 'src/main.ts', serverMode: 'full', scenarios: [...ALL, ...BATCH] },
  { mode: 'stockgate ×2', entry: 'src/main.ts', serverMode: 'full', workers: 2, scenarios: [...ALL, ...BATCH] },
  { mode: 'stockgate cluster', entry: 'src/main.ts', serverMode: 'full', cluster: true, scenarios: [...DEDUCTS, 'hot SKU ×100'] },
  // The ceiling's hot SKU once more, last: every ratio to it takes the mean of both (bench/report.ts),
  // so a slow or fast moment of this machine at the run's start no longer moves them all.
  { mode: 'ceiling again', entry: 'bench/ceiling.ts', scenarios: ['hot SKU'] },
];
/** Buckets of the hot SKU on the cluster (src/gate/buckets.ts): its sales spread over the three masters. */
const HOT_BUCKETS = 8;
/** BENCH_MODES=ceiling,stockgate runs only those (for trying the harness; a partial run's ratios lack their denominators). */
const CHOSEN_MODES = process.env.BENCH_MODES ? ALL_MODES.filter((m) => process.env.BENCH_MODES?.split(',').includes(m.mode)) : ALL_MODES;
/** BENCH_SCENARIOS='hot SKU,hot SKU ×100' runs only those scenarios of the chosen modes (for A/B trials of one path). */
const CHOSEN_SCENARIOS = process.env.BENCH_SCENARIOS?.split(',');
const MODES = CHOSEN_MODES.map((m) => ({ ...m, scenarios: m.scenarios.filter((s) => CHOSEN_SCENARIOS?.includes(s) ?? true) }));
const PARTIAL_RUN = process.env.BENCH_MODES !== undefined || CHOSEN_SCENARIOS !== undefined;

const QUERY = `mutation Deduct($input: DeductStockInput!) { deductStock(input: $input) { __typename ... on DeductStockSuccess { orderId } } }`;
/** The whole answer to a refused deduct of QUERY: the refusal's __typename and nothing else. */
const REFUSAL_BODY = '{"data":{"deductStock":{"__typename":"InsufficientStock"}}}';
const SUCCESS_PREFIX = '{"data":{"deductStock":{"__typename":"DeductStockSuccess"';
/** The batch scenarios' query: each cart's result type, nothing else, so the answer is what the carts cost. */
const BATCH_QUERY = `mutation DeductBatch($input: DeductStockBatchInput!) { deductStockBatch(input: $input) { results { __typename } } }`;
/** The whole answer to a batch whose every cart was deducted. */
const BATCH_SUCCESS_BODY = JSON.stringify({
  data: { deductStockBatch: { results: Array.from({ length: CARTS_PER_REQUEST }, () => ({ __typename: 'DeductStockSuccess' })) } },
});

interface Cart {
  orderId: string;
  lines: { skuId: string; quantity: number }[];
}

/**
 * The carts of one request body, with [<id>] for autocannon to make the order ids unique: it puts the
 * same id in every place of a request, so a batch's carts add their index, o-<connection>-[<id>]-<k>.
 */
function carts(scenario: Scenario, connection: number): Cart[] {
  const one = (lines: Cart['lines']): Cart[] => [{ orderId: `o-${connection}-[<id>]`, lines }];
  const batch = (lines: (k: number) => Cart['lines']): Cart[] =>
    Array.from({ length: CARTS_PER_REQUEST }, (_, k) => ({ orderId: `o-${connection}-[<id>]-${k}`, lines: lines(k) }));
  const u = (i: number) => ({ skuId: `u${i % UNIFORM_SKUS}`, quantity: 1 });
  switch (scenario) {
    case 'hot SKU':
      return one([{ skuId: 'hot', quantity: 1 }]);
    case 'sold out':
      return one([{ skuId: SOLD_OUT_SKU, quantity: 1 }]);
    case '1,000 SKUs':
      return one([u(connection)]);
    case '3-line carts':
      return one([0, 1, 2].map((j) => u(connection * 3 + j)));
    case 'hot SKU ×100':
      return batch(() => [{ skuId: 'hot', quantity: 1 }]);
    case '3-line carts ×100':
      // 300 distinct SKUs per request, the connections' requests side by side over all 1,000.
      return batch((k) => [0, 1, 2].map((j) => u((connection * CARTS_PER_REQUEST + k) * 3 + j)));
  }
}

/** The request body of a connection. */
function body(scenario: Scenario, connection: number): string {
  const cs = carts(scenario, connection);
  return isBatch(scenario)
    ? JSON.stringify({ query: BATCH_QUERY, variables: { input: { carts: cs } } })
    : JSON.stringify({ query: QUERY, variables: { input: cs[0] } });
}

/** A batch answer that was not all successes, in short: how many carts got each result (or its start, if it has errors). */
function batchSummary(text: string): string {
  if (text.includes('"errors"')) return text.slice(0, 300);
  const counts = new Map<string, number>();
  for (const [, type = '?'] of text.matchAll(/"__typename":"(\w+)"/g)) counts.set(type, (counts.get(type) ?? 0) + 1);
  return [...counts].map(([type, n]) => `${n} × ${type}`).join(', ') || text.slice(0, 300);
}

/**
 * Throws if a run as long as this one could sell a SKU out (a refused cart is no deduct): each mode's
 * scenarios at CART_RATE_BOUND carts a second, over warm-up and window, spread as the bodies spread
 * their lines (every connection sends every body in turn).
 */
function checkStockSuffices(modes: ModeSpec[]): void {
  for (const spec of modes) {
    const need = new Map<string, number>();
    for (const scenario of spec.scenarios.filter((s) => s !== 'sold out')) {
      const bodies = Array.from({ length: connectionsFor(scenario) }, (_, c) => carts(scenario, c));
      const requests = ((WARMUP_S + DURATION_S) * CART_RATE_BOUND) / cartsPerRequest(scenario);
      for (const l of bodies.flat().flatMap((cart) => cart.lines))
        need.set(l.skuId, (need.get(l.skuId) ?? 0) + (l.quantity * requests) / bodies.length);
    }
    const short = [...need].filter(([sku, units]) => units > (STOCK.get(sku) ?? 0));
    if (short.length > 0) {
      const [sku, units] = short[0]!;
      throw new Error(
        `${spec.mode}: at ${CART_RATE_BOUND} carts/s a run this long could sell ${Math.round(units)} of ${sku} (stock ${STOCK.get(sku)}): shorten BENCH_SECONDS or raise HOT_STOCK`,
      );
    }
  }
}

/** A port nothing listens on now, from the kernel (the servers listen on every interface, as stockgate does). */
async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(0, resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** Starts a mode's server on a free port; again on another if it could not listen (a port taken meanwhile). */
async function startOnFreePort(spec: ModeSpec, env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return { child: await start(spec, port, env), port };
    } catch (err) {
      if (attempt >= START_ATTEMPTS) throw err;
      console.log(`  ${spec.mode} did not start on port ${port}; trying another`);
    }
  }
}

/**
 * Every server runs as in production (the Dockerfile's NODE_ENV): graphql-js, among others, checks more
 * in development. stockgate then requires API keys: the bench calls as an admin of its own.
 */
const BENCH_API_KEY = randomBytes(16).toString('hex');
const PRODUCTION_ENV = { NODE_ENV: 'production', STOCKGATE_API_KEYS: `bench:admin:${BENCH_API_KEY}` };
const REQUEST_HEADERS = { 'content-type': 'application/json', authorization: `Bearer ${BENCH_API_KEY}` };

/**
 * Node's flags for every server, as `npm start` and the Dockerfile run stockgate (package.json), then
 * BENCH_NODE_FLAGS' (space-separated): to A/B a flag of Node's or V8's before it goes into `npm start`.
 */
const SERVER_NODE_FLAGS = ['--max-semi-space-size=128', ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [])];
/**
 * stockgate runs as `npm start` runs it: compiled by tsc into dist/ (built first when stale, as npm
 * start's prestart does), not transformed on load by tsx. tsx's esbuild names every function
 * expression at run time (keepNames: a `__name` call, an Object.defineProperty, each time a closure is
 * made), which production never pays: about 2 % of the server's CPU in a hot SKU ×100 window. The
 * bench's own servers (the ceiling, seed 001 bare) stay on tsx: every `__name` in their esbuild output
 * is at module level, paid once at load, never per request.
 */
const STOCKGATE_BUILT = join(ROOT, 'dist', 'main.js');
const runsStockgate = (spec: ModeSpec) => spec.entry === 'src/main.ts';
/** Lean (bench/lean.ts): a gate on the shared Redis, under a prefix of its own, and seed 001's tables. */
const runsLean = (spec: ModeSpec) => spec.entry === 'bench/lean.ts';
/** Seed 001 bare and lean write seed 001's flow table (bench/bare-db.ts), not stockgate's ledger. */
const writesBareFlow = (spec: ModeSpec) => spec.entry === 'bench/bare.ts' || runsLean(spec);
const buildStockgateIfStale = () => execFileSync(process.execPath, [join(ROOT, 'tools', 'build-if-stale.mjs')], { stdio: 'inherit' });

/** The last lines each server logged (warnings and errors: LOG_LEVEL=warn), to say why an operation failed. */
const serverLogs = new WeakMap<ChildProcess, () => string>();

async function start(spec: ModeSpec, port: number, env: Record<string, string>): Promise<ChildProcess> {
  const base = { ...process.env };
  delete base.WEB_CONCURRENCY;
  // BENCH_PROFILE_DIR: each server writes a V8 CPU profile there when it stops (for profiling a path).
  const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
  const program = runsStockgate(spec) ? [STOCKGATE_BUILT] : ['--import', 'tsx', spec.entry];
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...profile, ...program], {
    cwd: ROOT,
    env: { ...base, ...PRODUCTION_ENV, PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Read what it logs, or a full pipe would stop the server: the last lines say why one did not start.
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  });
  serverLogs.set(child, () => output);
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: REQUEST_HEADERS,
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      if (res.ok) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop(child);
      throw new Error(`${spec.mode} server did not start:\n${output}`);
    }
    await sleep(200);
  }
}

/** Stops the server, then any process of its tree that outlived it (a cluster worker left behind). */
async function stop(child: ChildProcess): Promise<void> {
  const tree = child.pid === undefined ? [] : treeCpu(child.pid).processes;
  if (child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(15_000).then(() => child.kill('SIGKILL'))]);
  }
  await sleep(500);
  for (const p of tree.filter(stillRunning)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

interface Load {
  result: autocannon.Result;
  /** The first answer that was not the expected one, for the log. */
  unexpected?: string;
}

async function load(url: string, scenario: Scenario, seconds: number, title: string): Promise<Load> {
  const connections = connectionsFor(scenario);
  const requests = Array.from({ length: connections }, (_, c) => c);
  let unexpected: string | undefined;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        duration: seconds,
        method: 'POST',
        headers: REQUEST_HEADERS,
        idReplacement: true,
        // One body per connection, fixed for the run; autocannon swaps [<id>] per request.
        requests: requests.map((c) => ({ body: body(scenario, c) })),
        // autocannon reads every answer anyway: the wrong ones count as mismatches.
        verifyBody: (answer: unknown) => {
          const text = String(answer);
          const ok =
            scenario === 'sold out'
              ? text === REFUSAL_BODY
              : isBatch(scenario)
                ? text === BATCH_SUCCESS_BODY
                : text.startsWith(SUCCESS_PREFIX);
          if (!ok) unexpected ??= isBatch(scenario) ? batchSummary(text) : text.slice(0, 300);
          return ok;
        },
        title,
      },
      (err, res) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(res)),
    );
    autocannon.track(instance, { renderProgressBar: process.stdout.isTTY, renderResultsTable: false, renderLatencyTable: false });
  });
  return unexpected === undefined ? { result } : { result, unexpected };
}

async function sql<T>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Oversold units (must be 0) and whether every Redis counter equals the PostgreSQL truth. */
async function check(databaseUrl: string, gate: Gate): Promise<{ oversold: number; agree: boolean }> {
  const truth = await sql<{ id: string; available: number; sold: number; initial: number }>(
    databaseUrl,
    `SELECT s.id, (s.available + coalesce(sum(m.delta_available) FILTER (WHERE (m.tx, m.id) > (s.merged_through_tx, s.merged_through_id)), 0))::int AS available,
            (s.sold + coalesce(sum(m.delta_sold) FILTER (WHERE (m.tx, m.id) > (s.merged_through_tx, s.merged_through_id)), 0))::int AS sold,
            coalesce(sum(m.quantity) FILTER (WHERE m.kind = 'ADJUST'), 0)::int AS initial
     FROM sku s LEFT JOIN movement m ON m.sku_id = s.id GROUP BY s.id`,
  );
  const oversold = truth.reduce((n, t) => n + Math.max(0, t.sold - t.initial), 0);
  const disagree: string[] = [];
  // Read as the service reads its counters: every shard and bucket (src/gate/gate.ts); null, not held.
  const levels = await gate.levels(truth.map((t) => t.id));
  truth.forEach((t, i) => {
    const level = levels[i];
    if (level && (level.available !== t.available || level.sold !== t.sold))
      disagree.push(`${t.id}: Redis available=${level.available} sold=${level.sold}, PostgreSQL available=${t.available} sold=${t.sold}`);
  });
  if (disagree.length > 0) console.log(`  Redis ≠ PostgreSQL on ${disagree.length} SKU(s), e.g. ${disagree.slice(0, 3).join('; ')}`);
  return { oversold, agree: disagree.length === 0 };
}

/**
 * The invariants once the work has settled. Redis is read after PostgreSQL, so a deduct that lands in
 * between (an outbox row delivered late) shows as a difference that the next look no longer has: only
 * a difference seen on every one of a few looks, seconds apart, counts.
 */
async function checkSettled(databaseUrl: string, gate: Gate): Promise<{ oversold: number; agree: boolean }> {
  let verdict = await check(databaseUrl, gate);
  for (let look = 1; look < CHECK_LOOKS && !verdict.agree; look++) {
    await sleep(2_000);
    verdict = await check(databaseUrl, gate);
  }
  return verdict;
}

/**
 * Waits until the server has finished what the load left under way: requests still in the server when
 * autocannon stops (up to the 5 s statement timeout) and their deliveries to Redis. Done when the ledger
 * has not grown for two looks a second apart, or after SETTLE_LIMIT_MS.
 */
async function settle(server: Server): Promise<void> {
  const deadline = Date.now() + SETTLE_LIMIT_MS;
  let last = -1;
  for (let unchanged = 0; unchanged < 2 && Date.now() < deadline;) {
    await sleep(1_000);
    const now = await acknowledgedNow(server);
    unchanged = now === last ? unchanged + 1 : 0;
    last = now;
  }
}

/** Server CPU below this share of one core over a second counts as idle. */
const IDLE_CPU_SHARE = 0.05;

/**
 * Until the merge worker has folded every movement and the server's process tree uses less than
 * IDLE_CPU_SHARE of a core over a second (at most IDLE_LIMIT_MS).
 */
async function idle(server: Server): Promise<void> {
  const deadline = Date.now() + IDLE_LIMIT_MS;
  let before = treeCpu(server.pid).ms;
  while (Date.now() < deadline) {
    await sleep(1_000);
    const now = treeCpu(server.pid).ms;
    const [unmerged] = await sql<{ n: number }>(
      server.databaseUrl!,
      `SELECT count(*)::int AS n FROM movement m JOIN sku s ON s.id = m.sku_id WHERE (m.tx, m.id) > (s.merged_through_tx, s.merged_through_id)`,
    );
    if (now - before < IDLE_CPU_SHARE * 1_000 && unmerged?.n === 0) return;
    before = now;
  }
}

/**
 * Waits for the new deployment's replay filter (src/sync/replay-filter.ts) to be built: its second scan
 * of the ledger runs once, about 30 s after the server starts, and would land in whichever window is
 * under way then. The windows measure the steady state; the rebuild is measured on its own (its test).
 */
async function replayFilterBuilt(gate: Gate): Promise<void> {
  const deadline = Date.now() + REPLAY_FILTER_LIMIT_MS;
  while (!(await gate.replayFilterComplete())) {
    if (Date.now() > deadline) throw new Error(`the replay filter was not built within ${REPLAY_FILTER_LIMIT_MS} ms`);
    await sleep(500);
  }
}

/** Deducts in the ledger so far: one gate request row each. */
async function acknowledged(databaseUrl: string): Promise<number> {
  const [row] = await sql<{ n: number }>(databaseUrl, `SELECT count(*)::int AS n FROM gate_request WHERE kind = 'DEDUCT'`);
  return row?.n ?? 0;
}

async function seed(url: string, hotBuckets: number): Promise<void> {
  const upsert = `mutation U($input: UpsertSkusInput!) { upsertSkus(input: $input) { __typename } }`;
  const post = async (input: unknown[]) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: REQUEST_HEADERS,
      body: JSON.stringify({ query: upsert, variables: { input: { skus: input } } }),
    });
    const text = await res.text();
    if (!text.includes('"UpsertSkusSuccess"')) throw new Error(`seeding failed: ${text.slice(0, 300)}`);
  };
  await post([
    { id: 'hot', name: 'Hot item', available: STOCK.get('hot'), buckets: hotBuckets },
    { id: SOLD_OUT_SKU, name: 'Sold out', available: 0 },
  ]);
  for (let i = 0; i < UNIFORM_SKUS; i += 100) {
    await post(Array.from({ length: 100 }, (_, k) => ({ id: `u${i + k}`, available: STOCK.get(`u${i + k}`) })));
  }
}

/**
 * Times setStockBatch of BULK_SET_ITEMS SKUs in one request, BULK_SET_RUNS times, each setting new
 * levels (every item an ADJUST). The SKUs are created empty straight in PostgreSQL (a row each, as
 * upsertSkus creates them): through upsertSkus they would take 100 calls.
 */
async function bulkSet(server: Server): Promise<{ bulkSetMs: number; bulkSetItems: number }> {
  const ids = Array.from({ length: BULK_SET_ITEMS }, (_, i) => `bulk${i}`);
  await sql(server.databaseUrl!, `INSERT INTO sku (id, updated_at) SELECT unnest($1::text[]), now()`, [ids]);
  const query = `mutation S($input: SetStockBatchInput!) { setStockBatch(input: $input) { results { __typename } } }`;
  const took: number[] = [];
  for (let run = 1; run <= BULK_SET_RUNS; run++) {
    const items = ids.map((skuId, i) => ({ skuId, available: run * 10 + (i % 10) }));
    const started = performance.now();
    const res = await fetch(server.url, {
      method: 'POST',
      headers: REQUEST_HEADERS,
      body: JSON.stringify({ query, variables: { input: { items } } }),
    });
    const text = await res.text();
    took.push(performance.now() - started);
    const set = text.split('"SetStockSuccess"').length - 1;
    if (set !== BULK_SET_ITEMS) {
      const log = serverLogs.get(server.child)?.() ?? '';
      throw new Error(`setStockBatch set ${set} of ${BULK_SET_ITEMS}: ${text.slice(0, 300)}\nthe server's last log lines:\n${log}`);
    }
  }
  return { bulkSetMs: took.sort((a, b) => a - b)[Math.floor(BULK_SET_RUNS / 2)]!, bulkSetItems: BULK_SET_ITEMS };
}

/** Everything read at one edge of a window. */
interface Snapshot {
  at: number;
  server: TreeCpu;
  /** This process's CPU, ms: the load generator's (autocannon runs here), for the machine's budget per cart. */
  loadCpu: number;
  redisCpu: number;
  redisMemory: number;
  pgCpu: number | null;
  txns: number | null;
}

/** The counters and the server's state around a measured window. */
class Meters {
  constructor(
    readonly redis: Redis,
    readonly admin: pg.Client,
    /** PostgreSQL's postmaster on this machine (null: PostgreSQL runs elsewhere, its CPU is not measured). */
    readonly postmaster: number | null,
    /** Every Redis server the mode uses: CPU and memory are their sums (a cluster's nodes). */
    readonly redisNodes: Redis[] = [redis],
  ) {}

  /** The same, with Redis read on a cluster's nodes. Its keys are not scanned (they spread over the nodes). */
  onCluster(nodes: Redis[]): Meters {
    return new Meters(this.redis, this.admin, this.postmaster, nodes);
  }

  /** Whether the mode's keys are on `redis`, to scan for lasting keys and TTLs. */
  get scansKeys(): boolean {
    return this.redisNodes.length === 1 && this.redisNodes[0] === this.redis;
  }

  async redisMemory(): Promise<number> {
    return (await Promise.all(this.redisNodes.map(redisUsedMemory))).reduce((a, b) => a + b, 0);
  }

  async snapshot(serverPid: number, database: string | null): Promise<Snapshot> {
    const at = performance.now();
    const server = treeCpu(serverPid);
    const { user, system } = process.cpuUsage();
    const loadCpu = (user + system) / 1000;
    const pgCpu = postgresCpuMs(this.postmaster);
    const [redisCpu, redisMemory, txns] = await Promise.all([
      Promise.all(this.redisNodes.map(redisCpuMs)).then((each) => each.reduce((a, b) => a + b, 0)),
      this.redisMemory(),
      database === null ? Promise.resolve(null) : pgTransactions(this.admin, database),
    ]);
    return { at, server, loadCpu, redisCpu, redisMemory, pgCpu, txns };
  }

  /**
   * Transactions a second the database runs with no load at all: the background workers' own (merge
   * worker, reconciler, outbox sweeper, metrics), after a stats flush, over as long as a sold-out
   * window and the flush after it.
   */
  async idleTransactionRate(database: string): Promise<number> {
    await sleep(FLUSH_SECONDS * 1000);
    const a = await pgTransactions(this.admin, database);
    const t0 = performance.now();
    // As long as what it is subtracted from: the window and the stats flush after it.
    await sleep((DURATION_S + FLUSH_SECONDS) * 1000);
    const b = await pgTransactions(this.admin, database);
    return (b - a) / ((performance.now() - t0) / 1000);
  }
}

interface Server {
  spec: ModeSpec;
  child: ChildProcess;
  pid: number;
  url: string;
  /** The database the server works on, by name (null: the ceiling has none). */
  database: string | null;
  databaseUrl: string | null;
  prefix: string | null;
}

/** How many requests of a window the server acknowledged: from the ledger where there is one, else the answers. */
async function acknowledgedNow(server: Server): Promise<number> {
  if (server.databaseUrl === null) return 0;
  return writesBareFlow(server.spec) ? bareAcknowledged(server.databaseUrl) : acknowledged(server.databaseUrl);
}

/** How much the keys without TTL grew, and the ones that grew most (over 1 KiB). */
function lastingGrowth(before: Map<string, number>, after: Map<string, number>): { bytes: number; keys: string[] } {
  const growth = [...after].map(([name, bytes]) => [name, bytes - (before.get(name) ?? 0)] as const);
  const gone = [...before].filter(([name]) => !after.has(name)).reduce((n, [, bytes]) => n + bytes, 0);
  return {
    bytes: growth.reduce((n, [, b]) => n + b, 0) - gone,
    keys: growth
      .filter(([, b]) => b > 1024)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([name, b]) => `${name} +${b} B`),
  };
}

const perRequest = (delta: number | null, acked: number) => (delta === null || acked === 0 ? undefined : delta / acked);

async function measure(server: Server, scenario: Scenario, meters: Meters): Promise<Row> {
  const { spec, pid, url, database } = server;
  if (WARMUP_S > 0) await load(url, scenario, WARMUP_S, `${spec.mode} / ${scenario} (warm-up)`);
  // Sold out: refusals are counted from the answers (nothing reaches a ledger), and PostgreSQL's
  // transactions are counted net of what the database does idle over the same time.
  const soldOut = scenario === 'sold out';
  const idleRate = soldOut && database !== null ? await meters.idleTransactionRate(database) : undefined;
  const fromAnswers = soldOut || server.databaseUrl === null;
  const ackBefore = fromAnswers ? 0 : await acknowledgedNow(server);
  // Read outside the CPU readings: scanning the keys costs Redis some CPU.
  const scans = server.prefix !== null && meters.scansKeys;
  const lastingBefore = scans ? await lastingKeys(meters.redis, server.prefix!) : undefined;
  const before = await meters.snapshot(pid, database);
  const { result: r, unexpected } = await load(url, scenario, DURATION_S, `${spec.mode} / ${scenario}`);
  const after = await meters.snapshot(pid, database);
  // GraphQL errors travel in 200 responses: only the ledger (or the answer's body) says what succeeded.
  // A batch answered as expected acknowledges every cart in it (the ceiling's hot SKU ×100).
  const acked = fromAnswers ? (r.requests.total - r.mismatches) * cartsPerRequest(scenario) : (await acknowledgedNow(server)) - ackBefore;
  const memoryAfter = await meters.redisMemory();
  const lasting =
    lastingBefore && server.prefix !== null ? lastingGrowth(lastingBefore, await lastingKeys(meters.redis, server.prefix)) : undefined;
  const exited = server.child.exitCode !== null || server.child.signalCode !== null;
  if (exited) console.log(`  the ${spec.mode} server exited (${server.child.exitCode ?? server.child.signalCode})`);
  // A cluster primary replaces a worker that dies: a process of the tree gone by the window's end.
  const gone = exited
    ? 0
    : before.server.processes.filter((p) => !after.server.processes.some((q) => q.pid === p.pid && q.started === p.started)).length;
  if (gone > 0) console.log(`  ${gone} process(es) of the ${spec.mode} server ended during the window (a worker died?)`);
  let txns = after.txns === null || before.txns === null ? null : after.txns - before.txns;
  let pgTxnWindow: number | undefined;
  let pgTxnIdle: number | undefined;
  if (soldOut && database !== null && idleRate !== undefined) {
    // Backends report their counts up to 10 s after going idle: wait, then count the whole time since `before`.
    await sleep(FLUSH_SECONDS * 1000);
    pgTxnWindow = (await pgTransactions(meters.admin, database)) - (before.txns ?? 0);
    pgTxnIdle = (idleRate * (performance.now() - before.at)) / 1000;
    txns = pgTxnWindow - pgTxnIdle;
  }
  const usesRedis = server.prefix !== null;
  const ttl = scans && scenario === 'hot SKU' ? await keyTtls(meters.redis, `${server.prefix}${IDEMPOTENCY_KEYS}`) : undefined;
  if (unexpected !== undefined) console.log(`  unexpected answer (${r.mismatches} of ${r.requests.total}): ${unexpected}`);
  // Batch scenarios count carts: one gate_request row each, sent CARTS_PER_REQUEST to a request.
  const carts = cartsPerRequest(scenario);
  const sent = r.requests.total * carts;
  const row: Row = {
    mode: spec.mode,
    scenario,
    rps: acked / DURATION_S,
    sent,
    // Requests under way at the window's edges (at most one per connection) blur this by up to 64 (a
    // batch scenario: BATCH_CONNECTIONS × 100 carts); a wrong answer fails at least one cart for sure.
    failed: Math.max(0, sent - acked, r.mismatches),
    carts,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    errors: r.errors + r.non2xx + r.timeouts,
    ok: r.non2xx === 0 && r.errors === 0 && r.mismatches === 0,
    cpuMs: perRequest(after.server.ms - before.server.ms, acked),
    redisCpuMs: perRequest(after.redisCpu - before.redisCpu, acked),
    pgCpuMs: perRequest(after.pgCpu === null || before.pgCpu === null ? null : after.pgCpu - before.pgCpu, acked),
    loadCpuMs: perRequest(after.loadCpu - before.loadCpu, acked),
    pgTxn: perRequest(txns, acked),
    pgTxnWindow,
    pgTxnIdle,
    redisBytes: usesRedis ? perRequest(memoryAfter - before.redisMemory, acked) : undefined,
    redisLastingBytes: lasting ? perRequest(lasting.bytes, acked) : undefined,
    redisLastingKeys: lasting?.keys,
    exited,
    gone,
    ttl,
    processes: Math.max(before.server.nodes, after.server.nodes),
  };
  // A batch scenario's figures are per cart, beside its requests a second.
  const rate =
    carts > 1 ? `${Math.round(row.rps)} carts/s (${Math.round(r.requests.total / DURATION_S)} req/s)` : `${Math.round(row.rps)}/s`;
  console.log(
    `${spec.mode.padEnd(17)} ${scenario.padEnd(17)} ${rate} acknowledged (${row.failed} of ${sent} not)  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  CPU ${row.cpuMs?.toFixed(3) ?? '–'} ms/${carts > 1 ? 'cart' : 'req'}  ${row.processes} node process(es)`,
  );
  return row;
}

async function cleanRedis(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** One mode: a fresh database and prefix, its server, every scenario, the invariants, then clean-up. */
async function runMode(spec: ModeSpec, meters: Meters): Promise<Row[]> {
  const id = randomBytes(4).toString('hex');
  const stockgate = runsStockgate(spec);
  const database = spec.entry === 'bench/ceiling.ts' ? null : `stockgate_bench_${id}`;
  const databaseUrl = database === null ? null : `${PG_BASE}/${database}`;
  const prefix = stockgate || runsLean(spec) ? `sgbench:${id}:` : null;
  const env: Record<string, string> = {};
  if (databaseUrl !== null) env.DATABASE_URL = databaseUrl;
  if (prefix !== null) Object.assign(env, { REDIS_URL, REDIS_PREFIX: prefix });
  if (stockgate) env.STOCKGATE_MODE = spec.serverMode ?? 'full';
  const cluster = spec.cluster ? await OwnRedisCluster.start() : null;
  if (cluster) env.REDIS_CLUSTER_NODES = cluster.nodes;
  const nodes = cluster?.servers.map((s) => new Redis(s.url)) ?? [];
  const modeMeters = cluster ? meters.onCluster(nodes) : meters;
  const gate = stockgate ? gateOf(cluster, prefix ?? '', meters.redis) : null;
  // Explicit: unset, NODE_ENV=production would start a worker per core.
  if (stockgate) env.WEB_CONCURRENCY = String(spec.workers ?? 1);
  const rows: Row[] = [];
  let child: ChildProcess | undefined;
  try {
    if (databaseUrl !== null) await (stockgate ? deployMigrations(databaseUrl) : createBareDatabase(databaseUrl, STOCK));
    const started = await startOnFreePort(spec, env);
    child = started.child;
    const port = started.port;
    const url = `http://127.0.0.1:${port}/graphql`;
    if (stockgate) await seed(url, cluster ? HOT_BUCKETS : 1);
    const server: Server = { spec, child, pid: child.pid ?? 0, url, database, databaseUrl, prefix };
    // The seed's own aftermath (a live announcement, and so a counter load, per new SKU) out of the
    // first window: it ran for seconds into it, ~30 loads a second of SKUs the scenario never touches.
    if (stockgate) await idle(server);
    if (gate) await replayFilterBuilt(gate);
    for (const scenario of spec.scenarios) rows.push(await measure(server, scenario, modeMeters));
    // After the load, once the merge worker has folded its backlog: the operation on its own, and none
    // of its work (10,000 live announcements, 30,000 movements to merge) in a scenario's window.
    // Its figure goes in the hot-SKU row: a run without that scenario (BENCH_SCENARIOS) skips it.
    const hotRow = rows.find((r) => r.scenario === 'hot SKU');
    if (stockgate && spec.serverMode === 'full' && !cluster && hotRow) {
      await idle(server);
      Object.assign(hotRow, await bulkSet(server));
    }
    if (databaseUrl !== null) {
      await settle(server);
      const verdict = gate
        ? await checkSettled(databaseUrl, gate)
        : runsLean(spec) && prefix !== null
          ? await leanCheck(databaseUrl, meters.redis, prefix, STOCK)
          : await bareCheck(databaseUrl, STOCK);
      for (const row of rows) Object.assign(row, verdict);
    }
  } finally {
    if (child) await stop(child);
    if (databaseUrl !== null) await dropDatabase(databaseUrl);
    if (prefix !== null && !cluster) await cleanRedis(meters.redis, prefix);
    if (gate && cluster) gate.redis.disconnect();
    for (const node of nodes) node.disconnect();
    await cluster?.stop();
  }
  return rows;
}

/**
 * The gate as the mode's server keeps it, to read its counters: the shared Redis (one shard), or the
 * mode's cluster (the default shards there).
 */
function gateOf(cluster: OwnRedisCluster | null, prefix: string, shared: Redis): Gate {
  const client = cluster ? new Cluster(cluster.servers.map((s) => ({ host: '127.0.0.1', port: s.port }))) : shared;
  defineGateCommands(client);
  return new Gate(client, new GateKeys(prefix, cluster ? CLUSTER_GATE_SHARDS : 1));
}

async function main(): Promise<void> {
  const started = Date.now();
  checkStockSuffices(MODES);
  if (MODES.some(runsStockgate)) buildStockgateIfStale();
  const redis = new Redis(REDIS_URL);
  const admin = new pg.Client({ connectionString: `${PG_BASE}/postgres` });
  await admin.connect();
  const meters = new Meters(redis, admin, await postmasterPid(admin));
  const rows: Row[] = [];
  try {
    for (const spec of MODES) rows.push(...(await runMode(spec, meters)));
  } finally {
    redis.disconnect();
    await admin.end();
  }
  const workers = rows.find((r) => r.mode === 'stockgate ×2')?.processes;
  const processes =
    workers === undefined
      ? 'one server process per mode'
      : `one server process per mode except stockgate ×2 (WEB_CONCURRENCY=2: ${workers} node processes seen)`;
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${processes}, load generator, PostgreSQL and Redis on the same cores`;
  const result = {
    at: new Date().toISOString(),
    machine,
    connections: CONNECTIONS,
    batch: { connections: BATCH_CONNECTIONS, carts: CARTS_PER_REQUEST },
    seconds: DURATION_S,
    rows,
    took_s: (Date.now() - started) / 1000,
  };
  const report = table(rows, machine, result.at) + '\n\n' + targetsSection(rows);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'latest.json'), JSON.stringify(result, null, 2) + '\n');
  writeFileSync(join(RESULTS, 'latest.md'), report + '\n');
  writeFileSync(join(RESULTS, 'latest.svg'), chart(rows));
  // A partial run (BENCH_MODES, BENCH_SCENARIOS) is for trials: it stays out of the history.
  if (!PARTIAL_RUN)
    appendFileSync(
      join(RESULTS, 'history.jsonl'),
      JSON.stringify({ at: result.at, machine, seconds: DURATION_S, columns: HISTORY_COLUMNS, rows: rows.map(historyRow) }) + '\n',
    );
  console.log('\n' + report + `\n\nTook ${Math.round(result.took_s)} s.`);
  const bad = rows.filter((r) => (r.oversold ?? 0) > 0 || r.agree === false || r.conserved === false);
  if (bad.length > 0) {
    console.error('bench: invariants broken in', bad.map((r) => `${r.mode}/${r.scenario}`).join(', '));
    process.exit(1);
  }
}

await main();
