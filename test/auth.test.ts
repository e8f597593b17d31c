/**
 * Access control (issue 8) against the real app, PostgreSQL and Redis: every role does exactly what it
 * may, over HTTP (SSE for subscriptions) and over graphql-ws; missing, unknown and malformed keys are
 * UNAUTHENTICATED and change nothing; too low a role is FORBIDDEN and changes nothing; hashed secrets
 * work (and the hash itself is no key); with no keys the service runs open, and warns; with
 * NODE_ENV=production and no keys (or a bad key entry) it refuses to start with one line.
 */
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allows, type Role } from '../src/auth/keys.ts';
import { sql } from './support/ledger.ts';
import { wsClient } from './support/live.ts';
import {
  CONFIRM,
  DEDUCT,
  MOVEMENTS,
  ORDER,
  REFUND,
  RELEASE,
  RESERVATION,
  RESERVE,
  RESTOCK,
  SET_STOCK,
  SKU,
  SKUS,
  STOCK_ALERTS,
  STOCK_LEVELS,
  UPSERT,
} from './support/ops.ts';
import { freePort } from './support/redis-server.ts';
import { namespaceEnv, spawnMain, START_LIMIT_MS } from './support/server-process.ts';
import { serve, useStack, type Running } from './support/stack.ts';

const secret = () => randomBytes(24).toString('hex');
const KEYS = { reader: secret(), checkout: secret(), admin: secret() } satisfies Record<Role, string>;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** The admin key is configured by its hash only, as an operator who keeps secrets out of config would. */
const API_KEYS = `till:reader:${KEYS.reader},shop:checkout:${KEYS.checkout},ops:admin:sha256:${sha256(KEYS.admin)}`;
const ROLES: Role[] = ['reader', 'checkout', 'admin'];

type Result = { data?: any; errors?: any[] };

const stack = useStack({ env: { STOCKGATE_API_KEYS: API_KEYS } });

beforeAll(async () => {
  await asAdmin(UPSERT, {
    input: {
      skus: [
        { id: 'a', name: 'A', available: 1_000 },
        { id: 'b', name: 'B', available: 1_000 },
      ],
    },
  });
});

/** One operation over HTTP: POST, or GraphQL over SSE for a subscription (its first event). */
async function overHttp(
  url: string,
  authorization: string | null,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<Result> {
  const subscription = /^\s*subscription\b/.test(query);
  const abort = new AbortController();
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: subscription ? 'text/event-stream' : 'application/graphql-response+json',
      ...(authorization !== null ? { authorization } : {}),
    },
    body: JSON.stringify({ query, variables }),
    signal: abort.signal,
  });
  if (!subscription) return (await res.json()) as Result;
  expect(res.status).toBe(200);
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of res.body!) {
      buffer += decoder.decode(chunk, { stream: true });
      for (const message of buffer.split('\n\n').slice(0, -1)) {
        if (!/^event: next$/m.test(message)) continue;
        const data = message
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n');
        return JSON.parse(data) as Result;
      }
    }
  } finally {
    abort.abort();
  }
  throw new Error(`the SSE stream ended without an event: ${buffer}`);
}

const clients: Client[] = [];

/** A graphql-ws client whose connection carries `authorization` (or nothing) in connectionParams. */
function keyedClient(authorization: string | null): Client {
  const client = wsClient(stack.svc.url, {
    // One socket per client for the whole file: operations here come one after another.
    lazyCloseTimeout: 60_000,
    connectionParams: authorization !== null ? { authorization } : {},
  });
  clients.push(client);
  return client;
}
afterAll(async () => {
  for (const client of clients) await client.dispose();
});

/**
 * One operation over graphql-ws: its first result (a subscription's first event). A subscription that
 * cannot start gets graphql-ws's `error` message (README, "Live levels"): its errors are the result.
 */
function overWs(client: Client, query: string, variables: Record<string, unknown> = {}): Promise<Result> {
  const subscription = /^\s*subscription\b/.test(query);
  return new Promise((resolve, reject) => {
    let done = false;
    const stop = client.subscribe(
      { query, variables },
      {
        next: (result) => {
          if (done) return;
          done = true;
          resolve(result as Result);
          stop();
        },
        error: (err) =>
          subscription && Array.isArray(err)
            ? resolve({ errors: err })
            : reject(err instanceof Error ? err : new Error(JSON.stringify(err))),
        complete: () => {
          if (!done) reject(new Error('completed without a result'));
        },
      },
    );
  });
}

const bearer = (role: Role) => `Bearer ${KEYS[role]}`;

async function asAdmin(query: string, variables: Record<string, unknown>): Promise<any> {
  const result = await overHttp(stack.svc.url, bearer('admin'), query, variables);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data;
}

/** Everything a refused request could have changed: the ledger, idempotency records, holds, SKU rows and gate levels. */
async function snapshot() {
  const [tables] = await sql(
    stack.ns.databaseUrl,
    `SELECT (SELECT count(*) FROM movement) AS movements,
            (SELECT count(*) FROM gate_request) AS gate_requests,
            (SELECT count(*) FROM operation) AS operations,
            (SELECT json_agg(r ORDER BY r.order_id) FROM (SELECT order_id, state FROM reservation) r) AS reservations,
            (SELECT json_agg(s ORDER BY s.id) FROM (SELECT id, name, unlimited, backorder_limit, low_stock_threshold FROM sku) s) AS skus`,
  );
  const levels = (await asAdmin(`query { skus(ids: ["a", "b", "new"]) { id available reserved sold } }`, {})).skus;
  return { ...tables, levels };
}

let serial = 0;
const unique = (what: string) => `${what}-${++serial}-${randomBytes(3).toString('hex')}`;

interface Operation {
  /** The root field it runs (the result carries it, confirm and release as `settled`: see ops.ts). */
  field: string;
  /** The least role that may run it (README's access table). */
  needs: Role;
  query: string;
  /** Variables for one run, after the admin set up what it needs (an order to refund, a hold to confirm). */
  variables(): Promise<Record<string, unknown>>;
  /** What success looks like, so an allowed operation is shown to have done its work. */
  succeeded(data: any): boolean;
}

async function reserved(): Promise<string> {
  const orderId = unique('hold');
  await asAdmin(RESERVE, { input: { orderId, ttlSeconds: 600, lines: [{ skuId: 'b', quantity: 1 }] } });
  return orderId;
}

const OPERATIONS: Operation[] = [
  { field: 'sku', needs: 'reader', query: SKU, variables: () => Promise.resolve({ id: 'a' }), succeeded: (d) => d.sku.id === 'a' },
  {
    field: 'skus',
    needs: 'reader',
    query: SKUS,
    variables: () => Promise.resolve({ ids: ['a', 'b'] }),
    succeeded: (d) => d.skus.length === 2,
  },
  { field: 'order', needs: 'reader', query: ORDER, variables: () => Promise.resolve({ id: 'nobody' }), succeeded: (d) => d.order === null },
  {
    field: 'reservation',
    needs: 'reader',
    query: RESERVATION,
    variables: async () => ({ orderId: await reserved() }),
    succeeded: (d) => d.reservation.state === 'ACTIVE',
  },
  {
    field: 'movements',
    needs: 'reader',
    query: MOVEMENTS,
    variables: () => Promise.resolve({ skuId: 'a', first: 5 }),
    succeeded: (d) => d.movements.edges.length > 0,
  },
  {
    field: 'stockLevels',
    needs: 'reader',
    query: STOCK_LEVELS,
    variables: () => Promise.resolve({ skuIds: ['a'] }),
    succeeded: (d) => d.stockLevels.skuId === 'a',
  },
  // Its first event is the next crossing of "alerting", which alertUntil() makes happen.
  {
    field: 'stockAlerts',
    needs: 'reader',
    query: STOCK_ALERTS,
    variables: () => Promise.resolve({ skuIds: ['alerting'] }),
    succeeded: (d) => d.stockAlerts.skuId === 'alerting',
  },
  {
    field: 'deductStock',
    needs: 'checkout',
    query: DEDUCT,
    variables: () => Promise.resolve({ input: { orderId: unique('order'), lines: [{ skuId: 'a', quantity: 1 }] } }),
    succeeded: (d) => d.deductStock.__typename === 'DeductStockSuccess',
  },
  {
    field: 'reserveStock',
    needs: 'checkout',
    query: RESERVE,
    variables: () => Promise.resolve({ input: { orderId: unique('reserve'), ttlSeconds: 600, lines: [{ skuId: 'a', quantity: 1 }] } }),
    succeeded: (d) => d.reserveStock.__typename === 'ReserveStockSuccess',
  },
  {
    field: 'confirmReservation',
    needs: 'checkout',
    query: CONFIRM,
    variables: async () => ({ input: { orderId: await reserved() } }),
    succeeded: (d) => d.settled.reservation.state === 'CONFIRMED',
  },
  {
    field: 'releaseReservation',
    needs: 'checkout',
    query: RELEASE,
    variables: async () => ({ input: { orderId: await reserved() } }),
    succeeded: (d) => d.settled.reservation.state === 'RELEASED',
  },
  {
    field: 'refundStock',
    needs: 'checkout',
    query: REFUND,
    variables: async () => {
      const orderId = unique('refund');
      await asAdmin(DEDUCT, { input: { orderId, lines: [{ skuId: 'b', quantity: 1 }] } });
      return { input: { orderId, idempotencyKey: unique('r'), lines: [{ skuId: 'b', quantity: 1 }] } };
    },
    succeeded: (d) => d.refundStock.__typename === 'RefundStockSuccess',
  },
  {
    field: 'upsertSkus',
    needs: 'admin',
    query: UPSERT,
    variables: () => Promise.resolve({ input: { skus: [{ id: 'new', name: unique('name') }] } }),
    succeeded: (d) => d.upsertSkus.skus[0].id === 'new',
  },
  {
    field: 'restock',
    needs: 'admin',
    query: RESTOCK,
    variables: () => Promise.resolve({ input: { skuId: 'a', quantity: 1, idempotencyKey: unique('restock') } }),
    succeeded: (d) => d.restock.__typename === 'RestockSuccess',
  },
  {
    field: 'setStock',
    needs: 'admin',
    query: SET_STOCK,
    variables: () => Promise.resolve({ input: { skuId: 'a', available: 1_000 } }),
    succeeded: (d) => d.setStock.__typename === 'SetStockSuccess',
  },
];

/**
 * Makes "alerting" cross its lines (sold out, back in stock) until `seen` settles: an alerts subscriber
 * gets its first event only from a crossing after it subscribed, whenever that was.
 */
async function alertUntil(seen: Promise<unknown>): Promise<void> {
  let settled = false;
  void seen.finally(() => (settled = true)).catch(() => {});
  for (let available = 0; !settled; available = 5 - available) {
    await sleep(100);
    await asAdmin(SET_STOCK, { input: { skuId: 'alerting', available } });
  }
}

type Send = (authorization: string | null, query: string, variables?: Record<string, unknown>) => Promise<Result>;

const TRANSPORTS: Record<string, () => Send> = {
  'HTTP (SSE for subscriptions)': () => (authorization, query, variables) => overHttp(stack.svc.url, authorization, query, variables),
  'graphql-ws': () => {
    const byKey = new Map<string | null, Client>();
    return (authorization, query, variables) => {
      if (!byKey.has(authorization)) byKey.set(authorization, keyedClient(authorization));
      return overWs(byKey.get(authorization)!, query, variables);
    };
  },
};

const codes = (result: Result) => (result.errors ?? []).map((e) => e.extensions?.code);
/** A refused root field is null: `data` is null (non-null fields) or holds only nulls (nullable ones). */
const nothingReturned = (result: Result) => Object.values(result.data ?? {}).every((value) => value === null);

describe.each(Object.keys(TRANSPORTS))('over %s', (transport) => {
  let send: Send;
  beforeAll(async () => {
    send = TRANSPORTS[transport]!();
    await asAdmin(UPSERT, { input: { skus: [{ id: 'alerting', available: 5, lowStockThreshold: 0 }] } });
  });

  describe.each(ROLES)('a %s key', (role) => {
    it.each(OPERATIONS.map((op) => [op.field, op] as const))(
      '%s: allowed exactly when the role reaches what it needs',
      async (_field, op) => {
        const variables = await op.variables();
        const before = await snapshot();
        const sent = send(bearer(role), op.query, variables);
        if (op.field === 'stockAlerts' && allows(role, op.needs)) await alertUntil(sent);
        const result = await sent;
        if (allows(role, op.needs)) {
          expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
          expect(op.succeeded(result.data), JSON.stringify(result.data)).toBe(true);
        } else {
          expect(codes(result)).toEqual(['FORBIDDEN']);
          expect(result.errors![0].message).toContain(`needs role ${op.needs}`);
          expect(nothingReturned(result)).toBe(true);
          expect(await snapshot()).toEqual(before);
        }
      },
    );
  });

  const WRONG: Record<string, string | null> = {
    'no key': null,
    'an unknown key': `Bearer ${secret()}`,
    'a key of another scheme': `Basic ${KEYS.admin}`,
    'an empty bearer': 'Bearer ',
    "the admin key's hash instead of its secret": `Bearer sha256:${sha256(KEYS.admin)}`,
    "the admin key's bare hash": `Bearer ${sha256(KEYS.admin)}`,
  };
  it.each(Object.entries(WRONG))('%s: UNAUTHENTICATED for every operation, and nothing changes', async (_what, authorization) => {
    // Set-up (as admin: orders to refund, holds to settle) first, so that nothing after it may change.
    const prepared: [Operation, Record<string, unknown>][] = [];
    for (const op of OPERATIONS) prepared.push([op, await op.variables()]);
    const before = await snapshot();
    for (const [op, variables] of prepared) {
      const result = await send(authorization, op.query, variables).catch((err) => {
        throw new Error(`${op.field}: ${err}`);
      });
      expect(codes(result), op.field).toEqual(['UNAUTHENTICATED']);
      expect(nothingReturned(result), op.field).toBe(true);
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe('keys', () => {
  it('a key configured by its SHA-256 hash only works with its secret, as admin', async () => {
    const before = await snapshot();
    const result = await overHttp(stack.svc.url, bearer('admin'), UPSERT, { input: { skus: [{ id: 'new', name: unique('hashed') }] } });
    expect(result.errors).toBeUndefined();
    expect((await snapshot()).skus).not.toEqual(before.skus);
  });

  it('the scheme is case-insensitive and the key may be sent in connectionParams.Authorization too', async () => {
    expect((await overHttp(stack.svc.url, `bearer ${KEYS.reader}`, SKU, { id: 'a' })).data?.sku.id).toBe('a');
    const client = wsClient(stack.svc.url, { connectionParams: { Authorization: bearer('reader') } });
    clients.push(client);
    expect((await overWs(client, SKU, { id: 'a' })).data?.sku.id).toBe('a');
  });
});

describe('with no keys configured (open, for local development)', () => {
  let open: Running;
  beforeAll(async () => {
    open = await serve(stack.ns);
  });
  afterAll(async () => {
    await open?.stop();
  });

  it('lets every caller, with or without a key, do everything, over HTTP and graphql-ws', async () => {
    for (const authorization of [null, `Bearer ${secret()}`]) {
      const upsert = await overHttp(open.url, authorization, UPSERT, { input: { skus: [{ id: 'open', available: 10 }] } });
      expect(upsert.errors).toBeUndefined();
      const deduct = await overHttp(open.url, authorization, DEDUCT, {
        input: { orderId: unique('open'), lines: [{ skuId: 'open', quantity: 1 }] },
      });
      expect(deduct.data?.deductStock.__typename).toBe('DeductStockSuccess');
    }
    const client = wsClient(open.url);
    clients.push(client);
    // The second upsert set 10 again, so one deduct shows.
    expect((await overWs(client, STOCK_LEVELS, { skuIds: ['open'] })).data?.stockLevels.available).toBe(9);
    expect(
      (await overWs(client, RESTOCK, { input: { skuId: 'open', quantity: 2, idempotencyKey: unique('r') } })).data?.restock.availableAfter,
    ).toBe(11);
  });
});

/** `node --import tsx src/main.ts` as `npm start` runs it, until it exits or prints `until` (then stopped). */
async function runMain(env: Record<string, string>, until?: string) {
  const { STOCKGATE_API_KEYS: _keys, NODE_ENV: _env, GRAPHQL_INTROSPECTION: _introspection, ...inherited } = process.env;
  const main = spawnMain({ PORT: String(await freePort()), ...namespaceEnv(stack.ns), ...env }, inherited);
  const deadline = Date.now() + START_LIMIT_MS;
  while (main.child.exitCode === null && !(until && main.stdout.includes(until)) && Date.now() < deadline) await sleep(50);
  const code = main.child.exitCode;
  if (code === null) {
    main.child.kill('SIGTERM');
    await main.exited;
  }
  return { code, stdout: main.stdout, stderr: main.stderr };
}

describe('start-up', () => {
  it('with NODE_ENV=production and no keys, refuses to start with one line', async () => {
    const run = await runMain({ NODE_ENV: 'production' });
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('listening');
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^stockgate: invalid configuration: STOCKGATE_API_KEYS: required with NODE_ENV=production/);
  });

  it('with a bad key entry, refuses to start with one line naming the entry, never a secret', async () => {
    const run = await runMain({ NODE_ENV: 'production', STOCKGATE_API_KEYS: `ok:reader:${KEYS.reader},pos:cashier:${KEYS.checkout}` });
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(
      'stockgate: invalid configuration: STOCKGATE_API_KEYS: entry 2 (pos): role must be one of reader, checkout, admin',
    );
    expect(run.stderr + run.stdout).not.toContain(KEYS.checkout);
  });

  it('with no keys, starts open and says so loudly (a warn line) before listening', async () => {
    const run = await runMain({ NODE_ENV: 'development' }, 'listening');
    expect(run.code).toBeNull();
    const warning = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((l) => /NO API KEYS CONFIGURED/.test(l.msg));
    expect(warning?.level).toBe(40);
    expect(warning.msg).toContain('every caller is admin');
  });

  it('with keys in production, starts without that warning and never logs a secret', async () => {
    const run = await runMain({ NODE_ENV: 'production', STOCKGATE_API_KEYS: API_KEYS }, 'listening');
    expect(run.code).toBeNull();
    expect(run.stdout).toContain('listening');
    expect(run.stdout).not.toContain('NO API KEYS');
    expect(run.stdout + run.stderr).not.toContain(KEYS.reader);
  });
});

describe('several mutations in one document (README: send one mutation per request)', () => {
  const deduct = (orderId: string) => `deductStock(input: { orderId: "${orderId}", lines: [{ skuId: "a", quantity: 1 }] }) { __typename }`;
  const upsert = `upsertSkus(input: { skus: [{ id: "new", name: "mixed" }] }) { __typename }`;
  const levelOfA = async () => (await asAdmin(SKU, { id: 'a' })).sku.available as number;

  it('a refused mutation first: FORBIDDEN and nothing after it runs', async () => {
    const before = await levelOfA();
    const result = await overHttp(stack.svc.url, bearer('checkout'), `mutation { ${upsert} ${deduct(unique('mixed'))} }`);
    expect(codes(result)).toEqual(['FORBIDDEN']);
    expect(result.data).toBeNull();
    expect(await levelOfA()).toBe(before);
  });

  it('an allowed mutation before a refused one runs (mutations run in order), though data is null', async () => {
    const before = await levelOfA();
    const result = await overHttp(stack.svc.url, bearer('checkout'), `mutation { ${deduct(unique('mixed'))} ${upsert} }`);
    expect(codes(result)).toEqual(['FORBIDDEN']);
    expect(result.data).toBeNull();
    expect(await levelOfA()).toBe(before - 1);
  });
});
