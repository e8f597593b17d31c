import { z } from 'zod';
import type { PrismaClient, Sql, Tx } from '../db/client.ts';
import { graphqlError } from '../errors.ts';
import { DEFAULT_LOCATION, type LocationStock, type LocationUnits, type SkuStock } from '../inventory.ts';
import { availableOver, readTruth } from '../ledger/truth.ts';
import { commitChange, fenceLocked } from '../sync/outbox.ts';
import { fingerprint, once } from './idempotency.ts';
import { idempotencyKey, locationId, MAX_STOCK_LEVEL, parseInput, quantity, skuId as skuIdSchema } from './input.ts';
import { InsufficientStock, UnknownSku } from './outcomes.ts';
import type { Services } from './services.ts';

// Stock in many locations (warehouses, stores). A location is one more dimension of a SKU's counters:
// - `default` exists from the start; a request that names no location uses it, so a deployment that
//   never creates another keeps every counter, movement and answer as before locations.
// - Allocation: a line pinned to a location (StockLineInput.locationId) takes only what that location
//   holds, never below zero there. A line not pinned is served by the active locations in priority order
//   (lowest first, ties by id), each giving what it holds, split over as many as it takes: it succeeds
//   whenever they hold the quantity together, and backorders (the SKU's backorderLimit) are owed by the
//   first. The gate allocates in the same script call that takes the cart (lua/includes/locations.lua),
//   so a cart stays all or nothing across lines and locations; the database-only path allocates the same
//   way from the truth (allocateFromTruth).
// - Each movement is in one location: a line served by three is three movements. Reservations hold per
//   location and settle per location; a refund returns units where they were sold from.
// - A SKU in buckets keeps its stock in `default` (its buckets split one pool): location changes of it
//   are refused with LOCATION_NOT_ALLOWED.

/** Locations per deployment: each is a field of every SKU's counter and a step of every allocation. */
export const MAX_LOCATIONS = 64;
/** Locations per upsertLocations call. */
export const MAX_UPSERT_LOCATIONS = MAX_LOCATIONS;
/** Priorities run 0..this: lowest first. */
export const MAX_LOCATION_PRIORITY = 1_000_000;
/** How long a process trusts its list of location ids before reading it again (a miss reads it at once). */
const LOCATION_IDS_TTL_MS = 1_000;

export interface Location {
  id: string;
  name: string;
  priority: number;
  active: boolean;
}

/** A SKU's level in one location, as the API shows it. */
export interface LocationLevel {
  location: Location;
  /** Null for an unlimited SKU. */
  available: number | null;
  reserved: number;
  sold: number;
}

/** All of a line's units from `default`: every line of a deployment without other locations. */
export function allInDefault(quantity: number): LocationUnits[] {
  return [{ locationId: DEFAULT_LOCATION, quantity }];
}

/** Every location, in allocation order (priority, then id). */
export async function listLocations(db: Sql): Promise<Location[]> {
  return db.$queryRawUnsafe<Location[]>(`SELECT id, name, priority, active FROM location ORDER BY priority, id`);
}

const knownIds = new WeakMap<object, { ids: Set<string>; until: number }>();

/** A location id a request names, and the input field that names it (for the error). */
export type NamedLocation = readonly [id: string | undefined, field: string];

/**
 * Refuses (UNKNOWN_LOCATION, nothing moved) a request naming a location that does not exist, at the
 * first field that does. The ids are cached per process for LOCATION_IDS_TTL_MS; an id not in the cache
 * is looked up at once, so a location created on another instance is known as soon as it exists.
 */
export async function requireLocations(prisma: PrismaClient, named: readonly NamedLocation[]): Promise<void> {
  if (named.every(([id]) => id === undefined)) return;
  let cached = knownIds.get(prisma);
  if (!cached || cached.until < Date.now() || named.some(([id]) => id !== undefined && !cached!.ids.has(id))) {
    const rows = await prisma.$queryRawUnsafe<{ id: string }[]>(`SELECT id FROM location`);
    cached = { ids: new Set(rows.map((r) => r.id)), until: Date.now() + LOCATION_IDS_TTL_MS };
    knownIds.set(prisma, cached);
  }
  const unknown = named.find(([id]) => id !== undefined && !cached.ids.has(id));
  if (unknown) throw graphqlError('UNKNOWN_LOCATION', `${unknown[1]}: no location ${unknown[0]}`, { field: unknown[1] });
}

/** The pinned lines' locations of carts, with their paths (`carts.3.lines.0.locationId`; `at` the cart's prefix). */
export function pinnedLocations(lines: readonly { locationId?: string }[], at: string): NamedLocation[] {
  return lines.map((l, i) => [l.locationId, `${at}lines.${i}.locationId`] as const);
}

/** Refuses (LOCATION_NOT_ALLOWED) a change of a SKU in buckets anywhere but `default`: its buckets split one pool. */
export function requireLocationAllowed(stock: SkuStock, locationIdAsked: string, field: string): void {
  if (locationIdAsked !== DEFAULT_LOCATION && stock.buckets > 1)
    throw graphqlError(
      'LOCATION_NOT_ALLOWED',
      `${field}: SKU ${stock.skuId} is split into buckets and keeps its stock in ${DEFAULT_LOCATION}`,
      {
        field,
      },
    );
}

/** A SKU's stock in one location (all of it in `default` when the deployment has no other). */
export function stockAt(stock: SkuStock, at: string): LocationStock {
  const found = stock.locations?.find((l) => l.locationId === at);
  if (found) return found;
  if (at === DEFAULT_LOCATION && !stock.locations)
    return { locationId: at, active: true, available: stock.available, reserved: stock.reserved, sold: stock.sold };
  return { locationId: at, active: false, available: 0, reserved: 0, sold: 0 };
}

/** The SKU's stock with one location's available set to `available`, the SKU's as the truth counts it (availableOver). */
export function withLevelAt(stock: SkuStock, at: string, available: number): SkuStock {
  if (!stock.locations) return { ...stock, available };
  const locations = stock.locations.map((l) => (l.locationId === at ? { ...l, available } : l));
  return { ...stock, locations, available: availableOver(locations) };
}

/**
 * Where a database-only take of `wanted` units comes from, as the gate allocates it
 * (lua/includes/locations.lua): the sources, or null and what could be had.
 */
export function allocateFromTruth(
  stock: SkuStock,
  wanted: number,
  pinned?: string,
): { sources: LocationUnits[] | null; obtainable: number } {
  const floor = -stock.backorderLimit;
  if (!stock.locations || stock.buckets > 1) {
    if (pinned && pinned !== DEFAULT_LOCATION)
      return stock.unlimited ? { sources: [{ locationId: pinned, quantity: wanted }], obtainable: 0 } : { sources: null, obtainable: 0 };
    if (!stock.unlimited && stock.available - wanted < floor) return { sources: null, obtainable: stock.available - floor };
    return { sources: allInDefault(wanted), obtainable: 0 };
  }
  const active = stock.locations.filter((l) => l.active);
  if (pinned) {
    const at = active.find((l) => l.locationId === pinned);
    if (!at) return { sources: null, obtainable: 0 };
    if (stock.unlimited) return { sources: [{ locationId: pinned, quantity: wanted }], obtainable: 0 };
    if (at.available < wanted || stock.available - wanted < floor)
      return { sources: null, obtainable: Math.max(Math.min(at.available, stock.available - floor), 0) };
    return { sources: [{ locationId: pinned, quantity: wanted }], obtainable: 0 };
  }
  if (stock.unlimited) return { sources: [{ locationId: active[0]?.locationId ?? DEFAULT_LOCATION, quantity: wanted }], obtainable: 0 };
  if (active.length === 0) return { sources: null, obtainable: 0 };
  if (stock.available - wanted < floor) return { sources: null, obtainable: stock.available - floor };
  let left = wanted;
  const taken = active.map((l) => {
    const units = Math.min(left, Math.max(l.available, 0));
    left -= units;
    return units;
  });
  taken[0]! += left;
  return {
    sources: active.map((l, i) => ({ locationId: l.locationId, quantity: taken[i]! })).filter((s) => s.quantity > 0),
    obtainable: 0,
  };
}

export interface UpsertLocationInput {
  id: string;
  name: string;
  priority: number;
  active?: boolean | null | undefined;
}

const upserts = z
  .array(
    z.object({
      id: locationId,
      name: z.string().min(1, { error: 'INVALID_NAME:must not be empty' }).max(200, { error: 'INVALID_NAME:at most 200 characters' }),
      priority: z
        .number()
        .int({ error: 'INVALID_PRIORITY:must be an integer' })
        .min(0, { error: 'INVALID_PRIORITY:must not be negative' })
        .max(MAX_LOCATION_PRIORITY, { error: `INVALID_PRIORITY:at most ${MAX_LOCATION_PRIORITY}` }),
      active: z.boolean().nullish(),
    }),
  )
  .min(1, { error: 'EMPTY_BATCH:give at least one location' })
  .max(MAX_UPSERT_LOCATIONS, { error: `BATCH_TOO_LARGE:at most ${MAX_UPSERT_LOCATIONS} locations per call` })
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    for (const [i, l] of list.entries()) {
      if (seen.has(l.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `INVALID_LOCATION:location ${l.id} is listed twice` });
      seen.add(l.id);
    }
  });

/**
 * Creates locations or changes them (admin). Every SKU's counter lists the active locations in order,
 * so a change of them fences every SKU (their counters load again with the new order; takes that passed
 * the old ones are refused by the ledger and retried). Rare: a deployment changes its locations by hand.
 */
export async function upsertLocations(s: Services, input: UpsertLocationInput[]): Promise<Location[]> {
  const list = parseInput(upserts, input, 'input.locations');
  const known = (await s.prisma.sku.findMany({ select: { id: true } })).map((r) => r.id);
  await commitChange(s, known, 'fence', async (tx) => {
    // SKUs created since the list was read are fenced too (in id order, as every writer locks rows).
    const since = await tx.$queryRawUnsafe<{ id: string }[]>(`SELECT id FROM sku WHERE NOT (id = ANY($1::text[])) ORDER BY id`, known);
    const fenced = await fenceLocked(
      tx,
      since.map((r) => r.id),
    );
    await tx.$executeRawUnsafe(`LOCK TABLE location IN SHARE ROW EXCLUSIVE MODE`);
    const others = await tx.location.count({ where: { id: { notIn: list.map((l) => l.id) } } });
    if (others + list.length > MAX_LOCATIONS)
      throw graphqlError('BATCH_TOO_LARGE', `input.locations: a deployment has at most ${MAX_LOCATIONS} locations`, {
        field: 'input.locations',
      });
    const closingDefault = list.some((l) => l.id === DEFAULT_LOCATION && l.active === false);
    if (closingDefault && (await tx.sku.count({ where: { buckets: { gt: 1 } } })) > 0)
      throw graphqlError(
        'LOCATION_NOT_ALLOWED',
        `input.locations: SKUs split into buckets keep their stock in ${DEFAULT_LOCATION}, which must stay active`,
        {
          field: 'input.locations',
        },
      );
    for (const l of list)
      await tx.location.upsert({
        where: { id: l.id },
        create: { id: l.id, name: l.name, priority: l.priority, active: l.active ?? true },
        update: { name: l.name, priority: l.priority, ...(l.active != null ? { active: l.active } : {}) },
      });
    return { result: undefined, movements: [], fenced };
  });
  knownIds.delete(s.prisma);
  const all = await listLocations(s.prisma);
  return list.map((l) => all.find((x) => x.id === l.id)!);
}

export interface TransferStockInput {
  skuId: string;
  fromLocationId: string;
  toLocationId: string;
  quantity: number;
  idempotencyKey: string;
}

export interface TransferStockSuccess {
  skuId: string;
  fromLocationId: string;
  toLocationId: string;
  quantity: number;
}

/**
 * Moves available units between two locations of a SKU (admin): a TRANSFER movement out of one and one
 * into the other, in one transaction, idempotent by key. It lowers a location, so it fences the SKU
 * (takes that passed the old counter may have counted on those units). Never below zero at the source.
 */
export async function transferStock(s: Services, input: TransferStockInput): Promise<TransferStockSuccess> {
  const skuId = parseInput(skuIdSchema, input.skuId, 'input.skuId');
  const from = parseInput(locationId, input.fromLocationId, 'input.fromLocationId');
  const to = parseInput(locationId, input.toLocationId, 'input.toLocationId');
  const units = parseInput(quantity.max(MAX_STOCK_LEVEL), input.quantity, 'input.quantity');
  const key = parseInput(idempotencyKey, input.idempotencyKey, 'input.idempotencyKey');
  if (from === to)
    throw graphqlError('INVALID_LOCATION', 'input.toLocationId: must differ from fromLocationId', { field: 'input.toLocationId' });
  await requireLocations(s.prisma, [
    [from, 'input.fromLocationId'],
    [to, 'input.toLocationId'],
  ]);
  const op = {
    kind: 'TRANSFER',
    key,
    orderId: null,
    fingerprint: fingerprint(`${skuId}:${from}>${to}`, [{ skuId, quantity: units }]),
  } as const;
  return once<TransferStockSuccess>(s.prisma, op, (recorder) =>
    commitChange(s, [skuId], 'fence', async (tx, epochs) => {
      if (!epochs.has(skuId)) throw new UnknownSku([skuId]);
      return recorder.firstTime(tx, () => transferUnderLock(tx, { skuId, from, to, units, key }));
    }),
  );
}

async function transferUnderLock(tx: Tx, t: { skuId: string; from: string; to: string; units: number; key: string }) {
  const stock = (await readTruth(tx, [t.skuId])).get(t.skuId)!;
  requireLocationAllowed(stock, t.from === DEFAULT_LOCATION ? t.to : t.from, 'input');
  const at = stockAt(stock, t.from);
  if (at.available < t.units) throw new InsufficientStock([{ skuId: t.skuId, requested: t.units, obtainable: Math.max(at.available, 0) }]);
  const movement = { kind: 'TRANSFER' as const, skuId: t.skuId, quantity: t.units, idempotencyKey: t.key };
  return {
    result: { skuId: t.skuId, fromLocationId: t.from, toLocationId: t.to, quantity: t.units },
    movements: [
      { ...movement, deltaAvailable: -t.units, locationId: t.from },
      { ...movement, deltaAvailable: t.units, locationId: t.to },
    ],
  };
}

/** How long a reading's levels per location are kept for the other subscribers of this process. */
const LIVE_LOCATION_LEVELS_MS = 1_000;
const liveLevels = new WeakMap<object, Map<string, { until: number; levels: Promise<LocationLevel[]> }>>();

/**
 * A SKU's levels per location for a live reading (stockLevels with locationIds), read from the truth once
 * per reading (`version`) and shared by every subscriber of this process: readings are coalesced to the
 * server's rate per SKU, so a hot SKU costs PostgreSQL that many reads a second however many watch it.
 * Read when the reading is sent, after the change it announces committed.
 */
export function liveLocationLevels(s: Services, skuId: string, version: number): Promise<LocationLevel[]> {
  const cache = liveLevels.get(s.prisma) ?? new Map<string, { until: number; levels: Promise<LocationLevel[]> }>();
  liveLevels.set(s.prisma, cache);
  const key = `${skuId}\n${version}`;
  const hit = cache.get(key);
  if (hit) return hit.levels;
  for (const [old, entry] of cache) if (entry.until <= Date.now()) cache.delete(old);
  const levels = locationLevels(s, [skuId]).then((all) => all.get(skuId) ?? []);
  cache.set(key, { until: Date.now() + LIVE_LOCATION_LEVELS_MS, levels });
  levels.catch(() => cache.delete(key));
  return levels;
}

/** The locations a live subscription names: ids checked (INVALID_LOCATION, UNKNOWN_LOCATION) before it starts. */
export async function watchedLocations(s: Services, ids: readonly string[]): Promise<string[]> {
  const list = parseInput(
    z.array(locationId).max(MAX_LOCATIONS, { error: `BATCH_TOO_LARGE:at most ${MAX_LOCATIONS} locations` }),
    ids,
    'locationIds',
  );
  await requireLocations(
    s.prisma,
    list.map((id, i) => [id, `locationIds.${i}`] as const),
  );
  return [...new Set(list)];
}

/** Each SKU's stock per location, every location listed (all in `default` without others). */
export async function locationLevels(s: Services, skuIds: string[]): Promise<Map<string, LocationLevel[]>> {
  const [all, truth] = await Promise.all([listLocations(s.prisma), readTruth(s.prisma, skuIds)]);
  const levels = new Map<string, LocationLevel[]>();
  for (const [id, stock] of truth)
    levels.set(
      id,
      all.map((location) => {
        const at = stockAt(stock, location.id);
        return { location, available: stock.unlimited ? null : at.available, reserved: at.reserved, sold: at.sold };
      }),
    );
  return levels;
}
