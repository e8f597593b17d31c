/**
 * `npm run bench:gate`: what the gate's take costs Redis, in instructions per cart, counted by callgrind
 * on a redis-server of its own. CPU time on this shared machine moves by ±30 % between runs; an
 * instruction count is the same on every run, so a change to lua/take.lua (or to what Gate.takeMany
 * sends it) is A/B-measured by running this on both commits. Needs valgrind (Debian: `valgrind`).
 *
 * Each scenario takes CALLS batches of CARTS_PER_CALL one-unit carts through Gate.takeMany (one
 * take.lua call each, as a deductStockBatch request of that many carts makes) and settles them, as the
 * service does once their ledger rows commit; the instructions counted are Redis's for those calls
 * only (seeding and setup are left out). As in a running service, the replay filter is complete and the
 * in-flight structures hold more entries than a listpack keeps (other requests' carts).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Gate, type GateTake } from '../src/gate/gate.ts';
import { GateKeys } from '../src/gate/keys.ts';
import { defineGateCommands } from '../src/gate/scripts.ts';
import { seedHoldingLock } from '../test/support/seed.ts';
import { freePort, killAtExit } from '../test/support/redis-server.ts';

/** Batches per scenario: enough that a call's fixed cost is spread as in the bench's ×100 rows. */
const CALLS = Number(process.env.GATE_BENCH_CALLS ?? 20);
const CARTS_PER_CALL = 100;
/** In-flight entries of other requests, so the index and payloads are hash tables, as under load. */
const OTHERS_IN_FLIGHT = 200;
/** How long redis-server under valgrind gets to answer PING. */
const START_TIMEOUT_MS = 60_000;

interface Scenario {
  name: string;
  skus: number;
  lines: number;
}
const SCENARIOS: Scenario[] = [
  { name: 'hot SKU', skus: 1, lines: 1 },
  { name: '3-line carts, 1,000 SKUs', skus: 1_000, lines: 3 },
];

async function startUnderCallgrind(dir: string): Promise<{ port: number; pid: number }> {
  const port = await freePort();
  const proc = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      `--callgrind-out-file=${dir}/callgrind.%p`,
      'redis-server',
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    { stdio: 'ignore' },
  );
  killAtExit(proc);
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on('error', () => {});
    try {
      await probe.connect();
      await probe.ping();
      return { port, pid: proc.pid! };
    } catch (err) {
      if (Date.now() > deadline || proc.exitCode !== null)
        throw new Error(`redis-server under valgrind did not start: ${String(err)}`, { cause: err });
      await sleep(200);
    } finally {
      probe.disconnect();
    }
  }
}

/** Instructions Redis ran since the last zeroing: callgrind dumps them, and the dump's totals say. */
function instructionsSinceZero(dir: string, pid: number): number {
  execFileSync('callgrind_control', ['--dump', String(pid)], { stdio: 'ignore' });
  const dumps = readdirSync(dir)
    .filter((f) => f.startsWith(`callgrind.${pid}.`))
    .sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()));
  const totals = /^(?:summary|totals): (\d+)/m.exec(readFileSync(join(dir, dumps.at(-1)!), 'utf8'));
  if (!totals) throw new Error('callgrind wrote no totals');
  return Number(totals[1]);
}

async function measure(redis: Redis, dir: string, pid: number, scenario: Scenario, run: number): Promise<number> {
  const keys = new GateKeys(`gatebench:${run}:`);
  const gate = new Gate(redis, keys);
  const skus = Array.from({ length: scenario.skus }, (_, i) => `S${i}`);
  for (const skuId of skus) {
    await seedHoldingLock(gate, { skuId, name: null, available: 1e9, reserved: 0, sold: 0, unlimited: false, epoch: 1, backorderLimit: 0 });
  }
  const shard = keys.first;
  for (let i = 0; i < OTHERS_IN_FLIGHT; i++) {
    await redis.zadd(shard.inflight, Date.now(), `other-${i}`);
    await redis.hset(shard.inflightPayloads, `other-${i}`, 'x'.repeat(200));
  }
  await gate.takeMany([
    { kind: 'DEDUCT', idempotencyKey: 'warm-up', fingerprint: 'fp', gateId: randomUUID(), lines: [{ skuId: skus[0]!, quantity: 1 }] },
  ]);
  await gate.markReplayFilterComplete();
  // At its full size, as a running service's keeper makes it (ReplayFilterKeeper's pass).
  await gate.presizeReplayFilters();

  let cart = 0;
  execFileSync('callgrind_control', ['--zero', String(pid)], { stdio: 'ignore' });
  for (let call = 0; call < CALLS; call++) {
    const takes: GateTake[] = Array.from({ length: CARTS_PER_CALL }, () => {
      const n = ++cart;
      const lines = Array.from({ length: scenario.lines }, (_, l) => ({ skuId: skus[(n * 7 + l * 331) % skus.length]!, quantity: 1 }));
      return { kind: 'DEDUCT', idempotencyKey: `cart-${n}`, fingerprint: `fp-${n}`, gateId: randomUUID(), lines };
    });
    const outcomes = await gate.takeMany(takes);
    if (!outcomes.every((o) => o.kind === 'taken'))
      throw new Error(`not every cart was taken: ${JSON.stringify(outcomes.find((o) => o.kind !== 'taken'))}`);
    await gate.settle(
      takes.map((t) => ({ gateId: t.gateId, kind: t.kind, idempotencyKey: t.idempotencyKey, skuIds: t.lines.map((l) => l.skuId) })),
    );
  }
  return instructionsSinceZero(dir, pid) / cart;
}

const dir = mkdtempSync(join(tmpdir(), 'stockgate-gate-bench-'));
try {
  const { port, pid } = await startUnderCallgrind(dir);
  const redis = new Redis({ port, host: '127.0.0.1' });
  defineGateCommands(redis);
  for (const [i, scenario] of SCENARIOS.entries()) {
    const perCart = await measure(redis, dir, pid, scenario, i);
    console.log(
      `take.lua, ${scenario.name}, ${CARTS_PER_CALL} carts a call: ${Math.round(perCart).toLocaleString('en')} Redis instructions per cart`,
    );
  }
  redis.disconnect();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
