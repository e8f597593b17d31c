import assert from 'node:assert/strict';
import type pg from 'pg';
import { retryingDeadlocks } from '../db/client.ts';
import { DEFAULT_LOCATION, type LocationUnits, type TakeKind } from '../inventory.ts';

/** One request's ledger rows: an idempotency record, a movement per cart line and location, and for a reserve its reservation. */
export interface LedgerEntry {
  kind: TakeKind;
  gateId: string;
  idempotencyKey: string;
  /** RESERVE only: the client's key, which may serve one order alone (a second order's take is a duplicate). */
  clientKey?: string;
  orderId: string;
  /** RESERVE only: when the reservation lapses. */
  deadline?: Date;
  fingerprint: string;
  /**
   * What the ledger keeps of the answer to this request and every replay of it (gate_request.answer):
   * the answer without its order id and key, which the row holds in its own columns.
   */
  kept: unknown;
  /**
   * Unlimited lines only count what they sell: their available never moves. A line's sources (where its
   * units came from, lua/includes/locations.lua) are one movement each; null or left out: one, in `default`.
   */
  lines: { skuId: string; quantity: number; epoch: number; unlimited: boolean; sources?: LocationUnits[] | null }[];
}

/**
 * committed: in the ledger. duplicate: the idempotency key was already there (first answer wins).
 * fenced: a line's counter was rebuilt after the units were taken, so the take never counted.
 */
export type LedgerOutcome = 'committed' | 'duplicate' | 'fenced';

/** Rows per INSERT: large enough to absorb a flash-sale burst, small enough to keep a batch in milliseconds. */
export const MAX_BATCH_LINES = 500;
/**
 * Ids a ledger statement draws at once: `movement_id_seq` steps by this much (migration
 * 20261205070000), and a batch numbers its movements from one value of it, in the lines' order, rather
 * than drawing one per row and sorting its rows to draw them in that order (`npm run bench:ledger`:
 * 122,697 -> 117,212 PostgreSQL instructions per hot cart, 282,489 -> 266,248 per 3-line cart). It holds
 * a statement's every movement: MAX_BATCH_LINES lines of a location each, at most 64 (MAX_LOCATIONS,
 * src/stock/locations.ts), 32,000 rows. Other writers draw a block a row; a bigint holds 2^48 blocks.
 */
export const MOVEMENT_ID_BLOCK = 32_768;
/** How requests' rows are grouped into ledger statements. */
export interface BatchShape {
  /** How long the first request of a batch waits for company; it bounds the latency grouping adds. */
  windowMs: number;
  /** Requests per statement. */
  maxRequests: number;
  /** Statements in flight at once: more overlaps round trips, but each holds a pool connection. */
  maxConcurrent: number;
}

/**
 * Ledger statements in flight at once across one instance, shared by its worker processes
 * (WEB_CONCURRENCY): on this project's two cores, PostgreSQL spent 10–20 % more CPU a cart when two
 * worker processes ran four statements each than when they ran two each (their inserts meet on the
 * same index pages; `BENCH_MODES='stockgate ×2'`, alternating pairs of hot SKU ×100: 29,881 and 29,350
 * carts/s with four each, 32,180 and 31,616 with two; 3-line carts ×100: 12,293 and 11,101 against
 * 12,808 and 12,267). One process with two instead of four measured the same within the noise.
 */
export const LEDGER_STATEMENTS_PER_INSTANCE = 4;

/**
 * Group commit for one of an instance's `workerProcesses` worker processes: a few milliseconds, hundreds
 * of rows, and its share of LEDGER_STATEMENTS_PER_INSTANCE at once, rounded up (three workers run two
 * each, six in all; only one and two workers were measured) and at least one.
 */
export function groupCommit(workerProcesses: number): BatchShape {
  assert.ok(
    Number.isInteger(workerProcesses) && workerProcesses >= 1,
    `worker processes: a whole number of at least 1, not ${workerProcesses}`,
  );
  return {
    windowMs: 2,
    maxRequests: MAX_BATCH_LINES,
    maxConcurrent: Math.max(1, Math.ceil(LEDGER_STATEMENTS_PER_INSTANCE / workerProcesses)),
  };
}
/**
 * One statement per request, as seed 002 writes its ledger: only the benchmark uses it, to show what
 * group commit buys. As many at once as the pool allows, less a few for everything else.
 */
export const PER_REQUEST: BatchShape = { windowMs: 0, maxRequests: 1, maxConcurrent: 16 };
/**
 * Characters of a statement's requests (its first parameter: MAX_BATCH_LINES one-line carts' rows with
 * their answers run to ~160,000). Below V8's large-object size (128 KiB for a string of one-byte
 * characters), over which each string is mapped afresh and its pages faulted in: on this machine's
 * hypervisor 12 µs a 4 KiB page, ~0.5 ms a hot batch's text, 30 % of the server's page faults in a hot
 * SKU ×100 window (`perf record -e page-faults`). A request longer than this is a batch alone.
 */
export const MAX_BATCH_TEXT = 120 * 1024;
/** Lines waiting for a batch before new requests are refused (retryable) instead of queued without end. */
export const MAX_QUEUED_LINES = 20_000;

export class LedgerBackpressure extends Error {}

interface Waiting {
  entry: LedgerEntry;
  /** The request's row of the statement's first parameter (requestRow), built when queued: its length bounds a batch. */
  row: string;
  resolve: (o: LedgerOutcome) => void;
  reject: (e: unknown) => void;
  /** performance.now() when the rows were handed over, for the wait metric. */
  since: number;
}

/** What the writer reports of committed batches (src/observe/metrics.ts). */
export interface LedgerObserver {
  batchCommitted(requests: number, lines: number): void;
  /** A batch's statement lost a deadlock and runs again. */
  deadlockRetried(): void;
  /** How long a request waited for its batch to commit, ms. */
  waited(ms: number): void;
}

/**
 * The lock a ledger batch holds on its SKUs' rows while it checks their epochs and writes. KEY SHARE
 * conflicts only with FOR UPDATE, which every fence takes before it bumps an epoch (LOAD_FENCE_SQL,
 * src/sync/outbox.ts), so a fence waits for the batches under way and later batches see its epoch.
 * Nothing else waits: batches share it with one another, and the merge's FOR NO KEY UPDATE
 * (MERGE_ROW_LOCK) passes it, so a hot row's batches never queue behind a merge transaction (FOR
 * SHARE did: 11–15 % fewer carts per second in `npm run bench`'s ×100 rows).
 */
export const LEDGER_ROW_LOCK = 'FOR KEY SHARE';

/**
 * Between two rows of the batch statement's parameters: ASCII's record separator, chr(30). A request's
 * answer (JSON.stringify's) holds neither separator: JSON.stringify escapes every control character in a
 * string, and writes none elsewhere.
 */
const ROW_SEPARATOR = String.fromCharCode(30);
/**
 * Between two fields of a row of the first two parameters: ASCII's unit separator, chr(31). No field
 * holds it nor chr(30): ids, keys and fingerprints are printable ASCII (src/stock/input.ts), the rest
 * numbers, uuids, ISO times, true/false and kinds; a row is checked against SEVEN_FIELDS all the same.
 */
const FIELD_SEPARATOR = String.fromCharCode(31);
const SEVEN_FIELDS = new RegExp(`^[^${ROW_SEPARATOR}${FIELD_SEPARATOR}]*(?:${FIELD_SEPARATOR}[^${ROW_SEPARATOR}${FIELD_SEPARATOR}]*){6}$`);

/**
 * Where the batch statement's two forms differ (batchSql): the first refuses a key already in the ledger
 * (the whole statement fails, 23505), the second skips it and answers it `duplicate`.
 */
const DUPLICATE_HANDLING = {
  refused: {
    onConflict: '',
    // Every request not fenced was inserted, or the statement failed and wrote nothing.
    accepted: 'SELECT i FROM req WHERE i NOT IN (SELECT i FROM fenced)',
    // By a hashed filter, not a join to `accepted`: PostgreSQL planned that join's three inputs sorted
    // for merge joins (`npm run bench:ledger`: 115,432 -> 110,760 PostgreSQL instructions a hot cart,
    // 264,343 -> 257,506 a 3-line cart, with one hash join left).
    acceptedLines: 'NOT IN (SELECT i FROM fenced)',
    // Every request not fenced committed: no join of the requests to their outcomes (110,760 -> 106,970 /
    // 257,506 -> 253,671).
    answer: `SELECT (SELECT count(*) FROM req)::int - (SELECT count(*) FROM fenced)::int AS committed,
       coalesce((SELECT string_agg(i || 'f', ',') FROM fenced), '') AS others`,
  },
  skipped: {
    onConflict: 'ON CONFLICT DO NOTHING RETURNING kind::text AS kind, idempotency_key AS key',
    // A batch holds one request per key (takeBatch): the rows inserted name their requests.
    accepted: 'SELECT r.i FROM req r JOIN inserted USING (kind, key)',
    acceptedLines: 'IN (SELECT i FROM accepted)',
    answer: `SELECT count(a.i)::int AS committed,
       coalesce(string_agg(r.i || CASE WHEN f.i IS NOT NULL THEN 'f' ELSE 'd' END, ',') FILTER (WHERE a.i IS NULL), '') AS others
FROM req r LEFT JOIN accepted a USING (i) LEFT JOIN fenced f USING (i)`,
  },
} as const;

/**
 * The movement for a gated line: units leave available for sold (DEDUCT) or reserved (RESERVE).
 *
 * One statement per batch, so one round trip and one commit for every waiting request. The lock on
 * the SKU rows (LEDGER_ROW_LOCK) is the ledger's half of rebuild fencing (see truthForLoad in truth.ts):
 * a line whose epoch is not the row's current epoch was taken from counters that no longer exist, and
 * its whole request is refused. Inserts into the ledger never touch the row.
 */
const batchSql = (duplicates: keyof typeof DUPLICATE_HANDLING) => `
-- Rows chr(30) apart, a row's fields chr(31) apart, in batchRows' order; a line names its request by its place.
WITH req AS (
  SELECT (x.n - 1)::int AS i, split_part(x.r, chr(31), 1) AS key, split_part(x.r, chr(31), 2) AS order_id,
         split_part(x.r, chr(31), 3) AS fp, split_part(x.r, chr(31), 4)::uuid AS gate_id, split_part(x.r, chr(31), 5) AS kind,
         nullif(split_part(x.r, chr(31), 6), '')::timestamptz AS deadline, nullif(split_part(x.r, chr(31), 7), '') AS client_key,
         split_part(x.r, chr(31), 8) AS answer
  FROM string_to_table($1, chr(30)) WITH ORDINALITY x(r, n)
), line AS (
  SELECT x.n AS ord, split_part(x.r, chr(31), 1)::int AS req, split_part(x.r, chr(31), 2) AS sku_id,
         split_part(x.r, chr(31), 3)::int AS qty, split_part(x.r, chr(31), 4)::int AS line_no, split_part(x.r, chr(31), 5)::int AS epoch,
         split_part(x.r, chr(31), 6)::bool AS unlimited, split_part(x.r, chr(31), 7) AS location_id
  FROM string_to_table($2, chr(30)) WITH ORDINALITY x(r, n)
), locked AS (
  SELECT s.id, s.epoch FROM sku s WHERE s.id IN (SELECT sku_id FROM line) ORDER BY s.id ${LEDGER_ROW_LOCK}
), fenced AS (
  SELECT DISTINCT l.req AS i FROM line l LEFT JOIN locked k ON k.id = l.sku_id WHERE k.epoch IS DISTINCT FROM l.epoch
), inserted AS (
  INSERT INTO gate_request (kind, idempotency_key, client_key, order_id, fingerprint, answer, gate_id)
  SELECT kind::"MovementKind", key, client_key, order_id, fp, answer, gate_id FROM req
  WHERE i NOT IN (SELECT i FROM fenced)
  ${DUPLICATE_HANDLING[duplicates].onConflict}
), accepted AS (
  ${DUPLICATE_HANDLING[duplicates].accepted}
), reserved AS (
  INSERT INTO reservation (order_id, deadline)
  SELECT r.order_id, r.deadline FROM req r JOIN accepted a USING (i)
  WHERE r.kind = 'RESERVE'
), moved AS (
  -- Ids from one drawn block (MOVEMENT_ID_BLOCK), in the lines' order: a line's sources are in the order
  -- its locations served it, which refunds and settlements follow back (src/stock/orders.ts).
  INSERT INTO movement (id, kind, sku_id, quantity, delta_available, delta_reserved, delta_sold, unlimited_quantity,
                        order_id, order_line, idempotency_key, location_id, tx)
  SELECT (SELECT nextval('movement_id_seq')) + l.ord - 1,
         r.kind::"MovementKind", l.sku_id, l.qty, CASE WHEN l.unlimited THEN 0 ELSE -l.qty END,
         CASE WHEN r.kind = 'RESERVE' THEN l.qty ELSE 0 END,
         CASE WHEN r.kind = 'DEDUCT' THEN l.qty ELSE 0 END,
         CASE WHEN l.unlimited THEN l.qty ELSE 0 END,
         r.order_id, l.line_no, r.key, l.location_id,
         -- The column's default, once per statement rather than once per row.
         (SELECT pg_current_xact_id()::text::bigint)
  FROM line l JOIN req r ON r.i = l.req
  WHERE l.req ${DUPLICATE_HANDLING[duplicates].acceptedLines}
)
-- How many requests committed, and the others as "<place><letter>" (OUTCOME_CODES), comma-separated: one
-- short text instead of a row each, and no sort to put a letter a request in their order.
${DUPLICATE_HANDLING[duplicates].answer}`;

/**
 * The batch statement as it runs first: a key already in the ledger (a duplicate: a replay whose record
 * Redis forgot, or a reserve's client key used for another order) fails the whole statement (23505),
 * which then runs as BATCH_SQL_SKIPPING_DUPLICATES. `ON CONFLICT DO NOTHING` costs every row a
 * speculative insertion (the key looked up, the row inserted with a token, then confirmed): measured with
 * `npm run bench:ledger`, 222,722 → 205,246 PostgreSQL instructions per hot cart without it, 513,675 →
 * 495,807 per 3-line cart; duplicates are rare, as the gate answers replays from its own records.
 */
const BATCH_SQL = batchSql('refused');
/** The batch statement that answers a duplicate `duplicate` and writes the rest (after one was met). */
const BATCH_SQL_SKIPPING_DUPLICATES = batchSql('skipped');
/**
 * How long after meeting a duplicate the writer sends BATCH_SQL_SKIPPING_DUPLICATES first: duplicates
 * come in runs (after Redis forgot its records, each replay meets one), and each met by BATCH_SQL costs
 * a failed statement of up to MAX_BATCH_LINES rows.
 */
const SKIP_DUPLICATES_MS = 10_000;
/** The letters of the batch statement's answer for a request that did not commit. */
const OUTCOME_CODES: Readonly<Record<string, LedgerOutcome>> = { d: 'duplicate', f: 'fenced' };
/** A request of the batch statement's answer that did not commit: its place among the batch's requests, then its letter. */
const UNCOMMITTED = /^(\d+)([df])$/;

/** What the batch statement answers: how many requests committed, and the rest by place ("3d,17f"). */
interface BatchAnswer {
  committed: number;
  others: string;
}

/**
 * Every request's outcome, in the batch's order, from the statement's answer. It names each request once:
 * one without an outcome would be answered as if it were a duplicate while its rows may be missing.
 */
function outcomesOf(answer: BatchAnswer, requests: number): LedgerOutcome[] {
  const outcomes = new Array<LedgerOutcome>(requests).fill('committed');
  const others = answer.others === '' ? [] : answer.others.split(',');
  assert.equal(answer.committed + others.length, requests, 'a ledger batch answers once per request');
  for (const other of others) {
    const [, place, code] = UNCOMMITTED.exec(other) ?? [];
    const i = Number(place);
    assert.ok(i < requests && outcomes[i] === 'committed', `a ledger batch answers each request once, not ${other}`);
    outcomes[i] = OUTCOME_CODES[code!]!;
  }
  return outcomes;
}
/** PostgreSQL's unique_violation. */
const UNIQUE_VIOLATION = '23505';

/** A row of the batch statement's first two parameters: its seven fields, FIELD_SEPARATOR between them. */
function fields(...values: (string | number | boolean)[]): string {
  const row = values.join(FIELD_SEPARATOR);
  assert.ok(SEVEN_FIELDS.test(row), 'a ledger row is seven fields without a separator in any');
  return row;
}

/**
 * BATCH_SQL's two parameters: its requests and its lines (one per line and location its units came
 * from), each as one text of rows, ROW_SEPARATOR between rows and FIELD_SEPARATOR between a row's fields
 * in the order BATCH_SQL reads them (`split_part`; a line names its request by its place among them; a
 * request's last field is its answer's JSON). Two texts, not 16 array parameters: those cost the server
 * twice the CPU per cart (pg escapes every element of a text[], every answer's JSON again among them).
 * Measured with callgrind (`npm run bench:ledger`: a postgres under valgrind, one backend, 2,400 carts in
 * statements of 300), in PostgreSQL instructions per hot cart / per 3-line cart:
 * - rows as arrays, not objects (PostgreSQL builds a jsonb object by sorting its keys and reads a field
 *   by searching them, an array element by its place): 254,400 → 231,900 / 575,100 → 518,700;
 * - a line naming its request by its place (an integer join, not the request's kind and key again), one
 *   outcome letter per request in one text rather than a row each, and the movements' `tx` written once
 *   rather than the column's default evaluated per row: 193,168 → 184,176 / 463,591 → 442,027;
 * - the answers as their own json parameter, stored as they come (gate_request.result was json), so
 *   PostgreSQL never builds them into jsonb: → 176,990 / 419,877. Objects read by json_to_recordset
 *   (no jsonb either) cost more: 194,370 a hot cart;
 * - (the ledger keyed by (tx, id), 2026-12-03: 157,154 / 361,569) the answers split by a separator
 *   rather than read from one JSON array, so PostgreSQL lexes each answer once (as it becomes json), not
 *   twice (the array's json, then its elements): → 151,523 / 347,999;
 * - the answers stored as text (gate_request.answer, migration 20261203230000), which PostgreSQL does not
 *   lex as json: → 144,840 / 333,212;
 * - requests and lines as separated text rather than JSON arrays of arrays, which PostgreSQL parsed into
 *   jsonb (jsonb_in alone was 14 % of a hot cart's instructions): → 134,145 / 309,027. The server builds
 *   a row in about the time JSON.stringify took (0.40 → 0.43 µs, its check included); the answer a
 *   request's last field rather than a third parameter joined to it: → 130,208 / 306,263.
 */
function batchRows(batch: readonly Waiting[]): { params: [string, string]; rows: number } {
  const lines: string[] = [];
  batch.forEach(({ entry }, request) => {
    entry.lines.forEach((l, i) => {
      for (const from of l.sources ?? [{ locationId: DEFAULT_LOCATION, quantity: l.quantity }])
        lines.push(fields(request, l.skuId, from.quantity, i + 1, l.epoch, l.unlimited, from.locationId));
    });
  });
  assert.ok(lines.length <= MOVEMENT_ID_BLOCK, `a ledger statement's movements fit the ids it draws: ${lines.length}`);
  return { params: [batch.map((w) => w.row).join(ROW_SEPARATOR), lines.join(ROW_SEPARATOR)], rows: lines.length };
}

/** A request's row of BATCH_SQL's first parameter: a deduct has no deadline nor client key (an empty field, read as NULL); the answer last. */
function requestRow(e: LedgerEntry): string {
  const row = fields(e.idempotencyKey, e.orderId, e.fingerprint, e.gateId, e.kind, e.deadline?.toISOString() ?? '', e.clientKey ?? '');
  return `${row}${FIELD_SEPARATOR}${JSON.stringify(e.kept)}`;
}

/**
 * Group commit: concurrent requests' ledger rows go to PostgreSQL together, and each request learns
 * its outcome only once its batch committed, so no answer gets ahead of the ledger (I2).
 */
export class LedgerWriter {
  private queue: Waiting[] = [];
  private queuedLines = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly idle = new Set<() => void>();
  /** performance.now() until which batches skip duplicates from the start (SKIP_DUPLICATES_MS). */
  private skipDuplicatesUntil = 0;
  /** Told about every committed batch; set by buildApp for metrics. */
  observer: LedgerObserver | null = null;

  constructor(
    private readonly pool: pg.Pool,
    /** Told of the entries each batch committed (not the duplicates or the fenced), after the commit. */
    private readonly onCommitted: (committed: LedgerEntry[]) => void,
    private readonly shape: BatchShape = groupCommit(1),
  ) {}

  write(entry: LedgerEntry): Promise<LedgerOutcome> {
    return this.writeMany([entry]).then((outcomes) => outcomes[0]!);
  }

  /**
   * Many requests' rows at once (a batch's carts), each its own request in the ledger's batches, with
   * one wait for all of their outcomes, in order: a batch's carts need no promise each. Queued all or
   * none (LedgerBackpressure); a failed statement fails them all, whatever the others' outcomes.
   */
  writeMany(entries: readonly LedgerEntry[]): Promise<LedgerOutcome[]> {
    if (entries.length === 0) return Promise.resolve([]);
    const lines = entries.reduce((sum, entry) => sum + entry.lines.length, 0);
    if (this.queuedLines + lines > MAX_QUEUED_LINES) {
      return Promise.reject(new LedgerBackpressure('ledger queue full'));
    }
    return new Promise((resolve, reject) => {
      const outcomes = new Array<LedgerOutcome>(entries.length);
      let pending = entries.length;
      const since = performance.now();
      entries.forEach((entry, i) => {
        const answered = (outcome: LedgerOutcome) => {
          outcomes[i] = outcome;
          if (--pending === 0) resolve(outcomes);
        };
        this.queue.push({ entry, row: requestRow(entry), resolve: answered, reject, since });
      });
      this.queuedLines += lines;
      this.schedule();
    });
  }

  /** Resolves once nothing is queued or being written (graceful shutdown). */
  drained(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.add(resolve));
  }

  private schedule(): void {
    if (this.inFlight >= this.shape.maxConcurrent || this.queue.length === 0) return;
    if (this.queuedLines >= MAX_BATCH_LINES || this.shape.windowMs === 0) {
      this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.shape.windowMs);
    }
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = this.takeBatch();
    if (batch.length === 0) return;
    this.inFlight++;
    this.commit(batch)
      .catch((err: unknown) => batch.forEach((w) => w.reject(err)))
      .finally(() => {
        this.inFlight--;
        this.schedule();
        if (this.queue.length === 0 && this.inFlight === 0) {
          for (const done of this.idle) done();
          this.idle.clear();
        }
      });
    this.schedule();
  }

  /** Up to MAX_BATCH_LINES lines and MAX_BATCH_TEXT of rows, at most one entry per idempotency key (a later one waits a batch). */
  private takeBatch(): Waiting[] {
    const batch: Waiting[] = [];
    const rest: Waiting[] = [];
    const keys = new Set<string>();
    let lines = 0;
    let text = 0;
    let next = 0;
    // Stops at the first entry that does not fit: the queue behind it waits whole, unread (a 100-cart
    // request's carts queue thousands deep, and each batch takes a few hundred of them).
    for (; next < this.queue.length; next++) {
      const w = this.queue[next]!;
      const fits = lines + w.entry.lines.length <= MAX_BATCH_LINES && text + w.row.length < MAX_BATCH_TEXT;
      if (batch.length >= this.shape.maxRequests || (batch.length > 0 && !fits)) break;
      const key = `${w.entry.kind}:${w.entry.idempotencyKey}`;
      if (keys.has(key)) {
        rest.push(w);
        continue;
      }
      keys.add(key);
      lines += w.entry.lines.length;
      text += w.row.length + ROW_SEPARATOR.length;
      batch.push(w);
    }
    this.queue = rest.concat(this.queue.slice(next));
    this.queuedLines -= lines;
    return batch;
  }

  private async commit(batch: Waiting[]): Promise<void> {
    const entries = batch.map((w) => w.entry);
    const { params, rows: lineRows } = batchRows(batch);
    const outcomes = outcomesOf(await this.runBatch(params), entries.length);
    this.onCommitted(entries.filter((_, i) => outcomes[i] === 'committed'));
    batch.forEach((w, i) => w.resolve(outcomes[i]!));
    if (this.observer) {
      const now = performance.now();
      this.observer.batchCommitted(batch.length, lineRows);
      for (const w of batch) this.observer.waited(now - w.since);
    }
  }

  /**
   * BATCH_SQL, or BATCH_SQL_SKIPPING_DUPLICATES when it meets a duplicate (or one was met lately): one
   * statement, so a deadlock's victim simply runs again (retryingDeadlocks), and a failed one wrote nothing.
   */
  private async runBatch(params: [string, string]): Promise<BatchAnswer> {
    if (performance.now() >= this.skipDuplicatesUntil) {
      try {
        return await this.runStatement('ledger-batch', BATCH_SQL, params);
      } catch (err) {
        if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
        this.skipDuplicatesUntil = performance.now() + SKIP_DUPLICATES_MS;
      }
    }
    return this.runStatement('ledger-batch-skipping-duplicates', BATCH_SQL_SKIPPING_DUPLICATES, params);
  }

  private async runStatement(name: string, text: string, params: [string, string]) {
    const { rows } = await retryingDeadlocks(
      () =>
        // Named: each connection parses and plans it once, not once per batch (a pooler in between must
        // keep prepared statements: README "How it works").
        this.pool.query<BatchAnswer>({ name, text, values: params }),
      () => this.observer?.deadlockRetried(),
    );
    return rows[0]!;
  }
}
