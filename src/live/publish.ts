import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { AlertKind, AnnounceMode, StockState, WireLevel } from '../gate/gate.ts';
import { loadCounters } from '../sync/load.ts';
import type { Services } from '../stock/services.ts';
import { warnAtMostEvery } from '../observe/log.ts';

/** Where a SKU stands for shoppers, and its alerts: decided by lua/announce-3.lua (src/gate/replies.ts). */
export type { AlertKind, StockState };

/** One reading of a SKU's levels, as every subscriber of it receives it. */
export interface StockLevel {
  skuId: string;
  available: number;
  reserved: number;
  sold: number;
  unlimited: boolean;
  state: StockState;
  lowStockThreshold: number | null;
  /** Grows with every reading of this SKU, on every instance; see lua/announce-3.lua. */
  version: number;
  changedAt: Date;
}

/**
 * What an alert says: announce-3.lua's crossings, and OVERSOLD, raised by the merge worker when a SKU's
 * truth fell below its floor (src/ledger/merge.ts).
 */
export type StockAlertKind = AlertKind | 'OVERSOLD';

export interface StockAlert {
  kind: StockAlertKind;
  level: StockLevel;
}

/** An alert as announce-3.lua (or Live.oversold) publishes it. */
export interface WireAlert {
  kind: StockAlertKind;
  level: WireLevel;
}

/** A level from announce-3.lua's encoding (its reply, or a pub/sub message). */
export function levelFromWire(w: WireLevel): StockLevel {
  return {
    skuId: w.skuId,
    available: w.available,
    reserved: w.reserved,
    sold: w.sold,
    unlimited: w.unlimited,
    state: w.state,
    lowStockThreshold: w.lowStockThreshold === '' ? null : Number(w.lowStockThreshold),
    version: Number(w.version),
    changedAt: new Date(Number(w.changedAt)),
  };
}

/**
 * The Redis names of live levels. Channels are plain pub/sub (not sharded): every instance with a
 * subscriber of a SKU hears it. A SKU's live state hash sits beside its counter (GateKeys.liveState), so
 * the script's keys share one Redis Cluster slot.
 */
export class LiveChannels {
  /** Every alert goes to one channel: alerts are rare, and a subscriber may ask for all SKUs. */
  readonly alerts: string;
  /** Topic prefix of the levels channels: `${levelsTopic}:${skuId}` (Yoga's pub/sub routing-key form). */
  readonly levelsTopic: string;
  /** Wake-ups of the change feed (src/live/feed.ts): movements were committed; they carry nothing else. */
  readonly movements: string;

  constructor(readonly prefix: string) {
    this.alerts = `${prefix}live:alerts`;
    this.levelsTopic = `${prefix}live:level`;
    this.movements = `${prefix}live:movements`;
  }

  levels(skuId: string): string {
    return `${this.levelsTopic}:${skuId}`;
  }
}

/**
 * Script calls for one reading: the counter may be missing twice (waited for, then loaded) and the
 * threshold unknown once before it succeeds; more means upserts keep changing the SKU, and the upsert's
 * own delivery announces it again anyway.
 */
const MAX_ANNOUNCE_ATTEMPTS = 5;
/** How long an announcement leaves a missing counter to the requests that need it; see announce(). */
const MISSING_GRACE_MS = 100;
/**
 * Least time between two announcements of one SKU by one instance. A subscriber takes at most one level
 * per 20 ms (MAX_LIVE_RATE_PER_SECOND), so announcing more often than this only multiplies Redis
 * pub/sub traffic (every announcement reaches every instance watching the SKU), while the latest level
 * is at most this much later.
 */
const ANNOUNCE_SPACING_MS = 10;
/**
 * Announcements under way at once in one process. Each may load a counter or read a threshold in
 * PostgreSQL: a bulk change (setStockBatch of 10,000 SKUs) would otherwise start 10,000 of them at
 * once, drain the connection pool and starve the requests it serves. The rest wait their turn.
 */
const MAX_ANNOUNCEMENTS_IN_FLIGHT = 32;

/**
 * Turns `levelsChanged` into announcements on Redis pub/sub. Per SKU, at most one announcement runs
 * at a time in this process; changes arriving meanwhile are folded into one more run after it (and
 * at least ANNOUNCE_SPACING_MS after the one before). That run starts after the last change was
 * committed, so it reads a level at least that new: nothing is lost, and a SKU changing 10,000 times
 * a second costs an instance at most 100 script calls a second instead of 10,000.
 */
export class Publisher {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  /** SKUs changed while MAX_ANNOUNCEMENTS_IN_FLIGHT ran: announced in the order they came, as slots free. */
  private readonly waiting = new Set<string>();
  private closed = false;
  /** A Redis outage fails every announcement: warned of once per REPEATED_FAILURE_LOG_MS. */
  private readonly warnFailed: (fields: object) => void;
  /** Announcements of changes made so far (for measurements). */
  announced = 0;

  constructor(
    private readonly s: Pick<Services, 'gate' | 'prisma'>,
    private readonly channels: LiveChannels,
    log: Logger,
  ) {
    this.warnFailed = warnAtMostEvery(log, 'could not announce a stock level; live subscribers get the next one');
  }

  /** Must not throw or wait: it runs on the hot path, after the commit. */
  changed(skuIds: string[]): void {
    if (this.closed) return;
    for (const id of new Set(skuIds)) {
      if (this.running.has(id)) this.again.add(id);
      else if (this.running.size >= MAX_ANNOUNCEMENTS_IN_FLIGHT) this.waiting.add(id);
      else this.running.set(id, this.run(id));
    }
  }

  /** The current level of each SKU (null where PostgreSQL knows none), without announcing it. */
  peek(skuIds: string[]): Promise<(StockLevel | null)[]> {
    return Promise.all(skuIds.map(async (id) => (await this.announce(id, 'peek'))?.level ?? null));
  }

  /** Stops taking changes and waits for the announcements under way, the waiting and folded ones included. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  private async run(skuId: string): Promise<void> {
    try {
      for (;;) {
        this.again.delete(skuId);
        const started = Date.now();
        try {
          this.announced++;
          await this.announce(skuId, 'publish');
        } catch (err) {
          this.failed(err, skuId);
        }
        if (!this.again.has(skuId)) break;
        // Others are waiting for a slot: this SKU queues behind them, or a few SKUs changing all the
        // time would keep every slot and the rest would never be announced.
        if (this.waiting.size > 0) {
          this.waiting.delete(skuId);
          this.waiting.add(skuId);
          break;
        }
        const wait = started + ANNOUNCE_SPACING_MS - Date.now();
        if (wait > 0) await sleep(wait);
      }
    } finally {
      this.running.delete(skuId);
      this.again.delete(skuId);
      this.startWaiting();
    }
  }

  /** Gives the free slots to the SKUs waiting longest. */
  private startWaiting(): void {
    for (const id of this.waiting) {
      if (this.running.size >= MAX_ANNOUNCEMENTS_IN_FLIGHT) return;
      this.waiting.delete(id);
      if (this.running.has(id)) this.again.add(id);
      else this.running.set(id, this.run(id));
    }
  }

  private failed(err: unknown, skuId: string): void {
    this.warnFailed({ err, skuId });
  }

  /** One reading through lua/announce-3.lua; null for a SKU PostgreSQL does not know. */
  private async announce(skuId: string, mode: AnnounceMode): Promise<{ level: StockLevel; alert: AlertKind | null } | null> {
    const { gate, prisma } = this.s;
    const names = { levels: this.channels.levels(skuId), alerts: this.channels.alerts };
    let threshold: { epoch: number; lowStockThreshold: number | null } | null = null;
    let waited = false;
    for (let attempt = 1; attempt <= MAX_ANNOUNCE_ATTEMPTS; attempt++) {
      const reply = await gate.announce(skuId, names, mode, threshold);
      switch (reply.kind) {
        case 'announced':
          return { level: levelFromWire(reply.level), alert: reply.alert };
        case 'missing':
          // Loading bumps the SKU's epoch, which sends requests that took from a counter loaded a moment
          // earlier back to retry. Requests load a missing counter themselves at once, so first give
          // them that moment; a counter still missing after it has nobody taking from it.
          if (!waited) {
            waited = true;
            await sleep(MISSING_GRACE_MS);
          } else if ((await loadCounters(gate, prisma, [skuId])).length > 0) {
            return null;
          }
          continue;
        case 'threshold': {
          const row = await prisma.sku.findUnique({ where: { id: skuId }, select: { epoch: true, lowStockThreshold: true } });
          if (!row) return null;
          threshold = { epoch: row.epoch, lowStockThreshold: row.lowStockThreshold };
          continue;
        }
      }
    }
    throw new Error(`the level of ${skuId} kept changing under ${MAX_ANNOUNCE_ATTEMPTS} readings`);
  }
}
