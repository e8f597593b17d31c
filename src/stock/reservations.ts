import { z } from 'zod';
import type { Sql, Tx } from '../db/client.ts';
import type { ReservationState } from '../generated/prisma/enums.ts';
import type { CartLine } from '../inventory.ts';
import { commitChange, type MovementRow } from '../sync/outbox.ts';
import { cartLines, idempotencyKey, orderId as orderIdSchema, parseCart, parseCarts, parseInput, unpinned } from './input.ts';
import { fingerprint, once } from './idempotency.ts';
import {
  ExceedsReserved,
  IdempotencyConflict,
  Outcome,
  ReservationAlreadyConfirmed,
  ReservationExpired,
  ReservationAlreadyReleased,
  SkuNotInOrder,
  UnknownReservation,
  type InsufficientStock,
  type Throttled,
  type UnknownSku,
} from './outcomes.ts';
import { partsBack, unitsByLocation } from './orders.ts';
import type { Services } from './services.ts';
import type { TakenLine, TakeRequest } from './take/request.ts';
import { take, takeMany } from './take/take.ts';

/** The longest hold: a checkout still open after a day is abandoned, and its units belong to others. */
export const MAX_RESERVATION_TTL_SECONDS = 86_400;
/** Due reservations expired per pass; the worker runs again at once while it finds a full batch. */
export const EXPIRY_BATCH = 100;
/**
 * Expiries in flight at once per instance: enough that a burst of due holds ends within a couple of
 * seconds of its deadline, few enough to leave most of the connection pool (src/db/client.ts) to requests.
 */
export const EXPIRY_CONCURRENCY = 4;

const ttl = z
  .number()
  .int({ error: 'INVALID_TTL:must be a whole number of seconds' })
  .min(1, { error: 'INVALID_TTL:must be at least 1 second' })
  .max(MAX_RESERVATION_TTL_SECONDS, { error: `INVALID_TTL:at most ${MAX_RESERVATION_TTL_SECONDS} seconds` });

export interface ReserveInput {
  orderId: string;
  idempotencyKey?: string | null | undefined;
  lines: CartLine[];
  ttlSeconds: number;
}

export interface ReserveSuccess {
  orderId: string;
  idempotencyKey: string;
  /** ISO time after which unconfirmed units return to stock. */
  deadline: string;
  lines: TakenLine[];
}

/**
 * Holds a whole cart for an order (available → reserved), through the gate like a deduct: no oversell,
 * all lines or none, ledger before answer. One reservation per order: the gate's idempotency key is
 * the order id, and the fingerprint carries the client's key, so a second reservation for the same
 * order under another key is an IdempotencyConflict; and one order per client key (the ledger keeps
 * the key unique), so the same key reserving for a second order is one too.
 */
export function reserve(s: Services, input: ReserveInput): Promise<ReserveSuccess> {
  const req = reserveRequest(parseCart(input), parseInput(ttl, input.ttlSeconds, 'ttlSeconds'));
  return take(s, req).catch((err: unknown) => {
    throw asClientConflict(err, req);
  });
}

/** What a reserve can answer besides success (take() throws them as Outcome errors). */
export type ReserveOutcome = InsufficientStock | UnknownSku | IdempotencyConflict | Throttled;

/**
 * Holds many carts (reserveStockBatch), each as reserve() holds one: validated before any I/O (the
 * first bad cart refuses the request), then one gate pipeline and one group commit (takeMany). One
 * answer per cart, in order.
 */
export async function reserveBatch(s: Services, carts: ReserveInput[]): Promise<(ReserveSuccess | ReserveOutcome)[]> {
  const parsed = parseCarts(carts);
  const reqs = parsed.map((cart, i) => reserveRequest(cart, parseInput(ttl, carts[i]!.ttlSeconds, `carts.${i}.ttlSeconds`)));
  // take() throws only a reserve's outcomes.
  const answers = await takeMany(s, reqs);
  return answers.map((a, i) => (a instanceof Outcome ? (asClientConflict(a, reqs[i]!) as ReserveOutcome) : a));
}

function reserveRequest(
  { orderId, key, lines }: { orderId: string; key: string; lines: CartLine[] },
  seconds: number,
): TakeRequest<ReserveSuccess> {
  const deadline = new Date(Date.now() + seconds * 1000);
  return {
    kind: 'RESERVE',
    orderId,
    idempotencyKey: orderId,
    clientKey: key,
    fingerprint: fingerprint(JSON.stringify([orderId, key, seconds]), lines),
    lines,
    deadline,
    kept: (done) => ({ deadline: deadline.toISOString(), lines: done }),
  };
}

/** The gate keys reservations by order id; the client knows its request by the key it sent. */
function asClientConflict(err: unknown, req: TakeRequest<ReserveSuccess>): unknown {
  return err instanceof IdempotencyConflict ? new IdempotencyConflict(req.clientKey!) : err;
}

export interface HoldLine {
  skuId: string;
  reserved: number;
  confirmed: number;
  released: number;
  expired: number;
  /** Still held: reserved − confirmed − released − expired. */
  held: number;
}

/** A line as settling sees it: of the held units, how many an unlimited SKU made (never back to available). */
type HeldLine = HoldLine & { unlimitedHeld: number };

export interface ReservationView {
  orderId: string;
  state: ReservationState;
  deadline: Date;
  lines: HoldLine[];
}

/** A reservation and its lines as the ledger knows them. */
export async function reservation(db: Sql, orderId: string): Promise<ReservationView | null> {
  const [row] = await db.$queryRawUnsafe<{ state: ReservationState; deadline: Date }[]>(
    `SELECT state::text AS state, deadline FROM reservation WHERE order_id = $1`,
    orderId,
  );
  return row ? { orderId, state: row.state, deadline: row.deadline, lines: (await holdLines(db, orderId)).map(holdLine) } : null;
}

async function holdLines(db: Sql, orderId: string): Promise<HeldLine[]> {
  const rows = await db.$queryRawUnsafe<
    { sku_id: string; reserved: number; confirmed: number; released: number; expired: number; unlimited_held: number }[]
  >(
    `SELECT sku_id,
            coalesce(sum(quantity) FILTER (WHERE kind = 'RESERVE'), 0)::int AS reserved,
            coalesce(sum(quantity) FILTER (WHERE kind = 'CONFIRM'), 0)::int AS confirmed,
            coalesce(sum(quantity) FILTER (WHERE kind = 'RELEASE'), 0)::int AS released,
            coalesce(sum(quantity) FILTER (WHERE kind = 'EXPIRE'), 0)::int AS expired,
            coalesce(sum(CASE WHEN kind = 'RESERVE' THEN unlimited_quantity ELSE -unlimited_quantity END), 0)::int AS unlimited_held
     FROM movement WHERE order_id = $1 AND kind IN ('RESERVE', 'CONFIRM', 'RELEASE', 'EXPIRE')
     GROUP BY sku_id ORDER BY sku_id`,
    orderId,
  );
  return rows.map((r) => ({
    skuId: r.sku_id,
    reserved: r.reserved,
    confirmed: r.confirmed,
    released: r.released,
    expired: r.expired,
    held: r.reserved - r.confirmed - r.released - r.expired,
    unlimitedHeld: r.unlimited_held,
  }));
}

/** The view of a held line, without what only settling needs. */
function holdLine({ unlimitedHeld: _, ...line }: HeldLine): HoldLine {
  return line;
}

/** What ends a hold, and where its units go. */
type Settlement = 'CONFIRM' | 'RELEASE' | 'EXPIRE';
const FINAL_STATE: Record<Settlement, ReservationState> = { CONFIRM: 'CONFIRMED', RELEASE: 'RELEASED', EXPIRE: 'EXPIRED' };

export interface SettleInput {
  orderId: string;
  /** Lines to settle; all held units when absent. */
  lines?: CartLine[] | null | undefined;
  /** Defaults to the order id: settling everything twice is one settlement. Partial steps need keys of their own. */
  idempotencyKey?: string | null | undefined;
}

/** Payment arrived: held units become sold. */
export function confirmReservation(s: Services, input: SettleInput): Promise<ReservationView> {
  return settleByClient(s, 'CONFIRM', input);
}

/** The order was cancelled: held units return to stock. */
export function releaseReservation(s: Services, input: SettleInput): Promise<ReservationView> {
  return settleByClient(s, 'RELEASE', input);
}

async function settleByClient(s: Services, kind: 'CONFIRM' | 'RELEASE', input: SettleInput): Promise<ReservationView> {
  const orderId = parseInput(orderIdSchema, input.orderId, 'orderId');
  const key = parseInput(idempotencyKey, input.idempotencyKey ?? input.orderId, 'idempotencyKey');
  const lines = input.lines == null ? null : unpinned(parseInput(cartLines, input.lines, 'lines'), 'lines');
  const fp = fingerprint(JSON.stringify([orderId, lines === null ? 'all' : 'lines']), lines ?? []);
  return once<ReservationView>(
    s.prisma,
    { kind, key, orderId, fingerprint: fp },
    (recorder) => settle(s, kind, orderId, lines, recorder.record),
    {
      // A concurrent request with this key may have settled first: it either recorded its answer while
      // this one tried to (duplicate key), or it moved the hold on before this one took the row lock
      // (ReservationAlreadyConfirmed, ExceedsReserved, ...). Either way the first answer is the answer (I4).
      alsoReplay: (err) => err instanceof Outcome,
      revive,
    },
  );
}

/** A view stored as JSON has its deadline as a string. */
function revive(view: ReservationView): ReservationView {
  return { ...view, deadline: new Date(view.deadline) };
}

/**
 * Ends holds in one transaction under the reservation's row lock, so a confirm, a release and the
 * expiry racing for the same units serialise, and exactly one of them gets each unit. The deadline
 * decides between a confirm and the expiry: after it, only the expiry may settle.
 */
async function settle(
  s: Services,
  kind: Settlement,
  orderId: string,
  lines: CartLine[] | null,
  record: (tx: Tx, view: ReservationView) => Promise<void>,
): Promise<ReservationView> {
  const skuIds = (await holdLines(s.prisma, orderId)).map((l) => l.skuId);
  if (skuIds.length === 0) throw new UnknownReservation(orderId);
  return commitChange(s, skuIds, 'apply', async (tx) => {
    const [row] = await tx.$queryRawUnsafe<{ state: ReservationState; deadline: Date; due: boolean }[]>(
      `SELECT state::text AS state, deadline, deadline <= now() AS due FROM reservation WHERE order_id = $1 FOR UPDATE`,
      orderId,
    );
    if (!row) throw new UnknownReservation(orderId);
    if (row.state === 'EXPIRED') throw new ReservationExpired(orderId, row.deadline);
    if (row.state === 'RELEASED') throw new ReservationAlreadyReleased(orderId);
    if (row.state === 'CONFIRMED') throw new ReservationAlreadyConfirmed(orderId);
    if (kind === 'EXPIRE' ? !row.due : row.due && kind === 'CONFIRM') throw new ReservationExpired(orderId, row.deadline);

    const held = new Map((await holdLines(tx, orderId)).map((l) => [l.skuId, l]));
    const wanted = lines ?? [...held.values()].filter((l) => l.held > 0).map((l) => ({ skuId: l.skuId, quantity: l.held }));
    const missing = wanted.filter((l) => !held.has(l.skuId)).map((l) => l.skuId);
    if (missing.length > 0) throw new SkuNotInOrder(orderId, missing);
    const exceeding = wanted
      .filter((l) => l.quantity > held.get(l.skuId)!.held)
      .map((l) => ({ skuId: l.skuId, held: held.get(l.skuId)!.held, requested: l.quantity }));
    if (exceeding.length > 0) throw new ExceedsReserved(exceeding);

    // Per location the units were held in (src/stock/locations.ts). What the take did decides, not the
    // SKU's flag now: units an unlimited SKU made never become available, units taken from available all
    // go back. Units taken from available settle first.
    const heldAt = await unitsByLocation(tx, orderId, ['RESERVE'], ['CONFIRM', 'RELEASE', 'EXPIRE']);
    const movements: MovementRow[] = wanted.flatMap((l) =>
      partsBack(l.quantity, heldAt.get(l.skuId) ?? []).map((part) => ({
        kind,
        skuId: l.skuId,
        quantity: part.quantity,
        deltaAvailable: kind === 'CONFIRM' ? 0 : part.fromAvailable,
        deltaReserved: -part.quantity,
        deltaSold: kind === 'CONFIRM' ? part.quantity : 0,
        unlimitedQuantity: part.quantity - part.fromAvailable,
        orderId,
        idempotencyKey: orderId,
        locationId: part.locationId,
      })),
    );
    const after = [...held.values()].map((h) => {
      const q = wanted.find((l) => l.skuId === h.skuId)?.quantity ?? 0;
      const moved = { CONFIRM: 'confirmed', RELEASE: 'released', EXPIRE: 'expired' }[kind] as 'confirmed' | 'released' | 'expired';
      return { ...holdLine(h), [moved]: h[moved] + q, held: h.held - q };
    });
    const state = after.every((h) => h.held === 0) ? FINAL_STATE[kind] : 'ACTIVE';
    await tx.$executeRawUnsafe(
      `UPDATE reservation SET state = $2::"ReservationState", updated_at = now() WHERE order_id = $1`,
      orderId,
      state,
    );
    const view: ReservationView = { orderId, state, deadline: row.deadline, lines: after };
    await record(tx, view);
    return { result: view, movements };
  });
}

/**
 * Expires due reservations (in the truth: deadlines survive restarts). Any instance may run it; the
 * row lock in settle makes a second expirer of the same order see it EXPIRED and skip it.
 * Returns how many it looked at.
 */
export async function expireDue(s: Services): Promise<number> {
  const due = await s.prisma.$queryRawUnsafe<{ order_id: string }[]>(
    `SELECT order_id FROM reservation WHERE state = 'ACTIVE' AND deadline <= now() ORDER BY deadline LIMIT $1`,
    EXPIRY_BATCH,
  );
  // Side by side, not one by one: each expiry is a dozen round trips, so a burst of holds due together
  // (abandoned flash-sale carts) would otherwise end that many times later than its deadline.
  let next = 0;
  const expireNext = async (): Promise<void> => {
    while (next < due.length) {
      const { order_id } = due[next++]!;
      try {
        await settle(s, 'EXPIRE', order_id, null, async () => {});
      } catch (err) {
        if (!(err instanceof ReservationExpired || err instanceof ReservationAlreadyReleased || err instanceof ReservationAlreadyConfirmed))
          throw err;
      }
    }
  };
  const passes = await Promise.allSettled(Array.from({ length: Math.min(EXPIRY_CONCURRENCY, due.length) }, expireNext));
  const failed = passes.find((p): p is PromiseRejectedResult => p.status === 'rejected');
  if (failed) throw failed.reason;
  return due.length;
}
