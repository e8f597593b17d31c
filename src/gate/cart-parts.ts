import type { CartLine } from '../inventory.ts';
import type { GateKeys, ShardKeys } from './keys.ts';
import type { TakeOutcome, TakeRecord } from './replies.ts';

/** A cart's part in one gate shard: its lines there (indexes into the cart), and whether the key's record is kept there. */
export interface CartPart {
  shard: ShardKeys;
  /** The idempotency key's home shard: this part's call reads and writes the record (and the replay filter). */
  home: boolean;
  indexes: number[];
}

/** What a cart's part met at its shard, other than taking its lines. */
export type PartRefusal = Exclude<TakeOutcome, { kind: 'taken' }>;

/**
 * A cart's parts over the gate's shards. The key's home shard comes first, with its lines or none: its
 * record answers a replay or a conflict before any unit moves anywhere. The other shards follow in
 * shard order. Each part is one take.lua call, all of its lines or none; a later part refused gives the
 * earlier ones back (Gate.take), and each part is in flight in its own shard until the ledger has the
 * cart, so a crash between parts leaves entries that reconciliation settles like any other.
 * With one shard, a cart is one part: the call is the same as a gate without shards.
 */
export function cartParts(keys: GateKeys, home: ShardKeys, lines: readonly CartLine[]): CartPart[] {
  const byShard = new Map<number, number[]>();
  lines.forEach((line, i) => {
    const shard = keys.shardOf(line.skuId).index;
    byShard.set(shard, [...(byShard.get(shard) ?? []), i]);
  });
  const others = [...byShard.keys()].filter((index) => index !== home.index).sort((a, b) => a - b);
  return [
    { shard: home, home: true, indexes: byShard.get(home.index) ?? [] },
    ...others.map((index) => ({ shard: keys.shards[index]!, home: false, indexes: byShard.get(index)! })),
  ];
}

/**
 * A part's refusal as the cart's: its line indexes become the cart's. A shortage met past the home part
 * is never fresh: only the home shard's replay filter can prove the key was never taken.
 */
export function cartRefusal(part: CartPart, refusal: PartRefusal): TakeOutcome {
  const cartIndex = (i: number) => part.indexes[i]!;
  switch (refusal.kind) {
    case 'missing':
      return { kind: 'missing', indexes: refusal.indexes.map(cartIndex) };
    case 'throttled':
      return { ...refusal, indexes: refusal.indexes.map(cartIndex) };
    case 'short':
      return {
        kind: 'short',
        fresh: part.home && refusal.fresh,
        lines: refusal.lines.map((line) => ({ ...line, index: cartIndex(line.index) })),
      };
    default:
      return refusal;
  }
}

/** The cart's record from its parts' records, in the cart's line order. */
export function cartRecord(lineCount: number, parts: readonly { part: CartPart; record: TakeRecord }[]): TakeRecord {
  const record: TakeRecord = {
    epochs: new Array<number>(lineCount),
    availableAfter: new Array<number>(lineCount),
    unlimited: new Array<boolean>(lineCount),
  };
  for (const { part, record: partRecord } of parts) {
    part.indexes.forEach((cartIndex, i) => {
      record.epochs[cartIndex] = partRecord.epochs[i]!;
      record.availableAfter[cartIndex] = partRecord.availableAfter[i]!;
      record.unlimited[cartIndex] = partRecord.unlimited[i]!;
    });
  }
  return record;
}
