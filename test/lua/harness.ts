/**
 * What the tests of the gate's Lua scripts (lua/) share: each script is tested on its own, one test file
 * per script, against the machine's shared Redis, every script's contract as its header documents it.
 * Everything a test file writes lives under one key prefix of its own, and every test gets its own
 * sub-prefix (so its own in-flight structures); useLua() deletes them all after the file's tests.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect } from 'vitest';
import { Gate } from '../../src/gate/gate.ts';
import type { StockSeed } from '../../src/inventory.ts';
import { GateKeys } from '../../src/gate/keys.ts';
import { defineGateCommands } from '../../src/gate/scripts.ts';
import { seedHoldingLock } from '../support/seed.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const BASE = `sgtest:lua:${process.pid}_${randomBytes(4).toString('hex')}:`;
export const TTL = 1_000;
export const GATE_TTL = 24 * 60 * 60;

function connect(): Redis {
  const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
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

export interface Take {
  kind?: string;
  key?: string;
  fp?: string;
  gateId?: string;
  now?: number;
  ttl?: number;
  /** Quantities go to Redis as given: strings and fractions too, to test the script's own check. */
  lines: [skuId: string, quantity: number | string][];
}

/** take.lua called straight, with the header's KEYS/ARGV layout. */
export function deduct(keys: GateKeys, t: Take, client: Redis = redis): Promise<(string | number)[]> {
  const kind = t.kind ?? 'DEDUCT';
  const k = [keys.idempotency(kind, t.key ?? 'k1'), keys.inflight, keys.inflightPayloads, ...t.lines.map(([id]) => keys.counter(id))];
  return client.take(
    k.length,
    ...k,
    kind,
    t.fp ?? 'fp1',
    t.gateId ?? 'g1',
    t.now ?? 1_700_000_000_000,
    t.ttl ?? TTL,
    ...t.lines.map(([, q]) => q),
  ) as Promise<(string | number)[]>;
}

/** release.lua called straight: KEYS[3] is the idempotency record of (kind, key), as Gate.release passes it. */
export function release(keys: GateKeys, gateId: string, kind: string, key: string, skuIds: string[]): Promise<number> {
  const k = [keys.inflight, keys.inflightPayloads, keys.idempotency(kind, key), ...skuIds.map((id) => keys.counter(id))];
  return redis.release(k.length, ...k, gateId);
}

export async function counter(keys: GateKeys, skuId: string): Promise<Record<string, string>> {
  return redis.hgetall(keys.counter(skuId));
}

/** Every key of a namespace with its type, content and whether it expires: "nothing changed" means this is equal. */
export async function snapshot(keys: GateKeys): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const key of (await scanKeys(`${keys.prefix}*`)).sort()) {
    const type = await redis.type(key);
    const expires = (await redis.pttl(key)) > 0;
    let value: unknown;
    if (type === 'string') value = await redis.get(key);
    else if (type === 'hash') value = await redis.hgetall(key);
    else if (type === 'zset') value = await redis.zrange(key, 0, -1, 'WITHSCORES');
    else throw new Error(`unexpected ${type} at ${key}`);
    out[key] = { type, expires, value };
  }
  return out;
}
