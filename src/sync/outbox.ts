import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { retryingDeadlocks, type PrismaClient, type Tx } from '../db/client.ts';
import { columnsSql, columnText } from '../db/columns.ts';
import type { Gate } from '../gate/gate.ts';
import type { MovementKind } from '../generated/prisma/enums.ts';
import { DEFAULT_LOCATION, type SkuStock } from '../inventory.ts';
import { FENCE_HELD_SQL, readTruth } from '../ledger/truth.ts';
import { lockLoads, loadsInProgress, unlockLoads } from './load.ts';

/** How long a change may wait for its own request to deliver it before the sweeper does. */
const SWEEP_GRACE_MS = 2_000;
/** Outbox rows handled per sweep. */
export const SWEEP_BATCH = 500;

/**
 * How the gate learns of a change that starts in PostgreSQL.
 * - apply: the change only adds units (refund, restock, release, expiry) or moves them between
 *   reserved and sold (confirm). Requests that passed the gate meanwhile stay valid, so the counter
 *   is adjusted in place, by outbox row, once.
 * - fence: the change may lower available (set-stock, upsert). Requests that passed the old counter
 *   might now oversell, so the SKU's epoch is bumped (the ledger then refuses them, see
 *   src/ledger/group-commit.ts) and the counter is dropped, to be loaded from the truth. Units withheld for the
 *   database-only path go back to the gate's share in the same step: a lower level could otherwise
 *   leave more withheld than the SKU has.
 * - set: the change may set levels (set-stock). Rows are locked exclusively, and the change fences
 *   only the SKUs whose level it changes (fenceHeld) and says so (`fenced`): a SKU it leaves as it
 *   is (a lost compare-and-set, a level already there) keeps its epoch and its counter.
 * - take: a database-only take. It sells only units withheld from the gate, so the gate's share stays
 *   valid and the counter is adjusted in place like `apply`; but the rows are locked exclusively, so
 *   takes of one SKU see each other's sales. A take that must withhold more units bumps the epoch
 *   itself and says so (`fenced`): those SKUs are fenced as above.
 */
export type GateEffect = 'apply' | 'fence' | 'set' | 'take';

const LOCK_EXCLUSIVE_SQL = `SELECT id, epoch FROM sku WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`;
/** How each effect locks its rows; 'fence' locks them as it fences them (fenceLocked). */
const LOCK_SQL: Record<Exclude<GateEffect, 'fence'>, string> = {
  apply: `SELECT id, epoch FROM sku WHERE id = ANY($1::text[]) ORDER BY id FOR SHARE`,
  take: LOCK_EXCLUSIVE_SQL,
  set: LOCK_EXCLUSIVE_SQL,
};

/** A change's outbox rows (commitChange): its columns in outboxColumns' order, each a columnText. */
const OUTBOX_INSERT_SQL = `
  INSERT INTO gate_outbox (sku_id, action, epoch, delta_available, delta_reserved, delta_sold, delta_withheld, location_id)
  SELECT * FROM unnest(${columnsSql(['text', '"GateAction"', 'int', 'int', 'int', 'int', 'int', 'text'])})
  RETURNING id, sku_id, action::text AS action, epoch, delta_available, delta_reserved, delta_sold, delta_withheld, location_id`;

/**
 * Fences SKUs: locks their rows (in id order, as every writer does), then fenceHeld(): bumps their
 * epochs and gives their withheld units back to the gate's share; 'fence' fences every SKU of a change
 * with it. Returns the new epochs.
 */
export async function fenceLocked(tx: Tx, skuIds: string[]): Promise<Map<string, number>> {
  if (skuIds.length === 0) return new Map();
  await tx.$queryRawUnsafe(LOCK_EXCLUSIVE_SQL, skuIds);
  return fenceHeld(tx, skuIds);
}

/**
 * Fences SKUs whose rows the transaction locked already ('set' fences only the SKUs whose level it
 * changes, 'take' those it must withhold more of; fenceLocked() after locking them): one statement.
 */
export async function fenceHeld(tx: Tx, skuIds: string[]): Promise<Map<string, number>> {
  if (skuIds.length === 0) return new Map();
  const fenced = await tx.$queryRawUnsafe<{ id: string; epoch: number }[]>(FENCE_HELD_SQL, skuIds);
  return new Map(fenced.map((r) => [r.id, r.epoch]));
}

export interface MovementRow {
  kind: MovementKind;
  skuId: string;
  quantity: number;
  deltaAvailable: number;
  deltaReserved?: number;
  deltaSold?: number;
  /** A database-only take sells withheld units: -quantity. */
  deltaWithheld?: number;
  /** Units an unlimited SKU made, or that such units account for (schema.prisma, Movement). */
  unlimitedQuantity?: number;
  orderId?: string | null;
  orderLine?: number | null;
  idempotencyKey?: string | null;
  /** Where the units are; `default` when left out. */
  locationId?: string;
}

/** What the outbox needs of the process's services. */
type Services = { prisma: PrismaClient; gate: Gate; log: Logger; levelsChanged: (skuIds: string[]) => void };

interface OutboxRow {
  id: bigint;
  sku_id: string;
  action: 'DROP' | 'APPLY';
  epoch: number;
  delta_available: number;
  delta_reserved: number;
  delta_sold: number;
  delta_withheld: number;
  location_id: string;
}

/**
 * What a change did: its answer, its ledger rows, the SKUs whose epoch it bumped itself (new epochs),
 * and units it gave back from the withheld share to the gate's share, per SKU (no ledger row: the
 * SKU's levels do not change, only which side may sell them).
 */
export interface Change<T> {
  result: T;
  movements: MovementRow[];
  /**
   * With `reload`: the SKUs' truth as this change commits it, under their new epochs, to load their
   * counters from (a fence change that read it anyway: set-stock).
   */
  seeds?: SkuStock[];
  fenced?: Map<string, number>;
  returned?: Map<string, number>;
}

/**
 * Changes the truth of some SKUs in PostgreSQL and makes the gate agree, as a transactional outbox.
 *
 * In one transaction: lock the SKU rows in id order (for `fence`, bump their epochs), run `change`,
 * which returns the movements to write, write them, and write the outbox rows. After the commit,
 * deliver the outbox rows to Redis and delete them. If this process dies in between, the rows
 * survive and the sweeper of any instance delivers them; delivery is idempotent.
 * `change` gets the epochs of the SKUs that exist (unknown ids are absent).
 */
export async function commitChange<T>(
  s: Services,
  skuIds: string[],
  effect: GateEffect,
  change: (tx: Tx, epochs: Map<string, number>) => Promise<Change<T>>,
  options: { reload?: boolean } = {},
): Promise<T> {
  const sorted = [...new Set(skuIds)].sort();
  const token = randomUUID();
  const locked = options.reload ? await lockForReload(s, sorted, token) : [];
  let committed: { result: T; outbox: OutboxRow[]; seeds: SkuStock[] };
  let reloaded: Set<string>;
  try {
    // Its transaction from the start where it lost a deadlock (nothing outside the database happens in it).
    committed = await retryingDeadlocks(() =>
      s.prisma.$transaction(async (tx) => {
        const epochs =
          effect === 'fence'
            ? await fenceLocked(tx, sorted)
            : new Map((await tx.$queryRawUnsafe<{ id: string; epoch: number }[]>(LOCK_SQL[effect], sorted)).map((b) => [b.id, b.epoch]));
        const done = await change(tx, epochs);
        const { movements, fenced = new Map<string, number>(), returned = new Map<string, number>() } = done;
        if (movements.length > 0) await writeMovements(tx, movements);
        if (returned.size > 0)
          await tx.$executeRawUnsafe(
            `UPDATE sku SET withheld = sku.withheld - r.units FROM unnest($1::text[], $2::bigint[]) AS r(id, units) WHERE sku.id = r.id`,
            [...returned.keys()],
            [...returned.values()],
          );
        if (effect === 'fence') for (const [id, epoch] of epochs) fenced.set(id, epoch);
        const outbox = await tx.$queryRawUnsafe<OutboxRow[]>(
          OUTBOX_INSERT_SQL,
          ...outboxColumns(epochs, fenced, movements, returned).map(columnText),
        );
        return { result: done.result, outbox, seeds: done.seeds ?? [] };
      }),
    );
    reloaded = await reload(s, committed.seeds, new Set(locked), token);
  } finally {
    await unlockLoads(s.gate, locked, token).catch((err) => s.log.warn({ err }, 'could not free load locks; they lapse on their own'));
  }
  try {
    await deliver(s, committed.outbox, reloaded);
  } catch (err) {
    s.log.warn({ err }, 'could not bring the gate up to a change; the outbox sweeper will');
  }
  return committed.result;
}

/**
 * Takes the load locks of a change that reloads its counters, before its transaction: a counter
 * loader's protocol (src/sync/load.ts), with the change's own transaction as the truth read. SKUs
 * another loader holds are left to it; none when Redis is away (their counters load on demand).
 */
async function lockForReload(s: Services, skuIds: string[], token: string): Promise<string[]> {
  try {
    return (await lockLoads(s.gate, skuIds, token)).locked;
  } catch (err) {
    s.log.warn({ err }, 'could not lock counters to reload; they load on demand');
    return [];
  }
}

/**
 * Loads counters from the truth a change committed, under the locks it took before: after the commit,
 * before the delivery, so a change committing meanwhile finds the lock held and is delivered again
 * after the seed (deliver). Best effort: a counter not loaded here is loaded on demand. Returns the
 * SKUs whose counter is now of the change's epoch or newer.
 */
async function reload(s: Services, seeds: SkuStock[], locked: Set<string>, token: string): Promise<Set<string>> {
  const mine = seeds.filter((seed) => locked.has(seed.skuId));
  if (mine.length === 0) return new Set();
  try {
    const replies = await s.gate.seedAll(mine, token);
    // 1 loaded, 0 a counter as new was there already; below 0 the lock lapsed and nothing was written.
    return new Set(mine.filter((_, i) => replies[i]! >= 0).map((seed) => seed.skuId));
  } catch (err) {
    s.log.warn({ err }, 'could not reload counters after a change; they load on demand');
    return new Set();
  }
}

/**
 * Gives units withheld for the database-only path back to the gate's share, when the gate's share ran
 * short by `lacking` units of a SKU while some were withheld: what it lacks, and at least half of what
 * is withheld, not all, so an instance still selling through PostgreSQL keeps some and does not have
 * to withhold (and fence) again at once. No fence: a larger share leaves every take that passed the
 * smaller one valid, so the gate's counter grows in place through the outbox, like a restock. The row
 * lock ('take') orders it with database-only takes, so no unit is given back and sold there too.
 */
export async function returnWithheld(s: Services, lacking: Map<string, number>): Promise<void> {
  await commitChange(s, [...lacking.keys()], 'take', async (tx) => {
    const truth = await readTruth(tx, [...lacking.keys()]);
    const returned = new Map<string, number>();
    for (const [skuId, units] of lacking) {
      const withheld = truth.get(skuId)?.withheld ?? 0;
      if (withheld > 0) returned.set(skuId, Math.min(withheld, Math.max(units, Math.ceil(withheld / 2))));
    }
    return { result: undefined, movements: [], returned };
  });
}

/**
 * Writes ledger rows in one statement, a text parameter per column (columnText): a bulk change
 * (setStockBatch: 10,000 rows) costs one round trip and no per-row parameter encoding (Prisma's
 * createMany took ~2 s for 10,000).
 */
async function writeMovements(tx: Tx, movements: MovementRow[]): Promise<void> {
  const column = (value: (m: MovementRow) => string | number | null | undefined) => columnText(movements.map(value));
  await tx.$executeRawUnsafe(
    MOVEMENT_INSERT_SQL,
    column((m) => m.kind),
    column((m) => m.skuId),
    column((m) => m.quantity),
    column((m) => m.deltaAvailable),
    column((m) => m.deltaReserved ?? 0),
    column((m) => m.deltaSold ?? 0),
    column((m) => m.deltaWithheld ?? 0),
    column((m) => m.unlimitedQuantity ?? 0),
    column((m) => m.orderId),
    column((m) => m.orderLine),
    column((m) => m.idempotencyKey),
    column((m) => m.locationId ?? DEFAULT_LOCATION),
  );
}
/** writeMovements' statement: its columns in the order of its parameters, each a columnText. */
const MOVEMENT_INSERT_SQL = `
  INSERT INTO movement (kind, sku_id, quantity, delta_available, delta_reserved, delta_sold, delta_withheld,
                        unlimited_quantity, order_id, order_line, idempotency_key, location_id)
  SELECT * FROM unnest(${columnsSql(['"MovementKind"', 'text', 'int', 'int', 'int', 'int', 'int', 'int', 'text', 'int', 'text', 'text'])})`;

/** The ADJUST movement that takes a SKU's available (in one location) to a set level; none when it is already there. */
export function adjustment(skuId: string, delta: number, locationId: string = DEFAULT_LOCATION): MovementRow[] {
  return delta === 0 ? [] : [{ kind: 'ADJUST', skuId, quantity: Math.abs(delta), deltaAvailable: delta, locationId }];
}

/**
 * One row per SKU: its new epoch to drop counters below, if fenced; else one per SKU and location the
 * change moved, its summed deltas there to apply at the epoch the change committed under.
 */
function outboxColumns(
  epochs: Map<string, number>,
  fenced: Map<string, number>,
  movements: MovementRow[],
  returned: Map<string, number>,
): (string | number)[][] {
  const sums = new Map<string, { skuId: string; locationId: string; deltas: [number, number, number, number] }>();
  const add = (skuId: string, locationId: string, deltas: [number, number, number, number]) => {
    const at = `${skuId}\n${locationId}`;
    const sum = sums.get(at) ?? { skuId, locationId, deltas: [0, 0, 0, 0] };
    sum.deltas = [0, 1, 2, 3].map((k) => sum.deltas[k]! + deltas[k]!) as [number, number, number, number];
    sums.set(at, sum);
  };
  for (const id of fenced.keys()) add(id, DEFAULT_LOCATION, [0, 0, 0, 0]);
  for (const [id, units] of returned) add(id, DEFAULT_LOCATION, [0, 0, 0, -units]);
  for (const m of movements)
    add(m.skuId, m.locationId ?? DEFAULT_LOCATION, [m.deltaAvailable, m.deltaReserved ?? 0, m.deltaSold ?? 0, m.deltaWithheld ?? 0]);
  // A fenced SKU is dropped once, whatever locations the change moved.
  const rows = [...sums.values()].filter((r) => epochs.has(r.skuId) && (!fenced.has(r.skuId) || r.locationId === DEFAULT_LOCATION));
  const dropped = (id: string) => fenced.has(id);
  return [
    rows.map((r) => r.skuId),
    rows.map((r) => (dropped(r.skuId) ? 'DROP' : 'APPLY')),
    rows.map((r) => fenced.get(r.skuId) ?? epochs.get(r.skuId)!),
    ...[0, 1, 2, 3].map((k) => rows.map((r) => (dropped(r.skuId) ? 0 : r.deltas[k]!))),
    rows.map((r) => r.locationId),
  ];
}

/**
 * Delivers outbox rows and deletes them; returns how many are done. A row whose SKU has a counter load
 * in progress is delivered but kept for the sweeper to deliver again (both deliveries are idempotent):
 * the loader bumped the epoch and read the truth before this change could commit, and seeds the
 * counter only afterwards, so the seed would bring back a truth without the change (an apply that
 * found no counter yet, a drop that came before the seed), for good. A loader holds its lock
 * (src/sync/load.ts) from before its read until after its seed, so when the lock is free before the
 * delivery, either the seed is in, and the delivery reaches it, or a later load reads a truth that
 * already holds the change.
 */
async function deliver(s: Services, rows: OutboxRow[], reloaded: ReadonlySet<string> = new Set()): Promise<number> {
  if (rows.length === 0) return 0;
  // A drop of a SKU its change reloaded itself has nothing left to drop: the new counter is of its epoch.
  const due = rows.filter((r) => !(r.action === 'DROP' && reloaded.has(r.sku_id)));
  const loading = await loadsInProgress(
    s.gate,
    due.map((r) => r.sku_id),
  );
  const drops = due.filter((r) => r.action === 'DROP');
  const applies = due.filter((r) => r.action === 'APPLY');
  await Promise.all([
    s.gate.invalidateAll(drops.map((r) => ({ skuId: r.sku_id, epoch: r.epoch }))),
    s.gate.applyAll(
      applies.map((r) => ({
        outboxId: r.id.toString(),
        skuId: r.sku_id,
        epoch: r.epoch,
        delta: {
          available: r.delta_available,
          reserved: r.delta_reserved,
          sold: r.delta_sold,
          withheld: r.delta_withheld,
          locationId: r.location_id,
        },
      })),
    ),
  ]);
  const done = rows.filter((r) => !loading.has(r.sku_id));
  if (done.length > 0)
    await s.prisma.$executeRawUnsafe(
      `DELETE FROM gate_outbox WHERE id = ANY($1::bigint[])`,
      done.map((r) => r.id),
    );
  s.levelsChanged([...new Set(rows.map((r) => r.sku_id))]);
  return done.length;
}

/** Delivers changes whose own request did not (it crashed, or Redis was away). */
export async function sweepOutbox(s: Services): Promise<number> {
  const rows = await s.prisma.$queryRawUnsafe<OutboxRow[]>(
    `SELECT id, sku_id, action::text AS action, epoch, delta_available, delta_reserved, delta_sold, delta_withheld, location_id FROM gate_outbox
     WHERE created_at < now() - make_interval(secs => $1::float8 / 1000) ORDER BY id LIMIT $2`,
    SWEEP_GRACE_MS,
    SWEEP_BATCH,
  );
  // Rows done, not rows found: rows kept for a load in progress must not make the caller sweep again at once.
  return deliver(s, rows);
}
