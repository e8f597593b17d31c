/**
 * What the tests of the gate's Lua scripts (lua/) share: each script is tested on its own, one test file
 * per script, against the machine's shared Redis, every script's contract as its header documents it.
 * Everything a test file writes lives under one key prefix of its own, and every test gets its own
 * sub-prefix (so its own in-flight structures); useLua() deletes them all after the file's tests.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect } from 'vitest';
import { Gate } from '../../src/gate/gate.ts';
import type { StockSeed } from '../../src/inventory.ts';
import { GateKeys } from '../../src/gate/keys.ts';
import { defineGateCommands } from '../../src/gate/scripts.ts';
import { seedHoldingLock } from '../support/seed.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const BASE = `sgtest:lua:${process.pid}_${randomBytes(4).toString('hex')}:`;
/** The records hash lifetime the harness passes take.lua, seconds. */
export const LIFETIME = 1_000;
/** The records hash lifetime Gate.take passes, seconds: ns()'s Gate has the default (IDEMPOTENCY_RECORD_SECONDS, 15 minutes). */
export const GATE_LIFETIME = 15 * 60;

function connect(): Redis {
  const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  // Connection errors reach the tests as their commands' failures; a connection a test killed, still
  // reconnecting when the file's connections close, would print an unhandled error event otherwise.
  r.on('error', () => {});
  defineGateCommands(r);
  return r;
}

/** The test file's connection, with the scripts defined as commands (each test file has its own modules, so its own connection). */
export const redis = connect();
const extra: Redis[] = [];

/** `n` more connections, closed after the file's tests. */
export function connections(n: number): Redis[] {
  const more = Array.from({ length: n }, connect);
  extra.push(...more);
  return more;
}

/** Every key matching `pattern`, by SCAN. */
async function scanKeys(pattern: string): Promise<string[]> {
  const all: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
    all.push(...found);
    cursor = next;
  } while (cursor !== '0');
  return all;
}

/** Checks Redis answers before the file's tests; deletes every key they wrote after them. */
export function useLua(): void {
  beforeAll(async () => {
    expect(await redis.ping()).toBe('PONG');
  });
  afterAll(async () => {
    const found = await scanKeys(`${BASE}*`);
    if (found.length > 0) await redis.del(...found);
    const [, left] = await redis.scan('0', 'MATCH', `${BASE}*`, 'COUNT', 100_000);
    expect(left).toEqual([]);
    for (const r of [redis, ...extra]) r.disconnect();
  });
}

let space = 0;
/** A fresh namespace for one test: its own counters, idempotency records and in-flight structures. */
export function ns() {
  const keys = new GateKeys(`${BASE}${++space}:`);
  return { keys, gate: new Gate(redis, keys) };
}

export function seed(gate: Gate, skuId: string, c: Partial<StockSeed> = {}): Promise<number> {
  return seedHoldingLock(gate, {
    skuId,
    name: null,
    available: 10,
    reserved: 0,
    sold: 0,
    unlimited: false,
    epoch: 1,
    backorderLimit: 0,
    ...c,
  });
}

/**
 * The records take.lua writes and reads here: hashes of fixed periods, "now" and the one before (the
 * script does not care which period a hash is, nor what the field is: the harness uses the test's key).
 */
export const PERIOD_NOW = 2;
export const PERIOD_BEFORE = 1;
export const recordsNow = (keys: GateKeys): string => keys.first.idempotencyRecords(PERIOD_NOW);
export const recordsBefore = (keys: GateKeys): string => keys.first.idempotencyRecords(PERIOD_BEFORE);

/** The replay filter bits the harness gives a key by default: two of 1..255, as many as the gate's (a small string, unlike the gate's). */
export function bitsOf(key: string): number[] {
  const bytes = createHash('sha256').update(key).digest();
  return [0, 1].map((i) => 1 + (bytes[i]! % 255));
}

/** The record take.lua stores for a fingerprint and a gate id: "fingerprint:token", token = the gate id's first 8 characters. */
export const recordOf = (fp: string, gateId: string): string => `${fp}:${gateId.slice(0, 8)}`;

/** The records hashes Gate.take uses at this moment: this period's and the one before (by the default record lifetime). */
export function gateRecords(keys: GateKeys, now = Date.now()): [string, string] {
  const period = Math.floor(now / ((GATE_LIFETIME * 1000) / 2));
  return [keys.first.idempotencyRecords(period), keys.first.idempotencyRecords(period - 1)];
}

export interface Take {
  kind?: string;
  /** The idempotency key, used as the record field as it is. */
  key?: string;
  fp?: string;
  gateId?: string;
  now?: number;
  /** The records hash's lifetime, seconds (ARGV[2]; a call's first take's). */
  lifetime?: number;
  /** [this period's records, the period before's]; by default of PERIOD_NOW and PERIOD_BEFORE. */
  records?: [string, string];
  /** The key's bits in the replay filter (its part's fifth argument); bitsOf(key) by default. */
  bits?: number[];
  /** Quantities go to Redis as given: strings and fractions too, to test the script's own check; a line may be pinned to a location. */
  lines: [skuId: string, quantity: number | string, locationId?: string][];
}

/** take.lua's numkeys, KEYS and ARGV for a call of one part (a take), as the header lays them out (for a pipeline's `take`). */
export function takeArgs(keys: GateKeys, t: Take): [number, ...(string | number)[]] {
  return takePartsArgs(keys, [t]);
}

/**
 * take.lua's numkeys, KEYS and ARGV for a call of several parts (a batch's carts in one shard): the
 * first take's records, time and lifetime are the call's.
 */
export function takePartsArgs(keys: GateKeys, takes: Take[]): [number, ...(string | number)[]] {
  const first = takes[0]!;
  const k = [
    ...(first.records ?? [recordsNow(keys), recordsBefore(keys)]),
    keys.first.inflight,
    keys.first.inflightPayloads,
    keys.first.replayFilter,
    keys.first.generation,
    keys.first.origin,
    keys.first.earlierReplayFilter,
    ...takes.flatMap((t) => t.lines.map(([id]) => keys.counter(id))),
  ];
  const parts = takes.flatMap((t) => {
    const key = t.key ?? 'k1';
    return [
      t.kind ?? 'DEDUCT',
      key,
      t.fp ?? 'fp1',
      t.gateId ?? 'g1',
      (t.bits ?? bitsOf(key)).join(','),
      t.lines.length,
      ...t.lines.map(([, q]) => q),
      ...t.lines.map(([, , at]) => at ?? ''),
    ];
  });
  return [k.length, ...k, first.now ?? 1_700_000_000_000, first.lifetime ?? LIFETIME, ...parts];
}

/** take.lua called straight with one part, on a server adopted first (lua/adopt-3.lua): that part's reply. */
export async function deduct(keys: GateKeys, t: Take, client: Redis = redis): Promise<(string | number)[]> {
  return (await deductParts(keys, [t], client))[0]!;
}

/** take.lua called straight with several parts, on a server adopted first: one reply per part. */
export async function deductParts(keys: GateKeys, takes: Take[], client: Redis = redis): Promise<(string | number)[][]> {
  await client.adopt(keys.first.origin, keys.first.generation, keys.first.replayFilter);
  return client.take(...takePartsArgs(keys, takes)) as unknown as Promise<(string | number)[][]>;
}

/**
 * release.lua called straight: KEYS[3..4] are the records hashes where the take's record may be
 * (by default this period's and the one before, as Gate.release passes them).
 */
export function release(
  keys: GateKeys,
  gateId: string,
  skuIds: string[],
  records: [string, string] = [recordsNow(keys), recordsBefore(keys)],
): Promise<number> {
  const k = [keys.first.inflight, keys.first.inflightPayloads, ...records, ...skuIds.map((id) => keys.counter(id))];
  return redis.release(k.length, ...k, gateId);
}

export async function counter(keys: GateKeys, skuId: string): Promise<Record<string, string>> {
  return redis.hgetall(keys.counter(skuId));
}

/**
 * Every key of a namespace with its type, content and whether it expires: "nothing changed" means this
 * is equal. Keys in `except` are left out (the replay filter, which keeps a taken key's bits for good).
 */
export async function snapshot(keys: GateKeys, except: string[] = []): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const key of (await scanKeys(`${keys.prefix}*`)).sort()) {
    if (except.includes(key)) continue;
    const type = await redis.type(key);
    const expires = (await redis.pttl(key)) > 0;
    let value: unknown;
    // Bytes: the replay filter is a bitmap, not text.
    if (type === 'string') value = await redis.getBuffer(key);
    else if (type === 'hash') value = await redis.hgetall(key);
    else if (type === 'zset') value = await redis.zrange(key, 0, -1, 'WITHSCORES');
    else throw new Error(`unexpected ${type} at ${key}`);
    out[key] = { type, expires, value };
  }
  return out;
}
