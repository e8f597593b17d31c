/**
 * Observability against the real services: /metrics (the domain's metrics, moving with the work done),
 * /health, /ready (200 but degraded while a test-owned Redis is down, ready once it is back), request ids and
 * what the logs leave out.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { mergeOnce } from '../src/ledger/merge.ts';
import { createLogger, scrub } from '../src/observe/log.ts';
import { GATE_OUTCOMES } from '../src/observe/metrics.ts';
import { expectedMigrations, readiness } from '../src/observe/ready.ts';
import { STOCK_LEVELS } from './support/ops.ts';
import { useStack } from './support/stack.ts';
import { eventually } from './support/wait.ts';

// Merging by hand, so the merge lag stays put until the test merges; reconciliation soon after a
// take goes stale, so its repair is seen within a few seconds, yet not so soon that one slow healthy
// commit on a loaded machine is taken for stale (fenced, its counts changed).
const stack = useStack({ ownRedis: true, env: { MERGE_INTERVAL_MS: '60000', RECONCILE_INTERVAL_MS: '100', INFLIGHT_DEADLINE_MS: '3000' } });
const { api } = stack;

const at = (path: string, init?: RequestInit) => fetch(new URL(path, stack.svc.url), init);

/** One scrape, as { 'name{label="v",…}': value }, labels in the order the exposition gives them. */
async function scrape(): Promise<Map<string, number>> {
  const res = await at('/metrics');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return samples;
}

function sample(samples: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const [key, value] of samples) {
    const [metric, rest = ''] = key.split('{');
    if (metric !== name) continue;
    const got = rest.replace(/}$/, '').split(',').filter(Boolean);
    if (wanted.every((w) => got.includes(w)) && got.length === wanted.length) return value;
  }
  throw new Error(`no sample ${name}${JSON.stringify(labels)}`);
}

const outcome = (s: Map<string, number>, o: string) => sample(s, 'stockgate_gate_outcomes_total', { kind: 'DEDUCT', outcome: o });

describe('/metrics', () => {
  it('exposes every domain metric, and their values move with the work done', async () => {
    const before = await scrape();
    for (const o of GATE_OUTCOMES) expect(outcome(before, o)).toBe(0);
    for (const name of [
      'stockgate_ledger_batch_requests_count',
      'stockgate_ledger_batch_lines_count',
      'stockgate_ledger_wait_seconds_count',
      'stockgate_merge_unmerged_movements',
      'stockgate_merge_oldest_unmerged_seconds',
      'stockgate_reconcile_settled_takes_total',
      'stockgate_reconcile_settled_units_total',
      'stockgate_reconcile_rebuilt_counters_total',
      'stockgate_outbox_swept_total',
      'stockgate_gate_fallback',
      'stockgate_live_subscriptions',
      'stockgate_rate_limited_total',
    ]) {
      expect(sample(before, name), name).toBe(0);
    }
    // The process's and Yoga's own metrics are there too.
    expect(sample(before, 'process_resident_memory_bytes')).toBeGreaterThan(0);

    await api.upsert([
      { id: 'm-a', available: 5 },
      { id: 'm-hot', available: 100, throttlePerSecond: 1 },
    ]);
    const send = async (orderId: string, skuId: string, quantity: number) =>
      (await api.deductOne(orderId, skuId, quantity)).data.deductStock.__typename;
    expect(await send('o-1', 'm-a', 2)).toBe('DeductStockSuccess'); // missing (the upsert dropped the counter), then taken
    expect(await send('o-1', 'm-a', 2)).toBe('DeductStockSuccess'); // replay
    expect(await send('o-1', 'm-a', 3)).toBe('IdempotencyConflict'); // conflict
    expect(await send('o-2', 'm-a', 9)).toBe('InsufficientStock'); // short
    expect(await send('o-3', 'm-hot', 1)).toBe('DeductStockSuccess'); // missing, taken
    expect(await send('o-4', 'm-hot', 1)).toBe('Throttled'); // throttled
    // Twenty at once: the group commit writes them in a few statements.
    await Promise.all(Array.from({ length: 20 }, (_, i) => send(`burst-${i}`, 'm-a', 1)));

    const after = await scrape();
    // The upsert dropped both counters; the first deduct of each loads it, unless the announcement
    // of the upsert (src/live/publish.ts) loaded it first.
    expect(outcome(after, 'missing')).toBeGreaterThanOrEqual(1);
    expect(outcome(after, 'missing')).toBeLessThanOrEqual(2);
    expect(outcome(after, 'taken')).toBe(2 + 3); // o-1, o-3, and the three units m-a still had
    expect(outcome(after, 'replay')).toBe(1);
    expect(outcome(after, 'conflict')).toBe(1);
    expect(outcome(after, 'short')).toBe(1 + 17);
    expect(outcome(after, 'throttled')).toBe(1);
    expect(outcome(after, 'fallback')).toBe(0);
    expect(sample(after, 'stockgate_ledger_batch_lines_sum')).toBe(5);
    expect(sample(after, 'stockgate_ledger_batch_requests_sum')).toBe(5);
    const batches = sample(after, 'stockgate_ledger_batch_requests_count');
    expect(batches).toBeGreaterThanOrEqual(3);
    expect(batches).toBeLessThanOrEqual(5);
    expect(sample(after, 'stockgate_ledger_wait_seconds_count')).toBe(5);
    expect(sample(after, 'stockgate_ledger_wait_seconds_sum')).toBeGreaterThan(0);
    // Yoga's GraphQL metrics count the operations.
    expect(sample(after, 'graphql_envelop_request_duration_count', { operationType: 'mutation' })).toBeGreaterThanOrEqual(27);

    // Merge lag: the merge worker is held back, so the movements wait; a merge empties it.
    await sleep(1_100);
    const lagging = await scrape();
    expect(sample(lagging, 'stockgate_merge_unmerged_movements')).toBeGreaterThanOrEqual(5);
    expect(sample(lagging, 'stockgate_merge_oldest_unmerged_seconds')).toBeGreaterThan(1);
    while ((await mergeOnce(stack.svc.app.services.prisma)) > 0);
    const merged = await scrape();
    expect(sample(merged, 'stockgate_merge_unmerged_movements')).toBe(0);
    expect(sample(merged, 'stockgate_merge_oldest_unmerged_seconds')).toBe(0);
  });

  it("counts a batch's gate outcomes once per cart, one increment per outcome met", async () => {
    await api.upsert([{ id: 'm-batch', available: 3 }]);
    // A single deduct loads the counter, so the batch's carts all meet it.
    expect((await api.deductOne('batch-load', 'm-batch')).data.deductStock.__typename).toBe('DeductStockSuccess');
    const before = await scrape();
    const carts = ['b-1', 'b-2', 'b-3', 'b-4'].map((orderId) => ({ orderId, lines: [{ skuId: 'm-batch', quantity: 1 }] }));
    const { results } = (await api.deductBatch([...carts, { orderId: 'b-1', lines: [{ skuId: 'm-batch', quantity: 2 }] }])).data
      .deductStockBatch;
    expect(results.map((r: { __typename: string }) => r.__typename)).toEqual([
      'DeductStockSuccess',
      'DeductStockSuccess',
      'InsufficientStock',
      'InsufficientStock',
      'IdempotencyConflict',
    ]);
    const after = await scrape();
    const moved = (o: string) => outcome(after, o) - outcome(before, o);
    expect(moved('taken')).toBe(2);
    expect(moved('short')).toBe(2);
    expect(moved('conflict')).toBe(1);
    expect(moved('missing') + moved('replay') + moved('throttled') + moved('fallback')).toBe(0);
  });

  it('counts reconciliation repairs: a take whose request died is settled and counted', async () => {
    const { gate } = stack.svc.app.services;
    // A take at the gate with no ledger write and no request left to finish it: a crashed instance's.
    await api.upsert([{ id: 'm-crash', available: 10 }]);
    expect((await api.deductOne('load-it', 'm-crash')).data.deductStock.__typename).toBe('DeductStockSuccess');
    const took = await gate.take('DEDUCT', 'crashed-1', 'fp', crypto.randomUUID(), [{ skuId: 'm-crash', quantity: 4 }]);
    expect(took.kind).toBe('taken');
    await eventually(
      'reconciliation settles the stale take',
      async () => sample(await scrape(), 'stockgate_reconcile_settled_takes_total') === 1,
    );
    const s = await scrape();
    expect(sample(s, 'stockgate_reconcile_settled_units_total')).toBe(4);
    expect(sample(s, 'stockgate_reconcile_rebuilt_counters_total')).toBe(1);
  });

  it('counts live subscribers while they are subscribed', async () => {
    const stop = new AbortController();
    const res = await fetch(stack.svc.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: STOCK_LEVELS, variables: { skuIds: ['m-a'] } }),
      signal: stop.signal,
    });
    const reader = res.body!.getReader();
    // The first level arrives once the subscription is set up.
    let text = '';
    while (!text.includes('"skuId":"m-a"')) text += new TextDecoder().decode((await reader.read()).value);
    expect(sample(await scrape(), 'stockgate_live_subscriptions')).toBe(1);
    stop.abort();
    await reader.cancel().catch(() => {});
    await eventually('the subscription ends', async () => sample(await scrape(), 'stockgate_live_subscriptions') === 0);
  });
});

describe('/health and /ready', () => {
  it('/health answers 200; /ready answers 200 with every check ok', async () => {
    expect((await at('/health')).status).toBe(200);
    const ready = await at('/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      ready: true,
      checks: { postgres: 'ok', redis: 'ok', migrations: 'ok' },
      notReady: [],
    });
  });

  it('/ready stays 200 but says degraded, naming Redis, while Redis is down (deducts fall back, counted), and ready once it is back', async () => {
    await api.upsert([{ id: 'm-fb', available: 100 }]);
    await stack.redis.kill();
    try {
      // Issue 11: the fallback still sells, so the instance stays in the load balancer (was 503).
      await eventually(
        '/ready says degraded',
        async () => ((await (await at('/ready')).json()) as { status: string }).status === 'degraded',
      );
      const down = await at('/ready');
      expect(down.status).toBe(200);
      expect(await down.json()).toEqual({
        status: 'degraded',
        ready: true,
        checks: { postgres: 'ok', redis: 'unreachable', migrations: 'ok' },
        notReady: [],
        degraded: ['redis'],
      });
      expect((await at('/health')).status).toBe(200);

      // Meanwhile deducts go through PostgreSQL, and once enough gate calls failed the breaker opens:
      // fallback mode shows.
      let sent = 0;
      await eventually('the breaker opens', async () => {
        const res = await api.deductOne(`fb-${++sent}`, 'm-fb');
        expect(res.data?.deductStock.__typename).toBe('DeductStockSuccess');
        return sample(await scrape(), 'stockgate_gate_fallback') === 1;
      });
      expect(outcome(await scrape(), 'fallback')).toBeGreaterThan(0);
    } finally {
      await stack.redis.restart();
    }
    await eventually('/ready says ready again', async () => ((await (await at('/ready')).json()) as { status: string }).status === 'ready');
    await eventually('the breaker closes', async () => sample(await scrape(), 'stockgate_gate_fallback') === 0);
  });

  it('names pending migrations and a shutdown as not ready', async () => {
    const { prisma, gate } = stack.svc.app.services;
    const migrations = expectedMigrations();
    expect(migrations.length).toBeGreaterThan(0);
    const pending = await readiness({ prisma, redis: gate.redis, migrations: [...migrations, '29991231000000_future'], draining: false });
    expect(pending).toMatchObject({ ready: false, notReady: ['migrations'], checks: { migrations: 'pending: 29991231000000_future' } });
    const draining = await readiness({ prisma, redis: gate.redis, migrations, draining: true });
    expect(draining).toMatchObject({ ready: false, notReady: ['shutdown'] });
  });
});

describe('request ids and logs', () => {
  it("echoes the client's x-request-id, or makes one; a malformed one is replaced", async () => {
    const given = await at('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'checkout-7f3a' },
      body: JSON.stringify({ query: '{ sku(id: "none") { id } }' }),
    });
    expect(given.headers.get('x-request-id')).toBe('checkout-7f3a');
    const made = [await at('/health'), await at('/ready'), await at('/metrics')].map((r) => r.headers.get('x-request-id'));
    for (const id of made) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(made).size).toBe(3);
    const forged = await at('/health', { headers: { 'x-request-id': 'a b\tc' } });
    expect(forged.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('puts the request id on every line logged for a request, and no secret on any line', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
        done();
      },
    });
    const password = 'pg-secret-do-not-log';
    const config = loadConfig({
      DATABASE_URL: stack.ns.databaseUrl,
      REDIS_URL: stack.ns.redisUrl,
      REDIS_PREFIX: stack.ns.prefix,
      PORT: '0',
      LOG_LEVEL: 'debug',
    });
    const app = buildApp(config, createLogger('debug', sink));
    const server = createServer((req, res) => void app.yoga(req, res));
    app.attach(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'log-test-1', authorization: 'Bearer api-secret-do-not-log' },
        body: JSON.stringify({ query: '{ sku(id: "none") { id } }' }),
      });
      expect(res.status).toBe(200);
      const mine = lines.filter((l) => l['requestId'] === 'log-test-1');
      // Yoga's own lines for the request and the closing access line all carry it.
      expect(mine.length).toBeGreaterThan(1);
      expect(mine.at(-1)).toMatchObject({ msg: 'request', method: 'POST', path: '/graphql', status: 200 });

      // Whatever is logged, secrets are not: by field, or inside text.
      app.services.log.info(
        { headers: { authorization: 'Bearer api-secret-do-not-log' }, DATABASE_URL: `postgresql://u:${password}@h/db` },
        'fields',
      );
      app.services.log.warn(`connecting to postgresql://stockgate:${password}@db:5432/x with Bearer api-secret-do-not-log`);
      app.services.log.error({ err: new Error(`connect failed: redis://:${password}@cache:6379`) }, 'error');
      const all = JSON.stringify(lines);
      expect(all).not.toContain(password);
      expect(all).not.toContain('api-secret-do-not-log');
      expect(lines.find((l) => l['msg'] === 'fields')).toMatchObject({
        headers: { authorization: '[redacted]' },
        DATABASE_URL: '[redacted]',
      });
      expect(all).toContain('postgresql://stockgate:***@db:5432/x');
    } finally {
      server.closeAllConnections();
      await app.close();
    }
  });

  it('scrub() blanks connection-string passwords and bearer tokens, and leaves other text alone', () => {
    expect(scrub('postgresql://postgres@127.0.0.1:5432/stockgate')).toBe('postgresql://postgres@127.0.0.1:5432/stockgate');
    expect(scrub('redis://:pw@h:6379 and amqp://u:p%40ss@x/')).toBe('redis://:***@h:6379 and amqp://u:***@x/');
    expect(scrub('Authorization: Bearer abc.def')).toBe('Authorization: Bearer [redacted]');
  });
});
