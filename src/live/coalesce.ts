import type { StockLevel } from './publish.ts';
import { Stream } from './stream.ts';

/** Cool-down timers armed by every coalescer of an instance, so a leak shows (Live.timers). */
export interface TimerCount {
  armed: number;
}

interface Slot {
  /** Highest version taken for this SKU: anything not above it is old news. */
  version: number;
  /** The latest level that came while cooling down; sent when the cool-down ends. */
  pending: StockLevel | null;
  /** The last level sent: a newer reading that says the same is not sent again. */
  sent: StockLevel | null;
  /** Running while this SKU may not send: for one interval after each send. */
  cooldown: NodeJS.Timeout | null;
}

/**
 * One subscriber's levels: per SKU at most one per interval, and always the latest.
 *
 * A level of a quiet SKU goes out at once and starts a cool-down of one interval; levels arriving
 * during it only replace the pending one, which goes out when the cool-down ends (and starts the next).
 * So a SKU sends at most 1 + elapsed/interval levels, and its latest level is sent at most one interval
 * after it arrived. Levels not newer than one already taken (another instance's slower announcement,
 * the initial reading racing the first change) are dropped, so versions only grow; a newer one saying
 * what the last one sent said is not sent.
 */
export class Coalescer extends Stream<StockLevel> {
  private readonly slots = new Map<string, Slot>();

  constructor(
    skuIds: string[],
    private readonly intervalMs: number,
    private readonly count: TimerCount,
    onEnd: () => void,
  ) {
    super(onEnd);
    for (const id of skuIds) this.slots.set(id, { version: 0, pending: null, sent: null, cooldown: null });
  }

  get skuIds(): string[] {
    return [...this.slots.keys()];
  }

  offer(level: StockLevel): void {
    const slot = this.slots.get(level.skuId);
    if (!slot || this.ended || level.version <= slot.version) return;
    slot.version = level.version;
    if (slot.cooldown) {
      slot.pending = level;
      return;
    }
    this.send(slot, level);
  }

  private send(slot: Slot, level: StockLevel): void {
    // Instances announce the same final level each after their last change: one is enough.
    if (slot.sent && sameLevel(slot.sent, level)) return;
    slot.sent = level;
    this.push(level.skuId, level);
    this.count.armed++;
    slot.cooldown = setTimeout(() => {
      this.count.armed--;
      slot.cooldown = null;
      const pending = slot.pending;
      slot.pending = null;
      if (pending) this.send(slot, pending);
    }, this.intervalMs);
  }

  override end(): void {
    for (const slot of this.slots.values()) {
      if (slot.cooldown) {
        clearTimeout(slot.cooldown);
        this.count.armed--;
      }
      slot.cooldown = null;
      slot.pending = null;
    }
    super.end();
  }
}

function sameLevel(a: StockLevel, b: StockLevel): boolean {
  return (
    a.available === b.available &&
    a.reserved === b.reserved &&
    a.sold === b.sold &&
    a.unlimited === b.unlimited &&
    a.state === b.state &&
    a.lowStockThreshold === b.lowStockThreshold
  );
}
