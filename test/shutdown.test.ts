/**
 * Graceful shutdown of a real server process (`node --import tsx src/main.ts`) on its own database and
 * Redis prefix: SIGTERM in the middle of a load of concurrent deducts. Every request is answered with
 * a success, which is then in the ledger, or a retryable error, or finds the port closed; nothing is
 * half done (the ledger holds exactly the successes, the gate holds no take in flight); subscribers
 * are told 1001 Going Away; the process exits 0 within its bound.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { SHUTDOWN_TIMEOUT_MS } from '../src/app.ts';
import { GateKeys } from '../src/gate/keys.ts';
import { sql } from './support/ledger.ts';
import { wsClient } from './support/live.ts';
import { DEDUCT } from './support/ops.ts';
import { freePort } from './support/redis-server.ts';
import { listening, namespaceEnv, spawnMain, type MainProcess } from './support/server-process.ts';
import { gateShardsEnv, useNamespace } from './support/stack.ts';
import { eventually } from './support/wait.ts';

/** Concurrent clients, each sending its next deduct as soon as the last is answered. */
const CLIENTS = 24;
/** Load before the signal, so requests are in flight at every stage of the hot path when it comes: at least this long... */
const LOAD_BEFORE_SIGNAL_MS = 1_500;
/** ...and until more answers than clients came back (a cold process on a loaded machine answers slowly), at most this long. */
const ANSWERS_BEFORE_SIGNAL_WITHIN_MS = 10_000;
/** A client gives up after this long; by then the process is long gone. */
const CLIENT_LIMIT_MS = SHUTDOWN_TIMEOUT_MS + 5_000;
/** Slack for the process to exit after its shutdown finished (the runtime's own teardown). */
const EXIT_SLACK_MS = 2_000;

const space = useNamespace();
let main: MainProcess | null = null;

afterAll(() => {
  const child = main?.child;
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/**
 * What a client got. `refused`: the port was closed (ECONNREFUSED). `cut`: the connection was reset or
 * closed before an answer, which a request sent as the server stops may meet: the listening socket
 * closing resets connections the server had not accepted yet, and an idle kept-alive connection the
 * server closes at the end of the drain can race a request just being sent on it. Neither was ever
 * processed, which the ledger and in-flight checks below prove; clients retry them like any network
 * error, with the same idempotency key.
 */
type Answer =
  | { kind: 'success'; orderId: string; units: number }
  | { kind: 'retryable'; orderId: string; status: number }
  | { kind: 'refused'; orderId: string }
  | { kind: 'cut'; orderId: string; code: string }
  | { kind: 'other'; orderId: string; detail: string };

/** One deduct over HTTP, classified. */
async function deduct(url: string, orderId: string, quantity: number): Promise<Answer> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query: DEDUCT, variables: { input: { orderId, lines: [{ skuId: 'sd', quantity }] } } }),
    });
  } catch (err) {
    const code = String((err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message);
    return code === 'ECONNREFUSED' ? { kind: 'refused', orderId } : { kind: 'cut', orderId, code };
  }
  const text = await res.text().catch((err: unknown) => `unreadable: ${String(err)}`);
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    return { kind: 'other', orderId, detail: `${res.status} ${text.slice(0, 200)}` };
  }
  const out = body.data?.deductStock;
  if (out?.__typename === 'DeductStockSuccess') return { kind: 'success', orderId, units: out.lines[0].quantity };
  const code = body.errors?.[0]?.extensions?.code;
  if (code === 'TEMPORARILY_UNAVAILABLE' && body.errors[0].extensions.retryable === true)
    return { kind: 'retryable', orderId, status: res.status };
  return { kind: 'other', orderId, detail: `${res.status} ${text.slice(0, 200)}` };
}

describe('SIGTERM during a load of deducts', () => {
  it('answers every request (success in the ledger, retryable, or port closed), leaves nothing half done, and exits 0 in time', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/graphql`;
    main = spawnMain({ PORT: String(port), ...namespaceEnv(space.ns) });
    const { child, exited } = main;
    await listening(main);

    const upsert = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation { upsertSkus(input: { skus: [{ id: "sd", available: 1000000 }] }) { __typename } }' }),
    });
    expect(upsert.status).toBe(200);

    // A subscriber, to see how it is told about the shutdown.
    let closeCode: number | null = null;
    const ws = wsClient(url, {
      lazy: false,
      // Its end is expected here: on.closed records how it came.
      onNonLazyError: () => {},
      on: { closed: (event) => (closeCode = (event as { code: number }).code) },
    });
    const firstLevel = new Promise<void>((resolve, reject) => {
      ws.subscribe(
        { query: 'subscription { stockLevels(skuIds: ["sd"]) { available } }' },
        { next: () => resolve(), error: reject, complete: () => {} },
      );
    });
    await firstLevel;

    const answers: Answer[] = [];
    let sent = 0;
    const loadEnds = Date.now() + LOAD_BEFORE_SIGNAL_MS + ANSWERS_BEFORE_SIGNAL_WITHIN_MS + CLIENT_LIMIT_MS;
    const client = async (c: number) => {
      // Each client sends until the port is closed to it: that is after the signal, by construction.
      for (let i = 0; Date.now() < loadEnds; i++) {
        const answer = await deduct(url, `c${c}-${i}`, 1 + ((c + i) % 3));
        sent++;
        answers.push(answer);
        if (answer.kind === 'refused') return;
        if (answer.kind === 'retryable' || answer.kind === 'cut') await sleep(5);
      }
    };
    const load = Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    await sleep(LOAD_BEFORE_SIGNAL_MS);
    // The load really ran before the signal: more answers than clients.
    await eventually(`more than ${CLIENTS} answers before the signal`, () => sent > CLIENTS, { within: ANSWERS_BEFORE_SIGNAL_WITHIN_MS });
    const sentBeforeSignal = sent;
    const signalledAt = performance.now();
    child.kill('SIGTERM');
    const [code, signal] = await exited;
    const tookMs = performance.now() - signalledAt;
    await load;
    await ws.dispose();

    // The process: exit code 0, within its bound, having said so.
    const { output } = main;
    expect({ code, signal }, output.slice(-3_000)).toEqual({ code: 0, signal: null });
    expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + EXIT_SLACK_MS);
    expect(output).toContain('"msg":"shutting down"');
    expect(output).toContain('"msg":"shut down"');
    expect(output).not.toContain('cutting them off');

    // Every answer is one a client can act on; the load really ran on both sides of the signal (before it: the wait above).
    expect(answers.filter((a) => a.kind === 'other')).toEqual([]);
    const successes = answers.filter((a): a is Extract<Answer, { kind: 'success' }> => a.kind === 'success');
    expect(successes.length).toBeGreaterThan(sentBeforeSignal / 2);
    expect(answers.filter((a) => a.kind === 'refused').length).toBe(CLIENTS);
    // The subscriber was told the server is going away.
    expect(closeCode).toBe(1001);

    // Nothing half done: the ledger holds exactly the acknowledged deducts, unit for unit...
    const rows = await sql<{ order_id: string; quantity: number }>(
      space.ns.databaseUrl,
      `SELECT order_id, quantity FROM movement WHERE kind = 'DEDUCT' AND sku_id = 'sd' ORDER BY order_id`,
    );
    expect(rows.map((r) => r.order_id).sort()).toEqual(successes.map((s) => s.orderId).sort());
    expect(rows.reduce((n, r) => n + r.quantity, 0)).toBe(successes.reduce((n, s) => n + s.units, 0));
    const [requests] = await sql<{ n: string }>(space.ns.databaseUrl, `SELECT count(*) AS n FROM gate_request WHERE kind = 'DEDUCT'`);
    expect(Number(requests!.n)).toBe(successes.length);
    // ...and the gate holds no take in flight: each was settled or given back before the exit.
    const redis = new Redis(space.ns.redisUrl);
    try {
      const keys = new GateKeys(space.ns.prefix, Number(gateShardsEnv().GATE_SHARDS ?? 1));
      for (const shard of keys.shards) {
        expect(await redis.zcard(shard.inflight)).toBe(0);
        expect(await redis.hlen(shard.inflightPayloads)).toBe(0);
      }
      // The counter agrees with the ledger: available went down by exactly the units sold.
      const sold = successes.reduce((n, s) => n + s.units, 0);
      expect(await redis.hmget(keys.counter('sd'), 'a', 's')).toEqual([String(1_000_000 - sold), String(sold)]);
    } finally {
      redis.disconnect();
    }
  });
});
