import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import calculateSlot from 'cluster-key-slot';
import { DEFAULT_LOCATION, type CartLine, type SkuStock, type StockSeed, type TakeKind } from '../inventory.ts';
import { ShardAdoption } from './adoption.ts';
import { bucketSeeds, lastTryPlan, spillPlan, startBucket, type BucketSeed, type GateLine, type LocationShare } from './buckets.ts';
import { GateBreaker, GateDown } from './breaker.ts';
import { cartParts, cartRecord, cartRefusal, type CartPart } from './cart-parts.ts';
import { base64urlOf, sha256Base64url, sha256Bytes, uint32At } from './digest.ts';
import type { GateKeys, ShardKeys } from './keys.ts';
import {
  decodeAnnouncement,
  decodeInFlight,
  decodeTakes,
  integer,
  recordGateToken,
  type Announcement,
  type InFlightTake,
  type ShortLine,
  type TakeOutcome,
  ReplyCode,
  type TakeRecord,
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
 * The replay filters' size in bits (32 MiB in Redis, split evenly over the shards, each key in its home
 * shard's) and bits per key. With 2 bits a key they wrongly say "maybe taken" for about 1 % of new keys
 * once they hold 14 million keys, 0.26 % at 7 million; such a refusal then looks in the ledger, as every
 * refusal did before the filter. Two bits in twice the size rather than four in 16 MiB (1 % at 14
 * million, 0.1 % at 7 million): each bit is a `SETBIT` in every take, and two fewer cost Redis 9 % less
 * a hot cart (`npm run bench:gate`, the filter at its full size: 139,026 -> 125,738 instructions; 3-line
 * carts 328,486 -> 316,568).
 * The layout is in the filter's key name (src/gate/keys.ts): a filter of another layout is never read.
 */
export const REPLAY_FILTER_BITS = 2 ** 28;
const REPLAY_FILTER_HASHES = 2;

/** What one committed change does to a counter (lua/apply-2.lua). */
export interface CounterDelta {
  available: number;
  reserved: number;
  sold: number;
  withheld?: number;
  /** Where the units moved; `default` when left out. */
  locationId?: string;
}

/** A committed change for a counter of `epoch`, applied once per outbox row. */
export interface CounterChange {
  outboxId: string;
  skuId: string;
  epoch: number;
  delta: CounterDelta;
}

/**
 * Keys per call of a script over many keys (lua/lock.lua, lua/unlock.lua): each key costs Redis about a
 * microsecond there, so a call holds it a millisecond at most; and a bound on a script's arguments.
 */
const KEYS_PER_CALL = 1_000;
/** Counters per seed.lua call: each costs Redis a few microseconds there, so a call holds it a few milliseconds at most. */
const COUNTERS_PER_SEED_CALL = 500;
/**
 * Calls of announce-3.lua one announcement may make when the bucket count it knew is not the counter's:
 * one with the count it learned, one with the count the script said.
 */
const MAX_ANNOUNCE_CALLS = 2;
/** seed.lua's threshold argument of a counter whose loader did not read the SKU's low-stock threshold. */
const THRESHOLD_NOT_READ = '?';
/** A low-stock threshold as seed.lua and announce-3.lua take it: "" for none. */
const thresholdArgument = (threshold: number | null | undefined): string =>
  threshold === undefined ? THRESHOLD_NOT_READ : threshold === null ? '' : String(threshold);
/** Adoptions a take may need before it runs: a second failover within one take is already rare. */
const MAX_ADOPT_ROUNDS = 3;
/**
 * Cart parts per take.lua call. One call per batch saves each cart a command's cost in the client and
 * in Redis (about a third of a one-cart call's Redis CPU); Redis runs nothing else while a script runs,
 * and 100 parts of one line take about 2 ms there, so a batch of 1,000 carts is ten calls in one pipeline.
 */
const MAX_PARTS_PER_TAKE_CALL = 100;

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

/** A cart the gate took, as settling or giving it back finds its in-flight entries: in its key's home shard and its SKUs'. */
export interface TakenCart {
  gateId: string;
  kind: TakeKind;
  idempotencyKey: string;
  skuIds: string[];
}

/** What the gate keeps of an idempotency key: where its record sits, and its bits in the replay filter. */
export interface KeyTrace {
  field: string;
  /** Never bit 0, which says the filter is complete. */
  filterBits: number[];
  /** The key's home shard: its record and its filter bits live there (src/gate/keys.ts). */
  shard: number;
}

/**
 * Where in a key's digest its home shard's word starts: after the field and the filter bits' words, where
 * it was when a key had four filter bits, so a key's home shard (its records, its in-flight entries) is
 * the same on instances of either layout.
 */
const HOME_SHARD_BYTE = 28;
assert(HOME_SHARD_BYTE >= FIELD_BYTES + 4 * REPLAY_FILTER_HASHES, "a key's home shard is read after its filter bits");
// A trace reads the field, the filter bits' words and the home shard's word from one 32-byte digest
// (base64urlOf checks the field's length is whole 3-byte groups).
assert(HOME_SHARD_BYTE + 4 <= 32, "a key's trace must fit in its SHA-256 digest");

/** Bits of each shard's replay filter: a key's bits are 1 to this less 1 (bit 0 says the filter is complete). */
const replayFilterBitsPerShard = (shardCount: number): number => Math.floor(REPLAY_FILTER_BITS / shardCount);

/**
 * A key's trace over `shardCount` shards: a digest of kind and key, so every record is as small
 * whatever the key's length.
 */
export function keyTrace(kind: TakeKind, idempotencyKey: string, shardCount = 1): KeyTrace {
  const bytes = sha256Bytes(`${kind}\n${idempotencyKey}`);
  const bitsPerShard = replayFilterBitsPerShard(shardCount);
  const filterBits = new Array<number>(REPLAY_FILTER_HASHES);
  for (let i = 0; i < REPLAY_FILTER_HASHES; i++) filterBits[i] = 1 + (uint32At(bytes, FIELD_BYTES + 4 * i) % (bitsPerShard - 1));
  const shard = uint32At(bytes, HOME_SHARD_BYTE) % shardCount;
  return { field: base64urlOf(bytes, FIELD_BYTES), filterBits, shard };
}

/**
 * `items` in groups (`group`), each group's items to `run` (all groups at once), the answers back in the
 * items' order: per shard or slot one pipeline, however the items interleave.
 */
async function inGroups<T, G, R>(items: readonly T[], group: (item: T) => G, run: (members: T[], group: G) => Promise<R[]>): Promise<R[]> {
  const answers = new Array<R>(items.length);
  await Promise.all(
    [...groupIndexes(items, group)].map(async ([key, indexes]) => {
      const got = await run(
        indexes.map((i) => items[i]!),
        key,
      );
      indexes.forEach((i, j) => (answers[i] = got[j]!));
    }),
  );
  return answers;
}

/** `items` in consecutive chunks of at most `size`, in order. */
function chunksOf<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let first = 0; first < items.length; first += size) chunks.push(items.slice(first, first + size));
  return chunks;
}

/** Indexes of `items` grouped by `group`, in order within each group. */
function groupIndexes<T, G>(items: readonly T[], group: (item: T) => G): Map<G, number[]> {
  const groups = new Map<G, number[]>();
  items.forEach((item, i) => {
    const g = group(item);
    const indexes = groups.get(g);
    if (indexes) indexes.push(i);
    else groups.set(g, [i]);
  });
  return groups;
}

/** One part of a cart on its way to its shard: the cart, its key's trace, its gate lines and the part. */
interface PartStep {
  t: GateTake;
  trace: KeyTrace;
  lines: readonly GateLine[];
  part: CartPart;
}

/** How a cart is taken: its gate lines (a line of a SKU in buckets may be several), and which cart lines are of such SKUs. */
interface CartPlan {
  lines: GateLine[];
  bucketed: boolean[];
}

/**
 * Plans a cart may go through: its first, then spilled over every bucket of its short lines; a third
 * covers buckets that changed between the read and the take (another buyer took what the plan counted).
 * A last try (Gate.spill) is the cart's last plan, whichever round it comes in.
 */
const MAX_SPILL_ROUNDS = 3;
/**
 * Times a cart over several shards refused short is tried again, after CONTENDED_RETRY_MS, twice that,
 * …: units in flight between another cart's parts are back within a round trip or two, and a real
 * shortage costs its refusal only these few milliseconds.
 */
const MAX_CONTENDED_RETRIES = 3;
const CONTENDED_RETRY_MS = 2;

/**
 * Indexes of carts in rounds with each idempotency key at most once per round, a key's carts in the order
 * given: a key's later cart goes after the earlier one, so it meets its record (a replay, or a conflict).
 */
export function roundsByKey(takes: readonly { kind: TakeKind; idempotencyKey: string }[]): number[][] {
  const rounds: number[][] = [];
  const seen = new Map<string, number>();
  takes.forEach((t, i) => {
    const key = `${t.kind}\n${t.idempotencyKey}`;
    const round = seen.get(key) ?? 0;
    seen.set(key, round + 1);
    (rounds[round] ??= []).push(i);
  });
  return rounds;
}

/**
 * How long Redis remembers that an outbox row was applied. Rows are delivered within seconds; one
 * still waiting after a week means Redis was away that long, and its counters are reloaded anyway.
 */
const APPLIED_MARKER_TTL_SECONDS = 7 * 24 * 60 * 60;

/** A counter's fields as lua/includes/counters.lua names them, in the order levels() reads them. */
const COUNTER_FIELDS = ['a', 'r', 's', 'u', 'e', 'n', 'f', 't', 'h', 'g', 'nb', 'ts'] as const;

/** Whether an announcement is a change to publish, or a reading for a new subscriber (lua/announce-3.lua). */
export type AnnounceMode = 'publish' | 'peek';

/** The Redis names of one SKU's live levels (src/live/publish.ts, LiveChannels). */
export interface LiveNames {
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
  /** Each shard's adoption of the server serving it, in shard order. */
  private readonly adoptions: readonly ShardAdoption[];
  /** Bucket counts of SKUs in buckets (over 1), as their first counters last said (allBuckets, seedAll). */
  private readonly bucketCounts = new Map<string, number>();
  /** announce-3.lua calls made in this tick, sent together at its end (announceSoon). */
  private announcing: PendingAnnouncement[] = [];

  constructor(
    readonly redis: RedisClient,
    readonly keys: GateKeys,
    /** How long Redis remembers an idempotency key (at most; at least half of it). */
    private readonly recordSeconds = DEFAULT_IDEMPOTENCY_RECORD_SECONDS,
  ) {
    assert.ok(Number.isInteger(recordSeconds) && recordSeconds >= 2, 'idempotency records live whole seconds, at least 2');
    this.recordPeriodMs = (recordSeconds * 1000) / 2;
    this.adoptions = keys.shards.map((shard) => new ShardAdoption(redis, shard, (s) => this.adopt(s)));
  }

  /**
   * The connection became ready again (src/app/connect.ts tells): it may have reached another server
   * (a failover, a restart), so the next take or load adopts it first, in every shard.
   */
  reconnected(): void {
    for (const adoption of this.adoptions) adoption.forget();
  }

  /** Adopts the server serving `shard` now (lua/adopt-3.lua); returns the generation in force there. */
  private async adopt(shard: ShardKeys): Promise<number> {
    const reply = await this.call((r) => r.adopt(shard.origin, shard.generation, shard.replayFilter));
    return integer('adopt-3.lua', reply);
  }

  /** The adoption of a shard's server (src/gate/adoption.ts). */
  private adopted(shard: ShardKeys): Promise<number> {
    return this.adoptions[shard.index]!.adopted();
  }

  /** A key's trace in this gate: its record field, filter bits and home shard. */
  trace(kind: TakeKind, idempotencyKey: string): KeyTrace {
    return keyTrace(kind, idempotencyKey, this.keys.shards.length);
  }

  /** A shard's records of the period `now` falls in, and of the one before. */
  private recordsAround(shard: ShardKeys, now: number): [string, string] {
    const period = Math.floor(now / this.recordPeriodMs);
    return [shard.idempotencyRecords(period), shard.idempotencyRecords(period - 1)];
  }

  /** Every Redis call a request waits on goes through the breaker; GateDown when Redis is away. */
  private call<T>(op: (redis: RedisClient) => Promise<T>): Promise<T> {
    return this.breaker.call(() => op(this.redis));
  }

  /**
   * One command per item in one pipeline (one write and one read, one breaker call, however many
   * items): a bulk change (10,000 SKUs) pays one round trip instead of 10,000. Throws the first error.
   * All items' keys must be in one slot in a Redis Cluster (pipelined() groups them).
   */
  private async onePipeline<T>(
    items: readonly T[],
    add: (pipeline: ChainableCommander, item: T) => void,
    /** Through the breaker (this.call), unless the caller's failures must not open it (announce). */
    through: <R>(op: (redis: RedisClient) => Promise<R>) => Promise<R> = (op) => this.call(op),
  ): Promise<unknown[]> {
    if (items.length === 0) return [];
    // A command's own error is thrown inside the breaker's call, as a single command's is: a lost
    // connection fails every command of the pipeline one by one, and must read as GateDown, not as a bug.
    return through(async (r) => {
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

  /**
   * onePipeline() per slot of the items' keys (`keyOf`) in a Redis Cluster, whose pipelines cannot
   * span slots (the gate's shards are a few slots: one pipeline each, all at once); one pipeline on one
   * server. Replies in the items' order.
   */
  private async pipelined<T>(
    items: readonly T[],
    keyOf: (item: T) => string,
    add: (pipeline: ChainableCommander, item: T) => void,
  ): Promise<unknown[]> {
    if (!('slots' in this.redis)) return this.onePipeline(items, add);
    return inGroups(
      items,
      (item) => calculateSlot(keyOf(item)),
      (members) => this.onePipeline(members, add),
    );
  }

  /**
   * One command per chunk of at most KEYS_PER_CALL keys (a script over many keys, answering one reply
   * per key), every chunk's keys in one slot in a Redis Cluster: per slot one pipeline, every slot at
   * once. Replies per key, in the keys' order.
   */
  private async inChunks(keys: readonly string[], add: (pipeline: ChainableCommander, chunk: string[]) => void): Promise<unknown[]> {
    const run = (members: string[]) => this.perCall(members, KEYS_PER_CALL, add);
    if (!('slots' in this.redis)) return run([...keys]);
    return inGroups(keys, (key) => calculateSlot(key), run);
  }

  /**
   * One script call per chunk of at most `size` items (all of one slot in a Redis Cluster), in one
   * pipeline; each call answers one reply per item. Replies per item, in the items' order.
   */
  private async perCall<T>(items: readonly T[], size: number, add: (pipeline: ChainableCommander, chunk: T[]) => void): Promise<unknown[]> {
    const chunks = chunksOf(items, size);
    const replies = await this.onePipeline(chunks, add);
    return replies.flatMap((reply, i) => {
      assert.ok(Array.isArray(reply) && reply.length === chunks[i]!.length, 'a script over many items answers once per item');
      return reply as unknown[];
    });
  }

  /** A lease on `key` for `token`, if nobody holds it. */
  async tryLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.tryLocks([key], token, ttlMs))[0]!;
  }

  /** A lease on each key for `token`, where nobody holds it (lua/lock.lua): which ones it got. */
  async tryLocks(keys: readonly string[], token: string, ttlMs: number): Promise<boolean[]> {
    const replies = await this.inChunks(keys, (p, chunk) => p.lock(chunk.length, ...chunk, token, ttlMs));
    return replies.map((reply) => reply === 1);
  }

  /** Who holds the lock `key` (its holder's token), if anyone. */
  async lockHolder(key: string): Promise<string | null> {
    return this.call((r) => r.get(key));
  }

  async isLocked(key: string): Promise<boolean> {
    return (await this.areLocked([key]))[0]!;
  }

  async areLocked(keys: readonly string[]): Promise<boolean[]> {
    return (await this.pipelined(keys, String, (p, key) => p.exists(key))).map((reply) => reply === 1);
  }

  /** Releases a lock `token` still holds (lua/unlock.lua): 1 released, 0 it was not held by `token`. */
  async unlock(key: string, token: string): Promise<number> {
    return (await this.unlockAll([key], token))[0]!;
  }

  async unlockAll(keys: readonly string[], token: string): Promise<number[]> {
    return (await this.inChunks(keys, (p, chunk) => p.unlock(chunk.length, ...chunk, token))).map((reply) => integer('unlock.lua', reply));
  }

  /** Takes a whole cart at the gate, all lines or none (lua/take.lua, once per shard the cart spans). */
  async take(kind: TakeKind, idempotencyKey: string, fingerprint: string, gateId: string, lines: CartLine[]): Promise<TakeOutcome> {
    return (await this.takeMany([{ kind, idempotencyKey, fingerprint, gateId, lines }]))[0]!;
  }

  /**
   * Takes many carts at the gate, each all of its lines or none, in one pipeline per shard (one write and
   * one read for all of them; a cart over several shards needs one more per shard). A key's second cart
   * in one batch runs after the first, so it meets the first's record (a replay, or a conflict).
   */
  async takeMany(takes: GateTake[]): Promise<TakeOutcome[]> {
    const outcomes = new Array<TakeOutcome>(takes.length);
    for (const round of roundsByKey(takes)) {
      const got = await this.takeCarts(round.map((i) => takes[i]!));
      round.forEach((i, j) => (outcomes[i] = got[j]!));
    }
    return outcomes;
  }

  /**
   * Carts of distinct keys (takeMany): each planned over its SKUs' buckets (src/gate/buckets.ts), taken
   * part by part (takePlanned), and planned again over every bucket when a line in buckets was short
   * in its first one (spill), at most MAX_SPILL_ROUNDS times.
   */
  private async takeCarts(takes: readonly GateTake[]): Promise<TakeOutcome[]> {
    const outcomes = new Array<TakeOutcome>(takes.length);
    let pending = takes.map((t, i) => ({ i, t, plan: this.firstPlan(t), rounds: 1, contended: 0 }));
    while (pending.length > 0) {
      const got = await this.takePlanned(pending);
      // Most carts are answered at once; only a shortage may be planned or tried again.
      const short: { cart: (typeof pending)[number]; outcome: Extract<TakeOutcome, { kind: 'short' }> }[] = [];
      pending.forEach((cart, j) => {
        const outcome = got[j]!;
        if (outcome.kind === 'short') short.push({ cart, outcome });
        else outcomes[cart.i] = outcome;
      });
      const next = await Promise.all(
        short.map(async ({ cart, outcome }) => {
          const spilled = cart.rounds < MAX_SPILL_ROUNDS ? await this.spill(cart.t, cart.plan, outcome) : { outcome };
          if ('plan' in spilled) return { ...cart, plan: spilled.plan, rounds: spilled.last ? MAX_SPILL_ROUNDS : cart.rounds + 1 };
          if (spilled.outcome.kind === 'short' && cart.contended < MAX_CONTENDED_RETRIES && this.spansShards(cart.plan)) {
            // Units other carts hold for a moment (taken in one shard, given back when another refuses
            // them) may be what this one lacked: a shortage is final only once it outlasts them.
            // Jittered, so carts that refused each other do not meet again in step.
            await sleep(CONTENDED_RETRY_MS * (cart.contended + 1) * (0.5 + Math.random()));
            return { ...cart, contended: cart.contended + 1 };
          }
          outcomes[cart.i] = spilled.outcome;
          return null;
        }),
      );
      pending = next.filter((cart) => cart !== null);
    }
    return outcomes;
  }

  /** Whether a plan's lines are in more than one shard (each line then waits on parts taken before it). */
  private spansShards(plan: CartPlan): boolean {
    return new Set(plan.lines.map((l) => this.keys.bucketShard(l.skuId, l.bucket))).size > 1;
  }

  /** A cart's first plan: each line from one bucket, its SKU's start bucket for this key (one for a SKU without buckets). */
  private firstPlan(t: GateTake): CartPlan {
    const counts = t.lines.map((l) => this.bucketCounts.get(l.skuId) ?? 1);
    return {
      lines: t.lines.map((l, line) => ({
        line,
        skuId: l.skuId,
        bucket: startBucket(t.idempotencyKey, l.skuId, counts[line]!),
        quantity: l.quantity,
      })),
      bucketed: counts.map((n) => n > 1),
    };
  }

  /**
   * A shortage met by a plan: the short lines of SKUs in buckets are read over every bucket, and each
   * planned over as many buckets as it needs (spillPlan). The cart goes again with that plan when every
   * short line can be served so; otherwise the refusal is final, naming only the lines truly short: a
   * line without buckets as its shard answered, a line in buckets with what all its buckets hold. A cart
   * of several lines goes once more instead (`last`, lastTryPlan), so that its refusal judges all its
   * lines at one moment: the reading is later than the call that judged its other lines, and a cart
   * taking from both in between would make a refusal that no order of the carts explains.
   */
  private async spill(
    t: GateTake,
    plan: CartPlan,
    short: Extract<TakeOutcome, { kind: 'short' }>,
  ): Promise<{ plan: CartPlan; last: boolean } | { outcome: TakeOutcome }> {
    // A SKU split into buckets since this instance last read it says so in its shortage (take.lua). A
    // line pinned to a location other than `default` is short in every bucket: they all hold `default`.
    const pinnedElsewhere = (l: ShortLine) => (t.lines[l.index]!.locationId ?? DEFAULT_LOCATION) !== DEFAULT_LOCATION;
    const inBuckets = (l: ShortLine) => (plan.bucketed[l.index] || l.buckets > 1) && !pinnedElsewhere(l);
    const final = short.lines.filter((l) => !inBuckets(l));
    const indexes = short.lines.filter(inBuckets).map((l) => l.index);
    if (indexes.length === 0) return { outcome: short };
    const buckets = await this.bucketCounters(indexes.map((i) => t.lines[i]!.skuId));
    if (buckets.some((b) => b === null)) return { outcome: { kind: 'missing', indexes } };
    const spilled = new Map<number, GateLine[]>();
    const lastTries = new Map<number, GateLine[]>();
    indexes.forEach((index, j) => {
      const { skuId, quantity } = t.lines[index]!;
      const each = buckets[j]!;
      const above = each.map((c) => c.aboveFloor);
      const steps = spillPlan(quantity, startBucket(t.idempotencyKey, skuId, each.length), above);
      const asGateLines = (planned: { bucket: number; quantity: number }[]) => planned.map((step) => ({ line: index, skuId, ...step }));
      if (steps) spilled.set(index, asGateLines(steps));
      else {
        lastTries.set(index, asGateLines(lastTryPlan(quantity, above)));
        final.push({
          index,
          available: above.reduce((a, b) => a + b, 0),
          withheld: each.reduce((a, c) => a + c.withheld, 0),
          buckets: each.length,
        });
      }
    });
    // Withheld units make the caller take them back and try again (through-gate.ts), not refuse; the
    // last try's refusal could miss them (the first bucket, which holds them, may not be short then).
    const last = lastTries.size > 0 && t.lines.length > 1 && final.every((l) => l.withheld === 0);
    if (final.length > 0 && !last) return { outcome: { ...short, lines: final.sort((a, b) => a.index - b.index) } };
    const replanned = new Map([...spilled, ...(last ? lastTries : [])]);
    const lines = [...plan.lines.filter((l) => !replanned.has(l.line)), ...[...replanned.values()].flat()];
    return { plan: { lines, bucketed: plan.bucketed.map((bucketed, line) => bucketed || replanned.has(line)) }, last };
  }

  /**
   * Carts of distinct keys, part by part (src/gate/cart-parts.ts): each step sends every unfinished
   * cart's next part, all shards at once. A part refused ends its cart with that refusal, and the parts
   * it took before are given back (release.lua), so the cart is all or nothing as clients see it.
   */
  private async takePlanned(carts: readonly { t: GateTake; plan: CartPlan }[]): Promise<TakeOutcome[]> {
    const states = carts.map(({ t, plan }) => {
      const trace = this.trace(t.kind, t.idempotencyKey);
      const parts = cartParts(this.keys, this.keys.shards[trace.shard]!, plan.lines);
      return { t, plan, trace, parts, taken: [] as { part: CartPart; record: TakeRecord }[], outcome: null as TakeOutcome | null };
    });
    for (;;) {
      const open = states.filter((c) => c.outcome === null);
      if (open.length === 0) return states.map((c) => c.outcome!);
      const steps = open.map((c) => ({ t: c.t, trace: c.trace, lines: c.plan.lines, part: c.parts[c.taken.length]! }));
      const replies = await this.takeParts(steps);
      const giveBack: { gateId: string; part: CartPart; lines: readonly GateLine[] }[] = [];
      open.forEach((cart, i) => {
        const reply = replies[i]!;
        const part = steps[i]!.part;
        if (reply.kind === 'taken') cart.taken.push({ part, record: reply.record });
        else
          cart.outcome = cartRefusal(
            part,
            reply,
            cart.plan.lines,
            cart.taken.some((t) => t.part.home && t.record.fresh),
          );
        if (cart.taken.length < cart.parts.length && cart.outcome === null) return;
        const record = cart.outcome === null ? cartRecord(cart.t.lines.length, cart.plan.lines, cart.plan.bucketed, cart.taken) : null;
        // A line whose buckets answered different epochs was taken across a reload: load, then again.
        cart.outcome ??= record ? { kind: 'taken', record } : { kind: 'missing', indexes: cart.t.lines.map((_, line) => line) };
        if (record) return;
        for (const { part: earlier } of cart.taken) giveBack.push({ gateId: cart.t.gateId, part: earlier, lines: cart.plan.lines });
      });
      await this.releaseParts(giveBack);
      await Promise.all(
        open.map(async (cart) => {
          const later = cart.parts.slice(cart.taken.length + 1);
          if (cart.outcome !== null && later.length > 0)
            cart.outcome = await this.withLaterParts(cart.t, cart.plan.lines, later, cart.outcome);
        }),
      );
    }
  }

  /**
   * A refusal met in one part of a cart, completed with what its later parts would meet now (read, not
   * taken: they were never sent), so it names every line as one shard's refusal would: the counters
   * missing there (an unknown SKU is named with the others), and for a shortage, their short lines. A
   * later counter that is missing makes a shortage MISSING: loaded, the cart is tried again and answered whole.
   */
  private async withLaterParts(
    t: GateTake,
    gateLines: readonly GateLine[],
    later: readonly CartPart[],
    refusal: TakeOutcome,
  ): Promise<TakeOutcome> {
    if (refusal.kind !== 'short' && refusal.kind !== 'missing') return refusal;
    const lineIndexes = [...new Set(later.flatMap((part) => part.indexes.map((i) => gateLines[i]!.line)))].filter(
      (line) => !(refusal.kind === 'missing' ? refusal.indexes : refusal.lines.map((l) => l.index)).includes(line),
    );
    const levels = await this.levels(lineIndexes.map((i) => t.lines[i]!.skuId));
    const missing = lineIndexes.filter((_, j) => levels[j] === null);
    if (refusal.kind === 'missing') return { kind: 'missing', indexes: [...refusal.indexes, ...missing] };
    if (missing.length > 0) return { kind: 'missing', indexes: missing };
    const lines = [...refusal.lines];
    lineIndexes.forEach((index, j) => {
      const level = levels[j]!;
      if (level.unlimited) return;
      const aboveFloor = level.available - level.withheld + level.backorderLimit;
      if (aboveFloor < t.lines[index]!.quantity)
        lines.push({ index, available: aboveFloor, withheld: level.withheld, buckets: level.buckets });
    });
    return { ...refusal, lines: lines.sort((a, b) => a.index - b.index) };
  }

  /** One part per item, sent to its shard: per shard one pipeline, every shard at once. */
  private takeParts(steps: readonly PartStep[]): Promise<TakeOutcome[]> {
    return inGroups(
      steps,
      (step) => step.part.shard,
      (members) => this.adoptingTakes(members),
    );
  }

  /**
   * Sends parts of one shard where its history is adopted: adopted() first, in take.lua calls of at
   * most MAX_PARTS_PER_TAKE_CALL parts (one call, or one pipeline of them), and the calls take.lua
   * answers ADOPT (the server is not the one adopted: a client resend after a failover reached it;
   * nothing moved) run again after adopting it, at most MAX_ADOPT_ROUNDS times in all.
   */
  private async adoptingTakes(steps: readonly PartStep[]): Promise<TakeOutcome[]> {
    const shard = steps[0]!.part.shard;
    const outcomes: TakeOutcome[] = new Array<TakeOutcome>(steps.length);
    let pending = steps.map((_, i) => i);
    for (let round = 1; pending.length > 0; round++) {
      if (round > MAX_ADOPT_ROUNDS) throw new GateDown(new Error('the Redis server could not be adopted'));
      await this.adopted(shard);
      const now = Date.now();
      const calls = chunksOf(pending, MAX_PARTS_PER_TAKE_CALL).map((members) => ({
        steps: members,
        ...this.takeCall(
          shard,
          members.map((i) => steps[i]!),
          now,
        ),
      }));
      const replies =
        calls.length === 1
          ? [await this.call((r) => r.take(calls[0]!.keyCount, ...calls[0]!.keysAndArgs))]
          : await this.onePipeline(calls, (p, c) => p.take(c.keyCount, ...c.keysAndArgs));
      const again: number[] = [];
      replies.forEach((raw, j) => {
        const members = calls[j]!.steps;
        decodeTakes(
          raw,
          members.map((i) => steps[i]!.part.indexes.length),
        ).forEach((reply, k) => {
          if (reply.kind === 'adopt') again.push(members[k]!);
          else outcomes[members[k]!] = reply;
        });
      });
      if (again.length > 0) this.adoptions[shard.index]!.forget();
      pending = again;
    }
    return outcomes;
  }

  /** take.lua's KEYS and ARGV for parts of carts in one shard, as its header lists them. */
  private takeCall(shard: ShardKeys, steps: readonly PartStep[], now: number): { keyCount: number; keysAndArgs: (string | number)[] } {
    const keys: string[] = [
      ...this.recordsAround(shard, now),
      shard.inflight,
      shard.inflightPayloads,
      shard.replayFilter,
      shard.generation,
      shard.origin,
      shard.earlierReplayFilter,
    ];
    const args: (string | number)[] = [now, this.recordSeconds];
    for (const { t, trace, part, lines: planned } of steps) {
      const lines = part.indexes.map((i) => planned[i]!);
      for (const l of lines) keys.push(this.keys.counter(l.skuId, l.bucket));
      args.push(
        t.kind,
        part.home ? trace.field : '',
        sha256Base64url(t.fingerprint, DIGEST_LENGTH),
        t.gateId,
        part.home ? trace.filterBits.join(',') : '',
        lines.length,
      );
      for (const l of lines) args.push(l.quantity);
      for (const l of lines) args.push(t.lines[l.line]!.locationId ?? '');
    }
    return { keyCount: keys.length, keysAndArgs: [...keys, ...args] };
  }

  /** The gate token of the attempt that took under an idempotency key, if Redis still remembers one. */
  async recordedGateToken(kind: TakeKind, idempotencyKey: string): Promise<string | null> {
    const { field, shard } = this.trace(kind, idempotencyKey);
    const [current, previous] = this.recordsAround(this.keys.shards[shard]!, Date.now());
    const [inCurrent, inPrevious] = await this.call((r) => Promise.all([r.hget(current, field), r.hget(previous, field)]));
    const raw = inCurrent ?? inPrevious;
    return raw ? recordGateToken(raw) : null;
  }

  /**
   * Gives back what a cart took, in every shard where it is still in flight (lua/release.lua), with the
   * counters its in-flight payloads name there (which buckets a line took from is only known there):
   * the number of lines whose units went back, NOT_IN_FLIGHT when it was in flight nowhere. Called
   * soon after the take, whose record is then in this period's records or the last's.
   */
  async release(taken: TakenCart): Promise<number> {
    const shards = this.shardsOf(taken);
    const payloads = await this.pipelined(
      shards,
      (shard) => shard.inflightPayloads,
      (p, shard) => p.hget(shard.inflightPayloads, taken.gateId),
    );
    const restored = await Promise.all(
      shards.map(async (shard, i) => {
        const raw = payloads[i] as string | null;
        if (raw === null) return ReplyCode.NOT_IN_FLIGHT;
        const take = decodeInFlight(taken.gateId, raw, shard.index, (key) => this.keys.skuOf(key));
        const [current, previous] = this.recordsAround(shard, Date.now());
        const keys = [shard.inflight, shard.inflightPayloads, current, previous, ...take.counterKeys];
        return integer('release.lua', await this.call((r) => r.release(keys.length, ...keys, taken.gateId)));
      }),
    );
    const inFlight = restored.filter((n) => n !== ReplyCode.NOT_IN_FLIGHT);
    return inFlight.length === 0 ? ReplyCode.NOT_IN_FLIGHT : inFlight.reduce((a, b) => a + b, 0);
  }

  /** The shards a cart may be in flight in: its key's home, and every bucket's of each of its SKUs. */
  private shardsOf(taken: TakenCart): ShardKeys[] {
    // One shard (one Redis server): it is every key's home and every bucket's, no need to hash the key
    // or list the buckets (a cart's settle did both: 2 % of the server's CPU in a hot SKU ×100 window).
    const shards = this.keys.shards;
    if (shards.length === 1) return [shards[0]!];
    const home = shards[this.trace(taken.kind, taken.idempotencyKey).shard]!;
    const buckets = taken.skuIds.flatMap((skuId) =>
      Array.from({ length: this.bucketCounts.get(skuId) ?? 1 }, (_, bucket) => this.keys.bucketShard(skuId, bucket)),
    );
    return [...new Set([home, ...buckets])];
  }

  /** release.lua for each cart part, per shard one pipeline: each part's reply. */
  private async releaseParts(parts: readonly { gateId: string; part: CartPart; lines: readonly GateLine[] }[]): Promise<number[]> {
    const now = Date.now();
    const replies = await this.pipelined(
      parts,
      ({ part }) => part.shard.generation,
      (p, { gateId, part, lines }) => {
        const keys = [
          part.shard.inflight,
          part.shard.inflightPayloads,
          ...this.recordsAround(part.shard, now),
          ...part.indexes.map((i) => this.keys.counter(lines[i]!.skuId, lines[i]!.bucket)),
        ];
        p.release(keys.length, ...keys, gateId);
      },
    );
    return replies.map((reply) => integer('release.lua', reply));
  }

  /** In-flight takes older than `before` (ms since epoch), oldest first over every shard, with what they took. */
  async staleTakes(before: number, limit: number): Promise<InFlightTake[]> {
    const perShard = await Promise.all(
      this.keys.shards.map((shard) =>
        this.call(async (r) => {
          const ids = await r.zrangebyscore(shard.inflight, '-inf', before, 'LIMIT', 0, limit);
          if (ids.length === 0) return [];
          const payloads = await r.hmget(shard.inflightPayloads, ...ids);
          return ids.flatMap((gateId, i) => {
            const raw = payloads[i];
            // An index entry without a payload was settled between the two reads.
            return raw ? [decodeInFlight(gateId, raw, shard.index, (key) => this.keys.skuOf(key))] : [];
          });
        }),
      ),
    );
    return perShard
      .flat()
      .sort((a, b) => a.takenAt - b.takenAt)
      .slice(0, limit);
  }

  /** Whether every shard's replay filter holds every key the ledger has (bit 0; gone with a flush). */
  async replayFilterComplete(): Promise<boolean> {
    const bits = await this.pipelined(
      this.keys.shards,
      (shard) => shard.replayFilter,
      (p, shard) => p.getbit(shard.replayFilter, 0),
    );
    return bits.every((bit) => bit === 1);
  }

  /**
   * How many shards still have the earlier layout's replay filter (ShardKeys.earlierReplayFilter), after
   * deleting those untouched for at least `idleMs` (lua/retire-1.lua).
   */
  async earlierReplayFilters(idleMs: number): Promise<number> {
    const idleSeconds = Math.ceil(idleMs / 1000);
    const replies = await this.pipelined(
      this.keys.shards,
      (shard) => shard.earlierReplayFilter,
      (p, shard) => p.retire(shard.earlierReplayFilter, idleSeconds),
    );
    return replies.reduce((sum: number, reply) => sum + integer('retire-1.lua', reply), 0);
  }

  /** Sets these keys' bits in their home shards' replay filters, one round trip per shard. */
  async addToReplayFilter(traces: KeyTrace[]): Promise<void> {
    const byShard = groupIndexes(traces, (t) => t.shard);
    await Promise.all(
      [...byShard].map(([shard, indexes]) => {
        const bits = indexes.flatMap((i) => traces[i]!.filterBits.flatMap((bit) => ['SET', 'u1', String(bit), '1']));
        const filter = this.keys.shards[shard]!.replayFilter;
        return this.call((r) => r.bitfield(filter, ...(bits as ['SET', string, string, string])));
      }),
    );
  }

  /**
   * Gives every shard's replay filter its full length at once (creating it if missing), its bits as they
   * were: the last bit incremented by 0 (`BITFIELD INCRBY`), never set nor cleared. A filter grown by its
   * takes' `SETBIT`s grows in steps of about 1 MiB, each a reallocation that may copy it whole, and the
   * step to its last ten bytes (a key's bit there comes after some 1.7 million keys on average) moves it
   * from its allocator's 32 MiB size class to the 40 MiB one: 8 MiB more and a copy of 32 MiB, which
   * stalls Redis, at a moment nobody chose. Once full it is never copied again.
   */
  async presizeReplayFilters(): Promise<void> {
    const lastBit = String(replayFilterBitsPerShard(this.keys.shards.length) - 1);
    await this.pipelined(
      this.keys.shards,
      (shard) => shard.replayFilter,
      (p, shard) => p.bitfield(shard.replayFilter, 'INCRBY', 'u1', lastBit, 0),
    );
  }

  /** Says every shard's replay filter holds every key the ledger has: refusals may trust them from now on. */
  async markReplayFilterComplete(): Promise<void> {
    await this.pipelined(
      this.keys.shards,
      (shard) => shard.replayFilter,
      (p, shard) => p.setbit(shard.replayFilter, 0, 1),
    );
  }

  /** Gives back a stale take found by reconciliation, with the keys its payload names (lua/release.lua). */
  async releaseStale(take: InFlightTake): Promise<number> {
    const shard = this.keys.shards[take.shard]!;
    const keys = [shard.inflight, shard.inflightPayloads, take.recordKey, take.recordKey, ...take.counterKeys];
    return integer('release.lua', await this.call((r) => r.release(keys.length, ...keys, take.gateId)));
  }

  /** Marks carts as persisted in the ledger (lua/settle-2.lua), in every shard they took in; entries that were still in flight. */
  async settle(taken: readonly TakenCart[]): Promise<number> {
    const byShard = new Map<ShardKeys, string[]>();
    for (const cart of taken) {
      for (const shard of this.shardsOf(cart)) {
        const gateIds = byShard.get(shard);
        if (gateIds) gateIds.push(cart.gateId);
        else byShard.set(shard, [cart.gateId]);
      }
    }
    const settled = await Promise.all(
      [...byShard].map(async ([shard, gateIds]) => {
        return integer('settle-2.lua', await this.call((r) => r.settle(shard.inflight, shard.inflightPayloads, ...gateIds)));
      }),
    );
    return settled.reduce((a, b) => a + b, 0);
  }

  /**
   * Loads a counter from the truth, only while `lockToken` still holds the SKU's load lock
   * (lua/seed.lua): 1 loaded, 0 a counter as new was there, LOCK_LOST the lock was lost.
   */
  async seed(c: StockSeed, lockToken: string): Promise<number> {
    return (await this.seedAll([c], lockToken))[0]!;
  }

  /**
   * One reply per seed: its first bucket's (the others are loaded without the lock, src/gate/buckets.ts).
   * Per shard, seed.lua calls of at most COUNTERS_PER_SEED_CALL counters in one pipeline.
   */
  async seedAll(seeds: readonly StockSeed[], lockToken: string): Promise<number[]> {
    const counters = seeds.flatMap((seed) => bucketSeeds(seed));
    const shardOf = (c: BucketSeed) => this.keys.bucketShard(c.seed.skuId, c.bucket);
    // Loaded under the generation each shard adopted, not one a failover has made stale.
    await Promise.all([...new Set(counters.map(shardOf))].map((shard) => this.adopted(shard)));
    const replies = await inGroups(counters, shardOf, (members, shard) =>
      this.perCall(members, COUNTERS_PER_SEED_CALL, (p, chunk) => {
        const keys = [shard.generation];
        const args: (string | number)[] = [];
        for (const c of chunk) this.seedCall(c, lockToken, keys, args);
        p.seed(keys.length, ...keys, ...args);
      }),
    );
    for (const seed of seeds) this.learnBuckets(seed.skuId, seed.buckets ?? 1);
    return replies.filter((_, i) => counters[i]!.bucket === 0).map((reply) => integer('seed.lua', reply));
  }

  /** Adds one counter's keys and arguments to a seed.lua call, as its header lists them. */
  private seedCall(c: BucketSeed, lockToken: string, keys: string[], args: (string | number)[]): void {
    const { seed, bucket } = c;
    const counter = this.keys.counter(seed.skuId, bucket);
    const first = bucket === 0;
    keys.push(counter, first ? this.keys.loadLock(seed.skuId) : counter);
    args.push(
      seed.epoch,
      c.share,
      c.reserved,
      c.sold,
      seed.unlimited ? 1 : 0,
      c.floor,
      c.name,
      c.throttlePerSecond,
      c.withheld,
      first ? lockToken : '',
      first ? (seed.buckets ?? 1) : 1,
      first ? (seed.throttlePerSecond ?? 0) : 0,
      c.locations ? 1 : 0,
      (c.locations ?? []).map((l) => l.locationId).join(','),
      first ? thresholdArgument(seed.lowStockThreshold) : THRESHOLD_NOT_READ,
      ...(c.locations ?? []).map((l) => l.share),
    );
  }

  /**
   * Adds a committed change to the counter of `epoch`, once per outbox row (lua/apply-2.lua): 1 applied,
   * 0 applied before, OTHER_EPOCH no counter of that epoch.
   */
  async apply(outboxId: string, skuId: string, epoch: number, delta: CounterDelta): Promise<number> {
    return (await this.applyAll([{ outboxId, skuId, epoch, delta }]))[0]!;
  }

  async applyAll(changes: readonly CounterChange[]): Promise<number[]> {
    const replies = await this.pipelined(
      changes,
      (change) => this.keys.counter(change.skuId),
      (p, { outboxId, skuId, epoch, delta }) => {
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
          delta.locationId ?? DEFAULT_LOCATION,
        );
      },
    );
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

  /** One reply per drop: its first bucket's (every bucket of a SKU in buckets is dropped with it). */
  async invalidateAll(drops: readonly { skuId: string; epoch: number }[]): Promise<number[]> {
    const counters = drops.flatMap((drop) =>
      Array.from({ length: this.bucketCounts.get(drop.skuId) ?? 1 }, (_, bucket) => ({ ...drop, bucket })),
    );
    const replies = await this.pipelined(
      counters,
      (c) => this.keys.counter(c.skuId, c.bucket),
      (p, c) => p.invalidate(this.keys.counter(c.skuId, c.bucket), c.epoch),
    );
    return replies.filter((_, i) => counters[i]!.bucket === 0).map((reply) => integer('invalidate-1.lua', reply));
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
  ): Promise<Exclude<Announcement, { kind: 'buckets' }>> {
    const shard = this.keys.shardOf(skuId);
    await this.adopted(shard);
    const known = threshold === null ? ['', ''] : [String(threshold.epoch), thresholdArgument(threshold.lowStockThreshold)];
    // The bucket count this instance learned (1 when it never read the SKU): the script checks it
    // against the first bucket's, so a SKU without buckets costs one call, not a read of the count first.
    let buckets = this.bucketCounts.get(skuId) ?? 1;
    for (let attempt = 1; ; attempt++) {
      const others = await this.otherBuckets(skuId, buckets);
      if (others === null) return { kind: 'missing' };
      const reply = decodeAnnouncement(
        await this.announceSoon([
          this.keys.counter(skuId),
          this.keys.liveState(skuId),
          shard.generation,
          mode,
          names.levels,
          names.alerts,
          skuId,
          ...known,
          String(buckets),
          ...others,
        ]),
      );
      if (reply.kind !== 'buckets') return reply;
      // Only a reload changes the count: twice in a row means reloads keep changing it, and the
      // announcement of the last of them comes after.
      if (attempt === MAX_ANNOUNCE_CALLS) throw new Error(`the bucket count of ${skuId} kept changing`);
      this.learnBuckets(skuId, reply.count);
      buckets = reply.count;
    }
  }

  /**
   * One announce-3.lua call (its keys and arguments as announce() lists them), in one pipeline with every
   * other made in the same tick (per slot in a Redis Cluster), each answered on its own. A bulk change
   * announces thousands of SKUs, MAX_ANNOUNCEMENTS_IN_FLIGHT at a time (src/live/publish.ts), whose
   * replies arrive together and whose next calls start together; a write of its own per call cost more
   * than the script (~35 µs of CPU each on a 2-core VM, `npm run bench`'s setStockBatch).
   */
  private announceSoon(call: AnnounceCall): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.announcing.length === 0) process.nextTick(() => this.sendAnnouncements());
      this.announcing.push({ call, resolve, reject });
    });
  }

  private sendAnnouncements(): void {
    const pending = this.announcing;
    this.announcing = [];
    const groups = 'slots' in this.redis ? groupIndexes(pending, (a) => calculateSlot(a.call[0])) : [pending.map((_, i) => i)];
    // Nothing here may throw: it runs detached, and every announcement waits for its own answer.
    for (const indexes of groups.values()) {
      let sent: ReturnType<ChainableCommander['exec']>;
      try {
        const pipeline = this.redis.pipeline();
        for (const i of indexes) pipeline.announce(...pending[i]!.call);
        sent = pipeline.exec();
      } catch (err) {
        indexes.forEach((i) => pending[i]!.reject(err));
        continue;
      }
      sent.then(
        (replies) =>
          indexes.forEach((i, j) => {
            const answer = replies?.[j];
            if (!Array.isArray(answer)) pending[i]!.reject(new Error('a pipeline answers every command'));
            else if (answer[0]) pending[i]!.reject(answer[0]);
            else pending[i]!.resolve(answer[1]);
          }),
        (err: unknown) => indexes.forEach((i) => pending[i]!.reject(err)),
      );
    }
  }

  /**
   * What the buckets past the first of a SKU in `count` buckets hold (announce-3.lua's ARGV[8..10]):
   * none for a SKU without; null when one is missing.
   */
  private async otherBuckets(skuId: string, count: number): Promise<string[] | null> {
    if (count === 1) return [];
    // Off the breaker, as the announcement itself (announce()).
    const others = await this.counters(
      Array.from({ length: count - 1 }, (_, b) => ({ skuId, bucket: b + 1 })),
      (op) => op(this.redis),
    );
    if (others.some((c) => c === null)) return null;
    const sum = (of: (c: Counter) => number) => (others as Counter[]).reduce((total, c) => total + of(c), 0);
    return [sum((c) => c.a + c.h), sum((c) => c.r), sum((c) => c.s)].map(String);
  }

  /** Current counters; null where Redis has none (or a bucket of the SKU is missing). */
  async levels(skuIds: string[]): Promise<(SkuStock | null)[]> {
    const buckets = await this.allBuckets(skuIds);
    return skuIds.map((skuId, i) => {
      const all = buckets[i];
      return all ? skuLevel(skuId, all) : null;
    });
  }

  /**
   * Each SKU's share per active location as its counter keeps it (lua/includes/locations.lua), in the
   * counter's allocation order; null where the counter keeps all in `default` (no location list: no
   * locations, or a SKU in buckets) or is missing. The audit compares them with the truth's.
   */
  async locationShares(skuIds: string[]): Promise<(LocationShare[] | null)[]> {
    return inGroups(
      skuIds,
      (skuId) => this.keys.bucketShard(skuId, 0),
      async (members, shard) => {
        await this.adopted(shard);
        const replies = await this.onePipeline(members, (p, skuId) => p.hgetall(this.keys.counter(skuId, 0)));
        return replies.map((fields) => sharesOf(fields as Record<string, string>));
      },
    );
  }

  /** What each bucket of each SKU holds above its floor, and its withheld units; null where a bucket is missing. */
  private async bucketCounters(skuIds: readonly string[]): Promise<({ aboveFloor: number; withheld: number }[] | null)[]> {
    const buckets = await this.allBuckets(skuIds);
    return buckets.map((all) => all && all.map((c) => ({ aboveFloor: c.a - c.f, withheld: c.h })));
  }

  /**
   * Every bucket's counter of each SKU, the first saying how many there are (src/gate/buckets.ts); null
   * where one is missing, or they are of different epochs (a load under way). Learns the bucket counts.
   */
  private async allBuckets(skuIds: readonly string[]): Promise<(Counter[] | null)[]> {
    const firsts = await this.counters(skuIds.map((skuId) => ({ skuId, bucket: 0 })));
    firsts.forEach((first, i) => {
      if (first) this.learnBuckets(skuIds[i]!, first.nb);
    });
    const others = (i: number) => Array.from({ length: (firsts[i]?.nb ?? 1) - 1 }, (_, b) => ({ skuId: skuIds[i]!, bucket: b + 1 }));
    const rest = await this.counters(skuIds.flatMap((_, i) => others(i)));
    let next = 0;
    return firsts.map((first, i) => {
      const mine = rest.slice(next, (next += others(i).length));
      if (!first || mine.some((c) => c === null || c.e !== first.e)) return null;
      return [first, ...(mine as Counter[])];
    });
  }

  /** Counters of (SKU, bucket) pairs, per shard one pipeline; null where absent or of another generation than its shard's. */
  private async counters(
    refs: readonly { skuId: string; bucket: number }[],
    through?: <R>(op: (redis: RedisClient) => Promise<R>) => Promise<R>,
  ): Promise<(Counter | null)[]> {
    return inGroups(
      refs,
      (ref) => this.keys.bucketShard(ref.skuId, ref.bucket),
      async (members, shard) => {
        // Read where the shard's history is adopted: a server of another one shows its counters as missing.
        await this.adopted(shard);
        // The generation first, in the same pipeline: a counter of another one is stale (lua/adopt-3.lua).
        const [generation, ...replies] = await this.onePipeline(
          [null, ...members],
          (p, ref) => (ref === null ? p.get(shard.generation) : p.hmget(this.keys.counter(ref.skuId, ref.bucket), ...COUNTER_FIELDS)),
          through,
        );
        return replies.map((reply) => parseCounter(reply, generation as string | null));
      },
    );
  }

  /** Remembers a SKU's bucket count as its first counter says (only those over 1: SKUs in buckets are few). */
  private learnBuckets(skuId: string, buckets: number): void {
    if (buckets > 1) this.bucketCounts.set(skuId, buckets);
    else this.bucketCounts.delete(skuId);
  }
}

/** announce-3.lua's keys and arguments, in its header's order. */
type AnnounceCall = [counter: string, live: string, generation: string, ...args: string[]];

/** An announce-3.lua call waiting for the end of its tick (Gate.announceSoon). */
interface PendingAnnouncement {
  call: AnnounceCall;
  resolve: (reply: unknown) => void;
  reject: (err: unknown) => void;
}

/** A counter's fields (lua/includes/counters.lua) as numbers. */
interface Counter {
  a: number;
  r: number;
  s: number;
  h: number;
  f: number;
  e: number;
  u: boolean;
  n: string | null;
  t: number | null;
  nb: number;
}

/** A counter's shares per location, from all its fields (HGETALL); null without a location list. */
function sharesOf(fields: Record<string, string>): LocationShare[] | null {
  const list = fields['lo'];
  if (list === undefined) return null;
  return list
    .split(',')
    .filter((locationId) => locationId !== '')
    .map((locationId) => ({ locationId, share: Number(fields[`l:${locationId}`] ?? 0) }));
}

/** A counter's fields (HMGET of COUNTER_FIELDS); null when absent or of another generation than `generation`. */
function parseCounter(fields: unknown, generation: string | null): Counter | null {
  assert.equal((fields as unknown[]).length, COUNTER_FIELDS.length, 'HMGET answers every counter field asked');
  const [a, r, s, u, e, n, f, t, h, g, nb, ts] = fields as (string | null)[];
  if (e == null || (g ?? '0') !== (generation ?? '0')) return null;
  return {
    a: Number(a),
    r: Number(r),
    s: Number(s),
    h: Number(h ?? 0),
    f: Number(f),
    e: Number(e),
    u: u === '1',
    n: n ? n : null,
    // A SKU in buckets keeps its throttle as set on the first (ts); each bucket admits its part (t).
    t: ts ? Number(ts) : t ? Number(t) : null,
    nb: nb ? Number(nb) : 1,
  };
}

/** A SKU's level from its buckets' counters: their sums; the first holds the rest (src/gate/buckets.ts). */
function skuLevel(skuId: string, buckets: readonly Counter[]): SkuStock {
  const first = buckets[0]!;
  const sum = (field: 'a' | 'r' | 's' | 'h') => buckets.reduce((total, c) => total + c[field], 0);
  return {
    skuId,
    name: first.n,
    available: sum('a') + sum('h'),
    withheld: sum('h'),
    reserved: sum('r'),
    sold: sum('s'),
    unlimited: first.u,
    backorderLimit: -first.f || 0,
    throttlePerSecond: first.t,
    epoch: first.e,
    buckets: buckets.length,
  };
}
