/**
 * The nouns every layer shares: the gate (Redis, src/gate/), the ledger (PostgreSQL, src/ledger/), the
 * seam that keeps them in step (src/sync/) and the domain (src/stock/). Types only, so importing this
 * module never pulls one layer into another.
 */

/** The kinds of movement that take units at the gate: they leave `available` for sold or reserved. */
export type TakeKind = 'DEDUCT' | 'RESERVE';

/** One line of a cart: a SKU and how many of its units, from one location (pinned) or allocated (src/stock/locations.ts). */
export interface CartLine {
  skuId: string;
  quantity: number;
  locationId?: string;
}

/** The location every request that names none uses (src/stock/locations.ts). */
export const DEFAULT_LOCATION = 'default';

/** Units of a line in one location: where a take's units came from. */
export interface LocationUnits {
  locationId: string;
  quantity: number;
}

/** A SKU's stock in one location. */
export interface LocationStock {
  locationId: string;
  /** Allocated from (and counted in the SKU's available) only while active. */
  active: boolean;
  available: number;
  reserved: number;
  sold: number;
}

/** A SKU's stock and settings, as the truth holds them and a gate counter mirrors them. */
export interface SkuStock {
  skuId: string;
  name: string | null;
  /** All of it in the active locations: the gate's share plus the withheld units. */
  available: number;
  /** Units of available withheld from the gate: only the database-only path sells them (src/stock/take). */
  withheld: number;
  reserved: number;
  sold: number;
  unlimited: boolean;
  /** How far below zero available may go. */
  backorderLimit: number;
  /** Hot-SKU throttle: deduct/reserve attempts admitted per second (lua/take.lua); null for none. */
  throttlePerSecond: number | null;
  /** Bumped whenever counters are rebuilt or the truth changes outside the gate (src/ledger/truth.ts). */
  epoch: number;
  /** Gate buckets the stock is split into (seed 003); 1 for none. */
  buckets: number;
  /**
   * Available at or below this raises a low-stock alert (null for none), where it was read with the
   * truth: a counter loaded from it keeps it (lua/seed.lua), so its announcements need not read it.
   */
  lowStockThreshold?: number | null;
  /**
   * Per location, in allocation order (priority, then id), when the deployment has locations other than
   * `default` or has deactivated it; absent while all stock is in `default`, as before locations existed.
   */
  locations?: LocationStock[];
}

/** A SKU's stock as a counter is loaded from it (no throttle and nothing withheld when left out). */
export type StockSeed = Omit<SkuStock, 'throttlePerSecond' | 'withheld' | 'buckets' | 'locations'> & {
  locations?: LocationStock[];
  throttlePerSecond?: number | null;
  withheld?: number;
  buckets?: number;
};
