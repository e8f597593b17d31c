/**
 * Stock in many locations, property-based (issue 18): random sequences of deducts and reserves (pinned to
 * a location or not; deducts also several carts in one batch request, answered as if taken one at a time), whole releases and confirms, partial refunds, restocks, transfers and set-stocks
 * per location, and the occasional deactivation of a location, sent over HTTP to the real app on
 * PostgreSQL and Redis, and checked AFTER EVERY STEP against a small in-memory model: each operation's
 * outcome, the allocation a take answers (`TakenLine.allocations`), and every SKU's levels per location
 * (`Sku.levels`) and its sums (`Sku.available` counts the active locations, and an inactive one's shortfall).
 *
 * The model (README "Stock in many locations"): per SKU and location available / reserved / sold, and
 * per order where each of its units is (held or sold) per location, in the order the locations served it.
 * - A pinned take takes from its location only, never below zero there nor the SKU below its floor, and
 *   never from an inactive one.
 * - A take not pinned is served by the active locations in priority order (default 0, north 1, east 2),
 *   each giving what it holds (a negative level gives nothing); the rest, within the SKU's backorder
 *   allowance (active available − quantity ≥ −backorderLimit), is owed by the first active location.
 * - Releases and confirms settle each location's held units there; a refund gives units back to the
 *   locations in the order they served the order, each at most what the order still has sold there.
 * - A transfer never takes more than the source holds; a set-stock sets one location's level.
 *
 * Locations `north` (1) and `east` (2) are made once; a run may deactivate `north` (which fences every
 * SKU: kept rare) and always ends with it active again. Each run ends with stockAudit on its SKUs.
 * fast-check prints the seed and the shrunk sequence of a failure; FC_SEED (and FC_PATH) replay one,
 * FC_RUNS changes the number of runs.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checked } from './support/client.ts';
import {
  DEDUCT_ALLOCATED,
  DEDUCT_BATCH_ALLOCATED,
  RESERVE_ALLOCATED,
  RESTOCK,
  SET_STOCK,
  SKU_LEVELS,
  TRANSFER_STOCK,
  UPSERT_LOCATIONS,
} from './support/ops.ts';
import { permutations } from './support/permutations.ts';
import { useStack } from './support/stack.ts';

const stack = useStack();

/** Bounded retries of TEMPORARILY_UNAVAILABLE (nothing moved; README: retry with the same key). */
let retried = 0;
const client = stack.api.retrying({
  attempts: 8,
  pause: (attempt) => Math.min(25 * 2 ** attempt, 500),
  onRetry: () => retried++,
});

afterAll(() => {
  if (retried > 0) console.warn(`locations property: ${retried} TEMPORARILY_UNAVAILABLE answers retried`);
});

// ---------------------------------------------------------------------------------------------
// The model

/** Every location, in allocation order (priority 0, 1, 2). */
const LOCATIONS = ['default', 'north', 'east'] as const;
type Loc = (typeof LOCATIONS)[number];
const PRIORITY: Record<Loc, number> = { default: 0, north: 1, east: 2 };

interface At {
  available: number;
  reserved: number;
  sold: number;
}
interface SkuModel {
  id: string;
  backorderLimit: number;
  at: Record<Loc, At>;
}
/** Where an order's units are, per location, in the order the locations served it. */
interface Part {
  loc: Loc;
  held: number;
  sold: number;
}
interface OrderModel {
  id: string;
  sku: SkuModel;
  kind: 'deduct' | 'reserve';
  /** A reservation's state (a deduct's order is SOLD). */
  state: 'SOLD' | 'ACTIVE' | 'CONFIRMED' | 'RELEASED';
  parts: Part[];
}
type Allocation = { locationId: Loc; quantity: number };

class Model {
  readonly skus: SkuModel[];
  readonly orders: OrderModel[] = [];
  readonly active: Record<Loc, boolean> = { default: true, north: true, east: true };

  constructor(prefix: string, initial: Initial[]) {
    this.skus = initial.map((s, i) => ({
      id: `${prefix}-s${i}`,
      backorderLimit: s.backorderLimit,
      at: {
        default: { available: s.levels[0], reserved: 0, sold: 0 },
        north: { available: s.levels[1], reserved: 0, sold: 0 },
        east: { available: s.levels[2], reserved: 0, sold: 0 },
      },
    }));
  }

  sku(i: number): SkuModel {
    return this.skus[i % this.skus.length]!;
  }

  activeLocations(): Loc[] {
    return LOCATIONS.filter((l) => this.active[l]);
  }

  /** Sku.available: the sum over the active locations, and an inactive one's shortfall (backorders it owes). */
  available(s: SkuModel): number {
    return LOCATIONS.reduce((sum, l) => sum + (this.active[l] ? s.at[l].available : Math.min(s.at[l].available, 0)), 0);
  }

  /** Where a take of q units comes from, in the order taken (no zero entries), or null when refused. */
  allocate(s: SkuModel, q: number, pinned: Loc | null): Allocation[] | null {
    if (pinned) {
      // Never below zero there, nor the SKU below its floor.
      if (!this.active[pinned] || s.at[pinned].available < q || this.available(s) - q < -s.backorderLimit) return null;
      return [{ locationId: pinned, quantity: q }];
    }
    const active = this.activeLocations();
    if (active.length === 0 || this.available(s) - q < -s.backorderLimit) return null;
    let left = q;
    const taken = active.map((l) => {
      const units = Math.min(left, Math.max(s.at[l].available, 0));
      left -= units;
      return units;
    });
    taken[0]! += left;
    return active.map((l, i) => ({ locationId: l, quantity: taken[i]! })).filter((a) => a.quantity > 0);
  }

  /**
   * Sku as the `sku` query shows it (SKU_LEVELS). Sku.available counts the active locations (and an
   * inactive one's shortfall); Sku.reserved and Sku.sold count every location (README).
   */
  view(s: SkuModel) {
    const total = (field: 'reserved' | 'sold') => LOCATIONS.reduce((sum, l) => sum + s.at[l][field], 0);
    return {
      available: this.available(s),
      reserved: total('reserved'),
      sold: total('sold'),
      levels: LOCATIONS.map((l) => ({ location: { id: l, active: this.active[l] }, ...s.at[l] })),
    };
  }
}

interface Initial {
  /** default, north, east */
  levels: [number, number, number];
  backorderLimit: number;
}

// ---------------------------------------------------------------------------------------------
// Steps

type Op =
  | { t: 'deduct' | 'reserve'; sku: number; q: number; pin: Loc | null }
  | { t: 'deductBatch'; carts: { sku: number; q: number; pin: Loc | null }[] }
  | { t: 'release' | 'confirm'; nth: number }
  | { t: 'refund'; nth: number; q: number }
  | { t: 'restock'; sku: number; loc: Loc; q: number }
  | { t: 'transfer'; sku: number; from: Loc; to: Loc; q: number }
  | { t: 'setStock'; sku: number; loc: Loc; level: number }
  | { t: 'toggleNorth' };

/** Fresh idempotency keys and order ids: nothing is replayed by accident. */
let seq = 0;
const fresh = (prefix: string, what: string) => `${prefix}-${what}${++seq}`;

async function setNorth(active: boolean): Promise<void> {
  checked(
    await client.gql(UPSERT_LOCATIONS, { input: { locations: [{ id: 'north', name: 'north', priority: PRIORITY.north, active }] } }),
    'UpsertLocationsSuccess',
  );
}

class Runner {
  readonly m: Model;
  private readonly log: string[] = [];

  constructor(
    readonly prefix: string,
    initial: Initial[],
  ) {
    this.m = new Model(prefix, initial);
  }

  async run(ops: Op[]): Promise<void> {
    let failed = true;
    try {
      await this.setUp();
      for (const [i, op] of ops.entries()) {
        try {
          const said = await this.step(op);
          this.log.push(`${i}: ${JSON.stringify(op)} -> ${said}`);
          await this.check(`after step ${i}`);
        } catch (err) {
          const e = err as Error;
          e.message = `step ${i} ${JSON.stringify(op)} failed: ${e.message}\nsteps before:\n${this.log.join('\n')}\nmodel: ${this.describe()}`;
          throw e;
        }
      }
      await this.finish();
      failed = false;
    } finally {
      // Every run starts with north active, whatever happened to this one.
      if (failed || !this.m.active.north) await setNorth(true);
    }
  }

  /** A take's allocation into the model, as the order `orderId`. */
  private take(kind: 'deduct' | 'reserve', orderId: string, s: SkuModel, allocation: Allocation[]): void {
    const parts: Part[] = [];
    for (const a of allocation) {
      const at = s.at[a.locationId];
      at.available -= a.quantity;
      if (kind === 'deduct') at.sold += a.quantity;
      else at.reserved += a.quantity;
      parts.push({ loc: a.locationId, held: kind === 'reserve' ? a.quantity : 0, sold: kind === 'deduct' ? a.quantity : 0 });
    }
    this.m.orders.push({ id: orderId, sku: s, kind, state: kind === 'deduct' ? 'SOLD' : 'ACTIVE', parts });
  }

  describe(): string {
    return JSON.stringify({
      active: this.m.active,
      skus: this.m.skus.map((s) => ({ id: s.id, backorderLimit: s.backorderLimit, ...s.at })),
      orders: this.m.orders.map((o) => ({ id: o.id, sku: o.sku.id, state: o.state, parts: o.parts })),
    });
  }

  async setUp(): Promise<void> {
    await client.upserted(this.m.skus.map((s) => ({ id: s.id, backorderLimit: s.backorderLimit })));
    for (const s of this.m.skus)
      for (const l of LOCATIONS)
        checked(await client.gql(SET_STOCK, { input: { skuId: s.id, available: s.at[l].available, locationId: l } }), 'SetStockSuccess');
    await this.check('set-up');
  }

  /** Sends one operation, checks its outcome against the model, updates the model; returns what it said. */
  async step(op: Op): Promise<string> {
    const m = this.m;
    switch (op.t) {
      case 'deduct':
      case 'reserve': {
        const s = m.sku(op.sku);
        const orderId = fresh(this.prefix, op.t === 'deduct' ? 'd' : 'r');
        const line = { skuId: s.id, quantity: op.q, ...(op.pin ? { locationId: op.pin } : {}) };
        const input = { orderId, idempotencyKey: `${orderId}-key`, lines: [line] };
        const answer = checked(
          op.t === 'deduct'
            ? await client.gql(DEDUCT_ALLOCATED, { input })
            : await client.gql(RESERVE_ALLOCATED, { input: { ...input, ttlSeconds: 600 } }),
        );
        const allocation = m.allocate(s, op.q, op.pin);
        if (!allocation) {
          expect(answer.__typename, `refused by the model: ${JSON.stringify(answer)}`).toBe('InsufficientStock');
          return 'InsufficientStock';
        }
        expect(answer.__typename, JSON.stringify(answer)).toBe(op.t === 'deduct' ? 'DeductStockSuccess' : 'ReserveStockSuccess');
        expect(answer.lines[0].allocations, 'where the units came from').toEqual(allocation);
        this.take(op.t, orderId, s, allocation);
        return `${answer.__typename} ${orderId} ${JSON.stringify(allocation)}`;
      }

      case 'deductBatch': {
        const carts = op.carts.map((c) => ({ ...c, s: m.sku(c.sku), orderId: fresh(this.prefix, 'b') }));
        const input = {
          carts: carts.map((c) => ({
            orderId: c.orderId,
            idempotencyKey: `${c.orderId}-key`,
            lines: [{ skuId: c.s.id, quantity: c.q, ...(c.pin ? { locationId: c.pin } : {}) }],
          })),
        };
        const results: any[] = checked(await client.gql(DEDUCT_BATCH_ALLOCATED, { input })).results;
        // Each cart's allocation as if the carts were taken one at a time in this order (the model is left as it was).
        const oneAtATime = (order: number[]): (Allocation[] | null)[] => {
          const levels = structuredClone(m.skus.map((x) => x.at));
          const allocations: (Allocation[] | null)[] = [];
          for (const i of order) {
            const c = carts[i]!;
            allocations[i] = m.allocate(c.s, c.q, c.pin);
            for (const a of allocations[i] ?? []) c.s.at[a.locationId].available -= a.quantity;
          }
          m.skus.forEach((x, j) => (x.at = levels[j]!));
          return allocations;
        };
        const answered = (allocation: Allocation[] | null, answer: any) =>
          allocation
            ? answer.__typename === 'DeductStockSuccess' && JSON.stringify(answer.lines[0].allocations) === JSON.stringify(allocation)
            : answer.__typename === 'InsufficientStock';
        // In the carts' order, unless some had to try again on their own: then in another.
        const order = permutations(carts.length).find((o) => oneAtATime(o).every((a, i) => answered(a, results[i])));
        expect(order, `the batch answers its carts as if taken one at a time in some order: ${JSON.stringify(results)}`).toBeDefined();
        for (const i of order!) {
          const c = carts[i]!;
          const allocation = m.allocate(c.s, c.q, c.pin);
          if (allocation) this.take('deduct', c.orderId, c.s, allocation);
        }
        return results.map((r) => r.__typename).join(',');
      }

      case 'release':
      case 'confirm': {
        const holds = m.orders.filter((o) => o.kind === 'reserve');
        if (holds.length === 0) return 'skipped (no reservation)';
        const o = holds[op.nth % holds.length]!;
        const key = fresh(this.prefix, op.t[0]!);
        const answer = checked(
          op.t === 'confirm' ? await client.confirm(o.id, undefined, key) : await client.release(o.id, undefined, key),
        );
        const outcome =
          o.state === 'RELEASED'
            ? 'ReservationAlreadyReleased'
            : o.state === 'CONFIRMED'
              ? 'ReservationAlreadyConfirmed'
              : op.t === 'confirm'
                ? 'ConfirmReservationSuccess'
                : 'ReleaseReservationSuccess';
        expect(answer.__typename, `${op.t} of ${o.id} (${o.state}): ${JSON.stringify(answer)}`).toBe(outcome);
        if (o.state !== 'ACTIVE') return `${outcome} ${o.id}`;
        for (const p of o.parts) {
          const at = o.sku.at[p.loc];
          at.reserved -= p.held;
          if (op.t === 'confirm') {
            at.sold += p.held;
            p.sold += p.held;
          } else at.available += p.held;
          p.held = 0;
        }
        o.state = op.t === 'confirm' ? 'CONFIRMED' : 'RELEASED';
        return `${outcome} ${o.id}`;
      }

      case 'refund': {
        const sold = m.orders.filter((o) => o.state === 'SOLD' || o.state === 'CONFIRMED');
        if (sold.length === 0) return 'skipped (no order sold)';
        const o = sold[op.nth % sold.length]!;
        const refundable = o.parts.reduce((sum, p) => sum + p.sold, 0);
        const q = refundable > 0 ? ((op.q - 1) % refundable) + 1 : op.q;
        const answer = checked(await client.refund(o.id, fresh(this.prefix, 'f'), [{ skuId: o.sku.id, quantity: q }]));
        if (q > refundable) {
          expect(answer.__typename, JSON.stringify(answer)).toBe('RefundExceedsDeducted');
          return `RefundExceedsDeducted ${o.id} ${q}`;
        }
        expect(answer.__typename, JSON.stringify(answer)).toBe('RefundStockSuccess');
        let left = q;
        const back: Allocation[] = [];
        for (const p of o.parts) {
          const units = Math.min(left, p.sold);
          if (units === 0) continue;
          p.sold -= units;
          left -= units;
          o.sku.at[p.loc].sold -= units;
          o.sku.at[p.loc].available += units;
          back.push({ locationId: p.loc, quantity: units });
        }
        return `RefundStockSuccess ${o.id} ${q} back to ${JSON.stringify(back)}`;
      }

      case 'restock': {
        const s = m.sku(op.sku);
        const answer = checked(
          await client.gql(RESTOCK, {
            input: { skuId: s.id, quantity: op.q, idempotencyKey: fresh(this.prefix, 'k'), locationId: op.loc },
          }),
        );
        expect(answer.__typename, JSON.stringify(answer)).toBe('RestockSuccess');
        s.at[op.loc].available += op.q;
        expect(answer.availableAfter, 'available (active locations) right after the restock').toBe(m.available(s));
        return answer.__typename;
      }

      case 'transfer': {
        const s = m.sku(op.sku);
        const input = {
          skuId: s.id,
          fromLocationId: op.from,
          toLocationId: op.to,
          quantity: op.q,
          idempotencyKey: fresh(this.prefix, 't'),
        };
        const answer = checked(await client.gql(TRANSFER_STOCK, { input }));
        const holds = s.at[op.from].available;
        if (holds < op.q) {
          expect(answer, JSON.stringify(answer)).toEqual({
            __typename: 'InsufficientStock',
            lines: [{ skuId: s.id, requested: op.q, obtainable: Math.max(holds, 0) }],
          });
          return 'InsufficientStock';
        }
        expect(answer, JSON.stringify(answer)).toEqual({
          __typename: 'TransferStockSuccess',
          skuId: s.id,
          fromLocationId: op.from,
          toLocationId: op.to,
          quantity: op.q,
        });
        s.at[op.from].available -= op.q;
        s.at[op.to].available += op.q;
        return answer.__typename;
      }

      case 'setStock': {
        const s = m.sku(op.sku);
        const answer = checked(
          await client.gql(SET_STOCK, { input: { skuId: s.id, available: op.level, locationId: op.loc } }),
          'SetStockSuccess',
        );
        s.at[op.loc].available = op.level;
        expect(answer.sku.available, 'available (active locations) after the set').toBe(m.available(s));
        return answer.__typename;
      }

      case 'toggleNorth': {
        const to = !m.active.north;
        await setNorth(to);
        m.active.north = to;
        return `north ${to ? 'active' : 'inactive'}`;
      }
    }
  }

  /** Every SKU of the run against the model: its sums and its levels per location. */
  async check(when: string): Promise<void> {
    for (const s of this.m.skus) {
      const got = checked(await client.gql(SKU_LEVELS, { id: s.id }));
      expect(got, `${when}: ${s.id}`).toEqual(this.m.view(s));
    }
  }

  /** North active again (checked once more), then the service's own audit of the run's SKUs. */
  async finish(): Promise<void> {
    if (!this.m.active.north) {
      await setNorth(true);
      this.m.active.north = true;
      this.log.push('end: north active again');
      await this.check('after north is active again');
    }
    const ids = this.m.skus.map((s) => s.id);
    const audits = checked(await client.stockAudit(ids));
    expect(
      audits.map((a: { skuId: string; conserved: boolean; gateAgrees: boolean }) => [a.skuId, a.conserved, a.gateAgrees]),
      `stockAudit at the end of the run: ${JSON.stringify(audits)}`,
    ).toEqual(ids.map((id) => [id, true, true]));
  }
}

// ---------------------------------------------------------------------------------------------
// Generators

const SKU_INDEX = fc.nat({ max: 1 });
const NTH = fc.nat({ max: 7 });
/** Mostly a few units, sometimes more than a location holds. */
const QUANTITY = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 3 }) },
  { weight: 1, arbitrary: fc.integer({ min: 4, max: 6 }) },
);
const LOCATION = fc.constantFrom<Loc>(...LOCATIONS);
/** Half the takes pinned to a location. */
const PIN = fc.option(LOCATION, { nil: null, freq: 2 });

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant('deduct' as const), sku: SKU_INDEX, q: QUANTITY, pin: PIN }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('reserve' as const), sku: SKU_INDEX, q: QUANTITY, pin: PIN }) },
  // Several carts in one request, often of one SKU: one gate call allocates them one after the other.
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('deductBatch' as const),
      carts: fc.array(fc.record({ sku: SKU_INDEX, q: QUANTITY, pin: PIN }), { minLength: 1, maxLength: 4 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('release' as const), nth: NTH }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('confirm' as const), nth: NTH }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('refund' as const), nth: NTH, q: QUANTITY }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('restock' as const), sku: SKU_INDEX, loc: LOCATION, q: QUANTITY }) },
  {
    weight: 2,
    arbitrary: fc.tuple(SKU_INDEX, LOCATION, fc.nat({ max: 1 }), QUANTITY).map(([sku, from, shift, q]): Op => {
      const others = LOCATIONS.filter((l) => l !== from);
      return { t: 'transfer', sku, from, to: others[shift]!, q };
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('setStock' as const),
      sku: SKU_INDEX,
      loc: LOCATION,
      level: fc.oneof(fc.constant(0), fc.nat({ max: 8 })),
    }),
  },
  { weight: 1, arbitrary: fc.constant<Op>({ t: 'toggleNorth' }) },
);

/** Two SKUs with a few units per location; the first allows 2 backorders. */
const initial: fc.Arbitrary<Initial[]> = fc.tuple(
  fc.record({ levels: fc.tuple(fc.nat({ max: 4 }), fc.nat({ max: 4 }), fc.nat({ max: 4 })), backorderLimit: fc.constant(2) }),
  fc.record({ levels: fc.tuple(fc.nat({ max: 4 }), fc.nat({ max: 4 }), fc.nat({ max: 4 })), backorderLimit: fc.constant(0) }),
);

/** Runs of the property: each is a fresh set of SKUs and orders, so runs never see each other. */
let runSeq = 0;
const runPrefix = () => `lp${++runSeq}`;

/** The whole property is bounded by this: shrinking a failure is cut off then, reporting the smallest found so far. */
const PROPERTY_TIME_LIMIT_MS = 200_000;

describe('stock in many locations (property)', () => {
  beforeAll(async () => {
    checked(
      await client.gql(UPSERT_LOCATIONS, {
        input: {
          locations: [
            { id: 'north', name: 'north', priority: PRIORITY.north },
            { id: 'east', name: 'east', priority: PRIORITY.east },
          ],
        },
      }),
      'UpsertLocationsSuccess',
    );
  });

  it(
    'keeps every location of every SKU at what the model says, after every step of random sequences',
    async () => {
      await fc.assert(
        fc.asyncProperty(initial, fc.array(op, { minLength: 10, maxLength: 25 }), async (skus, ops) => {
          await new Runner(runPrefix(), skus).run(ops);
        }),
        {
          numRuns: Number(process.env.FC_RUNS ?? 15),
          ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}),
          ...(process.env.FC_PATH ? { path: process.env.FC_PATH } : {}),
          plugins: [fc.interruptAfterTimeLimit(PROPERTY_TIME_LIMIT_MS)],
        },
      );
    },
    PROPERTY_TIME_LIMIT_MS + 40_000,
  );
});
