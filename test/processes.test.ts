/**
 * Worker processes (WEB_CONCURRENCY, src/app/processes.ts) and the compiled start (npm run build, node
 * dist/main.js), on real server processes with their own database and Redis prefix. With 2 worker
 * processes: one port served by both; /metrics answers their sum whichever one is scraped; a worker
 * killed with SIGKILL is replaced; SIGTERM lets a request under way finish and ends every process with
 * exit code 0 within the bound.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { statSync, utimesSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { AggregatorRegistry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHUTDOWN_TIMEOUT_MS } from '../src/app.ts';
import { STRAGGLER_GRACE_MS } from '../src/app/processes.ts';
import type { PrismaClient } from '../src/db/client.ts';
import { DomainMetrics } from '../src/observe/metrics.ts';
import { sql } from './support/ledger.ts';
import { freePort } from './support/redis-server.ts';
import { listening, namespaceEnv, spawnMain, START_LIMIT_MS, type MainProcess } from './support/server-process.ts';
import { useNamespace } from './support/stack.ts';

const run = promisify(execFile);

/** Worker processes of the cluster under test. */
const WORKERS = 2;
/** Requests sent one connection each, so the primary deals them to both workers in turn. */
const REQUESTS = 20;
/** Slack for the processes to exit after their shutdown finished (the runtime's own teardown). */
const EXIT_SLACK_MS = 2_000;
/** How long the held request stays unfinished after the workers began shutting down: the drain must wait for it. */
const HELD_AFTER_SIGNAL_MS = 500;
/** npm run build: tsc over src/ (about 10 s alone, longer beside other test files on two cores). */
const BUILD_LIMIT_MS = 180_000;

const DEDUCT = `mutation ($input: DeductStockInput!) {
  deductStock(input: $input) { __typename ... on DeductStockSuccess { orderId lines { skuId quantity } } }
}`;

const space = useNamespace();
const started: MainProcess[] = [];

afterAll(() => {
  for (const { child } of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** The server's JSON log lines so far. */
function logLines(main: MainProcess): Record<string, any>[] {
  return main.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, any>);
}

/** Waits until `found` finds something in the log (or fails, naming `what`, after START_LIMIT_MS). */
async function logged<T>(main: MainProcess, what: string, found: (lines: Record<string, any>[]) => T | undefined): Promise<T> {
  const deadline = Date.now() + START_LIMIT_MS;
  for (;;) {
    const hit = found(logLines(main));
    if (hit !== undefined) return hit;
    if (main.child.exitCode !== null || Date.now() > deadline) throw new Error(`never logged: ${what}\n${main.output.slice(-3_000)}`);
    await sleep(50);
  }
}

/** POSTs a GraphQL operation on a connection of its own (the primary hands each new connection to the next worker). */
async function post(port: number, query: string, variables: Record<string, unknown> = {}): Promise<{ status: number; body: any }> {
  const req = request({
    host: '127.0.0.1',
    port,
    path: '/graphql',
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/json' },
  });
  req.end(JSON.stringify({ query, variables }));
  const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
  let text = '';
  for await (const chunk of res) text += String(chunk);
  return { status: res.statusCode ?? 0, body: JSON.parse(text) };
}

/** GET /metrics on a connection of its own. */
async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { connection: 'close' } });
  expect(res.status).toBe(200);
  return res.text();
}

/** The value of one series in an exposition. */
function sample(exposition: string, series: string): number {
  const line = exposition.split('\n').find((l) => l.startsWith(`${series} `));
  if (!line) throw new Error(`no ${series} in /metrics`);
  return Number(line.slice(series.length + 1));
}

const TAKEN = 'stockgate_gate_outcomes_total{kind="DEDUCT",outcome="taken"}';

/** The pids of the primary's child processes that run stockgate (tsx has an esbuild child too), from ps. */
async function workersOf(pid: number): Promise<number[]> {
  const { stdout } = await run('ps', ['-o', 'pid=,args=', '--ppid', String(pid)]).catch(() => ({ stdout: '' }));
  return stdout
    .split('\n')
    .filter((line) => /\bmain\.(ts|js)\b/.test(line))
    .map((line) => Number.parseInt(line, 10))
    .sort();
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** pids of the worker processes that logged a finished request to `path` since log line `from`. */
function servedBy(main: MainProcess, path: string, from = 0): Set<number> {
  return new Set(
    logLines(main)
      .slice(from)
      .filter((l) => l.msg === 'request' && l.path === path)
      .map((l) => l.pid as number),
  );
}

describe(`WEB_CONCURRENCY=${WORKERS}`, () => {
  let main: MainProcess;
  let port: number;
  /** The worker processes the primary reported listening. */
  let pids: number[];

  beforeAll(async () => {
    port = await freePort();
    main = spawnMain({ PORT: String(port), ...namespaceEnv(space.ns), WEB_CONCURRENCY: String(WORKERS), LOG_LEVEL: 'debug' });
    started.push(main);
    pids = await logged(
      main,
      'all worker processes listening',
      (lines) => lines.find((l) => /worker processes listening/.test(l.msg))?.workerPids,
    );
    const upsert = await post(port, 'mutation { upsertSkus(input: { skus: [{ id: "wp", available: 1000000 }] }) { __typename } }');
    expect(upsert.body.data.upsertSkus.__typename).toBe('UpsertSkusSuccess');
  });

  it('serves one port from distinct worker processes, children of the primary that alone ran the migrations', async () => {
    const primary = main.child.pid!;
    expect(new Set(pids).size).toBe(WORKERS);
    expect(pids).not.toContain(primary);
    expect(await workersOf(primary)).toEqual([...pids].sort());
    // Each worker says it listens; the start-up checks ran once, in the primary.
    const lines = logLines(main);
    expect(new Set(lines.filter((l) => /^stockgate listening/.test(l.msg)).map((l) => l.pid))).toEqual(new Set(pids));
    expect(lines.filter((l) => l.msg === 'starting worker processes').map((l) => l.pid)).toEqual([primary]);

    const from = logLines(main).length;
    const answers = await Promise.all(Array.from({ length: REQUESTS }, () => post(port, '{ sku(id: "wp") { id } }')));
    expect(answers.map((a) => a.body)).toEqual(Array.from({ length: REQUESTS }, () => ({ data: { sku: { id: 'wp' } } })));
    await logged(main, 'every request', () => (servedBy(main, '/graphql', from).size === WORKERS ? true : undefined));
    expect(servedBy(main, '/graphql', from)).toEqual(new Set(pids));
  });

  it('/metrics on any worker counts the requests every worker served', async () => {
    const before = sample(await scrape(port), TAKEN);
    const from = logLines(main).length;
    for (let i = 0; i < REQUESTS; i++) {
      const { body } = await post(port, DEDUCT, { input: { orderId: `metrics-${i}`, lines: [{ skuId: 'wp', quantity: 1 }] } });
      expect(body.data?.deductStock?.__typename, JSON.stringify(body)).toBe('DeductStockSuccess');
    }
    // Both served some, so a scrape of one worker alone would show fewer than REQUESTS more.
    expect(servedBy(main, '/graphql', from)).toEqual(new Set(pids));
    // Scraped once per worker at least (each on a new connection, dealt in turn): every one answers the sum.
    for (let i = 0; i < WORKERS * 2; i++) expect(sample(await scrape(port), TAKEN) - before).toBe(REQUESTS);
    expect(servedBy(main, '/metrics', from)).toEqual(new Set(pids));
    // A 0/1 gauge is the max over the workers, not their sum.
    expect(sample(await scrape(port), 'stockgate_degraded')).toBe(0);
  });

  it('replaces a worker process killed with SIGKILL', async () => {
    const [victim, survivor] = pids as [number, number];
    process.kill(victim, 'SIGKILL');
    const replacement = await logged(main, 'a replacement listening', (lines) => {
      const line = lines.find((l) => /^stockgate listening/.test(l.msg) && !pids.includes(l.pid as number));
      return line?.pid as number | undefined;
    });
    expect(logLines(main).find((l) => l.msg === 'worker process died; starting another')).toMatchObject({
      pid: main.child.pid,
      workerPid: victim,
      signal: 'SIGKILL',
    });
    expect(main.child.exitCode).toBeNull();
    expect(alive(victim)).toBe(false);
    expect(await workersOf(main.child.pid!)).toEqual([survivor, replacement].sort());
    pids = [survivor, replacement];

    const from = logLines(main).length;
    const answers = await Promise.all(Array.from({ length: REQUESTS }, () => post(port, '{ sku(id: "wp") { id } }')));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    await logged(main, 'every request', () => (servedBy(main, '/graphql', from).size === WORKERS ? true : undefined));
    expect(servedBy(main, '/graphql', from)).toEqual(new Set(pids));
  });

  it('SIGTERM: a request under way finishes, then every process exits 0 within the bound', async () => {
    // A deduct whose headers are in (the worker counts it under way) but whose body is not, yet.
    const body = JSON.stringify({ query: DEDUCT, variables: { input: { orderId: 'held', lines: [{ skuId: 'wp', quantity: 3 }] } } });
    const held = request({
      host: '127.0.0.1',
      port,
      path: '/graphql',
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    held.write(body.slice(0, 10));
    const response = once(held, 'response') as Promise<[import('node:http').IncomingMessage]>;
    // Awaited below; marked handled so that a failure before then is reported as itself.
    response.catch(() => {});
    await sleep(300);

    const signalledAt = performance.now();
    main.child.kill('SIGTERM');
    // Every worker is draining (its listener closed) before the held request's body comes.
    await logged(main, 'every worker shutting down', (lines) => {
      const stopping = new Set(lines.filter((l) => l.msg === 'shutting down').map((l) => l.pid));
      return pids.every((p) => stopping.has(p)) ? true : undefined;
    });
    await sleep(HELD_AFTER_SIGNAL_MS);
    expect(main.child.exitCode).toBeNull();
    held.end(body.slice(10));
    const [res] = await response;
    let text = '';
    for await (const chunk of res) text += String(chunk);
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(text).data.deductStock).toEqual({
      __typename: 'DeductStockSuccess',
      orderId: 'held',
      lines: [{ skuId: 'wp', quantity: 3 }],
    });

    const [code, signal] = await main.exited;
    const tookMs = performance.now() - signalledAt;
    expect({ code, signal }, main.output.slice(-3_000)).toEqual({ code: 0, signal: null });
    expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + STRAGGLER_GRACE_MS + EXIT_SLACK_MS);
    expect(pids.filter(alive)).toEqual([]);
    const lines = logLines(main);
    expect(new Set(lines.filter((l) => l.msg === 'shut down').map((l) => l.pid))).toEqual(new Set(pids));
    expect(main.output).not.toContain('cutting them off');
    expect(main.output).not.toContain('killing them');
    // The held deduct is in the ledger: it ran, it was not refused.
    const [movement] = await sql<{ n: number }>(space.ns.databaseUrl, `SELECT count(*)::int AS n FROM movement WHERE order_id = 'held'`);
    expect(movement?.n).toBe(1);
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });
});

describe("aggregating worker processes' gauges", () => {
  it('sums what each worker counts and takes the max of what every worker reads alike or flags 0/1', async () => {
    // Two workers' registries, both in fallback and degraded, each with 3 subscriptions, reading the same ledger lag.
    const lag = { n: 5, age: 2.5, stuck: 1 };
    const prisma = { $queryRawUnsafe: () => Promise.resolve([lag]) } as unknown as PrismaClient;
    const worker = () =>
      new DomainMetrics({ prisma, breakerOpen: () => true, subscriptions: () => 3, redisAnswers: () => Promise.resolve(false) });
    const workers = [worker(), worker()];
    const json = await Promise.all(workers.map((m) => m.registry.getMetricsAsJSON()));
    const exposition = await AggregatorRegistry.aggregate(json).metrics();
    expect(sample(exposition, 'stockgate_live_subscriptions')).toBe(6);
    expect(sample(exposition, 'stockgate_gate_fallback')).toBe(1);
    expect(sample(exposition, 'stockgate_degraded')).toBe(1);
    expect(sample(exposition, 'stockgate_merge_unmerged_movements')).toBe(5);
    expect(sample(exposition, 'stockgate_merge_oldest_unmerged_seconds')).toBe(2.5);
    expect(sample(exposition, 'stockgate_merge_stuck_skus')).toBe(1);
  });
});

describe('compiled start: npm run build, then node dist/main.js', () => {
  const stamp = 'dist/.build-stamp';

  beforeAll(async () => {
    await run('npm', ['run', 'build'], { timeout: BUILD_LIMIT_MS });
  }, BUILD_LIMIT_MS);

  /** `node dist/main.js` on the test's namespace; stopped with SIGTERM once `check` is done. */
  async function compiled(env: Record<string, string>, check: (port: number, main: MainProcess) => Promise<void>): Promise<MainProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, ['dist/main.js'], {
      env: { ...process.env, LOG_LEVEL: 'info', PORT: String(port), ...namespaceEnv(space.ns), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const main: MainProcess = {
      child: child as unknown as MainProcess['child'],
      stdout: '',
      stderr: '',
      output: '',
      exited: once(child, 'exit') as MainProcess['exited'],
    };
    child.stdout.on('data', (d) => ((main.stdout += d), (main.output += d)));
    child.stderr.on('data', (d) => ((main.stderr += d), (main.output += d)));
    started.push(main);
    await listening(main, 'node dist/main.js');
    await check(port, main);
    child.kill('SIGTERM');
    const [code] = await main.exited;
    expect(code, main.output.slice(-3_000)).toBe(0);
    return main;
  }

  it('answers a query, reading lua/ and the ticker page from the compiled tree', async () => {
    const main = await compiled({}, async (port) => {
      const upsert = await post(port, 'mutation { upsertSkus(input: { skus: [{ id: "js", available: 5 }] }) { __typename } }');
      expect(upsert.body.data.upsertSkus.__typename).toBe('UpsertSkusSuccess');
      // Through the gate's Lua scripts (read from lua/ beside dist/).
      const deduct = await post(port, DEDUCT, { input: { orderId: 'compiled', lines: [{ skuId: 'js', quantity: 2 }] } });
      expect(deduct.body.data.deductStock.__typename).toBe('DeductStockSuccess');
      expect((await post(port, '{ sku(id: "js") { available } }')).body).toEqual({ data: { sku: { available: 3 } } });
      const ticker = await fetch(`http://127.0.0.1:${port}/ticker?skus=js`);
      expect(ticker.status).toBe(200);
      expect(await ticker.text()).toContain('<html');
    });
    // Compiled JavaScript, not TypeScript through tsx.
    expect(main.child.spawnargs).toEqual([process.execPath, 'dist/main.js']);
  });

  it('with WEB_CONCURRENCY=2, forks compiled worker processes', async () => {
    const main = await compiled({ WEB_CONCURRENCY: '2' }, async (port, running) => {
      await logged(running, 'all worker processes listening', (lines) =>
        lines.some((l) => /worker processes listening/.test(l.msg)) ? true : undefined,
      );
      expect((await post(port, '{ sku(id: "js") { id } }')).body).toEqual({ data: { sku: { id: 'js' } } });
    });
    const workers = new Set(
      logLines(main)
        .filter((l) => /^stockgate listening/.test(l.msg))
        .map((l) => l.pid),
    );
    expect(workers.size).toBe(2);
  });

  it(
    'npm start builds only when dist/ is older than src/',
    async () => {
      const fresh = await run(process.execPath, ['tools/build-if-stale.mjs']);
      expect(fresh.stderr).not.toContain('building');
      // A stamp older than every source: the next start rebuilds and stamps it anew.
      utimesSync(stamp, new Date(0), new Date(0));
      const stale = await run(process.execPath, ['tools/build-if-stale.mjs'], { timeout: BUILD_LIMIT_MS });
      expect(stale.stderr).toMatch(/building dist\/: src\/.* changed since the last build/);
      expect(statSync(stamp).mtimeMs).toBeGreaterThan(Date.now() - BUILD_LIMIT_MS);
      expect(statSync('dist/main.js').isFile()).toBe(true);
    },
    BUILD_LIMIT_MS,
  );
});
