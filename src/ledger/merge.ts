import type { PrismaClient, Tx } from '../db/client.ts';
import { DEFAULT_LOCATION } from '../inventory.ts';
import { readTruth } from './truth.ts';

/** Movements folded per transaction: bounds how long the hot SKU rows stay locked by one merge. */
export const MERGE_BATCH = 5_000;
/**
 * One merger at a time across every instance: a transaction-scoped advisory lock, so a crashed merger
 * frees it with its connection. Concurrent mergers would only queue on the same SKU rows anyway.
 */
const MERGE_LOCK_KEY = 0x5709_ca7e;
/**
 * How long a SKU that failed to merge on its own is left out of batches before it is tried again,
 * alone. Its movements stay unmerged meanwhile, which the truth (row + unmerged) already counts, so
 * leaving it out delays nothing but its own merge; trying it in every batch would fail every batch.
 */
export const MERGE_RETRY_MS = 10_000;
/**
 * SKUs merged one by one, each in its own transaction, in one pass after a batch failed: bounds the
 * pass. Those that fail are left out of later batches, so the next pass batches the rest again.
 */
const SOLO_SKUS_PER_PASS = 100;

/**
 * Marks movements merged and sums them per SKU, in SKU order. Sums stay bigint: a SKU's row passes
 * 2^31 − 1 (an unlimited SKU's sold count does, in time), and an int cast here once stopped every merge.
 * Movements in a location other than `default` are also added to the SKU's row there (src/ledger/truth.ts),
 * in the same statement: only the merge writes those rows, under its lock, so they need no row order.
 */
const takeSql = (which: string) => `
WITH batch AS (
  SELECT id FROM movement WHERE NOT merged AND ${which} ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
), marked AS (
  UPDATE movement m SET merged = true FROM batch b WHERE m.id = b.id
  RETURNING m.sku_id, m.location_id, m.delta_available, m.delta_reserved, m.delta_sold, m.delta_withheld
), located AS (
  INSERT INTO sku_location AS l (sku_id, location_id, available, reserved, sold)
  SELECT sku_id, location_id, sum(delta_available), sum(delta_reserved), sum(delta_sold)
  FROM marked WHERE location_id <> '${DEFAULT_LOCATION}' GROUP BY sku_id, location_id
  ON CONFLICT (sku_id, location_id) DO UPDATE
    SET available = l.available + EXCLUDED.available, reserved = l.reserved + EXCLUDED.reserved, sold = l.sold + EXCLUDED.sold
)
SELECT sku_id AS id, sum(delta_available) AS a, sum(delta_reserved) AS r, sum(delta_sold) AS s,
       sum(delta_withheld) AS w, count(*)::int AS n
FROM marked GROUP BY sku_id ORDER BY sku_id`;

/** A batch over every SKU but those left out ($2). */
const TAKE_BATCH_SQL = takeSql('NOT (sku_id = ANY($2::text[]))');
/** The movements of one SKU ($2). */
const TAKE_ONE_SQL = takeSql('sku_id = $2');

/**
 * A SKU whose truth fell below its floor (minus its backorder limit): units were sold that did not
 * exist. The gate never admits that, so its counter lied (changed in Redis, or a bug): the merge folds
 * the movements all the same (they happened, and the ledger must say so) and raises this.
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
interface SkuSums {
  id: string;
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
    /** Whether the failed SKUs are left out of batches (false: not one SKU's fault, all are retried next pass). */
    readonly leftOut: boolean,
  ) {
    const ids = [...failures.keys()].sort();
    // The first few causes: a log line, not a dump of every SKU.
    const causes = ids.slice(0, 10).map((id) => `${id}: ${reason(failures.get(id))}`);
    const next = leftOut ? `left out of batches and retried alone every ${MERGE_RETRY_MS} ms` : 'retried next pass';
    super(`${ids.length} SKU(s) could not merge, ${next}; ${merged} movements of other SKUs merged. ${causes.join('; ')}`);
    this.name = 'MergeIncomplete';
    this.failedSkuIds = ids;
  }
}

const reason = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * SKUs left out of batches, with when to try each alone again, per client (one client, one database).
 * Per process: every instance finds a failing SKU on its own, at the cost of one failed batch.
 */
const leftOutByClient = new WeakMap<PrismaClient, Map<string, number>>();

/**
 * Merge-commit (seed 003): folds unmerged movements into their SKU rows, so a hot row is written once
 * per batch instead of once per request. One transaction per batch: a merger killed mid-batch leaves
 * every movement unmerged and every row untouched, and the truth (row + unmerged) never changes.
 *
 * One SKU whose row cannot be updated must not stop the others (a batch folds them all in one
 * transaction): when a batch fails, its SKUs are merged one by one, and those that fail alone are left
 * out of batches and retried alone every MERGE_RETRY_MS. Then MergeIncomplete names them, after the
 * others committed. When nothing merged and several SKUs failed, the cause is not one SKU (PostgreSQL
 * is down, a constraint on every row): nothing is left out, the pass just fails.
 *
 * Returns the number of movements merged (0 when another instance holds the merge lock).
 */
export async function mergeOnce(prisma: PrismaClient, batch = MERGE_BATCH, alarm: BelowFloorAlarm = () => {}): Promise<number> {
  const leftOut = leftOutByClient.get(prisma) ?? new Map<string, number>();
  leftOutByClient.set(prisma, leftOut);
  const now = Date.now();
  const due = [...leftOut].filter(([, at]) => at <= now).map(([id]) => id);
  const failed = new Map<string, unknown>();
  const below: BelowFloor[] = [];
  let merged: number;
  try {
    merged = await prisma.$transaction((tx) => mergeLocked(tx, TAKE_BATCH_SQL, batch, [...leftOut.keys()], below));
  } catch {
    // Which SKU broke the batch is unknown: try each of those waiting, alone.
    below.length = 0;
    merged = await mergeAlone(prisma, await waitingSkus(prisma, [...leftOut.keys()]), batch, failed, below);
  }
  merged += await mergeAlone(prisma, due, batch, failed, below);
  if (below.length > 0) alarm(below);
  if (failed.size === 0) {
    for (const id of due) leftOut.delete(id);
    return merged;
  }
  const oneSkusFault = merged > 0 || failed.size === 1;
  if (oneSkusFault) {
    for (const id of due) if (!failed.has(id)) leftOut.delete(id);
    for (const id of failed.keys()) leftOut.set(id, now + MERGE_RETRY_MS);
  }
  throw new MergeIncomplete(merged, failed, oneSkusFault);
}

/** Merges each SKU in its own transaction; records those that fail. Returns movements merged. */
async function mergeAlone(
  prisma: PrismaClient,
  skuIds: string[],
  batch: number,
  failed: Map<string, unknown>,
  below: BelowFloor[],
): Promise<number> {
  let merged = 0;
  for (const id of skuIds) {
    try {
      merged += await prisma.$transaction((tx) => mergeLocked(tx, TAKE_ONE_SQL, batch, id, below));
    } catch (err) {
      failed.set(id, err);
    }
  }
  return merged;
}

/** SKUs with unmerged movements, oldest first, but those left out. */
async function waitingSkus(prisma: PrismaClient, leftOut: string[]): Promise<string[]> {
  const rows = await prisma.$queryRawUnsafe<{ id: string }[]>(
    `SELECT sku_id AS id FROM movement WHERE NOT merged AND NOT (sku_id = ANY($1::text[]))
     GROUP BY sku_id ORDER BY min(id) LIMIT $2`,
    leftOut,
    SOLO_SKUS_PER_PASS,
  );
  return rows.map((r) => r.id);
}

/**
 * Under the merge lock: takes movements (`take` with $1 = batch, $2 = `which`) and adds their sums
 * to the SKU rows. SKU rows are locked in id order, the order every other writer uses, so merges
 * cannot deadlock with ledger batches or counter loads. Adds the SKUs whose truth it left below their
 * floor to `below` (once committed, they are reported).
 */
async function mergeLocked(tx: Tx, take: string, batch: number, which: string | string[], below: BelowFloor[]): Promise<number> {
  const [lock] = await tx.$queryRawUnsafe<{ held: boolean }[]>(`SELECT pg_try_advisory_xact_lock(${MERGE_LOCK_KEY}) AS held`);
  if (!lock?.held) return 0;
  const sums = await tx.$queryRawUnsafe<SkuSums[]>(take, batch, which);
  if (sums.length === 0) return 0;
  const ids = sums.map((x) => x.id);
  await tx.$queryRawUnsafe(`SELECT 1 FROM sku WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`, ids);
  const rows = await tx.$queryRawUnsafe<{ id: string; available: Sum; floor: number; unlimited: boolean }[]>(
    `UPDATE sku SET available = sku.available + d.a, reserved = sku.reserved + d.r, sold = sku.sold + d.s,
            withheld = sku.withheld + d.w, updated_at = now()
     FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[]) AS d(id, a, r, s, w) WHERE sku.id = d.id
     RETURNING sku.id, sku.available, -sku.backorder_limit AS floor, sku.unlimited`,
    ids,
    ...(['a', 'r', 's', 'w'] as const).map((k) => sums.map((x) => Number(x[k]))),
  );
  // The row alone may dip below while movements that explain it wait unmerged: the truth decides.
  const dipped = rows.filter((r) => !r.unlimited && Number(r.available) < r.floor).map((r) => r.id);
  if (dipped.length > 0) {
    for (const truth of (await readTruth(tx, dipped)).values()) {
      const floor = -truth.backorderLimit;
      if (!truth.unlimited && truth.available < floor) below.push({ ...pick(truth), floor });
    }
  }
  return sums.reduce((total, x) => total + x.n, 0);
}
