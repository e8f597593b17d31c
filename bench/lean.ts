import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis, type Result } from 'ioredis';
import pg from 'pg';
import { GraphQLError } from 'graphql';
import { leanKeys } from './bare-db.ts';
import { refusal, serveBench, type DeductInput, type DeductResult } from './schema.ts';

/**
 * Lean, for the bench only: the least a cart can cost on this stack while it is sold once and durably.
 * The ceiling's Yoga and schema; per deductStockBatch request the carts checked (lines, quantities,
 * distinct SKUs: a bad cart refuses the request), one call of bench/lean.lua (each cart all or nothing,
 * once by its order id, whose record in Redis answers a replay; one in-flight entry a call holding what
 * it took), one INSERT of the taken carts' lines into seed 001's flow table (bench/bare-db.ts; its unique
 * order id and line would fail a statement that wrote an order twice), then the in-flight entry deleted
 * and the answers given. No group commit across requests (a request's 100 carts are one statement
 * already), no throttle, fencing, locations, buckets, replay filter, merge, live levels, metrics nor
 * access control: what stockgate's cart costs above this row's is what those cost. No reconciler
 * either: a statement that fails leaves its call in flight and its units taken, and the bench's check
 * (leanCheck) then says Redis and PostgreSQL disagree. Counters are loaded from `bare_sku` at start;
 * what is left of them is in Redis.
 */
/** Connections, as many as stockgate's own Prisma pool (src/db/client.ts). */
const POOL_SIZE = 20;
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: POOL_SIZE });
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const keys = leanKeys(process.env.REDIS_PREFIX ?? '');

declare module 'ioredis' {
  interface RedisCommander<Context> {
    leanTake(...keysThenArgs: (string | number)[]): Result<number[], Context>;
  }
}
redis.defineCommand('leanTake', { lua: readFileSync(new URL('./lean.lua', import.meta.url), 'utf8') });

const INSERT_FLOW = `INSERT INTO bare_flow (order_id, line, sku_id, quantity)
  SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::int[])`;

/** The reply codes of bench/lean.lua. */
const TAKEN = 1;
const REPLAY = -1;

/** What lean.lua trusts its caller with: a cart has lines, each of at least one unit, of distinct SKUs. */
function checkCart(cart: DeductInput, i: number): void {
  const bad = (why: string) => new GraphQLError(`carts.${i}: ${why}`, { extensions: { code: 'BAD_USER_INPUT' } });
  if (cart.lines.length === 0) throw bad('no lines');
  if (cart.lines.some((l) => !Number.isInteger(l.quantity) || l.quantity < 1)) throw bad('a quantity below 1');
  if (cart.lines.length > 1 && new Set(cart.lines.map((l) => l.skuId)).size < cart.lines.length) throw bad('a SKU on two lines');
}

async function deductMany(carts: DeductInput[]): Promise<DeductResult[]> {
  carts.forEach(checkCart);
  const callId = randomUUID();
  const scriptKeys = [keys.records, keys.inFlight];
  const args: (string | number)[] = [callId];
  for (const cart of carts) {
    args.push(cart.orderId, cart.lines.length);
    for (const line of cart.lines) {
      scriptKeys.push(keys.counter(line.skuId));
      args.push(line.quantity);
    }
  }
  const replies = await redis.leanTake(scriptKeys.length, ...scriptKeys, ...args);
  const orders: string[] = [];
  const lineNumbers: number[] = [];
  const skus: string[] = [];
  const quantities: number[] = [];
  carts.forEach((cart, i) => {
    if (replies[i] !== TAKEN) return;
    cart.lines.forEach((line, n) => {
      orders.push(cart.orderId);
      lineNumbers.push(n);
      skus.push(line.skuId);
      quantities.push(line.quantity);
    });
  });
  if (orders.length > 0) {
    await pool.query(INSERT_FLOW, [orders, lineNumbers, skus, quantities]);
    await redis.hdel(keys.inFlight, callId);
  }
  return carts.map((cart, i) =>
    replies[i] === TAKEN || replies[i] === REPLAY
      ? { __typename: 'DeductStockSuccess', orderId: cart.orderId, lines: cart.lines.map((l) => ({ ...l, available: null })) }
      : refusal,
  );
}

/** Every SKU's counter from `bare_sku`, as the bench seeded it. */
async function loadCounters(): Promise<void> {
  const { rows } = await pool.query<{ id: string; available: number }>('SELECT id, available FROM bare_sku');
  await redis.mset(rows.flatMap((r) => [keys.counter(r.id), String(r.available)]));
}

await loadCounters();
serveBench('lean server', 4003, {
  deductStock: async (input) => (await deductMany([input]))[0]!,
  deductStockBatch: async (carts) => ({ results: await deductMany(carts) }),
});
process.on('SIGTERM', () => void Promise.all([pool.end(), redis.quit()]).finally(() => process.exit(0)));
