import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import calculateSlot from 'cluster-key-slot';
import type { CartLine, SkuStock, StockSeed, TakeKind } from '../inventory.ts';
import { GateBreaker, GateDown } from './breaker.ts';
import type { GateKeys } from './keys.ts';
import {
  decodeAnnouncement,
  decodeInFlight,
  decodeTake,
  integer,
  recordGateToken,
  type Announcement,
  type InFlightTake,
  type TakeOutcome,
  type TakeReply,
} from './replies.ts';

export { ReplyCode } from './replies.ts';
export type { AlertKind, Announcement, InFlightTake, StockState, TakeOutcome, TakeRecord, WireLevel } from './replies.ts';

/**
 * How long Redis remembers an idempotency key by default: a retry comes within seconds, and
 * PostgreSQL remembers every key for good, so a replay after this still gets its first answer (from
 * the ledger). Records are kept per period of half this, each period's hash expiring whole: a record
 * lives between one and two periods, and costs about 100 bytes (a fixed-length field and value).
 */
const DEFAULT_IDEMPOTENCY_RECORD_SECONDS = 15 * 60;

/** Characters of base64url digest in a record field and a fingerprint digest: 96 bits, no collision in practice. */
const DIGEST_LENGTH = 16;
/** Bytes of a key's digest that make its record field (DIGEST_LENGTH characters of base64url). */
const FIELD_BYTES = 12;

/**
 * The replay filter's size in bits (a 16 MiB string in Redis) and bits per key. With 4 bits a key it
 * wrongly says "maybe taken" for about 1 % of new keys once it holds 14 million keys, 0.1 % at 7
 * million; such a refusal then looks in the ledger, as every refusal did before the filter.
 */
const REPLAY_FILTER_BITS = 2 ** 27;
const REPLAY_FILTER_HASHES = 4;

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();
const digest = (text: string): string => sha256(text).toString('base64url').slice(0, DIGEST_LENGTH);

/** What one committed change does to a counter (lua/apply-2.lua). */
export interface CounterDelta {
  available: number;
  reserved: number;
  sold: number;
  withheld?: number;
}

/** A committed change for a counter of `epoch`, applied once per outbox row. */
export interface CounterChange {
  outboxId: string;
  skuId: string;
  epoch: number;
  delta: CounterDelta;
}

/** Adoptions a take may need before it runs: a second failover within one take is already rare. */
const MAX_ADOPT_ROUNDS = 3;

/** A connection to the gate's Redis: one server (alone or under Sentinel), or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/** One cart for the gate to take: what lua/take.lua needs of a request. */
export interface GateTake {
  kind: TakeKind;
  idempotencyKey: string;
  fingerprint: string;
  /** Unique per attempt. */
  gateId: string;
  lines: CartLine[];
}

/** What the gate keeps of an idempotency key: where its record sits, and its bits in the replay filter. */
export interface KeyTrace {
  field: string;
  /** Never bit 0, which says the filter is complete. */
  filterBits: number[];
}

/** A key's trace: a digest of kind and key, so every record is as small whatever the key's length. */
export function keyTrace(kind: TakeKind, idempotencyKey: string): KeyTrace {
  const bytes = sha256(`${kind}\n${idempotencyKey}`);
  const filterBits = Array.from(
    { length: REPLAY_FILTER_HASHES },
    (_, i) => 1 + (bytes.readUInt32BE(FIELD_BYTES + 4 * i) % (REPLAY_FILTER_BITS - 1)),
  );
  return { field: bytes.subarray(0, FIELD_BYTES).toString('base64url'), filterBits };
}

/**
 * How long Redis remembers that an outbox row was applied. Rows are delivered within seconds; one
 * still waiting after a week means Redis was away that long, and its counters are reloaded anyway.
 */
const APPLIED_MARKER_TTL_SECONDS = 7 * 24 * 60 * 60;

/** A counter's fields as lua/includes/counters.lua names them, in the order levels() reads them. */
const COUNTER_FIELDS = ['a', 'r', 's', 'u', 'e', 'n', 'f', 't', 'h', 'g'] as const;

/** Whether an announcement is a change to publish, or a reading for a new subscriber (lua/announce-3.lua). */
export type AnnounceMode = 'publish' | 'peek';

/** The Redis names of one SKU's live levels (src/live/publish.ts, LiveChannels). */
export interface LiveNames {
  /** The SKU's live state hash (it shares the counter's hash tag). */
  state: string;
  /** The SKU's levels channel. */
  levels: string;
  /** The alerts channel. */
  alerts: string;
}

/**
 * The Redis gate, and the one door to its scripts (lua/): every check-then-change is one Lua call,
 * built here (KEYS and ARGV in the order each script's header lists them) and decoded here
 * (src/gate/replies.ts), so no other module sees a script's wire format.
 */
export class Gate {
  readonly breaker = new GateBreaker();

  /** Milliseconds of one period of idempotency records (half their lifetime). */
  private readonly recordPeriodMs: number;

  constructor(
    readonly redis: RedisClient,
    readonly keys: GateKeys,
    /** How long Redis remembers an idempotency key (at most; at least half of it). */
    private readonly recordSeconds = DEFAULT_IDEMPOTENCY_RECORD_SECONDS,
  ) {
    assert.ok(Number.isInteger(recordSeconds) && recordSeconds >= 2, 'idempotency records live whole seconds, at least 2');
    this.recordPeriodMs = (recordSeconds * 1000) / 2;
    // Every key of the gate shares one slot in a Redis Cluster (src/app/redis.ts, gatePrefix).
    this.gateSlot = calculateSlot(keys.generation);
  }

  /** The Redis Cluster slot of the gate's keys. */
  private readonly gateSlot: number;

  /**
   * The connection became ready again (src/app/connect.ts tells): it may have reached another server
   * (a failover, a restart), so the next take or load adopts it first.
   */
  reconnected(): void {
    this.adoption = null;
  }

  /** This connection's adoption of the server it talks to (adopt()), since it last became ready. */
  private adoption: Promise<number> | null = null;
  /** In a Redis Cluster: the node that served the gate's slot when it was adopted. */
  private adoptedNode: string | null = null;

  /**
   * Resolves once the server this connection talks to is adopted (lua/adopt-3.lua): before anything is
   * taken or loaded there, so no counter of a history the ledger has moved past sells or is loaded into.
   * In a Redis Cluster the server is the master of the gate's slot: when another node serves it (its
   * master failed over), that one is adopted before the next take; the check and the take's routing
   * read the same slot table in one turn of the event loop.
   * This check saves a round trip; take.lua checks again where it runs (a command ioredis sends again
   * by itself after a failover, a cluster node restarted at the same address), answering ADOPT.
   */
  private adopted(): Promise<number> {
    const node = this.gateNode();
    if (node !== this.adoptedNode) this.adoption = null;
    this.adoptedNode = node;
    this.adoption ??= this.adopt().catch((err: unknown) => {
      this.adoption = null;
      throw err;
    });
    return this.adoption;
  }

  /** The node serving the gate's slot in a Redis Cluster (null for one server, or slots not known yet). */
  private gateNode(): string | null {
    if (!('slots' in this.redis)) return null;
    return this.redis.slots[this.gateSlot]?.[0] ?? null;
  }

  /** Adopts the server this connection talks to now; returns the generation in force there. */
  private async adopt(): Promise<number> {
    const reply = await this.call((r) => r.adopt(this.keys.origin, this.keys.generation, this.keys.replayFilter));
    return integer('adopt-3.lua', reply);
  }

  /** The records of the period `now` falls in, and of the one before. */
  private recordsAround(now: number): [string, string] {
    const period = Math.floor(now / this.recordPeriodMs);
    return [this.keys.idempotencyRecords(period), this.keys.idempotencyRecords(period - 1)];
  }

  /** Every Redis call a request waits on goes through the breaker; GateDown when Redis is away. */
  private call<T>(op: (redis: RedisClient) => Promise<T>): Promise<T> {
    return this.breaker.call(() => op(this.redis));
  }

  /**
   * One command per item in one pipeline (one write and one read, one breaker call, however many
   * items): a bulk change (10,000 SKUs) pays one round trip instead of 10,000. Throws the first error.
   */
  private async pipelined<T>(items: readonly T[], add: (pipeline: ChainableCommander, item: T) => void): Promise<unknown[]> {
    if (items.length === 0) return [];
    // A command's own error is thrown inside the breaker's call, as a single command's is: a lost
    // connection fails every command of the pipeline one by one, and must read as GateDown, not as a bug.
    return this.call(async (r) => {
      const pipeline = r.pipeline();
      for (const item of items) add(pipeline, item);
      const replies = await pipeline.exec();
      assert.ok(replies && replies.length === items.length, 'a pipeline answers every command');
      return replies.map(([err, reply]) => {
        if (err) throw err;
        return reply;
      });
    });
  }

  /** A lease on `key` for `token`, if nobody holds it. */
  async tryLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.tryLocks([key], token, ttlMs))[0]!;
  }

  /** A lease on each key for `token`, where nobody holds it: which ones it got. */
  async tryLocks(keys: readonly string[], token: string, ttlMs: number): Promise<boolean[]> {
    const replies = await this.pipelined(keys, (p, key) => p.set(key, token, 'PX', ttlMs, 'NX'));
    return replies.map((reply) => reply === 'OK');
  }

  async isLocked(key: string): Promise<boolean> {
    return (await this.areLocked([key]))[0]!;
  }

  async areLocked(keys: readonly string[]): Promise<boolean[]> {
    return (await this.pipelined(keys, (p, key) => p.exists(key))).map((reply) => reply === 1);
  }

  /** Releases a lock `token` still holds (lua/unlock-1.lua): 1 released, 0 it was not held by `token`. */
  async unlock(key: string, token: string): Promise<number> {
    return (await this.unlockAll([key], token))[0]!;
  }

  async unlockAll(keys: readonly string[], token: string): Promise<number[]> {
    return (await this.pipelined(keys, (p, key) => p.unlock(key, token))).map((reply) => integer('unlock-1.lua', reply));
  }

  /** Takes a whole cart at the gate, all lines or none (lua/take.lua). */
  async take(kind: TakeKind, idempotencyKey: string, fingerprint: string, gateId: string, lines: CartLine[]): Promise<TakeOutcome> {
    const [outcome] = await this.adoptingTakes([{ kind, idempotencyKey, fingerprint, gateId, lines }], async ([t]) => {
      const { keys, args } = this.takeCall(t!, Date.now());
      return [decodeTake(await this.call((r) => r.take(keys.length, ...keys, ...args)), t!.lines.length)];
    });
    return outcome!;
  }

  /**
   * Takes many carts at the gate in one pipeline (one write and one read for all of them): each cart
   * is its own take.lua call, all or none of its lines, run in the order given, so a key's second cart
   * in one batch meets the first's record (a replay, or a conflict).
   */
  async takeMany(takes: GateTake[]): Promise<TakeOutcome[]> {
    return this.adoptingTakes(takes, async (round) => {
      const now = Date.now();
      const replies = await this.pipelined(round, (p, t) => {
        const { keys, args } = this.takeCall(t, now);
        p.take(keys.length, ...keys, ...args);
      });
      return replies.map((reply, i) => decodeTake(reply, round[i]!.lines.length));
    });
  }

  /**
   * Sends takes where the gate's history is adopted: adopted() first, and the takes take.lua answers
   * ADOPT (the server is not the one adopted: a client resend after a failover reached it; nothing
   * moved) run again after adopting it, at most MAX_ADOPT_ROUNDS times in all.
   */
  private async adoptingTakes(takes: GateTake[], send: (round: GateTake[]) => Promise<TakeReply[]>): Promise<TakeOutcome[]> {
    const outcomes: TakeOutcome[] = new Array<TakeOutcome>(takes.length);
    let pending = takes.map((_, i) => i);
    for (let round = 1; pending.length > 0; round++) {
      if (round > MAX_ADOPT_ROUNDS) throw new GateDown(new Error('the Redis server could not be adopted'));
      await this.adopted();
      const replies = await send(pending.map((i) => takes[i]!));
      const again: number[] = [];
      replies.forEach((reply, j) => {
        if (reply.kind === 'adopt') again.push(pending[j]!);
        else outcomes[pending[j]!] = reply;
      });
      if (again.length > 0) this.adoption = null;
      pending = again;
    }
    return outcomes;
  }

  /** take.lua's KEYS and ARGV for one cart, as its header lists them. */
  private takeCall(t: GateTake, now: number): { keys: string[]; args: (string | number)[] } {
    const trace = keyTrace(t.kind, t.idempotencyKey);
    const keys = [
      ...this.recordsAround(now),
      this.keys.inflight,
      this.keys.inflightPayloads,
      this.keys.replayFilter,
      this.keys.generation,
      this.keys.origin,
      ...t.lines.map((l) => this.keys.counter(l.skuId)),
    ];
    const args = [
      t.kind,
      trace.field,
      digest(t.fingerprint),
      t.gateId,
      now,
      this.recordSeconds,
      trace.filterBits.join(','),
      ...t.lines.map((l) => l.quantity),
    ];
    return { keys, args };
  }

  /** The gate token of the attempt that took under an idempotency key, if Redis still remembers one. */
  async recordedGateToken(kind: TakeKind, idempotencyKey: string): Promise<string | null> {
    const { field } = keyTrace(kind, idempotencyKey);
    const [current, previous] = this.recordsAround(Date.now());
    const [inCurrent, inPrevious] = await this.call((r) => Promise.all([r.hget(current, field), r.hget(previous, field)]));
    const raw = inCurrent ?? inPrevious;
    return raw ? recordGateToken(raw) : null;
  }

  /**
   * Gives back what `gateId` took, if it is still in flight (lua/release.lua); NOT_IN_FLIGHT when it
   * was not. Called soon after the take, whose record is then in this period's records or the last's.
   */
  async release(gateId: string, skuIds: string[]): Promise<number> {
    const keys = [
      this.keys.inflight,
      this.keys.inflightPayloads,
      ...this.recordsAround(Date.now()),
      ...skuIds.map((id) => this.keys.counter(id)),
    ];
    return integer('release.lua', await this.call((r) => r.release(keys.length, ...keys, gateId)));
  }

  /** In-flight takes older than `before` (ms since epoch), oldest first, with what they took. */
  async staleTakes(before: number, limit: number): Promise<InFlightTake[]> {
    return this.call(async (r) => {
      const ids = await r.zrangebyscore(this.keys.inflight, '-inf', before, 'LIMIT', 0, limit);
      if (ids.length === 0) return [];
      const payloads = await r.hmget(this.keys.inflightPayloads, ...ids);
      return ids.flatMap((gateId, i) => {
        const raw = payloads[i];
        // An index entry without a payload was settled between the two reads.
        return raw ? [decodeInFlight(gateId, raw, (key) => this.keys.skuOf(key))] : [];
      });
    });
  }

  /** Whether the replay filter holds every key the ledger has (bit 0; gone with a flush). */
  async replayFilterComplete(): Promise<boolean> {
    return (await this.call((r) => r.getbit(this.keys.replayFilter, 0))) === 1;
  }

  /** Sets these keys' bits in the replay filter, in one round trip. */
  async addToReplayFilter(traces: KeyTrace[]): Promise<void> {
    if (traces.length === 0) return;
    const bits = traces.flatMap((t) => t.filterBits.flatMap((bit) => ['SET', 'u1', String(bit), '1']));
    await this.call((r) => r.bitfield(this.keys.replayFilter, ...(bits as ['SET', string, string, string])));
  }

  /** Says the replay filter holds every key the ledger has: refusals may trust it from now on. */
  async markReplayFilterComplete(): Promise<void> {
    await this.call((r) => r.setbit(this.keys.replayFilter, 0, 1));
  }

  /** Gives back a stale take found by reconciliation, with the keys its payload names (lua/release.lua). */
  async releaseStale(take: InFlightTake): Promise<number> {
    const keys = [this.keys.inflight, this.keys.inflightPayloads, take.recordKey, take.recordKey, ...take.counterKeys];
    return integer('release.lua', await this.call((r) => r.release(keys.length, ...keys, take.gateId)));
  }

  /** Marks gate ids as persisted in the ledger (lua/settle-2.lua); how many were still in flight. */
  async settle(gateIds: string[]): Promise<number> {
    return integer('settle-2.lua', await this.call((r) => r.settle(this.keys.inflight, this.keys.inflightPayloads, ...gateIds)));
  }

  /**
   * Loads a counter from the truth, only while `lockToken` still holds the SKU's load lock
   * (lua/seed-3.lua): 1 loaded, 0 a counter as new was there, LOCK_LOST the lock was lost.
   */
  async seed(c: StockSeed, lockToken: string): Promise<number> {
    return (await this.seedAll([c], lockToken))[0]!;
  }

  async seedAll(seeds: readonly StockSeed[], lockToken: string): Promise<number[]> {
    // Loaded under the generation this connection adopted, not one a failover has made stale.
    await this.adopted();
    const replies = await this.pipelined(seeds, (p, c) => {
      const withheld = c.withheld ?? 0;
      const args = [c.epoch, c.available - withheld, c.reserved, c.sold, c.unlimited ? 1 : 0, -c.backorderLimit, c.name ?? ''];
      p.seed(
        this.keys.counter(c.skuId),
        this.keys.loadLock(c.skuId),
        this.keys.generation,
        ...args,
        c.throttlePerSecond ?? 0,
        withheld,
        lockToken,
      );
    });
    return replies.map((reply) => integer('seed-3.lua', reply));
  }

  /**
   * Adds a committed change to the counter of `epoch`, once per outbox row (lua/apply-2.lua): 1 applied,
   * 0 applied before, OTHER_EPOCH no counter of that epoch.
   */
  async apply(outboxId: string, skuId: string, epoch: number, delta: CounterDelta): Promise<number> {
    return (await this.applyAll([{ outboxId, skuId, epoch, delta }]))[0]!;
  }

  async applyAll(changes: readonly CounterChange[]): Promise<number[]> {
    const replies = await this.pipelined(changes, (p, { outboxId, skuId, epoch, delta }) => {
      const withheld = delta.withheld ?? 0;
      p.apply(
        this.keys.counter(skuId),
        this.keys.applied(skuId, outboxId),
        epoch,
        delta.available - withheld,
        delta.reserved,
        delta.sold,
        APPLIED_MARKER_TTL_SECONDS,
        withheld,
      );
    });
    return replies.map((reply) => integer('apply-2.lua', reply));
  }

  /**
   * Counts one request of a caller against its rate limit (lua/rate-1.lua): 0 when admitted, else the
   * ms until one would be. Through the breaker like every gate call: GateDown while Redis is away.
   */
  async admitCaller(caller: string, limit: number, periodMs: number, now = Date.now()): Promise<number> {
    return integer('rate-1.lua', await this.call((r) => r.rate(this.keys.rate(caller), limit, periodMs, now)));
  }

  /** Drops a counter older than `epoch` so the next request loads the truth (lua/invalidate-1.lua): 1 dropped. */
  async invalidate(skuId: string, epoch: number): Promise<number> {
    return (await this.invalidateAll([{ skuId, epoch }]))[0]!;
  }

  async invalidateAll(drops: readonly { skuId: string; epoch: number }[]): Promise<number[]> {
    const replies = await this.pipelined(drops, (p, { skuId, epoch }) => p.invalidate(this.keys.counter(skuId), epoch));
    return replies.map((reply) => integer('invalidate-1.lua', reply));
  }

  /**
   * Reads, versions, alerts and publishes one SKU's level (lua/announce-3.lua); `threshold` is what
   * PostgreSQL holds at `epoch` or later, when the last call asked for it.
   * The script call is not through the breaker: announcements run after the commit, off every request's
   * path, and their failures are logged and skipped (src/live/publish.ts), so they must not open it for
   * requests. Only the adoption before it is, once per connection (adopted()).
   */
  async announce(
    skuId: string,
    names: LiveNames,
    mode: AnnounceMode,
    threshold: { epoch: number; lowStockThreshold: number | null } | null,
  ): Promise<Announcement> {
    await this.adopted();
    const known =
      threshold === null
        ? ['', '']
        : [String(threshold.epoch), threshold.lowStockThreshold === null ? '' : String(threshold.lowStockThreshold)];
    const reply = await this.redis.announce(
      this.keys.counter(skuId),
      names.state,
      this.keys.generation,
      mode,
      names.levels,
      names.alerts,
      skuId,
      ...known,
    );
    return decodeAnnouncement(reply);
  }

  /** Current counters; null where Redis has none. */
  async levels(skuIds: string[]): Promise<(SkuStock | null)[]> {
    if (skuIds.length === 0) return [];
    // Read where the gate's history is adopted: a server of another one shows its counters as missing.
    await this.adopted();
    // The generation first, in the same pipeline: a counter of another one is stale (lua/adopt-3.lua).
    const [generation, ...replies] = await this.pipelined([null, ...skuIds], (p, id) =>
      id === null ? p.get(this.keys.generation) : p.hmget(this.keys.counter(id), ...COUNTER_FIELDS),
    );
    return skuIds.map((skuId, i) => {
      const fields = replies[i];
      assert.equal((fields as unknown[]).length, COUNTER_FIELDS.length, 'HMGET answers every counter field asked');
      const [a, r, s, u, e, n, f, t, h, g] = fields as (string | null)[];
      if (e == null || (g ?? '0') !== ((generation as string | null) ?? '0')) return null;
      const withheld = Number(h ?? 0);
      return {
        skuId,
        name: n ? n : null,
        available: Number(a) + withheld,
        withheld,
        reserved: Number(r),
        sold: Number(s),
        unlimited: u === '1',
        backorderLimit: -Number(f) || 0,
        throttlePerSecond: t ? Number(t) : null,
        epoch: Number(e),
      };
    });
  }
}
