/**
 * Unit conservation, property-based (issue 11, item 1): random sequences of deducts and reserves (alone,
 * and several carts in one batch request, whose answers must be those of its carts taken one at a time),
 * confirms, releases, expiries, refunds, restocks, set-stocks and upserts (switching SKUs between
 * limited and unlimited, and setting backorder limits, often below the backorders sold) on 2–3 SKUs and
 * a few orders, sent over HTTP to the real app on PostgreSQL and Redis, and checked AFTER EVERY STEP
 * against a small in-memory model: each operation's outcome (success or which typed error), each SKU's
 * available / reserved / sold in the `skus` query and in the PostgreSQL truth (row + unmerged
 * movements), and conservation:
 *
 *   available + reserved + sold − (units an unlimited SKU made that are still held or sold)
 *     = initial + restocks + adjustments
 *
 * The model: a take (deduct, reserve) remembers, per line, how many units came from available
 * ("limited") and how many an unlimited SKU made ("unlimited"), decided by the SKU's flag AT TAKE TIME.
 * Confirm keeps that nature; release, expiry and refund give back to available only the limited units
 * among those they settle, limited units first when an order line holds both kinds. Every run ends
 * with the gate compared with the truth (gateAgrees) and each order's lines and hold compared with
 * the `order` query, and, once everything is merged, no SKU found below its floor (no OVERSOLD).
 *
 * Expiry is not waited for: the reservation is made due by SQL and expireDue runs at once.
 * fast-check prints the seed and the shrunk sequence of a failure; FC_SEED (and FC_PATH) replay one,
 * FC_RUNS changes the number of runs.
 */
import fc from 'fast-check';
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNMERGED_OF_S } from '../src/ledger/truth.ts';
import { expireDue } from '../src/stock/reservations.ts';
import { checked } from './support/client.ts';
import { gateAgrees } from './support/gate-check.ts';
import { permutations } from './support/permutations.ts';
import { useStack } from './support/stack.ts';
import { eventually } from './support/wait.ts';

const stack = useStack();
let pool: pg.Pool;
beforeAll(() => {
  pool = new pg.Pool({ connectionString: stack.ns.databaseUrl, max: 2 });
});
afterAll(async () => {
  await pool?.end();
  if (retried > 0) console.warn(`conservation: ${retried} TEMPORARILY_UNAVAILABLE answers retried`);
});

// ---------------------------------------------------------------------------------------------
// Operations over HTTP

/** Bounded retries of TEMPORARILY_UNAVAILABLE (nothing moved; README: retry with the same key). */
const MAX_ATTEMPTS = 8;
let retried = 0;

/** Sends the steps' operations; any GraphQL error other than a retried one fails the step (checked()). */
const client = stack.api.retrying({
  attempts: MAX_ATTEMPTS,
  pause: (attempt) => Math.min(25 * 2 ** attempt, 500),
  onRetry: () => retried++,
});

// ---------------------------------------------------------------------------------------------
// The model

type State = 'ACTIVE' | 'CONFIRMED' | 'RELEASED' | 'EXPIRED';
interface Units {
  /** Units taken from available (limited at take time). */
  lim: number;
  /** Units an unlimited SKU made (unlimited at take time): they never go back to available. */
  unl: number;
}
interface SkuModel {
  id: string;
  available: number;
  reserved: number;
  sold: number;
  unlimited: boolean;
  /** initial + restocks + adjustments */
  received: number;
  /** Gate buckets (src/gate/buckets.ts): invisible to the model but for a line's level after a take. */
  buckets: number;
  /** How far below zero available may go; lowering it below the backorders sold leaves them owed, not oversold. */
  backorderLimit: number;
}
/** What an order bought of one SKU: deducted (DEDUCT + CONFIRM), refunded, and the sold units left, by kind. */
interface SoldLine extends Units {
  deducted: number;
  refunded: number;
}
/** One line of a hold: the ledger's sums, and the units still held, by kind. */
interface HoldLine extends Units {
  reserved: number;
  confirmed: number;
  released: number;
  expired: number;
}
interface OrderModel {
  id: string;
  sold: Map<string, SoldLine>;
  hold: { state: State; lines: Map<string, HoldLine> } | null;
}
interface DeductSent {
  key: string;
  orderId: string;
  lines: { skuId: string; quantity: number }[];
  answer: unknown;
}

class Model {
  readonly skus: SkuModel[];
  readonly orders: OrderModel[];
  /** Successful deducts, for replays. */
  readonly deducts: DeductSent[] = [];

  constructor(prefix: string, initial: Initial[], orders: number) {
    this.skus = initial.map((s, i) => ({
      id: `${prefix}-s${i}`,
      available: s.available,
      reserved: 0,
      sold: 0,
      unlimited: s.unlimited,
      received: s.available,
      buckets: s.buckets,
      backorderLimit: s.backorderLimit,
    }));
    this.orders = Array.from({ length: orders }, (_, i) => ({ id: `${prefix}-o${i}`, sold: new Map(), hold: null }));
  }

  sku(i: number): SkuModel {
    return this.skus[i % this.skus.length]!;
  }
  byId(id: string): SkuModel {
    return this.skus.find((s) => s.id === id)!;
  }
  order(i: number): OrderModel {
    return this.orders[i % this.orders.length]!;
  }

  /** Units of this SKU that an unlimited SKU made and that are still held or sold. */
  unlimitedUnits(skuId: string): number {
    let n = 0;
    for (const o of this.orders) {
      n += o.sold.get(skuId)?.unl ?? 0;
      n += o.hold?.lines.get(skuId)?.unl ?? 0;
    }
    return n;
  }

  /** Limited units first: how a settlement of q splits units of both kinds. */
  static split(from: Units, q: number): Units {
    const lim = Math.min(q, from.lim);
    return { lim, unl: q - lim };
  }
}

interface Initial {
  available: number;
  unlimited: boolean;
  buckets: number;
  backorderLimit: number;
}

// ---------------------------------------------------------------------------------------------
// Steps

interface LineOp {
  sku: number;
  q: number;
  /** Settlements and refunds: all that is left on the line instead of q (when anything is). */
  whole?: boolean;
}
type Op =
  | { t: 'deduct'; order: number; lines: LineOp[] }
  | { t: 'deductBatch' | 'reserveBatch'; carts: { order: number; lines: LineOp[] }[] }
  | { t: 'reserve'; order: number; lines: LineOp[] }
  | { t: 'confirm' | 'release'; order: number; lines: LineOp[] | null }
  | { t: 'expire'; order: number }
  | { t: 'refund'; order: number; lines: LineOp[] }
  | { t: 'restock'; sku: number; q: number }
  | { t: 'setStock'; sku: number; level: number; cas: 'none' | 'current' | 'stale' }
  | { t: 'upsertLevel'; sku: number; level: number }
  | { t: 'flip'; sku: number; unlimited: boolean }
  | { t: 'limit'; sku: number; backorderLimit: number }
  | { t: 'replay'; nth: number; same: boolean };

/** One line per SKU, in the order first named (a cart names each SKU once). */
function resolveLines(m: Model, lines: LineOp[]): (LineOp & { skuId: string })[] {
  const seen = new Set<string>();
  const out: (LineOp & { skuId: string })[] = [];
  for (const l of lines) {
    const skuId = m.sku(l.sku).id;
    if (seen.has(skuId)) continue;
    seen.add(skuId);
    out.push({ ...l, skuId });
  }
  return out;
}

/** Some movement of any SKU not merged yet. */
const UNMERGED_ANYWHERE = `SELECT 1 FROM sku s JOIN movement m ON m.sku_id = s.id WHERE ${UNMERGED_OF_S} LIMIT 1`;

/** The merge's count of SKUs found below their floor so far (src/observe/metrics.ts). */
async function belowFloor(): Promise<number> {
  const found = /^stockgate_stock_below_floor_total (\d+)$/m.exec(await stack.svc.app.metrics.exposition());
  expect(found, 'the below-floor metric').not.toBeNull();
  return Number(found![1]);
}

/** A fresh idempotency key per request of a run: the model never replays by accident. */
let keySeq = 0;
const freshKey = (prefix: string, what: string) => `${prefix}-${what}${++keySeq}`;

class Runner {
  readonly m: Model;
  private readonly log: string[] = [];
  /** The merge's count of SKUs found below their floor (OVERSOLD) when the run started. */
  private belowFloorBefore = 0;

  constructor(
    readonly prefix: string,
    initial: Initial[],
    orders: number,
  ) {
    this.m = new Model(prefix, initial, orders);
  }

  async setUp(): Promise<void> {
    // An earlier run that failed may leave movements to merge: the count starts once they are.
    await eventually('every earlier movement merged', async () => (await pool.query(UNMERGED_ANYWHERE)).rows.length === 0);
    this.belowFloorBefore = await belowFloor();
    const answer = await client.upserted(
      this.m.skus.map((s) => ({
        id: s.id,
        available: s.available,
        unlimited: s.unlimited,
        backorderLimit: s.backorderLimit,
        buckets: s.buckets,
      })),
    );
    expect(answer.map((s: { id: string }) => s.id)).toEqual(this.m.skus.map((s) => s.id));
    await this.check('set-up');
  }

  /** Runs the steps, checking after each; a failure names the step and what came before. */
  async run(ops: Op[]): Promise<void> {
    await this.setUp();
    for (const [i, op] of ops.entries()) {
      try {
        const said = await this.step(op);
        this.log.push(`${i}: ${JSON.stringify(op)} -> ${said}`);
        await this.check(`after step ${i}`, op.t === 'expire');
      } catch (err) {
        const e = err as Error;
        e.message = `step ${i} ${JSON.stringify(op)} failed: ${e.message}\nsteps before:\n${this.log.join('\n')}\nmodel: ${this.describe()}`;
        throw e;
      }
    }
    await this.finish();
  }

  describe(): string {
    return JSON.stringify(this.m.skus.map((s) => ({ ...s, unlimitedUnits: this.m.unlimitedUnits(s.id) })));
  }

  /** Sends one operation, checks its outcome against the model, updates the model; returns what it said. */
  async step(op: Op): Promise<string> {
    const m = this.m;
    switch (op.t) {
      case 'deduct':
      case 'reserve': {
        const order = m.order(op.order);
        const lines = resolveLines(m, op.lines);
        const cart = lines.map((l) => ({ skuId: l.skuId, quantity: l.q }));
        const short = lines.filter((l) => {
          const s = m.byId(l.skuId);
          return !s.unlimited && s.available - l.q < -s.backorderLimit;
        });
        const key = freshKey(this.prefix, op.t === 'deduct' ? 'd' : 'r');
        const answer =
          op.t === 'deduct' ? checked(await client.deduct(order.id, cart, key)) : checked(await client.reserve(order.id, cart, 3_600, key));
        // One reservation per order: another key for the same order conflicts, whatever the stock.
        if (op.t === 'reserve' && order.hold) {
          expect(answer.__typename, 'a second reservation of an order').toBe('IdempotencyConflict');
          return answer.__typename;
        }
        if (short.length > 0) {
          expect(answer.__typename, JSON.stringify(answer)).toBe('InsufficientStock');
          expect(
            answer.lines.map((s: { skuId: string; requested: number }) => `${s.skuId}:${s.requested}`).sort(),
            'the short lines',
          ).toEqual(short.map((l) => `${l.skuId}:${l.q}`).sort());
          return answer.__typename;
        }
        expect(answer.__typename, JSON.stringify(answer)).toBe(op.t === 'deduct' ? 'DeductStockSuccess' : 'ReserveStockSuccess');
        expect(answer.lines, 'the answered lines (available right after the request)').toEqual(this.take(op.t, order, lines));
        if (op.t === 'deduct') m.deducts.push({ key, orderId: order.id, lines: cart, answer });
        return answer.__typename;
      }

      case 'deductBatch':
      case 'reserveBatch': {
        const kind = op.t === 'deductBatch' ? 'deduct' : 'reserve';
        const carts = op.carts.map((c) => ({ order: m.order(c.order), lines: resolveLines(m, c.lines), key: freshKey(this.prefix, 'b') }));
        const sent = carts.map((c) => ({
          orderId: c.order.id,
          lines: c.lines.map((l) => ({ skuId: l.skuId, quantity: l.q })),
          idempotencyKey: c.key,
        }));
        const results: any[] = checked(kind === 'deduct' ? await client.deductBatch(sent) : await client.reserveBatch(sent, 3_600)).results;
        expect(results, 'one result per cart').toHaveLength(carts.length);
        const order = permutations(carts.length).find((o) =>
          this.oneAtATime(kind, carts, o).every((e, i) => sameOutcome(kind, e, results[i])),
        );
        expect(order, `the batch answers its carts as if taken one at a time in some order: ${JSON.stringify(results)}`).toBeDefined();
        for (const i of order!) {
          if (!results[i].__typename.endsWith('StockSuccess')) continue;
          this.take(kind, carts[i]!.order, carts[i]!.lines);
          if (kind === 'deduct')
            m.deducts.push({ key: carts[i]!.key, orderId: carts[i]!.order.id, lines: sent[i]!.lines, answer: results[i] });
        }
        return results.map((r) => r.__typename).join(',');
      }

      case 'confirm':
      case 'release': {
        const order = m.order(op.order);
        const hold = order.hold;
        let lines: { skuId: string; quantity: number }[] | null = null;
        if (op.lines) {
          lines = resolveLines(m, op.lines).map((l) => {
            const held = hold?.lines.get(l.skuId);
            const left = held ? held.lim + held.unl : 0;
            return { skuId: l.skuId, quantity: l.whole && left > 0 ? left : l.q };
          });
        }
        const key = freshKey(this.prefix, op.t[0]!);
        const answer = checked(
          await (op.t === 'confirm'
            ? client.confirm(order.id, lines ?? undefined, key)
            : client.release(order.id, lines ?? undefined, key)),
        );
        const outcome = (() => {
          if (!hold) return 'UnknownReservation';
          if (hold.state === 'EXPIRED') return 'ReservationExpired';
          if (hold.state === 'RELEASED') return 'ReservationAlreadyReleased';
          if (hold.state === 'CONFIRMED') return 'ReservationAlreadyConfirmed';
          if (lines?.some((l) => !hold.lines.has(l.skuId))) return 'SkuNotInOrder';
          if (lines?.some((l) => l.quantity > hold.lines.get(l.skuId)!.lim + hold.lines.get(l.skuId)!.unl)) return 'ExceedsReserved';
          return op.t === 'confirm' ? 'ConfirmReservationSuccess' : 'ReleaseReservationSuccess';
        })();
        expect(answer.__typename, JSON.stringify(answer)).toBe(outcome);
        if (!outcome.endsWith('Success')) return outcome;
        const { reservation } = answer;
        const wanted =
          lines ?? [...hold!.lines].filter(([, h]) => h.lim + h.unl > 0).map(([skuId, h]) => ({ skuId, quantity: h.lim + h.unl }));
        for (const w of wanted) this.settle(order, w.skuId, w.quantity, op.t === 'confirm' ? 'CONFIRM' : 'RELEASE');
        this.finalState(order, op.t === 'confirm' ? 'CONFIRMED' : 'RELEASED');
        expect({ state: reservation.state, lines: reservation.lines }, 'the reservation after the settlement').toEqual(holdView(order));
        return `${outcome} ${reservation.state}`;
      }

      case 'expire': {
        const order = m.order(op.order);
        await pool.query(`UPDATE reservation SET deadline = now() - interval '1 second' WHERE order_id = $1 AND state = 'ACTIVE'`, [
          order.id,
        ]);
        await expireDue(stack.svc.app.services);
        if (order.hold?.state === 'ACTIVE') {
          for (const [skuId, h] of order.hold.lines) if (h.lim + h.unl > 0) this.settle(order, skuId, h.lim + h.unl, 'EXPIRE');
          order.hold.state = 'EXPIRED';
        }
        const res = await stack.api.orderWithReservation(order.id);
        expect(res.errors).toBeUndefined();
        expect(res.data.order?.reservation ?? null, 'the reservation after the expiry').toEqual(order.hold ? holdView(order) : null);
        return order.hold?.state ?? 'no reservation';
      }

      case 'refund': {
        const order = m.order(op.order);
        const lines = resolveLines(m, op.lines).map((l) => {
          const sold = order.sold.get(l.skuId);
          const refundable = sold ? sold.lim + sold.unl : 0;
          return { skuId: l.skuId, quantity: l.whole && refundable > 0 ? refundable : l.q };
        });
        const answer = checked(await client.refund(order.id, freshKey(this.prefix, 'f'), lines));
        const outcome = (() => {
          if (order.sold.size === 0) return 'UnknownOrder';
          if (lines.some((l) => !order.sold.has(l.skuId))) return 'SkuNotInOrder';
          if (lines.some((l) => l.quantity > order.sold.get(l.skuId)!.lim + order.sold.get(l.skuId)!.unl)) return 'RefundExceedsDeducted';
          return 'RefundStockSuccess';
        })();
        expect(answer.__typename, JSON.stringify(answer)).toBe(outcome);
        if (outcome !== 'RefundStockSuccess') return outcome;
        const expected = [];
        for (const l of lines) {
          const line = order.sold.get(l.skuId)!;
          const back = Model.split(line, l.quantity);
          const s = m.byId(l.skuId);
          s.sold -= l.quantity;
          s.available += back.lim;
          line.lim -= back.lim;
          line.unl -= back.unl;
          line.refunded += l.quantity;
          expected.push({
            skuId: l.skuId,
            quantity: l.quantity,
            deducted: line.deducted,
            refunded: line.refunded,
            refundable: line.lim + line.unl,
          });
        }
        expect(answer.lines, 'the refunded lines').toEqual(expected);
        return outcome;
      }

      case 'restock': {
        const s = m.sku(op.sku);
        const answer = checked(await client.restock(s.id, op.q, freshKey(this.prefix, 'k')));
        expect(answer.__typename, JSON.stringify(answer)).toBe('RestockSuccess');
        s.available += op.q;
        s.received += op.q;
        expect(answer.availableAfter, 'available right after the restock (null if unlimited)').toBe(s.unlimited ? null : s.available);
        return answer.__typename;
      }

      case 'setStock':
      case 'upsertLevel': {
        const s = m.sku(op.sku);
        // An absolute level is a limited SKU's notion (an unlimited one shows no level): limited SKUs only.
        if (s.unlimited) return 'skipped (unlimited)';
        if (op.t === 'upsertLevel') {
          const [answer] = await client.upserted([{ id: s.id, available: op.level }]);
          s.received += op.level - s.available;
          s.available = op.level;
          expect(answer, 'the upserted SKU').toMatchObject({
            id: s.id,
            available: s.available,
            reserved: s.reserved,
            sold: s.sold,
            unlimited: false,
          });
          return 'upserted';
        }
        const expectedAvailable = op.cas === 'none' ? null : op.cas === 'current' ? s.available : s.available + 1;
        const answer = checked(
          await client.setStock({ skuId: s.id, available: op.level, ...(expectedAvailable === null ? {} : { expectedAvailable }) }),
        );
        if (op.cas === 'stale') {
          expect(answer, JSON.stringify(answer)).toMatchObject({
            __typename: 'StockChanged',
            expectedAvailable,
            currentAvailable: s.available,
          });
          return answer.__typename;
        }
        s.received += op.level - s.available;
        s.available = op.level;
        expect(answer, JSON.stringify(answer)).toMatchObject({
          __typename: 'SetStockSuccess',
          sku: { available: s.available, reserved: s.reserved, sold: s.sold },
        });
        return answer.__typename;
      }

      case 'flip': {
        const s = m.sku(op.sku);
        const [answer] = await client.upserted([{ id: s.id, unlimited: op.unlimited }]);
        s.unlimited = op.unlimited;
        expect(answer, 'the upserted SKU').toEqual(skuView(s));
        return op.unlimited ? 'now unlimited' : 'now limited';
      }

      case 'limit': {
        const s = m.sku(op.sku);
        const [answer] = await client.upserted([{ id: s.id, backorderLimit: op.backorderLimit }]);
        s.backorderLimit = op.backorderLimit;
        expect(answer, 'the upserted SKU').toEqual(skuView(s));
        return `backorder limit ${op.backorderLimit}`;
      }

      case 'replay': {
        if (m.deducts.length === 0) return 'nothing to replay';
        const first = m.deducts[op.nth % m.deducts.length]!;
        const lines = op.same ? first.lines : first.lines.map((l, i) => (i === 0 ? { ...l, quantity: l.quantity + 1 } : l));
        const answer = checked(await client.deduct(first.orderId, lines, first.key));
        if (op.same) expect(answer, 'a replay answers what the first request answered').toEqual(first.answer);
        else expect(answer.__typename, JSON.stringify(answer)).toBe('IdempotencyConflict');
        return answer.__typename;
      }
    }
  }

  /** A take's lines into the model (a reserve's hold is the order's); the answer's lines, levels right after it. */
  private take(kind: 'deduct' | 'reserve', order: OrderModel, lines: (LineOp & { skuId: string })[]): ExpectedLine[] {
    if (kind === 'reserve') order.hold = { state: 'ACTIVE', lines: new Map() };
    return lines.map((l) => {
      const s = this.m.byId(l.skuId);
      const units: Units = s.unlimited ? { lim: 0, unl: l.q } : { lim: l.q, unl: 0 };
      s.available -= units.lim;
      if (kind === 'deduct') {
        s.sold += l.q;
        const line = order.sold.get(s.id) ?? { deducted: 0, refunded: 0, lim: 0, unl: 0 };
        order.sold.set(s.id, { ...line, deducted: line.deducted + l.q, lim: line.lim + units.lim, unl: line.unl + units.unl });
      } else {
        s.reserved += l.q;
        order.hold!.lines.set(s.id, { reserved: l.q, confirmed: 0, released: 0, expired: 0, ...units });
      }
      // A take from buckets knows only the buckets it took from: no level after.
      return { skuId: s.id, quantity: l.q, availableAfter: s.unlimited || s.buckets > 1 ? null : s.available };
    });
  }

  /**
   * What a batch's takes answer when taken one at a time in `order`, from the model's levels (which it
   * leaves as they are): a reserve of an order already held conflicts, whatever the stock.
   */
  private oneAtATime(
    kind: 'deduct' | 'reserve',
    carts: { order: OrderModel; lines: (LineOp & { skuId: string })[] }[],
    order: number[],
  ): Expected[] {
    const available = new Map(this.m.skus.map((s) => [s.id, s.available]));
    const held = new Set(this.m.orders.filter((o) => o.hold).map((o) => o.id));
    const expected: Expected[] = [];
    for (const i of order) {
      const lines = carts[i]!.lines;
      if (kind === 'reserve' && held.has(carts[i]!.order.id)) {
        expected[i] = { conflict: true };
        continue;
      }
      const short = lines.filter((l) => {
        const s = this.m.byId(l.skuId);
        return !s.unlimited && available.get(s.id)! - l.q < -s.backorderLimit;
      });
      if (short.length > 0) {
        expected[i] = { short: short.map((l) => `${l.skuId}:${l.q}`).sort() };
        continue;
      }
      if (kind === 'reserve') held.add(carts[i]!.order.id);
      expected[i] = {
        lines: lines.map((l) => {
          const s = this.m.byId(l.skuId);
          if (!s.unlimited) available.set(s.id, available.get(s.id)! - l.q);
          return { skuId: s.id, quantity: l.q, availableAfter: s.unlimited || s.buckets > 1 ? null : available.get(s.id)! };
        }),
      };
    }
    return expected;
  }

  /** Settles q held units of a line: limited ones first; confirm keeps their kind, the others give back the limited ones. */
  private settle(order: OrderModel, skuId: string, q: number, kind: 'CONFIRM' | 'RELEASE' | 'EXPIRE'): void {
    const h = order.hold!.lines.get(skuId)!;
    const units = Model.split(h, q);
    const s = this.m.byId(skuId);
    h.lim -= units.lim;
    h.unl -= units.unl;
    s.reserved -= q;
    if (kind === 'CONFIRM') {
      h.confirmed += q;
      s.sold += q;
      const line = order.sold.get(skuId) ?? { deducted: 0, refunded: 0, lim: 0, unl: 0 };
      order.sold.set(skuId, { ...line, deducted: line.deducted + q, lim: line.lim + units.lim, unl: line.unl + units.unl });
    } else {
      if (kind === 'RELEASE') h.released += q;
      else h.expired += q;
      s.available += units.lim;
    }
  }

  private finalState(order: OrderModel, state: State): void {
    const hold = order.hold!;
    if ([...hold.lines.values()].every((h) => h.lim + h.unl === 0)) hold.state = state;
  }

  /**
   * Every SKU in the `skus` query and in the PostgreSQL truth against the model, and conservation
   * checked on the truth. After an expiry, the app's own expiry worker may have settled the hold just
   * before expireDue did, and be still bringing the gate up to it: the query gets a bounded while.
   */
  async check(when: string, settling = false): Promise<void> {
    const ids = this.m.skus.map((s) => s.id);
    const { rows } = await pool.query<{ id: string; unlimited: boolean; available: string; reserved: string; sold: string }>(
      `SELECT s.id, s.unlimited,
              s.available + coalesce(sum(m.delta_available) FILTER (WHERE (m.tx, m.id) > (s.merged_through_tx, s.merged_through_id)), 0) AS available,
              s.reserved + coalesce(sum(m.delta_reserved) FILTER (WHERE (m.tx, m.id) > (s.merged_through_tx, s.merged_through_id)), 0) AS reserved,
              s.sold + coalesce(sum(m.delta_sold) FILTER (WHERE (m.tx, m.id) > (s.merged_through_tx, s.merged_through_id)), 0) AS sold
       FROM sku s LEFT JOIN movement m ON m.sku_id = s.id WHERE s.id = ANY($1::text[]) GROUP BY s.id ORDER BY s.id`,
      [ids],
    );
    const truth = new Map(
      rows.map((r) => [
        r.id,
        { available: Number(r.available), reserved: Number(r.reserved), sold: Number(r.sold), unlimited: r.unlimited },
      ]),
    );
    for (const s of this.m.skus) {
      const t = truth.get(s.id)!;
      const counted = t.available + t.reserved + t.sold - this.m.unlimitedUnits(s.id);
      expect(
        counted,
        `${when}: ${s.id} not conserved in PostgreSQL: ${t.available} + ${t.reserved} + ${t.sold} − ${this.m.unlimitedUnits(s.id)} unlimited units = ${counted}, received ${s.received} (${counted - s.received > 0 ? 'phantom' : 'lost'} ${Math.abs(counted - s.received)})`,
      ).toBe(s.received);
      expect(t, `${when}: ${s.id} in PostgreSQL`).toEqual({
        available: s.available,
        reserved: s.reserved,
        sold: s.sold,
        unlimited: s.unlimited,
      });
    }
    const want = this.m.skus.map(skuView);
    const deadline = Date.now() + (settling ? 3_000 : 0);
    for (;;) {
      const got = checked(await client.skus(ids));
      try {
        expect(got, `${when}: the skus query`).toEqual(want);
        break;
      } catch (err) {
        if (Date.now() >= deadline) throw err;
        await sleep(50);
      }
    }
    // The service's own audit says the same: every SKU explained by its ledger, every counter agreeing.
    const audits = checked(await client.stockAudit(ids));
    expect(
      audits.map((a: { skuId: string; conserved: boolean; gateAgrees: boolean; drift: number }) => [
        a.skuId,
        a.conserved,
        a.gateAgrees,
        a.drift,
      ]),
      `${when}: stockAudit`,
    ).toEqual(ids.map((id) => [id, true, true, 0]));
  }

  /** Each order against the `order` query, then the gate against the truth. */
  async finish(): Promise<void> {
    for (const o of this.m.orders) {
      const res = await stack.api.orderWithReservation(o.id);
      expect(res.errors).toBeUndefined();
      if (o.sold.size === 0 && !o.hold) {
        expect(res.data.order, `order ${o.id}`).toBeNull();
        continue;
      }
      const lines = [...o.sold]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([skuId, l]) => ({ skuId, deducted: l.deducted, refunded: l.refunded, refundable: l.lim + l.unl }));
      expect(res.data.order, `order ${o.id}`).toEqual({ id: o.id, lines, reservation: o.hold ? holdView(o) : null });
    }
    for (const s of this.m.skus) await gateAgrees(stack.svc, stack.ns.databaseUrl, s.id);
    // Once every movement is merged, the merge has checked every floor: none was crossed.
    const ids = this.m.skus.map((s) => s.id);
    await eventually('every movement merged', async () =>
      checked(await client.stockAudit(ids)).every((a: { unmergedMovements: number }) => a.unmergedMovements === 0),
    );
    expect(await belowFloor(), 'SKUs the merge found below their floor during the run').toBe(this.belowFloorBefore);
  }
}

/** A SKU as the API shows it (upsertSkus, skus): an unlimited SKU shows no level. */
function skuView(s: SkuModel) {
  return {
    id: s.id,
    name: null,
    available: s.unlimited ? null : s.available,
    reserved: s.reserved,
    sold: s.sold,
    unlimited: s.unlimited,
  };
}

/** A hold as the API shows it: state and lines in SKU order. */
function holdView(o: OrderModel) {
  return {
    state: o.hold!.state,
    lines: [...o.hold!.lines]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([skuId, h]) => ({
        skuId,
        reserved: h.reserved,
        confirmed: h.confirmed,
        released: h.released,
        expired: h.expired,
        held: h.lim + h.unl,
      })),
  };
}

type ExpectedLine = { skuId: string; quantity: number; availableAfter: number | null };
/** A take's expected answer: its lines (success), the short ones (InsufficientStock, as "sku:requested"), or IdempotencyConflict. */
type Expected = { lines: ExpectedLine[] } | { short: string[] } | { conflict: true };

function sameOutcome(kind: 'deduct' | 'reserve', expected: Expected, answer: any): boolean {
  if ('conflict' in expected) return answer.__typename === 'IdempotencyConflict';
  if ('short' in expected) {
    return (
      answer.__typename === 'InsufficientStock' &&
      JSON.stringify(answer.lines.map((s: { skuId: string; requested: number }) => `${s.skuId}:${s.requested}`).sort()) ===
        JSON.stringify(expected.short)
    );
  }
  const success = kind === 'deduct' ? 'DeductStockSuccess' : 'ReserveStockSuccess';
  return answer.__typename === success && JSON.stringify(answer.lines) === JSON.stringify(expected.lines);
}

// ---------------------------------------------------------------------------------------------
// Generators

/** Indexes wrap around the run's SKUs and orders. */
const SKU_INDEX = fc.nat({ max: 2 });
const ORDER_INDEX = fc.nat({ max: 3 });
const QUANTITY = fc.integer({ min: 1, max: 5 });
const cart = fc.array(fc.record({ sku: SKU_INDEX, q: QUANTITY }), { minLength: 1, maxLength: 2 });
const settleLines = fc.array(fc.record({ sku: SKU_INDEX, q: QUANTITY, whole: fc.boolean() }), { minLength: 1, maxLength: 2 });

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('deduct' as const), order: ORDER_INDEX, lines: cart }) },
  // Several carts in one request, often of one SKU: one gate call takes them one after the other.
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constantFrom('deductBatch' as const, 'reserveBatch' as const),
      carts: fc.array(fc.record({ order: ORDER_INDEX, lines: cart }), { minLength: 1, maxLength: 4 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('reserve' as const), order: ORDER_INDEX, lines: cart }) },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('confirm' as const), order: ORDER_INDEX, lines: fc.option(settleLines, { nil: null }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('release' as const), order: ORDER_INDEX, lines: fc.option(settleLines, { nil: null }) }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('expire' as const), order: ORDER_INDEX }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('refund' as const), order: ORDER_INDEX, lines: settleLines }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('restock' as const), sku: SKU_INDEX, q: QUANTITY }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('setStock' as const),
      sku: SKU_INDEX,
      level: fc.nat({ max: 12 }),
      cas: fc.constantFrom('none' as const, 'current' as const, 'stale' as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('upsertLevel' as const), sku: SKU_INDEX, level: fc.nat({ max: 12 }) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('flip' as const), sku: SKU_INDEX, unlimited: fc.boolean() }) },
  // Mostly lowered, often to 0: below the backorders sold, they stay owed.
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('limit' as const), sku: SKU_INDEX, backorderLimit: fc.constantFrom(0, 0, 1, 2, 6) }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('replay' as const), nth: fc.nat({ max: 20 }), same: fc.boolean() }) },
);

// A third of the SKUs in 3 buckets: takes spill over them, and every other step runs the same.
// Some SKUs sell into backorder, and the limit steps lower it below the backorders sold (owed, not oversold).
const initial = fc.array(
  fc.record({
    available: fc.nat({ max: 12 }),
    unlimited: fc.boolean(),
    buckets: fc.constantFrom(1, 1, 3),
    backorderLimit: fc.constantFrom(0, 4, 4),
  }),
  { minLength: 2, maxLength: 3 },
);

/** Runs of the property: each is a fresh set of SKUs and orders, so runs never see each other. */
let runSeq = 0;
const runPrefix = () => `p${++runSeq}`;

/**
 * A run (about 13 steps) takes 1–2 s here. The whole property is bounded by this: shrinking a failure
 * is cut off then, reporting the smallest found so far; on a machine so loaded that the runs do not
 * all fit, fewer pass (fast-check counts an interrupted run that saw no failure as passed).
 */
const PROPERTY_TIME_LIMIT_MS = 50_000;

describe('conservation of units through every operation (property)', () => {
  it(
    'keeps every SKU at what the model says, after every step of random sequences, unlimited switches included',
    async () => {
      await fc.assert(
        fc.asyncProperty(initial, fc.array(op, { minLength: 1, maxLength: 25, size: 'max' }), async (skus, ops) => {
          await new Runner(runPrefix(), skus, 4).run(ops);
        }),
        {
          numRuns: Number(process.env.FC_RUNS ?? 25),
          ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}),
          ...(process.env.FC_PATH ? { path: process.env.FC_PATH } : {}),
          plugins: [fc.interruptAfterTimeLimit(PROPERTY_TIME_LIMIT_MS)],
        },
      );
    },
    PROPERTY_TIME_LIMIT_MS + 30_000,
  );
});

describe('regressions: the flag at take time decides, not the flag at settle time; backorders stay owed', () => {
  const limited = (available: number, backorderLimit = 0): Initial => ({ available, unlimited: false, buckets: 1, backorderLimit });
  const unlimited = (available: number): Initial => ({ available, unlimited: true, buckets: 1, backorderLimit: 0 });
  const run = (name: string, skus: Initial[], ops: Op[]) => new Runner(`${name}${++runSeq}`, skus, 2).run(ops);
  // Steps of order 0 on SKU 0.
  const line = (q: number) => [{ sku: 0, q }];
  const deduct = (q: number): Op => ({ t: 'deduct', order: 0, lines: line(q) });
  const reserve = (q: number): Op => ({ t: 'reserve', order: 0, lines: line(q) });
  const refund = (q: number): Op => ({ t: 'refund', order: 0, lines: line(q) });
  const all = (t: 'confirm' | 'release'): Op => ({ t, order: 0, lines: null });
  const flip = (to: 'unlimited' | 'limited'): Op => ({ t: 'flip', sku: 0, unlimited: to === 'unlimited' });
  const expire: Op = { t: 'expire', order: 0 };
  const limit = (backorderLimit: number): Op => ({ t: 'limit', sku: 0, backorderLimit });
  const restock = (q: number): Op => ({ t: 'restock', sku: 0, q });

  it('limited 10, reserve 4, switch to unlimited, release, switch back: all 10 available again', async () => {
    await run('rel', [limited(10)], [reserve(4), flip('unlimited'), all('release'), flip('limited')]);
  });

  it('limited 10, reserve 4, switch to unlimited, expiry, switch back: all 10 available again', async () => {
    await run('exp', [limited(10)], [reserve(4), flip('unlimited'), expire, flip('limited')]);
  });

  it('limited 10, deduct 3, switch to unlimited, refund 3, switch back: all 10 available again', async () => {
    await run('ref', [limited(10)], [deduct(3), flip('unlimited'), refund(3), flip('limited')]);
  });

  it('unlimited with 0, reserve 5, switch to limited, release: still 0 available, no phantom units', async () => {
    await run('phantom', [unlimited(0)], [reserve(5), flip('limited'), all('release')]);
  });

  it('unlimited with 0, reserve 5, switch to limited, confirm, refund: confirmed units stay unlimited, still 0 available', async () => {
    await run('confirm', [unlimited(0)], [reserve(5), flip('limited'), all('confirm'), refund(5)]);
  });

  it('limited 2 with 10 backorders allowed, deduct 6, limit lowered to 1: the 4 owed are not oversold, and sales resume within the new limit', async () => {
    // After every step the audit must find the SKU conserved, and at the end no OVERSOLD was raised.
    await run(
      'owed',
      [limited(2, 10)],
      [deduct(6), limit(1), deduct(1), restock(2), deduct(1), restock(2), deduct(1), deduct(1), refund(2)],
    );
  });

  it('an order line of both kinds: refunds give back limited units first, whatever the flag is then', async () => {
    await run(
      'mixed',
      [limited(10)],
      [
        deduct(3),
        flip('unlimited'),
        deduct(2),
        // Still unlimited: the 3 limited units of the line come back first.
        refund(3),
        flip('limited'),
        // The 2 left were made by the unlimited SKU: nothing comes back.
        refund(2),
      ],
    );
  });
});
