import { z } from 'zod';
import { readTruth } from '../ledger/truth.ts';
import { adjustment, commitChange, fenceHeld, type MovementRow } from '../sync/outbox.ts';
import {
  idempotencyKey,
  inputError,
  locationId as locationIdSchema,
  MAX_SET_STOCK_ITEMS,
  MAX_STOCK_LEVEL,
  parseBatch,
  parseInput,
  skuId as skuIdSchema,
  stockLevel,
} from './input.ts';
import { DEFAULT_LOCATION, type SkuStock } from '../inventory.ts';
import { requireLocationAllowed, requireLocations, stockAt, withLevelAt } from './locations.ts';
import type { SkuLevel } from './levels.ts';
import { fingerprint, once } from './idempotency.ts';
import { Outcome, StockChanged, UnknownSku } from './outcomes.ts';
import type { Services } from './services.ts';

export interface RestockInput {
  skuId: string;
  quantity: number;
  idempotencyKey: string;
  /** Where the units arrive; `default` when left out. */
  locationId?: string | null | undefined;
}

export interface RestockSuccess {
  skuId: string;
  quantity: number;
  /** Available right after the restock (backorders are filled first: it may still be negative). */
  available: number;
  /** Whether the SKU was unlimited then (its available is not shown). Absent from answers stored before 0.2.0. */
  unlimited?: boolean;
}

/** A restock brings at most this many units at once: the level must stay within MAX_STOCK_LEVEL. */
const restockQuantity = z
  .number()
  .int({ error: 'INVALID_QUANTITY:must be an integer' })
  .min(1, { error: 'INVALID_QUANTITY:must be at least 1' })
  .max(MAX_STOCK_LEVEL, { error: `INVALID_QUANTITY:at most ${MAX_STOCK_LEVEL}` });

/** Merchant replenishment: RESTOCK movement, idempotent by key. */
export async function restock(s: Services, input: RestockInput): Promise<RestockSuccess> {
  const skuId = parseInput(skuIdSchema, input.skuId, 'skuId');
  const quantity = parseInput(restockQuantity, input.quantity, 'quantity');
  const key = parseInput(idempotencyKey, input.idempotencyKey, 'idempotencyKey');
  // `default` named or left out is one restock: a retry that names it replays the first.
  const named = input.locationId == null ? undefined : parseInput(locationIdSchema, input.locationId, 'locationId');
  const at = named === DEFAULT_LOCATION ? undefined : named;
  await requireLocations(s.prisma, [[at, 'locationId']]);
  const op = {
    kind: 'RESTOCK',
    key,
    orderId: null,
    fingerprint: fingerprint(skuId, [{ skuId, quantity, ...(at ? { locationId: at } : {}) }]),
  } as const;
  const locationId = at ?? DEFAULT_LOCATION;
  return once<RestockSuccess>(s.prisma, op, (recorder) =>
    commitChange(s, [skuId], 'apply', async (tx, epochs) => {
      if (!epochs.has(skuId)) throw new UnknownSku([skuId]);
      return recorder.firstTime(tx, async () => {
        const truth = (await readTruth(tx, [skuId])).get(skuId)!;
        requireLocationAllowed(truth, locationId, 'locationId');
        const there = stockAt(truth, locationId);
        if (there.available + quantity > MAX_STOCK_LEVEL)
          throw inputError('INVALID_STOCK_LEVEL', `available would exceed ${MAX_STOCK_LEVEL}`, 'quantity');
        // The SKU's available as the truth counts it after the restock (an inactive location's units do not count).
        const available = withLevelAt(truth, locationId, there.available + quantity).available;
        return {
          result: { skuId, quantity, available, unlimited: truth.unlimited },
          movements: [{ kind: 'RESTOCK', skuId, quantity, deltaAvailable: quantity, idempotencyKey: key, locationId }],
        };
      });
    }),
  );
}

export interface SetStockInput {
  skuId: string;
  available: number;
  expectedAvailable?: number | null | undefined;
  /** The location whose level is set; `default` when left out. */
  locationId?: string | null | undefined;
}

/** What setting a level can answer besides success (setStock throws them). */
export type SetStockOutcome = UnknownSku | StockChanged;

/**
 * Merchant correction to an absolute level, written as an ADJUST movement of the difference. With
 * `expectedAvailable` it is compare-and-set against the truth at the moment the SKU row is locked.
 */
export async function setStock(s: Services, input: SetStockInput): Promise<SkuLevel> {
  const item = parseSetStock(input);
  await requireLocations(s.prisma, [[item.locationId, 'locationId']]);
  const [answer] = await setLevels(s, [item]);
  if (answer instanceof Outcome) throw answer;
  return answer!;
}

/**
 * Sets many levels at once (setStockBatch): every item is checked before any I/O (the first bad one
 * refuses the request), then one fenced transaction sets them all. Items are independent: an unknown
 * SKU or a failed compare-and-set answers its outcome and the others are set. One answer per item.
 */
export async function setStockBatch(s: Services, items: SetStockInput[]): Promise<(SkuLevel | SetStockOutcome)[]> {
  const parsed = parseBatch(items, 'items', 'item', MAX_SET_STOCK_ITEMS, parseSetStock);
  const seen = new Set<string>();
  for (const [i, item] of parsed.entries()) {
    // Two levels for one SKU in one request: which one wins would depend on the order, so neither does.
    if (seen.has(item.skuId)) {
      throw inputError('DUPLICATE_SKU_LINE', `items.${i}.skuId: SKU ${item.skuId} appears on more than one item`, `items.${i}.skuId`);
    }
    seen.add(item.skuId);
  }
  await requireLocations(
    s.prisma,
    parsed.map((item, i) => [item.locationId, `items.${i}.locationId`] as const),
  );
  return setLevels(s, parsed);
}

type ParsedSetStock = { skuId: string; available: number; expected: number | null; locationId?: string };

/** One item of a set-stock request; `at` prefixes paths in errors. */
function parseSetStock(input: SetStockInput, at = ''): ParsedSetStock {
  return {
    skuId: parseInput(skuIdSchema, input.skuId, `${at}skuId`),
    available: parseInput(stockLevel, input.available, `${at}available`),
    expected: input.expectedAvailable == null ? null : parseInput(z.number().int(), input.expectedAvailable, `${at}expectedAvailable`),
    ...(input.locationId == null ? {} : { locationId: parseInput(locationIdSchema, input.locationId, `${at}locationId`) }),
  };
}

/**
 * One transaction: lock the SKUs' rows, read their truth, write an ADJUST per level that moves and
 * fence those SKUs (only those: a lost compare-and-set moves nothing, not even the epoch). Each answer
 * is the SKU's level at the commit, and the fenced SKUs' counters are loaded from it (reload): a bulk
 * set would otherwise leave thousands of counters for their first sales and the live announcements of
 * the new levels to load one at a time.
 */
async function setLevels(s: Services, items: ParsedSetStock[]): Promise<(SkuLevel | SetStockOutcome)[]> {
  return commitChange(
    s,
    items.map((item) => item.skuId),
    'set',
    async (tx, epochs) => {
      const truth = await readTruth(
        tx,
        items.filter((item) => epochs.has(item.skuId)).map((item) => item.skuId),
      );
      const movements: MovementRow[] = [];
      const set = new Map<string, SkuLevel>();
      const result = items.map(({ skuId, available, expected, locationId = DEFAULT_LOCATION }, i): SkuLevel | SetStockOutcome => {
        const now = truth.get(skuId);
        if (!now) return new UnknownSku([skuId]);
        requireLocationAllowed(now, locationId, items.length === 1 ? 'locationId' : `items.${i}.locationId`);
        const there = stockAt(now, locationId).available;
        if (expected !== null && there !== expected) return new StockChanged(skuId, expected, there);
        const { epoch: _, ...level } = now;
        const delta = available - there;
        if (delta === 0) return level;
        movements.push(...adjustment(skuId, delta, locationId));
        // Fenced below, which gives every withheld unit back to the gate's share.
        set.set(skuId, { ...withLevelAt(level as SkuStock, locationId, available), withheld: 0 });
        return set.get(skuId)!;
      });
      const fenced = await fenceHeld(tx, [...set.keys()]);
      const seeds = [...fenced].map(([skuId, epoch]): SkuStock => ({ ...set.get(skuId)!, epoch }));
      return { result, movements, fenced, seeds };
    },
    { reload: true },
  );
}
