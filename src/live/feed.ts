import type { Logger } from 'pino';
import type { Sql } from '../db/client.ts';
import { unavailable } from '../errors.ts';
import { comparePositions, currentSnapshot, FEED_PAGE, readMovements, startOf, type FeedMovement, type Position } from '../ledger/feed.ts';
import { encodeCursor, isAhead, type FeedCursor } from './feed-cursor.ts';
import { warnAtMostEvery } from '../observe/log.ts';

/** Recent movements kept in memory: a subscriber whose cursor is older reads the ledger until it gets here. */
export const FEED_RING = 10_000;
/**
 * Movements waiting for one live subscriber to take them. graphql-ws and SSE take them as fast as the
 * socket drains; past this the subscriber is told to resume from its cursor (FEED_BEHIND), which it then
 * does from the ledger at its own pace, instead of the server holding its backlog in memory.
 */
export const MAX_QUEUED_MOVEMENTS = 10_000;
/**
 * How often the feed reads the ledger without being woken. Wake-ups come through Redis after each
 * commit; this catches the ones lost (Redis away) and the movements held back behind a transaction
 * that was still running when the wake-up came.
 */
export const FEED_POLL_MS = 100;
/** Above every transaction id: a read after it returns no movement, only the horizon. */
const MAX_POSITION_TX = 2n ** 63n - 1n;
/** Least time between two wake-ups one instance publishes: a commit burst wakes listeners once. */
const WAKE_SPACING_MS = 5;

/** One movement as a subscriber is sent it: the cursor to resume after it, and the movement. */
export interface StockMovementEvent {
  cursor: string;
  movement: FeedMovement;
}

/**
 * A cursor past every transaction the server has begun: no position of this ledger ever handed out (one
 * of another database, a ledger restored from an older backup, a forged one). Resuming from it would
 * wait, silently, for positions that may never come.
 */
export class CursorAhead extends Error {}

/** The last thing a subscriber that fell behind is sent: resume after this cursor (the last movement sent). */
export class FeedBehind {
  constructor(readonly cursor: string) {}
}

/** Queued in place of FeedBehind, whose cursor is only known once everything before it was sent. */
const BEHIND = Symbol('behind');
type Queued = StockMovementEvent | typeof BEHIND;

export interface FeedOptions {
  /** @default MAX_QUEUED_MOVEMENTS */
  maxQueued?: number;
  /** @default FEED_RING */
  ring?: number;
  /** Publishes a wake-up to every instance (Redis pub/sub); the feed is correct without it, only later. */
  wakeAll: () => Promise<unknown>;
}

/**
 * The change feed of one instance: it reads the ledger in feed order (src/ledger/feed.ts) after the
 * last position it read, keeps the latest FEED_RING movements, and hands each to the live subscribers
 * ahead of it. A subscriber with an older cursor reads the ledger page by page, at its own pace, until
 * its position reaches the kept movements; then it joins the live ones. The ledger is the only source:
 * Redis only says when to read, so a flush, a lost message or a restart delays movements but loses none.
 */
export class MovementFeed {
  /** Movements after `keptFrom`, up to `read`, in feed order. */
  private kept: FeedMovement[] = [];
  private keptFrom: Position = startOf(0n);
  /** Every final movement up to here has been read. */
  private read: Position = startOf(0n);
  /** Bumped when reading restarts: a page read before belongs to no one. */
  private generation = 0;
  private reading: Promise<void> | null = null;
  private readAgain = false;
  private poller: NodeJS.Timeout | null = null;
  private wakeTimer: NodeJS.Timeout | null = null;
  private lastWake = 0;
  /** A ledger the feed cannot read fails every poll: warned of once per REPEATED_FAILURE_LOG_MS. */
  private readonly warnFailed: (fields: object) => void;
  private readonly live = new Set<MovementStream>();
  private readonly maxQueued: number;
  private readonly ring: number;

  constructor(
    private readonly sql: Sql,
    log: Logger,
    private readonly options: FeedOptions,
  ) {
    this.warnFailed = warnAtMostEvery(log, 'the change feed could not read the ledger; it reads again shortly, and loses nothing');
    this.maxQueued = options.maxQueued ?? MAX_QUEUED_MOVEMENTS;
    this.ring = options.ring ?? FEED_RING;
  }

  /** A stream of the movements of `skuIds` (all when null) after `cursor`, or after now when null. */
  async subscribe(skuIds: string[] | null, cursor: FeedCursor | null, onEnd: () => void): Promise<MovementStream> {
    await this.start();
    const snapshot = await currentSnapshot(this.sql);
    if (cursor && cursor.position.tx >= snapshot.xmax) throw new CursorAhead();
    // A feed that starts now stands before the current horizon, skipping what the snapshot saw as ended.
    const from = cursor ?? { position: startOf(snapshot.xmin), skip: snapshot };
    return new MovementStream(this, skuIds ? new Set(skuIds) : null, from, this.maxQueued, onEnd);
  }

  /** Told after this instance committed movements: wakes every instance's feed, at most every WAKE_SPACING_MS. */
  committed(): void {
    if (this.wakeTimer) return;
    const wait = Math.max(0, this.lastWake + WAKE_SPACING_MS - Date.now());
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.lastWake = Date.now();
      this.options.wakeAll().catch(() => {});
    }, wait);
  }

  /** Another instance (or this one) committed movements: read them if anyone listens. */
  wake(): void {
    if (this.live.size > 0) void this.readNew();
  }

  /** Stops reading; the streams are ended by their owner (src/live/live.ts). */
  close(): void {
    if (this.poller) clearInterval(this.poller);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.poller = this.wakeTimer = null;
  }

  /** Reads a page for a stream that is behind the kept movements. */
  page(after: Position, skuIds: ReadonlySet<string> | null) {
    return readMovements(this.sql, after, skuIds ? [...skuIds] : null, FEED_PAGE);
  }

  /**
   * Joins a stream to the live ones if nothing lies between its position and the kept movements, and
   * gives it the kept ones it is still to be sent. False: it must read the ledger further first.
   */
  join(stream: MovementStream): boolean {
    if (comparePositions(stream.cursor.position, this.keptFrom) < 0) return false;
    for (const m of this.kept) stream.offer(m);
    this.live.add(stream);
    return true;
  }

  leave(stream: MovementStream): void {
    this.live.delete(stream);
  }

  /**
   * Reading starts with the first subscriber, and restarts with the first one after nobody listened:
   * from the horizon of that moment, so the feed never reads what nobody waits for. Reads under way
   * from before are dropped (generation).
   */
  private async start(): Promise<void> {
    if (!this.poller) {
      this.poller = setInterval(() => this.wake(), FEED_POLL_MS);
      this.poller.unref();
    }
    if (this.live.size > 0) return;
    const { horizon } = await readMovements(this.sql, startOf(MAX_POSITION_TX), null, 1);
    // Someone joined meanwhile: the reading is theirs now, and must not skip ahead under them.
    if (this.live.size > 0) return;
    this.generation++;
    this.kept = [];
    this.keptFrom = this.read = horizon;
  }

  /** One read at a time; a wake-up during a read reads once more after it. */
  private async readNew(): Promise<void> {
    if (this.reading) {
      this.readAgain = true;
      return this.reading;
    }
    this.reading = (async () => {
      do {
        this.readAgain = false;
        try {
          while (await this.readPage());
        } catch (err) {
          this.failed(err);
        }
      } while (this.readAgain);
    })().finally(() => (this.reading = null));
    return this.reading;
  }

  /** Reads the next page and hands it out; true when the page was full (there may be more). */
  private async readPage(): Promise<boolean> {
    const generation = this.generation;
    const { movements, horizon } = await readMovements(this.sql, this.read, null, FEED_PAGE);
    if (generation !== this.generation) return false;
    for (const m of movements) {
      this.kept.push(m);
      for (const stream of this.live) stream.offer(m);
    }
    const last = movements.at(-1);
    if (last) this.read = { tx: last.tx, id: last.id };
    const full = movements.length === FEED_PAGE;
    if (!full && comparePositions(horizon, this.read) > 0) this.read = horizon;
    const over = this.kept.length - this.ring;
    if (over > 0) {
      const dropped = this.kept.splice(0, over).at(-1)!;
      this.keptFrom = { tx: dropped.tx, id: dropped.id };
    }
    return full;
  }

  /** Logs a failed read, at most once per REPEATED_FAILURE_LOG_MS. */
  failed(err: unknown): void {
    this.warnFailed({ err });
  }
}

/**
 * One subscriber's movements, pulled by its transport. Behind the feed's kept movements it reads the
 * ledger a page per pull; joined, it queues what the feed hands it, and past its limit it ends with
 * FeedBehind (the cursor of the last movement it was sent). Not an async generator, so that return()
 * ends it at once (see src/live/stream.ts).
 */
export class MovementStream implements AsyncIterableIterator<StockMovementEvent | FeedBehind> {
  private readonly queue: Queued[] = [];
  private pull: ((result: IteratorResult<StockMovementEvent | FeedBehind>) => void) | null = null;
  private joined = false;
  private finished = false;
  private behind = false;
  /** What was last sent: the cursor FeedBehind names. */
  private sent: FeedCursor;

  constructor(
    private readonly feed: MovementFeed,
    private readonly skuIds: ReadonlySet<string> | null,
    /** Where the stream stands: the last movement queued (or where it started). */
    public cursor: FeedCursor,
    private readonly maxQueued: number,
    private readonly onEnd: () => void,
  ) {
    this.sent = cursor;
  }

  get ended(): boolean {
    return this.finished;
  }

  /** A movement in feed order: queued if it is of this stream's SKUs and ahead of its cursor. */
  offer(m: FeedMovement): void {
    if (this.finished || this.behind) return;
    const position = { tx: m.tx, id: m.id };
    if (comparePositions(position, this.cursor.position) <= 0) return;
    // Skipped (committed before the stream started) or of other SKUs, it still moves the stream on:
    // a page of nothing but such movements must not be read again.
    const ahead = isAhead(this.cursor, position);
    this.cursor = { position, skip: this.cursor.skip };
    if (!ahead || (this.skuIds && !this.skuIds.has(m.skuId))) return;
    // Reading the ledger, the stream takes a page per pull: only a joined one can be handed too much.
    if (this.joined && this.queue.length >= this.maxQueued) {
      this.behind = true;
      this.feed.leave(this);
      this.deliver(BEHIND);
      return;
    }
    this.deliver({ cursor: encodeCursor(this.cursor), movement: m });
  }

  async next(): Promise<IteratorResult<StockMovementEvent | FeedBehind>> {
    while (this.queue.length === 0 && !this.finished && !this.joined && !this.behind) {
      try {
        await this.readLedger();
      } catch (err) {
        // The subscriber resumes after the last cursor it was sent, here or on another instance.
        this.end();
        this.feed.failed(err);
        throw unavailable('the ledger cannot be read', 'subscription');
      }
    }
    const value = this.queue.shift();
    if (value !== undefined) return this.handOver(value);
    if (this.finished || this.behind) {
      this.end();
      return { value: undefined, done: true };
    }
    return new Promise((resolve) => (this.pull = resolve));
  }

  return(): Promise<IteratorResult<StockMovementEvent | FeedBehind>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(err?: unknown): Promise<IteratorResult<StockMovementEvent | FeedBehind>> {
    this.end();
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }

  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.feed.leave(this);
    this.queue.length = 0;
    this.pull?.({ value: undefined, done: true });
    this.pull = null;
    this.onEnd();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** One page of the ledger after the cursor; then, if it reached the kept movements, joins the feed. */
  private async readLedger(): Promise<void> {
    if (this.feed.join(this)) {
      this.joined = true;
      return;
    }
    const { movements, horizon } = await this.feed.page(this.cursor.position, this.skuIds);
    for (const m of movements) this.offer(m);
    if (movements.length < FEED_PAGE && comparePositions(horizon, this.cursor.position) > 0) {
      this.cursor = { position: horizon, skip: this.cursor.skip };
    }
  }

  private deliver(value: Queued): void {
    const pull = this.pull;
    if (pull) {
      this.pull = null;
      pull(this.handOver(value));
    } else {
      this.queue.push(value);
    }
  }

  /** Hands a value to the consumer, noting the cursor it now stands at. */
  private handOver(value: Queued): IteratorResult<StockMovementEvent | FeedBehind> {
    if (value === BEHIND) return { value: new FeedBehind(encodeCursor(this.sent)), done: false };
    this.sent = { position: { tx: value.movement.tx, id: value.movement.id }, skip: this.cursor.skip };
    return { value, done: false };
  }
}
