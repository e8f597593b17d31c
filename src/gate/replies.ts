import assert from 'node:assert/strict';
import type { LocationUnits, TakeKind } from '../inventory.ts';

/**
 * The one reply convention of the gate's scripts (lua/), and every reply code in one place.
 *
 * A script with several outcomes (take, announce) answers a table: a status word from ReplyCode, then
 * that outcome's fields, as its header lists them. A script with one effect (release, settle, seed,
 * apply, invalidate, unlock, rate) answers an integer: what it did (1, or a count), 0 when there was
 * nothing to do, and a negative code when it refused. An error reply (redis.error_reply) means the
 * script changed nothing; ioredis throws it as a ReplyError, which is never mistaken for Redis being down.
 *
 * The functions here turn replies into the full names the domain reads (src/gate/gate.ts calls them),
 * and assert the shape: a reply of the wrong arity would put epochs or quantities on the wrong line.
 */
export const ReplyCode = {
  /** take: every line taken (then the record); announce: the reading (then the level and the alert). */
  OK: 'OK',
  /** take: the key was used before with this fingerprint (then the record). */
  REPLAY: 'REPLAY',
  /** take: the key was used before with another fingerprint. */
  CONFLICT: 'CONFLICT',
  /** take: these lines' counters are absent; announce: the counter is absent. */
  MISSING: 'MISSING',
  /** take: these lines' SKUs are over their hot-SKU throttle. */
  THROTTLED: 'THROTTLED',
  /** take: these lines cannot be served from the gate's share. */
  SHORT: 'SHORT',
  /** announce: the low-stock threshold for the counter's epoch is unknown. */
  THRESHOLD: 'THRESHOLD',
  /** announce: the counter has another bucket count than the call assumed (then the count). */
  BUCKETS: 'BUCKETS',
  /** take: this server is not the one the gate's data was adopted under (lua/adopt-3.lua); nothing moved. */
  ADOPT: 'ADOPT',
  /** release: the gate id was not in flight (already given back or settled). */
  NOT_IN_FLIGHT: -1,
  /** seed: the caller no longer holds the SKU's load lock, so it wrote nothing. */
  LOCK_LOST: -1,
  /** apply: no counter of the change's epoch (an older one is dropped). */
  OTHER_EPOCH: -1,
} as const;

/** A line's sources as lua/includes/locations.lua writes them ("location:units,..."); null for "" (all from `default`). */
export function decodeSources(wire: string): LocationUnits[] | null {
  if (wire === '') return null;
  return wire.split(',').map((part) => {
    const at = part.lastIndexOf(':');
    return { locationId: part.slice(0, at), quantity: Number(part.slice(at + 1)) };
  });
}

/** What a take did at the gate, per line, as lua/take.lua answers OK. */
export interface TakeRecord {
  /** Epoch of each line's counter when the units were taken (checked by the ledger insert). */
  epochs: number[];
  /**
   * Available after the take, per line (below zero with backorders; withheld units included; 0 for
   * unlimited lines); null for a line of a SKU in buckets, which knows only the buckets it took from.
   */
  availableAfter: (number | null)[];
  /** Unlimited lines, whose available never moves. */
  unlimited: boolean[];
  /** Where each line's units came from, in the order taken (lua/includes/locations.lua); null: all from `default`. */
  sources: (LocationUnits[] | null)[];
  /**
   * The replay filter proved the key was never taken (take.lua's fresh, read before this take set its
   * bits): a shortage met in a cart's later part needs no look in the ledger either.
   */
  fresh: boolean;
}

/** A line the gate's share cannot serve (take.lua's SHORT): what it holds above its floor, the withheld units, and the SKU's bucket count. */
export interface ShortLine {
  index: number;
  available: number;
  withheld: number;
  /** Buckets of the SKU (src/gate/buckets.ts): over 1, the other buckets may hold what the one read lacks. */
  buckets: number;
}

/** What one call of lua/take.lua met; line indexes are 0-based, in the request's line order. */
export type TakeOutcome =
  | { kind: 'taken'; record: TakeRecord }
  /** The key was taken before with this request, by the attempt whose gate id starts with `gateToken`. */
  | { kind: 'replay'; gateToken: string }
  | { kind: 'conflict' }
  /**
   * Lines the gate's share cannot serve: what the share has above its floor, and the units withheld
   * for the database-only path, which the caller may take back into the share (returnWithheld).
   */
  | {
      kind: 'short';
      lines: ShortLine[];
      /** The replay filter proves the key was never taken: the refusal needs no look in the ledger. */
      fresh: boolean;
    }
  /** Lines whose SKU is over its hot-SKU throttle; nothing was counted or taken. */
  | { kind: 'throttled'; retryAfterMs: number; indexes: number[] }
  | { kind: 'missing'; indexes: number[] };

/** A take that passed the gate and is not yet known to be in the ledger, as lua/take.lua recorded it. */
export interface InFlightTake {
  gateId: string;
  /** The gate shard it was taken in (src/gate/keys.ts): a cart over several shards is in flight in each. */
  shard: number;
  kind: TakeKind;
  /** The idempotency records (hash) the take wrote its record into. */
  recordKey: string;
  /** Per line: the counter key, its SKU, the quantity, the counter's epoch, whether it is unlimited. */
  counterKeys: string[];
  skuIds: string[];
  quantities: number[];
  epochs: number[];
  unlimited: boolean[];
  /** When it was taken, ms since epoch. */
  takenAt: number;
}

/** Where a SKU stands for shoppers, as lua/announce-3.lua decides it; alerts fire when it changes. */
export type StockState = 'IN_STOCK' | 'LOW_STOCK' | 'SOLD_OUT';
export type AlertKind = 'LOW_STOCK' | 'SOLD_OUT' | 'BACK_IN_STOCK';

/**
 * A level as lua/announce-3.lua encodes it, in its reply and on pub/sub alike: versions and times
 * travel as strings (cjson prints numbers with 14 significant digits), the threshold "" for none.
 */
export interface WireLevel {
  skuId: string;
  available: number;
  reserved: number;
  sold: number;
  unlimited: boolean;
  state: StockState;
  lowStockThreshold: string;
  version: string;
  changedAt: string;
}

/** What one call of lua/announce-3.lua met. */
export type Announcement =
  | { kind: 'announced'; level: WireLevel; alert: AlertKind | null }
  /** No counter: load it, then call again. */
  | { kind: 'missing' }
  /** The threshold for the counter's epoch is unknown: read it at that epoch or later, then call again. */
  | { kind: 'threshold'; epoch: number }
  /** The SKU is in `count` buckets, not as many as the call assumed: read the others, then call again. */
  | { kind: 'buckets'; count: number };

/** An in-flight payload as lua/take.lua stores it (JSON); the gate id is its hash field. */
interface WireInFlight {
  k: TakeKind;
  i: string;
  f: string;
  c: string[];
  q: number[];
  e: number[];
  u: (0 | 1)[];
  t: number;
}

/**
 * Decodes lua/take.lua's reply to a call of parts of `lineCounts` lines each: one reply per part, or
 * `adopt` for every part when the server must be adopted first (the script then took nothing).
 */
export function decodeTakes(reply: unknown, lineCounts: readonly number[]): TakeReply[] {
  assert.ok(Array.isArray(reply), 'take.lua answers a table');
  if (reply[0] === ReplyCode.ADOPT) {
    assert.equal(reply.length, 1, 'take.lua: ADOPT carries nothing');
    return lineCounts.map(() => ({ kind: 'adopt' }));
  }
  assert.equal(reply.length, lineCounts.length, 'take.lua answers once per part');
  return lineCounts.map((lines, part) => decodeTake(reply[part], lines));
}

/** What take.lua can answer: an outcome, or that the server must be adopted first (the Gate retries). */
export type TakeReply = TakeOutcome | { kind: 'adopt' };

/** Decodes lua/take.lua's reply to one part of `lineCount` lines. */
function decodeTake(reply: unknown, lineCount: number): TakeOutcome {
  const answer = table('take.lua', reply);
  const status = answer[0];
  // A batch decodes one OK per cart: read in place, one loop, no copies nor closures (the generic
  // `[status, ...rest]` and a map per field cost 1.5 % of the server's CPU in a hot SKU ×100 window).
  if (status === ReplyCode.OK) {
    const FIELDS = 4;
    assert.equal(
      answer.length,
      1 + FIELDS * lineCount + 1,
      'take.lua: OK carries an epoch, a level, a flag and sources per line, then fresh',
    );
    const record: TakeRecord = {
      epochs: [],
      availableAfter: [],
      unlimited: [],
      sources: [],
      fresh: Number(answer[1 + FIELDS * lineCount]) === 1,
    };
    for (let i = 0, at = 1; i < lineCount; i++, at += FIELDS) {
      record.epochs.push(Number(answer[at]));
      record.availableAfter.push(answer[at + 1] === '' ? null : Number(answer[at + 1]));
      record.unlimited.push(Number(answer[at + 2]) === 1);
      record.sources.push(decodeSources(String(answer[at + 3])));
    }
    return { kind: 'taken', record };
  }
  const rest = answer.slice(1);
  switch (status) {
    case ReplyCode.REPLAY:
      assert.equal(rest.length, 1, 'take.lua: REPLAY carries the gate token');
      return { kind: 'replay', gateToken: String(rest[0]) };
    case ReplyCode.CONFLICT:
      assert.equal(rest.length, 0, 'take.lua: CONFLICT carries nothing');
      return { kind: 'conflict' };
    case ReplyCode.MISSING:
      assert.ok(rest.length >= 1, 'take.lua: MISSING names at least one line');
      return {
        kind: 'missing',
        indexes: rest.map((i) => lineIndex(i, lineCount)),
      };
    case ReplyCode.THROTTLED: {
      const [retryAfterMs, ...lines] = rest;
      assert.ok(lines.length >= 1, 'take.lua: THROTTLED names a wait and at least one line');
      return {
        kind: 'throttled',
        retryAfterMs: Number(retryAfterMs),
        indexes: lines.map((i) => lineIndex(i, lineCount)),
      };
    }
    case ReplyCode.SHORT: {
      const [fresh, ...lines] = rest;
      assert.ok(lines.length >= 4 && lines.length % 4 === 0, 'take.lua: SHORT lists (line, available, withheld, buckets)');
      return { kind: 'short', fresh: Number(fresh) === 1, lines: shortLines(lines, lineCount) };
    }
    default:
      throw new Error(`take.lua answered ${String(status)}`);
  }
}

/** The gate token in a record lua/take.lua stored ("fingerprint digest:gate token"). */
export function recordGateToken(record: string): string {
  const separator = record.indexOf(':');
  assert.ok(separator > 0, 'an idempotency record is "fingerprint:token"');
  return record.slice(separator + 1);
}

/**
 * Decodes an in-flight payload of `shard`; `skuOf` reads the SKU id out of a counter key. A cart's part
 * without lines (its record alone, in its key's home shard) has empty lists, which cjson encodes as {}.
 */
export function decodeInFlight(gateId: string, json: string, shard: number, skuOf: (counterKey: string) => string): InFlightTake {
  const parsed = JSON.parse(json) as WireInFlight;
  const list = <T>(x: T[]): T[] => (Array.isArray(x) ? x : []);
  const wire = { ...parsed, c: list(parsed.c), q: list(parsed.q), e: list(parsed.e), u: list(parsed.u) };
  const lines = wire.c.length;
  assert.ok(
    wire.q.length === lines && wire.e.length === lines && wire.u.length === lines,
    'an in-flight take has one quantity, epoch and flag per line',
  );
  return {
    gateId,
    shard,
    kind: wire.k,
    recordKey: wire.i,
    counterKeys: wire.c,
    skuIds: wire.c.map(skuOf),
    quantities: wire.q,
    epochs: wire.e,
    unlimited: wire.u.map((u) => u === 1),
    takenAt: wire.t,
  };
}

/** Decodes lua/announce-3.lua's reply. */
export function decodeAnnouncement(reply: unknown): Announcement {
  const [status, ...rest] = table('announce-3.lua', reply);
  switch (status) {
    case ReplyCode.OK: {
      assert.equal(rest.length, 2, 'announce-3.lua: OK carries a level and an alert');
      const level = JSON.parse(String(rest[0])) as WireLevel;
      assert.equal(typeof level.skuId, 'string', 'announce-3.lua: a level names its SKU');
      return {
        kind: 'announced',
        level,
        alert: (rest[1] || null) as AlertKind | null,
      };
    }
    case ReplyCode.MISSING:
      return { kind: 'missing' };
    case ReplyCode.THRESHOLD:
      assert.equal(rest.length, 1, 'announce-3.lua: THRESHOLD carries the epoch');
      return { kind: 'threshold', epoch: Number(rest[0]) };
    case ReplyCode.BUCKETS:
      assert.ok(rest.length === 1 && Number(rest[0]) >= 1, 'announce-3.lua: BUCKETS carries the count');
      return { kind: 'buckets', count: Number(rest[0]) };
    default:
      throw new Error(`announce-3.lua answered ${String(status)}`);
  }
}

/** An integer reply (scripts with one effect). */
export function integer(script: string, reply: unknown): number {
  assert.ok(Number.isInteger(reply), `${script} answers an integer`);
  return reply as number;
}

function table(script: string, reply: unknown): (string | number)[] {
  assert.ok(Array.isArray(reply) && reply.length >= 1, `${script} answers a table led by a status`);
  return reply as (string | number)[];
}

/** A 1-based line number of a reply as a 0-based index into the request's lines. */
function lineIndex(reply: string | number, lineCount: number): number {
  const index = Number(reply) - 1;
  assert.ok(Number.isInteger(index) && index >= 0 && index < lineCount, `line ${String(reply)} is one of the request's ${lineCount}`);
  return index;
}

function shortLines(rest: (string | number)[], lineCount: number): ShortLine[] {
  const lines: ShortLine[] = [];
  for (let i = 0; i < rest.length; i += 4)
    lines.push({
      index: lineIndex(rest[i]!, lineCount),
      available: Number(rest[i + 1]),
      withheld: Number(rest[i + 2]),
      buckets: Number(rest[i + 3]),
    });
  return lines;
}
