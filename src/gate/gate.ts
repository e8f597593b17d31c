import type { Redis } from 'ioredis';
import { GateBreaker } from './breaker.ts';
import type { CartLine, SkuStock, StockSeed, TakeKind } from '../inventory.ts';
import type { GateKeys } from './keys.ts';

/** What the gate remembers under an idempotency key: enough to answer every replay identically. */
export interface GateRecord {
  fp: string;
  id: string;
  /** Epoch of each line's counter when the units were taken (checked by the ledger insert). */
  e: number[];
  /** Available after the take, per line (below zero with backorders; withheld units included). */
  a: number[];
  /** 1 for unlimited lines, whose available never moves. */
  u: (0 | 1)[];
}

export type TakeOutcome =
  | { kind: 'taken'; record: GateRecord }
  | { kind: 'replay'; record: GateRecord }
  | { kind: 'conflict' }
  /**
   * Lines the gate's share cannot serve: what the share has above its floor, and the units withheld
   * for the database-only path, which the caller may take back into the share (returnWithheld).
   */
  | { kind: 'short'; lines: { index: number; available: number; withheld: number }[] }
  /** Lines whose SKU is over its hot-SKU throttle; nothing was counted or taken. */
  | { kind: 'throttled'; retryAfterMs: number; indexes: number[] }
  | { kind: 'missing'; indexes: number[] };

/** An in-flight take as lua/take.lua recorded it. */
export interface InFlight {
  gateId: string;
  k: TakeKind;
  /** Idempotency record key. */
  i: string;
  /** Counter keys, per line. */
  c: string[];
  q: number[];
  e: number[];
  u: (0 | 1)[];
  /** When it was taken, ms since epoch. */
  t: number;
}

/** How long Redis remembers an idempotency key; PostgreSQL remembers it for good. */
const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/**
 * How long Redis remembers that an outbox row was applied. Rows are delivered within seconds; one
 * still waiting after a week means Redis was away that long, and its counters are reloaded anyway.
 */
const APPLIED_MARKER_TTL_SECONDS = 7 * 24 * 60 * 60;

/** The Redis gate: every check-then-change is one Lua call (lua/). */
export class Gate {
  readonly breaker = new GateBreaker();

  constructor(
    readonly redis: Redis,
    readonly keys: GateKeys,
  ) {}

  /** Every Redis call a request waits on goes through the breaker; GateDown when Redis is away. */
  private call<T>(op: (redis: Redis) => Promise<T>): Promise<T> {
    return this.breaker.call(() => op(this.redis));
  }

  /** A lease on `key` for `token`, if nobody holds it. */
  async tryLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.call((r) => r.set(key, token, 'PX', ttlMs, 'NX'))) === 'OK';
  }

  async isLocked(key: string): Promise<boolean> {
    return (await this.call((r) => r.exists(key))) === 1;
  }

  unlock(key: string, token: string): Promise<number> {
    return this.call((r) => r.unlock(key, token));
  }

  async take(kind: TakeKind, idempotencyKey: string, fingerprint: string, gateId: string, lines: CartLine[]): Promise<TakeOutcome> {
    const keys = [
      this.keys.idempotency(kind, idempotencyKey),
      this.keys.inflight,
      this.keys.inflightPayloads,
      ...lines.map((l) => this.keys.counter(l.skuId)),
    ];
    const args = [kind, fingerprint, gateId, Date.now(), IDEMPOTENCY_TTL_SECONDS, ...lines.map((l) => l.quantity)];
    const reply = (await this.call((r) => r.take(keys.length, ...keys, ...args))) as (string | number)[];
    const [status, ...rest] = reply;
    switch (status) {
      case 'OK':
        return { kind: 'taken', record: JSON.parse(String(rest[0])) as GateRecord };
      case 'REPLAY':
        return { kind: 'replay', record: JSON.parse(String(rest[0])) as GateRecord };
      case 'CONFLICT':
        return { kind: 'conflict' };
      case 'MISSING':
        return { kind: 'missing', indexes: rest.map((i) => Number(i) - 1) };
      case 'THROTTLED': {
        const [retryAfterMs, ...lines] = rest;
        return { kind: 'throttled', retryAfterMs: Number(retryAfterMs), indexes: lines.map((i) => Number(i) - 1) };
      }
      case 'SHORT': {
        const short: { index: number; available: number; withheld: number }[] = [];
        for (let i = 0; i < rest.length; i += 3)
          short.push({ index: Number(rest[i]) - 1, available: Number(rest[i + 1]), withheld: Number(rest[i + 2]) });
        return { kind: 'short', lines: short };
      }
      default:
        throw new Error(`take.lua answered ${String(status)}`);
    }
  }

  /** What the gate remembers under an idempotency key, if anything. */
  async record(kind: TakeKind, idempotencyKey: string): Promise<GateRecord | null> {
    const raw = await this.call((r) => r.get(this.keys.idempotency(kind, idempotencyKey)));
    return raw ? (JSON.parse(raw) as GateRecord) : null;
  }

  /** Gives back what `gateId` took, if it is still in flight; -1 when it was not. */
  release(gateId: string, kind: TakeKind, idempotencyKey: string, skuIds: string[]): Promise<number> {
    const keys = [
      this.keys.inflight,
      this.keys.inflightPayloads,
      this.keys.idempotency(kind, idempotencyKey),
      ...skuIds.map((id) => this.keys.counter(id)),
    ];
    return this.call((r) => r.release(keys.length, ...keys, gateId));
  }

  /** In-flight takes older than `before` (ms since epoch), oldest first, with what they took. */
  async staleTakes(before: number, limit: number): Promise<InFlight[]> {
    return this.call(async (r) => {
      const ids = await r.zrangebyscore(this.keys.inflight, '-inf', before, 'LIMIT', 0, limit);
      if (ids.length === 0) return [];
      const payloads = await r.hmget(this.keys.inflightPayloads, ...ids);
      return ids.flatMap((gateId, i) => {
        const raw = payloads[i];
        // An index entry without a payload was settled between the two reads.
        return raw ? [{ gateId, ...(JSON.parse(raw) as Omit<InFlight, 'gateId'>) }] : [];
      });
    });
  }

  /** Gives back a stale take found by reconciliation, with the keys its payload names. */
  releaseStale(take: InFlight): Promise<number> {
    const keys = [this.keys.inflight, this.keys.inflightPayloads, take.i, ...take.c];
    return this.call((r) => r.release(keys.length, ...keys, take.gateId));
  }

  /** Marks gate ids as persisted in the ledger. */
  settle(gateIds: string[]): Promise<number> {
    return this.call((r) => r.settle(this.keys.inflight, this.keys.inflightPayloads, ...gateIds));
  }

  /**
   * Loads a counter from the truth, only while `lockToken` still holds the SKU's load lock
   * (lua/seed-2.lua): 1 loaded, 0 a counter as new was there, -1 the lock was lost.
   */
  seed(c: StockSeed, lockToken: string): Promise<number> {
    return this.call((r) =>
      r.seed(
        this.keys.counter(c.skuId),
        this.keys.loadLock(c.skuId),
        c.epoch,
        c.available - (c.withheld ?? 0),
        c.reserved,
        c.sold,
        c.unlimited ? 1 : 0,
        -c.backorderLimit,
        c.name ?? '',
        c.throttlePerSecond ?? 0,
        c.withheld ?? 0,
        lockToken,
      ),
    );
  }

  /** Adds a committed change to the counter of `epoch`, once per outbox row (lua/apply-2.lua). */
  apply(
    outboxId: string,
    skuId: string,
    epoch: number,
    delta: { available: number; reserved: number; sold: number; withheld?: number },
  ): Promise<number> {
    return this.call((r) =>
      r.apply(
        this.keys.counter(skuId),
        this.keys.applied(skuId, outboxId),
        epoch,
        delta.available - (delta.withheld ?? 0),
        delta.reserved,
        delta.sold,
        APPLIED_MARKER_TTL_SECONDS,
        delta.withheld ?? 0,
      ),
    );
  }

  /**
   * Counts one request of a caller against its rate limit (lua/rate-1.lua): 0 when admitted, else the
   * ms until one would be. Through the breaker like every gate call: GateDown while Redis is away.
   */
  admitCaller(caller: string, limit: number, periodMs: number, now = Date.now()): Promise<number> {
    return this.call((r) => r.rate(this.keys.rate(caller), limit, periodMs, now));
  }

  /** Drops a counter older than `epoch` so the next request loads the truth. */
  invalidate(skuId: string, epoch: number): Promise<number> {
    return this.call((r) => r.invalidate(this.keys.counter(skuId), epoch));
  }

  /** Current counters; null where Redis has none. */
  async levels(skuIds: string[]): Promise<(SkuStock | null)[]> {
    const replies = await this.call(async (r) => {
      const pipeline = r.pipeline();
      for (const id of skuIds) pipeline.hmget(this.keys.counter(id), 'a', 'r', 's', 'u', 'e', 'n', 'f', 't', 'h');
      return (await pipeline.exec()) ?? [];
    });
    return skuIds.map((skuId, i) => {
      const [err, fields] = replies[i] ?? [new Error('no reply'), null];
      if (err) throw err;
      const [a, r, s, u, e, n, f, t, h] = fields as (string | null)[];
      if (e == null) return null;
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
