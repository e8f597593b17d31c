import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { Gate } from '../../src/gate/gate.ts';
import { GateKeys } from '../../src/gate/keys.ts';
import { defineGateCommands } from '../../src/gate/scripts.ts';
import { withIdentity } from '../../src/stock/idempotency.ts';
import { sql } from '../support/ledger.ts';
import type { Done, Line, Sent } from './load.ts';

/** Per SKU: the truth (row + unmerged movements) and what the ledger says on its own. */
export interface SkuTruth {
  id: string;
  available: number;
  reserved: number;
  sold: number;
  backorderLimit: number;
  unlimited: boolean;
  /** Units that came in: ADJUST (the initial level included) and RESTOCK. */
  received: number;
  /** The ledger's own sums over every movement (the row starts at zero). */
  ledger: { available: number; reserved: number; sold: number };
  /** The lowest available the ledger ever passed through, replayed in insertion (id) order. */
  lowestAvailable: number;
}

export async function truths(databaseUrl: string): Promise<SkuTruth[]> {
  const rows = await sql(
    databaseUrl,
    `SELECT s.id, s.unlimited, s.backorder_limit,
            s.available + coalesce(sum(m.delta_available) FILTER (WHERE (m.tx, m.id) > (s.merged_through_tx, s.merged_through_id)), 0) AS available,
            s.reserved + coalesce(sum(m.delta_reserved) FILTER (WHERE (m.tx, m.id) > (s.merged_through_tx, s.merged_through_id)), 0) AS reserved,
            s.sold + coalesce(sum(m.delta_sold) FILTER (WHERE (m.tx, m.id) > (s.merged_through_tx, s.merged_through_id)), 0) AS sold,
            coalesce(sum(m.delta_available), 0) AS l_available,
            coalesce(sum(m.delta_reserved), 0) AS l_reserved,
            coalesce(sum(m.delta_sold), 0) AS l_sold,
            coalesce(sum(m.delta_available) FILTER (WHERE m.kind IN ('ADJUST', 'RESTOCK')), 0) AS received,
            (SELECT coalesce(min(run), 0) FROM (
               SELECT sum(x.delta_available) OVER (ORDER BY x.id) AS run FROM movement x WHERE x.sku_id = s.id) r) AS lowest
     FROM sku s LEFT JOIN movement m ON m.sku_id = s.id
     GROUP BY s.id ORDER BY s.id`,
  );
  return rows.map((r) => ({
    id: r.id,
    unlimited: r.unlimited,
    backorderLimit: Number(r.backorder_limit),
    available: Number(r.available),
    reserved: Number(r.reserved),
    sold: Number(r.sold),
    received: Number(r.received),
    ledger: { available: Number(r.l_available), reserved: Number(r.l_reserved), sold: Number(r.l_sold) },
    lowestAvailable: Number(r.lowest),
  }));
}

export interface Counter {
  /** a + h: the truth's available. */
  available: number;
  /** a: what the gate itself may sell. */
  share: number;
  /** h: units withheld from the gate for the database-only path. */
  withheld: number;
  reserved: number;
  sold: number;
  epoch: number;
}

/** Where a run's gate is: one Redis (its URL) or a Redis Cluster (some nodes); its prefix and shards. */
export interface GateAt {
  redis: string | { host: string; port: number }[];
  prefix: string;
  /** GATE_SHARDS of the servers (1 when left out). */
  shards?: number;
}

/** Reads through a Gate of its own on `at`, as the servers read theirs (every shard, every bucket). */
async function throughGate<T>(at: GateAt, read: (gate: Gate) => Promise<T>): Promise<T> {
  const client =
    typeof at.redis === 'string'
      ? new Redis(at.redis, { maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true })
      : new Cluster(at.redis, { lazyConnect: true, clusterRetryStrategy: () => null, redisOptions: { maxRetriesPerRequest: 1 } });
  client.on('error', () => {});
  defineGateCommands(client);
  try {
    await client.connect();
    return await read(new Gate(client, new GateKeys(at.prefix, at.shards ?? 1)));
  } finally {
    client.disconnect();
  }
}

/**
 * The gate's counters as Redis holds them right now (null where there is none, or of a generation the
 * server no longer holds); throws when Redis is unreachable. `available` is what the truth calls
 * available: the gate's share plus the units withheld from the gate for the database-only path.
 */
export async function counters(at: GateAt, skuIds: string[]): Promise<Map<string, Counter | null>> {
  const levels = await throughGate(at, (gate) => gate.levels(skuIds));
  return new Map(
    skuIds.map((id, i) => {
      const l = levels[i];
      return [
        id,
        l
          ? {
              available: l.available,
              share: l.available - l.withheld,
              withheld: l.withheld,
              reserved: l.reserved,
              sold: l.sold,
              epoch: l.epoch,
            }
          : null,
      ];
    }),
  );
}

/** Takes in flight, over every shard. */
async function inFlightCount(at: GateAt): Promise<number> {
  return throughGate(at, async (gate) => {
    const counts = await Promise.all(gate.keys.shards.map((shard) => gate.redis.zcard(shard.inflight)));
    return counts.reduce((a, b) => a + b, 0);
  });
}

export interface Agreement {
  agreed: boolean;
  /** From the start of the wait. */
  waitedMs: number;
  /** Units the gate holds back that the truth has available (undersell), summed over SKUs, at the end. */
  stranded: number;
  /** Units the gate offers that the truth does not have, summed, at the end. */
  phantom: number;
  /** Per SKU differences left at the end (empty when agreed). */
  differences: string[];
  inFlight: number;
  outbox: number;
}

/**
 * I3: waits (bounded) until every counter Redis holds equals the truth, nothing is in flight and the
 * outbox is empty, with no load running. Polls; reports how long it took and what was left if not.
 */
export async function awaitAgreement(databaseUrl: string, at: GateAt, boundMs: number): Promise<Agreement> {
  const started = Date.now();
  for (;;) {
    const state = await compare(databaseUrl, at);
    const agreed = state.differences.length === 0 && state.inFlight === 0 && state.outbox === 0;
    const waitedMs = Date.now() - started;
    if (agreed || waitedMs > boundMs) return { agreed, waitedMs, ...state };
    await sleep(100);
  }
}

export async function compare(databaseUrl: string, at: GateAt) {
  const t = await truths(databaseUrl);
  const [row] = await sql<{ outbox: number }>(databaseUrl, `SELECT count(*)::int AS outbox FROM gate_outbox`);
  const outbox = row?.outbox ?? -1;
  let inFlight = -1;
  let held: Map<string, Counter | null> | null = null;
  try {
    inFlight = await inFlightCount(at);
    held = await counters(
      at,
      t.map((s) => s.id),
    );
  } catch {
    // Redis unreachable: no agreement yet.
  }
  let stranded = 0;
  let phantom = 0;
  const differences: string[] = [];
  if (!held) differences.push('Redis unreachable');
  for (const s of t) {
    const c = held?.get(s.id);
    if (!c) continue;
    if (c.available !== s.available || c.reserved !== s.reserved || c.sold !== s.sold) {
      differences.push(
        `${s.id}: gate a+h/r/s ${c.share}+${c.withheld}/${c.reserved}/${c.sold} (epoch ${c.epoch}), truth ${s.available}/${s.reserved}/${s.sold}`,
      );
      if (c.available < s.available) stranded += s.available - c.available;
      else phantom += c.available - s.available;
    }
  }
  return { stranded, phantom, differences, inFlight, outbox };
}

interface LedgerMove {
  /** A load kind, ADJUST, or another movement kind (RESERVE, CONFIRM, ...). */
  kind: string;
  key: string | null;
  order_id: string | null;
  sku_id: string;
  quantity: number;
  order_line: number | null;
}

export interface Verdict {
  /** Every broken invariant, one line each, prefixed with its number. */
  violations: string[];
  oversold: number;
  /** Acked requests whose movements are missing from the ledger. */
  lost: number;
  /** Acked requests whose movements are in the ledger more than once. */
  doubled: number;
  checked: { acked: number; keys: number; orderLines: number; skus: number };
}

const sameLines = (a: Line[], b: Line[]) => {
  const norm = (l: Line[]) => l.map((x) => `${x.skuId}:${x.quantity}`).sort();
  return isDeepStrictEqual(norm(a), norm(b));
};

/**
 * Where the API names a field otherwise than the stored answer does: the schema's names changed in
 * 0.2.0, the answers stored in PostgreSQL kept theirs (a refund's key is stored as `refundId`).
 */
const STORED_AS: Record<string, string[]> = { availableAfter: ['available'], idempotencyKey: ['idempotencyKey', 'refundId'] };

/** `stored` holds every field `answer` has (ignoring __typename), recursively equal. */
function answers(answer: unknown, stored: unknown): boolean {
  if (Array.isArray(answer))
    return Array.isArray(stored) && answer.length === stored.length && answer.every((a, i) => answers(a, stored[i]));
  if (answer !== null && typeof answer === 'object') {
    if (stored === null || typeof stored !== 'object') return false;
    const record = stored as Record<string, unknown>;
    const storedValue = (k: string) => record[(STORED_AS[k] ?? [k]).find((name) => name in record) ?? k];
    return Object.entries(answer).every(([k, v]) => k === '__typename' || answers(v, storedValue(k)));
  }
  return answer === stored;
}

/**
 * Where a SKU's available, replayed in id order, first went below the floor: that movement and the ones
 * just before it, for the report (id order is insertion order, not necessarily commit order).
 */
async function dip(databaseUrl: string, skuId: string, floor: number): Promise<string> {
  const rows = await sql(
    databaseUrl,
    `WITH r AS (
       SELECT id, kind::text AS kind, quantity, delta_available, delta_reserved, delta_sold, idempotency_key, order_id, created_at,
              sum(delta_available) OVER (ORDER BY id) AS run
       FROM movement WHERE sku_id = $1),
     first AS (SELECT min(id) AS id FROM r WHERE run < $2)
     SELECT r.* FROM r, first WHERE r.id <= first.id ORDER BY r.id DESC LIMIT 6`,
    [skuId, floor],
  );
  return (
    'movements up to the first dip, newest first: ' +
    rows
      .map(
        (m) =>
          `#${m.id} ${m.kind} ${m.quantity} (Δa ${m.delta_available}, run ${m.run}) key ${m.idempotency_key} at ${new Date(m.created_at).toISOString().slice(11, 23)}`,
      )
      .join(' | ')
  );
}

/** I1, I2, I4, I5, I6 from the ledger (direct SQL) against everything the clients sent and were told. */
export async function verify(databaseUrl: string, done: Done[], backorderLimit = 0): Promise<Verdict> {
  const violations: string[] = [];
  const skus = await truths(databaseUrl);

  // I1: no oversell, no lost units.
  let oversold = 0;
  for (const s of skus) {
    if (s.unlimited) continue;
    const floor = -Math.max(backorderLimit, s.backorderLimit);
    const worst = Math.min(s.available, s.lowestAvailable);
    if (worst < floor) {
      oversold += floor - worst;
      violations.push(
        `I1 ${s.id}: available went to ${worst} (now ${s.available}), below ${floor}; ${await dip(databaseUrl, s.id, floor)}`,
      );
    }
    if (s.sold > s.received + s.backorderLimit) violations.push(`I1 ${s.id}: sold ${s.sold} > received ${s.received}`);
    if (s.reserved < 0 || s.sold < 0) violations.push(`I1 ${s.id}: reserved ${s.reserved} / sold ${s.sold} below zero`);
    if (s.available + s.reserved + s.sold !== s.received)
      violations.push(`I1 ${s.id}: not conserved: ${s.available} + ${s.reserved} + ${s.sold} != received ${s.received}`);
    if (!isDeepStrictEqual(s.ledger, { available: s.available, reserved: s.reserved, sold: s.sold }))
      violations.push(`I1 ${s.id}: row + unmerged ${s.available}/${s.reserved}/${s.sold} != ledger sums ${JSON.stringify(s.ledger)}`);
  }

  // The ledger, per idempotency key.
  const moves = await sql<LedgerMove>(
    databaseUrl,
    `SELECT kind::text AS kind, idempotency_key AS key, order_id, sku_id, quantity, order_line FROM movement ORDER BY id`,
  );
  const byKey = new Map<string, LedgerMove[]>();
  for (const m of moves) {
    if (m.kind === 'ADJUST') continue;
    const k = `${m.kind}:${m.key}`;
    byKey.set(k, [...(byKey.get(k) ?? []), m]);
  }
  const sentByKey = new Map<string, Sent>();
  for (const d of done) sentByKey.set(`${d.sent.kind}:${d.sent.key}`, d.sent);
  const records = new Map<string, unknown>();
  // A take's record as a replay reads it: orderId and idempotencyKey from the row where its answer leaves them out.
  for (const r of await sql(
    databaseUrl,
    `SELECT kind::text AS kind, idempotency_key AS "idempotencyKey", coalesce(answer::json, result) AS result,
            order_id AS "orderId", client_key AS "clientKey"
     FROM gate_request`,
  ))
    records.set(`${r.kind}:${r.idempotencyKey}`, withIdentity(r.result, r));
  for (const r of await sql(databaseUrl, `SELECT kind::text AS kind, key, result FROM operation`))
    records.set(`${r.kind}:${r.key}`, r.result);

  // I2: every acked request is in the ledger exactly once, with its lines and the answer it got.
  let lost = 0;
  let doubled = 0;
  let acked = 0;
  for (const d of done) {
    if (d.status !== 'acked') continue;
    acked++;
    const k = `${d.sent.kind}:${d.sent.key}`;
    const found = byKey.get(k) ?? [];
    if (found.length === 0) {
      lost++;
      violations.push(`I2 acked ${k} is not in the ledger`);
      continue;
    }
    if (found.length > d.sent.lines.length) {
      doubled++;
      violations.push(`I2/I4 acked ${k} is in the ledger ${found.length} times for ${d.sent.lines.length} lines`);
    }
    const asLines = found.map((m) => ({ skuId: m.sku_id, quantity: m.quantity }));
    if (found.length === d.sent.lines.length && !sameLines(asLines, d.sent.lines))
      violations.push(`I2 acked ${k}: ledger lines ${JSON.stringify(asLines)} != sent ${JSON.stringify(d.sent.lines)}`);
    if (d.sent.orderId !== null && found.some((m) => m.order_id !== d.sent.orderId))
      violations.push(`I2 acked ${k}: wrong order id in the ledger`);
    if (!records.has(k)) violations.push(`I2 acked ${k}: no idempotency record in PostgreSQL`);
    else if (!answers(d.answer, records.get(k)))
      violations.push(`I4 acked ${k}: answered ${JSON.stringify(d.answer)}, stored ${JSON.stringify(records.get(k))}`);
  }

  // I4 / I6: every key in the ledger was sent, moved each of its lines exactly once (all lines or none).
  for (const [k, found] of byKey) {
    const sent = sentByKey.get(k);
    if (!sent) {
      violations.push(`I4 ${k} is in the ledger but no client sent it`);
      continue;
    }
    const asLines = found.map((m) => ({ skuId: m.sku_id, quantity: m.quantity }));
    if (!sameLines(asLines, sent.lines)) {
      const what = found.length > sent.lines.length ? 'I4 applied more than once' : 'I6 part of a request';
      violations.push(`${what}: ${k} moved ${JSON.stringify(asLines)} for ${JSON.stringify(sent.lines)}`);
    }
    if (sent.kind === 'DEDUCT') {
      const lineNos = found.map((m) => m.order_line).sort();
      if (
        !isDeepStrictEqual(
          lineNos,
          sent.lines.map((_, i) => i + 1),
        )
      )
        violations.push(`I6 ${k}: order lines ${JSON.stringify(lineNos)}`);
    }
    if (!records.has(k)) violations.push(`I4 ${k} moved without an idempotency record`);
  }
  for (const k of records.keys()) {
    if (!byKey.has(k) && !k.startsWith('RESERVE:')) violations.push(`I4 ${k} has an idempotency record but no movements`);
  }

  // I5: per order line, refunded <= deducted.
  const perLine = await sql(
    databaseUrl,
    `SELECT order_id, sku_id,
            coalesce(sum(quantity) FILTER (WHERE kind IN ('DEDUCT', 'CONFIRM')), 0)::int AS deducted,
            coalesce(sum(quantity) FILTER (WHERE kind = 'REFUND'), 0)::int AS refunded
     FROM movement WHERE order_id IS NOT NULL GROUP BY order_id, sku_id`,
  );
  for (const l of perLine)
    if (l.refunded > l.deducted) violations.push(`I5 ${l.order_id}/${l.sku_id}: refunded ${l.refunded} > deducted ${l.deducted}`);

  return { violations, oversold, lost, doubled, checked: { acked, keys: byKey.size, orderLines: perLine.length, skus: skus.length } };
}
