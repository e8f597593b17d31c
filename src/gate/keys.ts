/**
 * Where the gate keeps things in Redis. Every key starts with the deployment's prefix, so test runs and
 * deployments sharing one Redis never see each other. SKU ids sit in a hash tag ({id}) so that a
 * single SKU's keys map to one Redis Cluster slot.
 */
export class GateKeys {
  readonly inflight: string;
  readonly inflightPayloads: string;

  constructor(readonly prefix: string) {
    this.inflight = `${prefix}inflight`;
    this.inflightPayloads = `${prefix}inflight:payloads`;
  }

  counter(skuId: string): string {
    return `${this.prefix}sku:{${skuId}}`;
  }

  /** The SKU id inside a counter key. */
  skuOf(counterKey: string): string {
    return counterKey.slice(this.prefix.length + 'sku:{'.length, -1);
  }

  /** One reconciler at a time across instances. */
  get reconcileLock(): string {
    return `${this.prefix}lock:reconcile`;
  }

  loadLock(skuId: string): string {
    return `${this.prefix}lock:load:{${skuId}}`;
  }

  applied(skuId: string, outboxId: string): string {
    return `${this.prefix}applied:{${skuId}}:${outboxId}`;
  }

  /** A caller's request rate schedule (lua/rate-1.lua); `caller` is a hash or an address, never a secret. */
  rate(caller: string): string {
    return `${this.prefix}rate:${caller}`;
  }

  /** The replay filter (lua/take.lua, src/sync/replay-filter.ts): a Bloom filter of every key ever taken. */
  get replayFilter(): string {
    return `${this.prefix}idem:filter`;
  }

  /** One builder of the replay filter at a time across instances. */
  get replayFilterLock(): string {
    return `${this.prefix}lock:replay-filter`;
  }

  /** The replication id of the Redis server the gate's data was last adopted under (lua/adopt-3.lua). */
  get origin(): string {
    return `${this.prefix}gate:origin`;
  }

  /** The gate's generation: counters loaded under another one count as missing (lua/adopt-3.lua). */
  get generation(): string {
    return `${this.prefix}gate:generation`;
  }

  /** The idempotency records taken in one period (lua/take.lua): one hash per period, expiring whole. */
  idempotencyRecords(period: number): string {
    return `${this.prefix}idem:${period}`;
  }
}
