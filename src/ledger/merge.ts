import assert from 'node:assert/strict';
import type { PrismaClient, Tx } from '../db/client.ts';
import { DEFAULT_LOCATION } from '../inventory.ts';
import { backorderFloor, owedBackorders } from './backorders.ts';
import { LEDGER_HORIZON_SQL, type Position } from './feed.ts';
import { readTruth, UNMERGED_OF_S } from './truth.ts';

/**
 * Movements folded per transaction: bounds how long the SKU rows stay locked by one merge (from fences;
 * ledger batches pass its lock). Each pass writes every SKU row its movements touch, so more movements a
 * pass write fewer rows a movement where carts spread over many SKUs: a 3-line ×100 window's merge cost
 * PostgreSQL 5.5 µs a movement at 5,000 (passes back to back, ~1,000 SKU rows each), 3.0 µs at 20,000
 * (with the scan before SCAN_SQL's single pass; 1.5 µs with it).
 */
export const MERGE_BATCH = 20_000;
/**
 * One merger at a time across every instance: a transaction-scoped advisory lock, so a crashed merger
 * frees it with its connection. Concurrent mergers would only queue on the same SKU rows anyway.
 */
const MERGE_LOCK_KEY = 0x5709_ca7e;
/**
 * How long a SKU whose row could not take a merge waits before it is tried again, alone. Its movements
 * stay unmerged meanwhile (after its row's merged position), which the truth already counts, so the
 * wait delays nothing but its own merge; trying it in every batch would fail every batch.
 */
export const MERGE_RETRY_MS = 10_000;
/** SKUs retried alone per pass (each its own transaction): bounds the pass. */
const RETRIES_PER_PASS = 100;

/**
 * The merge's lock on the rows it folds into: it changes no key, so NO KEY UPDATE, which the ledger
 * batches' KEY SHARE (LEDGER_ROW_LOCK) does not wait for; a fence's FOR UPDATE waits for it and it for
 * a fence, and merges are one at a time anyway (MERGE_LOCK_KEY).
 */
export const MERGE_ROW_LOCK = 'FOR NO KEY UPDATE';

/** Where the scan stands; locked for the pass, so passes that got past the advisory lock still queue. */
const POSITION_SQL = `SELECT tx, movement_id AS id FROM merge_position WHERE id = 1 FOR UPDATE`;

/**
 * The next $3 movements after position ($1, $2) in the change feed's order, below the horizon: every
 * transaction under the oldest one still running has ended, so no movement can later appear before a
 * position read there (src/ledger/feed.ts). Summed per SKU and location, but for SKUs waiting for a
 * retry: the scan moves past their movements all the same, and their rows' merged positions keep
 * them unmerged. And a row for the whole scan (`whole`; `n` 0: nothing to scan; `lastTx`/`lastId`, the
 * last position scanned): grouping sets make both in one pass over the movements, hashed, where a
 * materialized scan read three times (a count, the last position, the sums sorted by SKU) took 3.4 µs a
 * movement in a scratch database, most of the merge's 5.5 µs, itself a quarter of PostgreSQL's CPU in a
 * 3-line ×100 window (README Performance).
 */
const SCAN_SQL = `
WITH g AS (
  SELECT grouping(b.sku_id, b.location_id) = 3 AS whole, b.sku_id, b.location_id, sum(b.delta_available) AS a,
         sum(b.delta_reserved) AS r, sum(b.delta_sold) AS s, sum(b.delta_withheld) AS w, count(*)::int AS n,
         -- The scan's order is (tx, id): its last position is the greatest pair.
         max(ARRAY[b.tx, b.id]) AS last
  FROM (
    SELECT m.sku_id, m.location_id, m.tx, m.id, m.delta_available, m.delta_reserved, m.delta_sold, m.delta_withheld
    FROM movement m
    WHERE (m.tx, m.id) > ($1::bigint, $2::bigint) AND m.tx < ${LEDGER_HORIZON_SQL}
    ORDER BY m.tx, m.id LIMIT $3
  ) b
  GROUP BY GROUPING SETS ((b.sku_id, b.location_id), ())
)
SELECT g.whole, g.sku_id AS "skuId", g.location_id AS "locationId", g.a, g.r, g.s, g.w, g.n,
       g.last[1] AS "lastTx", g.last[2] AS "lastId"
FROM g WHERE g.whole OR NOT EXISTS (SELECT 1 FROM merge_retry x WHERE x.sku_id = g.sku_id)`;

/**
 * The plan the scan must have, set for the merge's transaction (set_config's `true`: as SET LOCAL): the
 * key's index read in order from the position, the sums hashed, one process. The planner's own choice
 * follows its estimate of the rows after the position, a guess for a row comparison: a sequential scan of
 * the whole ledger and a sort where the table has no statistics yet (a scratch database: every pass read
 * every movement), a bitmap scan and a sort, or a parallel plan, which met in a full `npm run bench`
 * (20,000 movements a pass; waits for data file reads and for parallel workers in pg_stat_activity) made
 * PostgreSQL's CPU per 3-line cart 0.091 ms against 0.065. Only the merge's transactions see it: the
 * fold's statements and a retried SKU's (LAGGING_SQL), which read rows by key.
 */
const SCAN_PLAN_SQL = `set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true),
  set_config('enable_sort', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)`;

/** One SKU's movements after its row's merged position, up to the scan's ($2, $3), per location. */
const LAGGING_SQL = `
SELECT m.sku_id AS "skuId", m.location_id AS "locationId", sum(m.delta_available) AS a, sum(m.delta_reserved) AS r,
       sum(m.delta_sold) AS s, sum(m.delta_withheld) AS w, count(*)::int AS n
FROM movement m JOIN sku s ON s.id = m.sku_id
WHERE m.sku_id = $1 AND ${UNMERGED_OF_S} AND (m.tx, m.id) <= ($2::bigint, $3::bigint)
GROUP BY m.sku_id, m.location_id`;

/**
 * A SKU whose truth fell below its floor (minus its backorder limit, or minus the backorders it still
 * owes from a higher one: src/ledger/backorders.ts): units were sold that did not exist. The gate never
 * admits that, so its counter lied (changed in Redis, or a bug): the merge folds the movements all the
 * same (they happened, and the ledger must say so) and raises this.
 */
export interface BelowFloor {
  skuId: string;
  available: number;
  reserved: number;
  sold: number;
  floor: number;
}

const pick = ({ skuId, available, reserved, sold }: Omit<BelowFloor, 'floor'>) => ({ skuId, available, reserved, sold });

/** Told, after the merge committed, of SKUs it found below their floor. */
export type BelowFloorAlarm = (skus: BelowFloor[]) => void;

/** bigint from the sums (|sum| < MERGE_BATCH × 2^31 < 2^53, so exact as a number). */
type Sum = bigint | number;
/** A SKU's movements merged in one place: the sums of its scanned movements there. */
interface LocationSums {
  skuId: string;
  locationId: string;
  a: Sum;
  r: Sum;
  s: Sum;
  w: Sum;
  n: number;
}

/** Some SKUs could not merge; every other SKU of the pass did. Thrown after the others committed. */
export class MergeIncomplete extends Error {
  /** The SKUs that failed, sorted. */
  readonly failedSkuIds: string[];
  constructor(
    /** Movements the pass merged nonetheless. */
    readonly merged: number,
    failures: Map<string, unknown>,
    /** Whether the failed SKUs wait for a retry alone (false: not one SKU's fault, all are tried next pass). */
    readonly leftOut: boolean,
  ) {
    const ids = [...failures.keys()].sort();
    // The first few causes: a log line, not a dump of every SKU.
    const causes = ids.slice(0, 10).map((id) => `${id}: ${reason(failures.get(id))}`);
    const next = leftOut ? `retried alone every ${MERGE_RETRY_MS} ms` : 'retried next pass';
    super(`${ids.length} SKU(s) could not merge, ${next}; ${merged} movements of other SKUs merged. ${causes.join('; ')}`);
    this.name = 'MergeIncomplete';
    this.failedSkuIds = ids;
  }
}

const reason = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Merge-commit (seed 003): folds unmerged movements into their SKU rows, so a hot row is written once
 * per batch instead of once per request. The scan follows the ledger in the change feed's order from
 * `merge_position`; each SKU row records how far it is merged (`merged_through_*`), so the merge never
 * writes a movement. One transaction per batch: a merger killed mid-batch leaves rows and position
 * untouched, and the truth (row + movements after its position) never changes.
 *
 * One SKU whose row cannot be updated must not stop the others: when a batch fails, it is merged again
 * SKU by SKU (a savepoint each); a SKU that fails alone waits in `merge_retry` and is retried alone
 * every MERGE_RETRY_MS while the scan moves on. Then MergeIncomplete names it, after the others
 * committed. When every SKU of a batch fails and there are several, the cause is not one SKU
 * (PostgreSQL is down, a constraint on every row): nothing moves, the pass just fails.
 *
 * Returns the number of movements the pass moved past or retried (0 when another instance holds the
 * merge lock or nothing waits).
 */
export async function mergeOnce(prisma: PrismaClient, batch = MERGE_BATCH, alarm: BelowFloorAlarm = () => {}): Promise<number> {
  const failed = new Map<string, unknown>();
  const below: BelowFloor[] = [];
  const merged = await retryDue(prisma, failed, below);
  let scan: Scanned;
  // What the batch's folds found below their floors: a batch that runs again starts afresh (and the
  // retried SKUs' findings above stay).
  const found: BelowFloor[] = [];
  try {
    scan = await prisma.$transaction((tx) => mergeBatch(tx, batch, found, null));
  } catch {
    // Which SKU broke the batch is unknown: the batch again, each SKU on its own.
    found.length = 0;
    scan = await prisma.$transaction((tx) => mergeBatch(tx, batch, found, failed));
  }
  below.push(...found);
  if (below.length > 0) alarm(below);
  if (failed.size > 0) throw new MergeIncomplete(merged + scan.merged, failed, true);
  return merged + scan.moved;
}

/** What every row of SCAN_SQL has: the whole scan's row holds the count and the last position. */
interface ScanRow {
  whole: boolean;
  n: number;
  lastTx: bigint;
  lastId: bigint;
}

interface Scanned {
  /** Movements the position moved past. */
  moved: number;
  /** Of those, the ones folded (the rest belong to SKUs waiting for a retry). */
  merged: number;
}

/**
 * Under the merge lock: scans the next `batch` movements, folds them into their SKU rows and moves the
 * position past them. `failed` null: all SKUs in one go (any failure fails the batch). Otherwise SKU by
 * SKU, each behind a savepoint: those that fail are recorded there and wait in `merge_retry`.
 */
async function mergeBatch(tx: Tx, batch: number, below: BelowFloor[], failed: Map<string, unknown> | null): Promise<Scanned> {
  const position = await lockedPosition(tx);
  if (position === null) return { moved: 0, merged: 0 };
  const rows = await tx.$queryRawUnsafe<(ScanRow & LocationSums)[]>(SCAN_SQL, position.tx, position.id, batch);
  const scan = rows.find((row) => row.whole);
  assert(scan, "the merge's scan answers a row for the whole scan");
  if (scan.n === 0) return { moved: 0, merged: 0 };
  const through: Position = { tx: scan.lastTx, id: scan.lastId };
  const sums = rows.filter((row) => !row.whole);
  const merged = failed === null ? await fold(tx, sums, through, below) : await foldEach(tx, sums, through, below, failed);
  await tx.$executeRawUnsafe(`UPDATE merge_position SET tx = $1, movement_id = $2 WHERE id = 1`, through.tx, through.id);
  return { moved: scan.n, merged };
}

/** The merge lock and the scan's position, locked for this transaction; null when another merger holds the lock. */
async function lockedPosition(tx: Tx): Promise<Position | null> {
  const [lock] = await tx.$queryRawUnsafe<{ held: boolean }[]>(
    `SELECT pg_try_advisory_xact_lock(${MERGE_LOCK_KEY}) AS held, ${SCAN_PLAN_SQL}`,
  );
  if (!lock?.held) return null;
  const [position] = await tx.$queryRawUnsafe<Position[]>(POSITION_SQL);
  assert(position, 'merge_position has its row (migration 20261201090000_merge_position)');
  return position;
}

/** fold() per SKU behind a savepoint; the SKUs that fail go to `merge_retry`. */
async function foldEach(
  tx: Tx,
  sums: LocationSums[],
  through: Position,
  below: BelowFloor[],
  failed: Map<string, unknown>,
): Promise<number> {
  const bySku = new Map<string, LocationSums[]>();
  for (const x of sums) {
    const ofSku = bySku.get(x.skuId);
    if (ofSku) ofSku.push(x);
    else bySku.set(x.skuId, [x]);
  }
  let merged = 0;
  for (const [skuId, ofSku] of bySku) {
    await tx.$executeRawUnsafe(`SAVEPOINT merge_sku`);
    try {
      merged += await fold(tx, ofSku, through, below);
      await tx.$executeRawUnsafe(`RELEASE SAVEPOINT merge_sku`);
    } catch (err) {
      await tx.$executeRawUnsafe(`ROLLBACK TO SAVEPOINT merge_sku`);
      failed.set(skuId, err);
    }
  }
  // Every SKU of several failing: not one SKU's fault. Nothing moves (the transaction rolls back).
  if (failed.size > 1 && failed.size === bySku.size) throw new MergeIncomplete(0, failed, false);
  await tx.$executeRawUnsafe(
    `INSERT INTO merge_retry (sku_id, retry_at) SELECT unnest($1::text[]), now() + make_interval(secs => $2)
     ON CONFLICT (sku_id) DO UPDATE SET retry_at = EXCLUDED.retry_at`,
    [...failed.keys()],
    MERGE_RETRY_MS / 1000,
  );
  return merged;
}

/** SKUs whose retry is due, each alone: its movements up to the position, then out of `merge_retry`. */
async function retryDue(prisma: PrismaClient, failed: Map<string, unknown>, below: BelowFloor[]): Promise<number> {
  const due = await prisma.$queryRawUnsafe<{ skuId: string }[]>(
    `SELECT sku_id AS "skuId" FROM merge_retry WHERE retry_at <= now() ORDER BY retry_at LIMIT $1`,
    RETRIES_PER_PASS,
  );
  let merged = 0;
  for (const { skuId } of due) {
    try {
      merged += await prisma.$transaction(async (tx) => {
        const position = await lockedPosition(tx);
        if (position === null) return 0;
        const sums = await tx.$queryRawUnsafe<LocationSums[]>(LAGGING_SQL, skuId, position.tx, position.id);
        const folded = await fold(tx, sums, position, below, skuId);
        await tx.$executeRawUnsafe(`DELETE FROM merge_retry WHERE sku_id = $1`, skuId);
        return folded;
      });
    } catch (err) {
      failed.set(skuId, err);
      await prisma.$executeRawUnsafe(
        `UPDATE merge_retry SET retry_at = now() + make_interval(secs => $2) WHERE sku_id = $1`,
        skuId,
        MERGE_RETRY_MS / 1000,
      );
    }
  }
  return merged;
}

/**
 * Adds the sums to their SKU rows (and the rows per location other than `default`) and records each
 * row merged through `through`. SKU rows are locked in id order, the order every other writer uses, so
 * merges cannot deadlock with ledger batches or counter loads. Adds the SKUs whose truth it left below
 * their floor to `below` (once committed, they are reported). `alsoSkuId`: a SKU whose position moves
 * even without sums (a retry). Returns the movements folded.
 */
async function fold(tx: Tx, sums: LocationSums[], through: Position, below: BelowFloor[], alsoSkuId?: string): Promise<number> {
  const perSku = new Map<string, { a: number; r: number; s: number; w: number }>();
  if (alsoSkuId !== undefined) perSku.set(alsoSkuId, { a: 0, r: 0, s: 0, w: 0 });
  for (const x of sums) {
    const total = perSku.get(x.skuId) ?? { a: 0, r: 0, s: 0, w: 0 };
    perSku.set(x.skuId, { a: total.a + Number(x.a), r: total.r + Number(x.r), s: total.s + Number(x.s), w: total.w + Number(x.w) });
  }
  if (perSku.size === 0) return 0;
  const ids = [...perSku.keys()].sort();
  await tx.$queryRawUnsafe(`SELECT 1 FROM sku WHERE id = ANY($1::text[]) ORDER BY id ${MERGE_ROW_LOCK}`, ids);
  const rows = await tx.$queryRawUnsafe<FoldedRow[]>(
    `UPDATE sku SET available = sku.available + d.a, reserved = sku.reserved + d.r, sold = sku.sold + d.s,
            withheld = sku.withheld + d.w, merged_through_tx = $6, merged_through_id = $7, updated_at = now()
     FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[]) AS d(id, a, r, s, w) WHERE sku.id = d.id
     RETURNING sku.id, sku.available, sku.backorder_limit AS "backorderLimit", sku.owed_backorders AS "owedBackorders", sku.unlimited`,
    ids,
    ...(['a', 'r', 's', 'w'] as const).map((k) => ids.map((id) => perSku.get(id)![k])),
    through.tx,
    through.id,
  );
  const located = sums.filter((x) => x.locationId !== DEFAULT_LOCATION);
  if (located.length > 0) {
    // Only the merge writes these rows, under its lock, so they need no row order.
    await tx.$executeRawUnsafe(
      `INSERT INTO sku_location AS l (sku_id, location_id, available, reserved, sold)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])
       ON CONFLICT (sku_id, location_id) DO UPDATE
         SET available = l.available + EXCLUDED.available, reserved = l.reserved + EXCLUDED.reserved, sold = l.sold + EXCLUDED.sold`,
      located.map((x) => x.skuId),
      located.map((x) => x.locationId),
      ...(['a', 'r', 's'] as const).map((k) => located.map((x) => Number(x[k]))),
    );
  }
  await checkFloors(tx, rows, below);
  return sums.reduce((total, x) => total + x.n, 0);
}

interface FoldedRow {
  id: string;
  available: Sum;
  backorderLimit: number;
  owedBackorders: number;
  unlimited: boolean;
}

/**
 * Adds the folded SKUs whose truth is below their floor to `below`, and lowers what SKUs owe beyond
 * their backorder limit (src/ledger/backorders.ts) by what restocks and refunds filled. The row alone
 * may dip below while movements that explain it wait unmerged: the truth decides, as it does what is
 * still owed. Runs under the fold's row locks, which a limit change (a fence) waits for.
 */
async function checkFloors(tx: Tx, rows: FoldedRow[], below: BelowFloor[]): Promise<void> {
  const floorOf = (r: FoldedRow) => backorderFloor(r.backorderLimit, r.owedBackorders);
  const looked = rows.filter((r) => !r.unlimited && (Number(r.available) < floorOf(r) || r.owedBackorders > 0));
  if (looked.length === 0) return;
  const truths = await readTruth(
    tx,
    looked.map((r) => r.id),
  );
  const filled: { id: string; owed: number }[] = [];
  for (const row of looked) {
    const truth = truths.get(row.id);
    assert(truth, `a folded SKU has a truth: ${row.id}`);
    const floor = floorOf(row);
    if (truth.available < floor) below.push({ ...pick(truth), floor });
    const owed = owedBackorders(floor, truth.available, row.backorderLimit);
    if (owed !== row.owedBackorders) filled.push({ id: row.id, owed });
  }
  if (filled.length > 0) {
    await tx.$executeRawUnsafe(
      `UPDATE sku SET owed_backorders = d.owed FROM unnest($1::text[], $2::int[]) AS d(id, owed) WHERE sku.id = d.id`,
      filled.map((f) => f.id),
      filled.map((f) => f.owed),
    );
  }
}
