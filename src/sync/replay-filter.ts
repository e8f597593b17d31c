import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { PrismaClient } from '../db/client.ts';
import type { Gate } from '../gate/gate.ts';
import type { TakeKind } from '../inventory.ts';
import { startOf, type Position } from '../ledger/feed.ts';

/**
 * The gate's replay filter (lua/take.lua) lets a refusal skip the ledger: a Bloom filter in Redis of
 * every idempotency key ever taken. A take through the gate sets its key's bits itself; this keeps the
 * rest in: keys the database-only path took (queued in `replay_filter_pending`), and, when the filter
 * is missing (a new deployment, a Redis flush), every key in `gate_request`. Until it is complete
 * (bit 0) the gate says no refusal is fresh, and every refusal looks in the ledger as before.
 */

/** Keys moved per query. */
const PAGE = 5_000;
/** Pending keys handled per pass; more wait for the next. */
const PENDING_BATCH = 1_000;
/**
 * How long after a rebuild's full scan it looks again at keys written since it began: takes that
 * passed the gate before the flush (their bits went with it) reach the ledger within a write's
 * statement timeout, far less than this. The second look reads only transactions that had not ended
 * when the rebuild began (KEYS_SINCE_SQL), not the ledger again.
 */
const REBUILD_SETTLE_MS = 30_000;
/** The builder's lease; renewed by finishing within it, or taken again by each pass that waits. */
const REBUILD_LOCK_MS = 5 * 60_000;
/**
 * How long the earlier layout's filter (src/gate/keys.ts) must go untouched before it is deleted: an
 * instance of an earlier version reads and writes it in every take, so one this long idle has none
 * taking, or one that takes nothing (its next take makes the filter anew, and lua/take.lua stops
 * trusting this one again). Fifteen minutes: longer than a rolling upgrade's overlap under traffic.
 */
const EARLIER_FILTER_IDLE_MS = 15 * 60_000;

interface Services {
  prisma: PrismaClient;
  gate: Gate;
  log: Logger;
}

interface KeyRow {
  kind: TakeKind;
  idempotency_key: string;
}

/** Keeps one deployment's replay filter complete; one per process, run by the reconcile worker. */
export class ReplayFilterKeeper {
  /**
   * A rebuild this keeper began: when its scan started, by PostgreSQL's clock in ms since the epoch (a
   * number: a timestamptz read into a Date, and a Date sent back, are hours off when the session's
   * TimeZone is not UTC), the oldest transaction still running then (every later take's is at or
   * above it), and its lease.
   */
  private rebuild: { startedAtMs: number; oldestTx: bigint; token: string } | null = null;
  /**
   * Since when (Date.now()) the rebuild's passes have found no earlier filter in any shard; null while one
   * is there. Takes through instances of an earlier version set bits there alone; their ledger rows are
   * read by the look at keys written since the rebuild began, which therefore waits the settle delay
   * after the last of them too.
   */
  private earlierFilterGoneSinceMs: number | null = null;
  /** Whether the last pass found an earlier filter (logged once a stretch). */
  private earlierFilterSeen = false;

  constructor(
    private readonly s: Services,
    /** How long a rebuild waits to look again at keys written since it began (REBUILD_SETTLE_MS). */
    private readonly settleMs = REBUILD_SETTLE_MS,
    /** How long the earlier layout's filter stays untouched before it is deleted (EARLIER_FILTER_IDLE_MS). */
    private readonly earlierFilterIdleMs = EARLIER_FILTER_IDLE_MS,
  ) {}

  /** One pass: gives the filter its full length, moves pending keys in, and builds it when it is missing. Returns the keys added. */
  async pass(): Promise<number> {
    const { s } = this;
    await s.gate.presizeReplayFilters();
    let added = await movePending(s);
    if (await s.gate.replayFilterComplete()) {
      this.rebuild = null;
      return added;
    }
    if (this.rebuild === null) {
      const token = randomUUID();
      if (!(await s.gate.tryLock(s.gate.keys.replayFilterLock, token, REBUILD_LOCK_MS))) return added;
      const [row] = await s.prisma.$queryRawUnsafe<{ ms: number; tx: string }[]>(
        `SELECT (extract(epoch FROM now()) * 1000)::float8 AS ms, pg_snapshot_xmin(pg_current_snapshot())::text AS tx`,
      );
      this.rebuild = { startedAtMs: row!.ms, oldestTx: BigInt(row!.tx), token };
      this.earlierFilterGoneSinceMs = null;
      added += await addEveryKey(s);
      s.log.info({ added }, 'replay filter: every key in the ledger added; completing it once takes under way have settled');
      await this.earlierFilterGone();
      return added;
    }
    if (!(await this.earlierFilterGone())) return added;
    if (Date.now() - this.rebuild.startedAtMs < this.settleMs || Date.now() - this.earlierFilterGoneSinceMs! < this.settleMs) return added;
    added += await addKeysSince(s, this.rebuild.oldestTx);
    await s.gate.markReplayFilterComplete();
    await s.gate.unlock(s.gate.keys.replayFilterLock, this.rebuild.token);
    s.log.info({ added }, 'replay filter complete: refusals of new keys no longer look in the ledger');
    this.rebuild = null;
    return added;
  }

  /**
   * Whether no shard has the earlier layout's filter any more (deleting one idle past earlierFilterIdleMs).
   * While one is there the rebuild keeps its lease, taking it again once lapsed; when another builder
   * holds it, that one completes the filter and this rebuild ends.
   */
  private async earlierFilterGone(): Promise<boolean> {
    const { s } = this;
    const rebuild = this.rebuild!;
    const present = await s.gate.earlierReplayFilters(this.earlierFilterIdleMs);
    if (present === 0) {
      this.earlierFilterGoneSinceMs ??= Date.now();
      this.earlierFilterSeen = false;
      return true;
    }
    this.earlierFilterGoneSinceMs = null;
    if (!this.earlierFilterSeen) {
      s.log.warn({ shards: present }, 'replay filter: an earlier version’s filter is in use; refusals look in the ledger until it goes');
      this.earlierFilterSeen = true;
    }
    const held = await s.gate.tryLock(s.gate.keys.replayFilterLock, rebuild.token, REBUILD_LOCK_MS);
    if (!held && (await s.gate.lockHolder(s.gate.keys.replayFilterLock)) !== rebuild.token) this.rebuild = null;
    return false;
  }
}

/** Keys the database-only path took: into the filter, then out of the queue. */
async function movePending(s: Services): Promise<number> {
  const rows = await s.prisma.$queryRawUnsafe<KeyRow[]>(
    `SELECT kind::text AS kind, idempotency_key FROM replay_filter_pending ORDER BY created_at LIMIT $1`,
    PENDING_BATCH,
  );
  if (rows.length === 0) return 0;
  await s.gate.addToReplayFilter(rows.map((r) => s.gate.trace(r.kind, r.idempotency_key)));
  await s.prisma.$executeRawUnsafe(
    `DELETE FROM replay_filter_pending p USING unnest($1::text[], $2::text[]) AS d(kind, key)
     WHERE p.kind::text = d.kind AND p.idempotency_key = d.key`,
    rows.map((r) => r.kind),
    rows.map((r) => r.idempotency_key),
  );
  return rows.length;
}

/**
 * A page of the ledger's keys after ($1, $2), in the primary key's order, so each page reads only its
 * own rows from the index whatever plan PostgreSQL picks: no OR, and ordered by the table's kind (the
 * enum), not the selected text.
 */
export const KEYS_PAGE_SQL = `SELECT kind::text AS kind, idempotency_key FROM gate_request
  WHERE (kind, idempotency_key) > ($1::"MovementKind", $2::text)
  ORDER BY gate_request.kind, gate_request.idempotency_key LIMIT $3`;
/** Before every key: the enum's first kind and the empty key (no idempotency key is empty: src/stock/input.ts). */
const BEFORE_EVERY_KEY: KeyRow = { kind: 'DEDUCT', idempotency_key: '' };

/** Every key of the ledger, page by page in key order. */
function addEveryKey(s: Services): Promise<number> {
  return addPages(s, BEFORE_EVERY_KEY, (after) =>
    s.prisma.$queryRawUnsafe<KeyRow[]>(KEYS_PAGE_SQL, after.kind, after.idempotency_key, PAGE),
  );
}

/**
 * Adds the keys of `page` to the filter, one page after another, each after the last row of the one
 * before, until one comes back short. A key on several rows of a page (a cart's lines) is added once.
 */
async function addPages<C>(s: Services, first: C, page: (after: C) => Promise<(KeyRow & C)[]>): Promise<number> {
  let added = 0;
  let after = first;
  for (;;) {
    const rows = await page(after);
    const keys = new Map(rows.map((r) => [`${r.kind}:${r.idempotency_key}`, r]));
    await s.gate.addToReplayFilter([...keys.values()].map((r) => s.gate.trace(r.kind, r.idempotency_key)));
    added += keys.size;
    if (rows.length < PAGE) return added;
    after = rows.at(-1)!;
  }
}

/**
 * A page of the keys of takes written by transactions after position ($1, $2) of the change feed's
 * order (src/ledger/feed.ts), read from the movements: every take writes at least one, under its key
 * and kind, in the transaction that writes its gate_request row. The movement (tx, id) index's range
 * from the rebuild's start, however large the ledger (gate_request has no index by time: it would cost
 * every take an insertion).
 */
export const KEYS_SINCE_SQL = `SELECT kind::text AS kind, idempotency_key, tx, id FROM movement
  WHERE (tx, id) > ($1::bigint, $2::bigint) AND kind IN ('DEDUCT', 'RESERVE')
  ORDER BY tx, id LIMIT $3`;

/** The keys of takes whose transactions are at or after `oldestTx`, page by page. */
function addKeysSince(s: Services, oldestTx: bigint): Promise<number> {
  return addPages<Position>(s, startOf(oldestTx), (after) =>
    s.prisma.$queryRawUnsafe<(KeyRow & Position)[]>(KEYS_SINCE_SQL, after.tx.toString(), after.id.toString(), PAGE),
  );
}
