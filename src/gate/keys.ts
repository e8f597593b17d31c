import assert from 'node:assert/strict';
import calculateSlot from 'cluster-key-slot';

/**
 * Shards a gate may be split into (GATE_SHARDS): a Redis Cluster has 16,384 slots, and a take over more
 * shards than a cart has lines never happens; 1,024 spreads over any cluster a shop runs.
 */
export const MAX_GATE_SHARDS = 1_024;

/**
 * The keys of one gate shard: everything one take.lua call touches lives under the shard's prefix, which
 * carries the shard's hash tag when the gate has more than one shard, so in a Redis Cluster the whole
 * call is in one slot. Each shard keeps its own idempotency records, in-flight takes, replay filter,
 * adoption (origin) and generation: a shard fails over with its slot's master, alone.
 */
export class ShardKeys {
  readonly inflight: string;
  readonly inflightPayloads: string;
  /**
   * The replay filter (lua/take.lua, src/sync/replay-filter.ts): a Bloom filter of every key taken with a
   * record here, two bits a key (src/gate/gate.ts). Named for that layout: `idem:filter` held four bits a
   * key in half the size, whose bits say nothing in this one; a new name starts it missing, so it is
   * rebuilt from the ledger (until then every refusal looks in the ledger).
   */
  readonly replayFilter: string;
  /**
   * The replay filter of the layout before `replayFilter`'s (four bits a key in 2^27), which instances of
   * an earlier version still set and create: while it exists the current one is not trusted
   * (lua/take.lua), and it is deleted once idle (src/sync/replay-filter.ts).
   */
  readonly earlierReplayFilter: string;
  /** The replication id of the Redis server the shard's data was last adopted under (lua/adopt-3.lua). */
  readonly origin: string;
  /** The shard's generation: counters loaded under another one count as missing (lua/adopt-3.lua). */
  readonly generation: string;

  constructor(
    readonly index: number,
    readonly prefix: string,
  ) {
    this.inflight = `${prefix}inflight`;
    this.inflightPayloads = `${prefix}inflight:payloads`;
    this.replayFilter = `${prefix}idem:filter:2`;
    this.earlierReplayFilter = `${prefix}idem:filter`;
    this.origin = `${prefix}gate:origin`;
    this.generation = `${prefix}gate:generation`;
  }

  /** The idempotency records taken in one period (lua/take.lua): one hash per period, expiring whole. */
  idempotencyRecords(period: number): string {
    return `${this.prefix}idem:${period}`;
  }
}

/**
 * Where the gate keeps things in Redis. Every key starts with the deployment's prefix, so test runs and
 * deployments sharing one Redis never see each other. A SKU's keys (counter, load lock, applied markers,
 * live state) sit in its shard, chosen by a hash of its id; an idempotency key's record sits in its home
 * shard, chosen by a hash of the key (src/gate/gate.ts, keyTrace). With one shard (the default on one
 * server) the shard's prefix is the deployment's, so the keys are the same as a gate without shards.
 */
export class GateKeys {
  readonly shards: readonly ShardKeys[];

  constructor(
    readonly prefix: string,
    shardCount = 1,
  ) {
    assert.ok(Number.isInteger(shardCount) && shardCount >= 1 && shardCount <= MAX_GATE_SHARDS, `1 to ${MAX_GATE_SHARDS} gate shards`);
    this.shards = Array.from({ length: shardCount }, (_, i) => new ShardKeys(i, shardCount === 1 ? prefix : `${prefix}{g${i}}:`));
  }

  /** Shard 0: with one shard, the whole gate (tests and tools that read its keys). */
  get first(): ShardKeys {
    return this.shards[0]!;
  }

  /** The shard a SKU's keys live in. */
  shardOf(skuId: string): ShardKeys {
    return this.shards.length === 1 ? this.first : this.shards[calculateSlot(skuId) % this.shards.length]!;
  }

  /**
   * The shard of one bucket of a SKU split into buckets (seed 003): bucket 0 in the SKU's own shard, the
   * next ones in the shards after it, so a SKU's buckets spread over as many shards as there are.
   */
  bucketShard(skuId: string, bucket: number): ShardKeys {
    const first = this.shardOf(skuId);
    return bucket === 0 ? first : this.shards[(first.index + bucket) % this.shards.length]!;
  }

  /** A SKU's counter (bucket 0: the only one of a SKU without buckets), or one of its other buckets'. */
  counter(skuId: string, bucket = 0): string {
    const key = `${this.bucketShard(skuId, bucket).prefix}sku:{${skuId}}`;
    return bucket === 0 ? key : `${key}:${bucket}`;
  }

  /** The SKU id inside a counter key. */
  skuOf(counterKey: string): string {
    const start = counterKey.indexOf('sku:{', this.prefix.length);
    const end = counterKey.lastIndexOf('}');
    assert.ok(start >= 0 && end > start, 'a counter key is <shard prefix>sku:{<id>}[:<bucket>]');
    return counterKey.slice(start + 'sku:{'.length, end);
  }

  loadLock(skuId: string): string {
    return `${this.shardOf(skuId).prefix}lock:load:{${skuId}}`;
  }

  applied(skuId: string, outboxId: string): string {
    return `${this.shardOf(skuId).prefix}applied:{${skuId}}:${outboxId}`;
  }

  /** A SKU's live state hash (lua/announce-3.lua), beside its counter. */
  liveState(skuId: string): string {
    return `${this.shardOf(skuId).prefix}live:{${skuId}}`;
  }

  /** One reconciler at a time across instances. */
  get reconcileLock(): string {
    return `${this.prefix}lock:reconcile`;
  }

  /** A caller's request rate schedule (lua/rate-1.lua); `caller` is a hash or an address, never a secret. */
  rate(caller: string): string {
    return `${this.prefix}rate:${caller}`;
  }

  /** One builder of the replay filters at a time across instances. */
  get replayFilterLock(): string {
    return `${this.prefix}lock:replay-filter`;
  }
}
