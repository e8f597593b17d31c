import type { GateLine } from './buckets.ts';
import type { GateKeys, ShardKeys } from './keys.ts';
import type { ShortLine, TakeOutcome, TakeRecord } from './replies.ts';

/** A cart's part in one gate shard: its gate lines there (indexes into the cart's gate lines), and whether the key's record is kept there. */
export interface CartPart {
  shard: ShardKeys;
  /** The idempotency key's home shard: this part's call reads and writes the record (and the replay filter). */
  home: boolean;
  indexes: number[];
}

/** What a cart's part met at its shard, other than taking its lines. */
export type PartRefusal = Exclude<TakeOutcome, { kind: 'taken' }>;

/**
 * A cart's parts over the gate's shards, one per shard: its lines in shard order, the same order for
 * every cart, so carts that meet on the same SKUs hold units in one order and never keep each other
 * from selling in a cycle (each refusing the other, both giving back). The key's home shard keeps the
 * record: when it holds none of the lines, its part comes first with no line, so a replay or a conflict
 * is answered before any unit moves; otherwise its part, where the order puts it, also checks and
 * writes the record, and a replay met there gives back the parts before it. Each part is taken by
 * take.lua (with other carts' parts of its shard in the same call), all of its lines or none; a part refused gives the earlier ones back (Gate.take), and each part
 * is in flight in its own shard until the ledger has the cart, so a crash between parts leaves entries
 * that reconciliation settles like any other. With one shard, a cart is one part: the call is the same
 * as a gate without shards.
 */
export function cartParts(keys: GateKeys, home: ShardKeys, lines: readonly GateLine[]): CartPart[] {
  const byShard = new Map<number, number[]>();
  lines.forEach((line, i) => {
    const shard = keys.bucketShard(line.skuId, line.bucket).index;
    byShard.set(shard, [...(byShard.get(shard) ?? []), i]);
  });
  const parts = [...byShard.keys()]
    .sort((a, b) => a - b)
    .map((index) => ({ shard: keys.shards[index]!, home: index === home.index, indexes: byShard.get(index)! }));
  return byShard.has(home.index) ? parts : [{ shard: home, home: true, indexes: [] }, ...parts];
}

/**
 * A part's refusal as the cart's: its gate lines become the cart lines they serve (a line's buckets
 * in one shard add up, those not short counted at what they were asked for). Only the home shard's
 * replay filter can prove the key was never taken: a shortage met in another part is fresh when the
 * home part, taken before it, found the key fresh.
 */
export function cartRefusal(part: CartPart, refusal: PartRefusal, lines: readonly GateLine[], homeFresh: boolean): TakeOutcome {
  const cartLine = (i: number) => lines[part.indexes[i]!]!.line;
  switch (refusal.kind) {
    case 'missing':
      return { kind: 'missing', indexes: [...new Set(refusal.indexes.map(cartLine))] };
    case 'throttled':
      return { ...refusal, indexes: [...new Set(refusal.indexes.map(cartLine))] };
    case 'short': {
      const byLine = new Map<number, ShortLine>();
      for (const short of refusal.lines) {
        const index = cartLine(short.index);
        const sum = byLine.get(index) ?? { index, available: 0, withheld: 0, buckets: short.buckets };
        byLine.set(index, { ...sum, available: sum.available + short.available, withheld: sum.withheld + short.withheld });
      }
      // A short line's buckets in this part that were not short hold at least what they were asked for.
      const shortIndexes = new Set(refusal.lines.map((short) => short.index));
      part.indexes.forEach((gateLine, i) => {
        const sum = byLine.get(lines[gateLine]!.line);
        if (sum && !shortIndexes.has(i)) sum.available += lines[gateLine]!.quantity;
      });
      return { kind: 'short', fresh: part.home ? refusal.fresh : homeFresh, lines: [...byLine.values()] };
    }
    default:
      return refusal;
  }
}

/**
 * The cart's record from its parts' records, in the cart's line order; null when a line's buckets
 * answered different epochs (taken across a reload: the cart must be tried again). A line of a SKU in
 * buckets reports no level after (null): it knows only the buckets it took from.
 */
export function cartRecord(
  lineCount: number,
  lines: readonly GateLine[],
  bucketed: readonly boolean[],
  parts: readonly { part: CartPart; record: TakeRecord }[],
): TakeRecord | null {
  const record: TakeRecord = {
    epochs: new Array<number>(lineCount),
    availableAfter: new Array<number | null>(lineCount),
    unlimited: new Array<boolean>(lineCount),
    sources: new Array<TakeRecord['sources'][number]>(lineCount),
    fresh: parts.some(({ part, record: partRecord }) => part.home && partRecord.fresh),
  };
  for (const { part, record: partRecord } of parts) {
    for (const [i, gateLine] of part.indexes.entries()) {
      const line = lines[gateLine]!.line;
      const epoch = partRecord.epochs[i]!;
      if (record.epochs[line] !== undefined && record.epochs[line] !== epoch) return null;
      record.epochs[line] = epoch;
      record.availableAfter[line] = bucketed[line] ? null : partRecord.availableAfter[i]!;
      record.unlimited[line] = partRecord.unlimited[i]!;
      // A SKU in buckets keeps its stock in `default` (src/stock/locations.ts).
      record.sources[line] = bucketed[line] ? null : partRecord.sources[i]!;
    }
  }
  return record;
}
