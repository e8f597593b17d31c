/**
 * `npm run bench`: stockgate against the designs it replaces, side by side in one run (issue 7).
 *
 * Modes (each a fresh server process on its own database and Redis prefix):
 *   ceiling           the same Yoga server answering a constant result: HTTP + GraphQL alone
 *   db-only           seed 001: conditional update of the SKU row + ledger rows, one transaction per request
 *   gate+per-request  seed 002: the Redis gate, then one ledger transaction per request
 *   stockgate         the full path: gate, group commit, merge worker
 * Scenarios: one hot SKU, 1,000 SKUs uniformly, 3-line carts.
 * Load: autocannon, 64 connections, a fixed time per run; one constant query text with the order id
 * in the variables (autocannon's [<id>] replacement), as real clients send it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import pg from 'pg';
import { deployMigrations, dropDatabase } from '../src/db/migrate.ts';
import { chart, table, type Row } from './report.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results');
/** Connections the load generator keeps busy (issue 7). */
const CONNECTIONS = 64;
/** Seconds per measured run; 4 modes × 3 scenarios stay well inside the 10-minute budget. */
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
/** Seconds of unmeasured warm-up per server (JIT, connection pools, script cache). */
const WARMUP_S = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
/** Stock of the hot SKU: more than any run can sell, so every request is a real deduct. */
const HOT_STOCK = 100_000_000;
const UNIFORM_SKUS = 1_000;
/** How long a server process may take to start listening. */
const START_TIMEOUT_MS = 30_000;
const PG_BASE = process.env.BENCH_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

type Mode = 'ceiling' | 'db-only' | 'gate+per-request' | 'stockgate';
type Scenario = 'hot SKU' | '1,000 SKUs' | '3-line carts';
const MODES: Mode[] = ['ceiling', 'db-only', 'gate+per-request', 'stockgate'];
const SCENARIOS: Scenario[] = ['hot SKU', '1,000 SKUs', '3-line carts'];
const SERVER_MODE: Record<Exclude<Mode, 'ceiling'>, string> = {
  'db-only': 'db-only',
  'gate+per-request': 'per-request',
  stockgate: 'full',
};

const QUERY = `mutation Deduct($input: DeductStockInput!) { deductStock(input: $input) { __typename ... on DeductStockSuccess { orderId } } }`;

/** The request body, with [<id>] for autocannon to make each order id unique. */
function body(scenario: Scenario, connection: number): string {
  const lines =
    scenario === 'hot SKU'
      ? [{ skuId: 'hot', quantity: 1 }]
      : scenario === '1,000 SKUs'
        ? [{ skuId: `u${connection % UNIFORM_SKUS}`, quantity: 1 }]
        : [0, 1, 2].map((k) => ({ skuId: `u${(connection * 3 + k) % UNIFORM_SKUS}`, quantity: 1 }));
  return JSON.stringify({ query: QUERY, variables: { input: { orderId: `o-${connection}-[<id>]`, lines } } });
}

function freePort(): number {
  return 20_000 + Math.floor(Math.random() * 20_000);
}

async function start(mode: Mode, port: number, env: Record<string, string>): Promise<ChildProcess> {
  const entry = mode === 'ceiling' ? 'bench/ceiling.ts' : 'src/main.ts';
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      if (res.ok) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${mode} server did not start`);
    await sleep(200);
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000).then(() => child.kill('SIGKILL'))]);
}

async function load(url: string, scenario: Scenario, seconds: number, title: string): Promise<autocannon.Result> {
  const requests = Array.from({ length: CONNECTIONS }, (_, c) => c);
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: CONNECTIONS,
        duration: seconds,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        idReplacement: true,
        // One body per connection, fixed for the run; autocannon swaps [<id>] per request.
        requests: requests.map((c) => ({ body: body(scenario, c) })),
        title,
      },
      (err, result) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(result)),
    );
    autocannon.track(instance, { renderProgressBar: process.stdout.isTTY, renderResultsTable: false, renderLatencyTable: false });
  });
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
async function check(databaseUrl: string, prefix: string): Promise<{ oversold: number; agree: boolean }> {
  const truth = await sql<{ id: string; available: number; sold: number; initial: number }>(
    databaseUrl,
    `SELECT s.id, (s.available + coalesce(sum(m.delta_available) FILTER (WHERE NOT m.merged), 0))::int AS available,
            (s.sold + coalesce(sum(m.delta_sold) FILTER (WHERE NOT m.merged), 0))::int AS sold,
            coalesce(sum(m.quantity) FILTER (WHERE m.kind = 'ADJUST'), 0)::int AS initial
     FROM sku s LEFT JOIN movement m ON m.sku_id = s.id GROUP BY s.id`,
  );
  const oversold = truth.reduce((n, t) => n + Math.max(0, t.sold - t.initial), 0);
  const redis = new Redis(REDIS_URL);
  try {
    let agree = true;
    for (const t of truth) {
      // available = the gate's share (a) plus the units withheld for the database-only path (h).
      const [a, s, h] = await redis.hmget(`${prefix}sku:{${t.id}}`, 'a', 's', 'h');
      if (a !== null && (Number(a) + Number(h ?? 0) !== t.available || Number(s) !== t.sold)) agree = false;
    }
    return { oversold, agree };
  } finally {
    redis.disconnect();
  }
}

/** Deducts in the ledger so far: one gate request row each. */
async function acknowledged(databaseUrl: string): Promise<number> {
  const [row] = await sql<{ n: number }>(databaseUrl, `SELECT count(*)::int AS n FROM gate_request WHERE kind = 'DEDUCT'`);
  return row?.n ?? 0;
}

async function seed(url: string): Promise<void> {
  const upsert = `mutation U($input: UpsertSkusInput!) { upsertSkus(input: $input) { __typename } }`;
  const post = (input: unknown[]) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: upsert, variables: { input: { skus: input } } }),
    });
  await post([{ id: 'hot', name: 'Hot item', available: HOT_STOCK }]);
  for (let i = 0; i < UNIFORM_SKUS; i += 100) {
    await post(Array.from({ length: 100 }, (_, k) => ({ id: `u${i + k}`, available: HOT_STOCK / 1_000 })));
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const rows: Row[] = [];
  for (const mode of MODES) {
    const id = randomBytes(4).toString('hex');
    const databaseUrl = `${PG_BASE}/stockgate_bench_${id}`;
    const prefix = `sgbench:${id}:`;
    const port = freePort();
    if (mode !== 'ceiling') await deployMigrations(databaseUrl);
    const env: Record<string, string> =
      mode === 'ceiling' ? {} : { DATABASE_URL: databaseUrl, REDIS_URL, REDIS_PREFIX: prefix, STOCKGATE_MODE: SERVER_MODE[mode] };
    const server = await start(mode, port, env);
    const url = `http://127.0.0.1:${port}/graphql`;
    try {
      if (mode !== 'ceiling') await seed(url);
      for (const scenario of SCENARIOS) {
        await load(url, scenario, WARMUP_S, `${mode} / ${scenario} (warm-up)`);
        // GraphQL errors travel in 200 responses: only the ledger says how many deducts succeeded.
        const before = mode === 'ceiling' ? 0 : await acknowledged(databaseUrl);
        const r = await load(url, scenario, DURATION_S, `${mode} / ${scenario}`);
        const acked = mode === 'ceiling' ? r.requests.total : (await acknowledged(databaseUrl)) - before;
        const ok = r.non2xx === 0 && r.errors === 0;
        rows.push({
          mode,
          scenario,
          rps: acked / DURATION_S,
          sent: r.requests.total,
          // Requests under way at the window's edges (at most one per connection) blur this by up to 64.
          failed: Math.max(0, r.requests.total - acked),
          p50: r.latency.p50,
          p99: r.latency.p99,
          max: r.latency.max,
          errors: r.errors + r.non2xx + r.timeouts,
          ok,
        });
        console.log(
          `${mode.padEnd(17)} ${scenario.padEnd(13)} ${Math.round(acked / DURATION_S)} deducts/s acknowledged (${Math.max(0, r.requests.total - acked)} of ${r.requests.total} failed)  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms`,
        );
      }
      if (mode !== 'ceiling') {
        await sleep(1_000);
        const verdict = await check(databaseUrl, prefix);
        for (const row of rows.filter((x) => x.mode === mode)) Object.assign(row, verdict);
      }
    } finally {
      await stop(server);
      if (mode !== 'ceiling') {
        await dropDatabase(databaseUrl);
        const redis = new Redis(REDIS_URL);
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          if (keys.length) await redis.del(...keys);
          cursor = next;
        } while (cursor !== '0');
        redis.disconnect();
      }
    }
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, one server process per mode, load generator on the same cores`;
  const result = {
    at: new Date().toISOString(),
    machine,
    connections: CONNECTIONS,
    seconds: DURATION_S,
    rows,
    took_s: (Date.now() - started) / 1000,
  };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'latest.json'), JSON.stringify(result, null, 2) + '\n');
  writeFileSync(join(RESULTS, 'latest.md'), table(result.rows, machine, result.at) + '\n');
  writeFileSync(join(RESULTS, 'latest.svg'), chart(result.rows));
  appendFileSync(
    join(RESULTS, 'history.jsonl'),
    JSON.stringify({ at: result.at, machine, rows: rows.map((r) => [r.mode, r.scenario, Math.round(r.rps)]) }) + '\n',
  );
  console.log('\n' + table(result.rows, machine, result.at));
  const bad = rows.filter((r) => (r.oversold ?? 0) > 0 || r.agree === false);
  if (bad.length > 0) {
    console.error('bench: invariants broken in', bad.map((r) => `${r.mode}/${r.scenario}`).join(', '));
    process.exit(1);
  }
}

await main();
