import type { StockAlert } from './publish.ts';
import { Stream } from './stream.ts';

/**
 * Alerts a subscriber has not read yet. graphql-ws and SSE write as fast as alerts come, so this only
 * fills when a client stops reading; past it the oldest go, rather than memory without end.
 */
export const MAX_QUEUED_ALERTS = 1_000;

/**
 * One subscriber's alerts: every alert of its SKUs (of all SKUs when it named none), in the order
 * Redis published them. Each crossing is published once (lua/announce-3.lua), so nothing is coalesced.
 */
export class AlertStream extends Stream<StockAlert> {
  private sequence = 0;

  constructor(
    private readonly skuIds: ReadonlySet<string> | null,
    onEnd: () => void,
  ) {
    super(onEnd);
  }

  offer(alert: StockAlert): void {
    if (this.skuIds && !this.skuIds.has(alert.level.skuId)) return;
    if (this.backlog >= MAX_QUEUED_ALERTS) this.dropOldest();
    this.push(String(this.sequence++), alert);
  }
}
