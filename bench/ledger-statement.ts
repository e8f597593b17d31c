/**
 * `npm run bench:ledger`: what the group commit's statement (src/ledger/group-commit.ts) costs
 * PostgreSQL, in instructions per cart, counted by callgrind on a PostgreSQL of its own run under
 * valgrind. CPU time on this shared machine moves by ±15 % between runs of the statement; an
 * instruction count moves by under 0.1 %, so a change to the statement, to what batchRows sends it or
 * to the ledger's tables and indexes is A/B-measured by running this on both commits. Needs valgrind
 * and Debian's PostgreSQL 15 server binaries (initdb, postgres); ~1 minute.
 *
 * Each scenario writes one-unit carts through a LedgerWriter of one connection, STATEMENT_CARTS carts
 * a statement (as the bench's ×100 rows' batches meet), and counts CARTS of them (measure()).
 */
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { LedgerWriter, type LedgerEntry } from '../src/ledger/group-commit.ts';
import { asClusterOwner, asRoot, osUser, PG_BIN } from '../test/support/postgres-server.ts';
import { freePort } from '../test/support/redis-server.ts';

/** Carts counted per scenario, and carts written before counting (plans cached, pages in memory). */
const CARTS = 2_400;
const WARM_UP_CARTS = 600;
/** Carts per statement: what a busy group commit gathers from 100-cart requests; `STATEMENT_CARTS=5`, what single requests' batches hold. */
const STATEMENT_CARTS = Number(process.env.STATEMENT_CARTS ?? 300);
if (!Number.isInteger(STATEMENT_CARTS) || STATEMENT_CARTS < 1 || CARTS % STATEMENT_CARTS !== 0 || WARM_UP_CARTS % STATEMENT_CARTS !== 0)
  throw new Error(`STATEMENT_CARTS must be a whole number dividing ${WARM_UP_CARTS} and ${CARTS}, not ${process.env.STATEMENT_CARTS}`);
/** How long PostgreSQL under valgrind gets to accept a connection. */
const START_TIMEOUT_MS = 120_000;
const SKUS = 1_000;

interface Scenario {
  name: string;
  /** The SKUs of cart `n`'s lines. */
  skusOf: (n: number) => string[];
}
const SCENARIOS: Scenario[] = [
  { name: 'hot SKU', skusOf: () => ['hot'] },
  { name: '3-line carts, 1,000 SKUs', skusOf: (n) => [0, 1, 2].map((l) => `S${(n * 7 + l * 331) % SKUS}`) },
];

async function startUnderCallgrind(dir: string): Promise<string> {
  execFileSync(...asClusterOwner(join(PG_BIN, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '--no-sync']), {
    stdio: 'ignore',
  });
  const port = await freePort();
  const server = [join(PG_BIN, 'postgres'), '-D', join(dir, 'data'), '-p', String(port), '-k', dir];
  const settings = ['-c', 'listen_addresses=127.0.0.1', '-c', 'autovacuum=off', '-c', 'jit=off'];
  const valgrind = ['--tool=callgrind', '--trace-children=yes', `--callgrind-out-file=${dir}/callgrind.%p`, ...server, ...settings];
  spawn(...asClusterOwner('valgrind', valgrind), { stdio: 'ignore', detached: true }).unref();
  const url = `postgresql://postgres@127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const probe = new pg.Client({ connectionString: `${url}/postgres` });
    try {
      await probe.connect();
      await probe.query(`CREATE DATABASE bench`);
      return `${url}/bench`;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`PostgreSQL under valgrind did not start: ${String(err)}`, { cause: err });
      await sleep(500);
    } finally {
      await probe.end().catch(() => {});
    }
  }
}

/** The instructions callgrind counted in a backend that exited (its profile, written as it exits). */
async function instructionsOf(dir: string, pid: number): Promise<number> {
  const file = join(dir, `callgrind.${pid}`);
  for (let waited = 0; ; waited += 200) {
    const totals = existsSync(file) ? /^(?:summary|totals): (\d+)/m.exec(readFileSync(file, 'utf8')) : null;
    if (totals) return Number(totals[1]);
    if (waited > START_TIMEOUT_MS) throw new Error(`no profile of backend ${pid}`);
    await sleep(200);
  }
}

/** Cart `n` as the gate path hands it to the ledger: a deduct of one unit per line, with what is kept of its answer (all from `default`: no allocations). */
function cart(scenario: Scenario, run: number, n: number): LedgerEntry {
  const key = `cart-${run}-${n}`;
  const orderId = `order-${run}-${n}`;
  const skus = scenario.skusOf(n);
  return {
    kind: 'DEDUCT',
    gateId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    idempotencyKey: key,
    orderId,
    fingerprint: 'f'.repeat(64),
    kept: { lines: skus.map((skuId) => ({ skuId, quantity: 1, available: 1e8 - n })) },
    lines: skus.map((skuId) => ({ skuId, quantity: 1, epoch: 0, unlimited: false })),
  };
}

/**
 * Instructions per cart: two backends of one connection each write the same scenario's carts, one
 * WARM_UP_CARTS and one WARM_UP_CARTS + CARTS; the difference is the CARTS' alone (callgrind counts a
 * backend until it exits: its start, plans and first pages cancel out). Zeroing a backend's counts with
 * callgrind_control instead hangs: an idle backend waits in a read that vgdb cannot interrupt here.
 */
async function measure(url: string, dir: string, scenario: Scenario, run: number): Promise<number> {
  const backend = async (carts: number, first: number): Promise<number> => {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    const writer = new LedgerWriter(pool, () => {}, { windowMs: 1, maxRequests: STATEMENT_CARTS, maxConcurrent: 1 });
    const [{ pid }] = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
    for (let n = first; n < first + carts; n += STATEMENT_CARTS)
      await Promise.all(Array.from({ length: STATEMENT_CARTS }, (_, i) => writer.write(cart(scenario, run, n + i))));
    await pool.end();
    return instructionsOf(dir, pid);
  };
  const small = await backend(WARM_UP_CARTS, 0);
  const large = await backend(WARM_UP_CARTS + CARTS, WARM_UP_CARTS);
  return (large - small) / CARTS;
}

const dir = mkdtempSync(join(tmpdir(), 'stockgate-ledger-bench-'));
if (asRoot) {
  const { uid, gid } = osUser();
  chownSync(dir, uid, gid);
}
try {
  const url = await startUnderCallgrind(dir);
  execFileSync('npx', ['tsx', 'src/db/migrate.ts', 'deploy'], { env: { ...process.env, DATABASE_URL: url }, stdio: 'ignore' });
  const setup = new pg.Client({ connectionString: url });
  await setup.connect();
  await setup.query(`INSERT INTO sku (id, available, updated_at) SELECT 'S' || g, 1e8, now() FROM generate_series(0, $1::int - 1) g`, [
    SKUS,
  ]);
  await setup.query(`INSERT INTO sku (id, available, updated_at) VALUES ('hot', 1e8, now())`);
  await setup.end();
  for (const [run, scenario] of SCENARIOS.entries()) {
    const perCart = await measure(url, dir, scenario, run);
    console.log(
      `group commit, ${scenario.name}, ${STATEMENT_CARTS} carts a statement: ${Math.round(perCart).toLocaleString('en')} PostgreSQL instructions per cart`,
    );
  }
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  try {
    execFileSync(...asClusterOwner(join(PG_BIN, 'pg_ctl'), ['stop', '-D', join(dir, 'data'), '-m', 'immediate']), { stdio: 'ignore' });
  } catch {
    // Not started, or already gone.
  }
  // Processes under valgrind write their profiles as they exit, after the server says it stopped (at
  // times for longer than rmSync's retries last): the directory is left, with word of it, rather than
  // failing a run whose counts are printed.
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 500 });
  } catch (err) {
    console.warn(`left ${dir}: ${String(err)}`);
  }
}
process.exit();
