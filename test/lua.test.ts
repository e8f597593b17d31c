/**
 * The gate's Lua scripts (lua/), each tested on its own against the machine's shared Redis: every
 * script's contract as its header documents it. Everything lives under one key prefix of this run,
 * and every test gets its own sub-prefix (so its own in-flight structures); afterAll deletes them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gate } from '../src/gate/gate.ts';
import type { StockSeed } from '../src/inventory.ts';
import { GateKeys } from '../src/gate/keys.ts';
import { decodeTakeRecord } from '../src/gate/replies.ts';
import { LUA_DIR, defineGateCommands, scriptSource } from '../src/gate/scripts.ts';
import { seedHoldingLock } from './support/seed.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const BASE = `sgtest:lua:${process.pid}_${randomBytes(4).toString('hex')}:`;
const TTL = 1_000;
const GATE_TTL = 24 * 60 * 60;

let redis: Redis;
const extra: Redis[] = [];

function connect(): Redis {
  const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  defineGateCommands(r);
  return r;
}

beforeAll(async () => {
  redis = connect();
  expect(await redis.ping()).toBe('PONG');
});

afterAll(async () => {
  if (!redis) return;
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${BASE}*`, 'COUNT', 1_000);
    if (found.length > 0) await redis.del(...found);
    cursor = next;
  } while (cursor !== '0');
  const [, left] = await redis.scan('0', 'MATCH', `${BASE}*`, 'COUNT', 100_000);
  expect(left).toEqual([]);
  for (const r of [redis, ...extra]) r.disconnect();
});

let space = 0;
/** A fresh namespace for one test: its own counters, idempotency records and in-flight structures. */
function ns() {
  const keys = new GateKeys(`${BASE}${++space}:`);
  return { keys, gate: new Gate(redis, keys) };
}

function seed(gate: Gate, skuId: string, c: Partial<StockSeed> = {}): Promise<number> {
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

interface Take {
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
function deduct(keys: GateKeys, t: Take, client: Redis = redis): Promise<(string | number)[]> {
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
function release(keys: GateKeys, gateId: string, kind: string, key: string, skuIds: string[]): Promise<number> {
  const k = [keys.inflight, keys.inflightPayloads, keys.idempotency(kind, key), ...skuIds.map((id) => keys.counter(id))];
  return redis.release(k.length, ...k, gateId);
}

async function counter(keys: GateKeys, skuId: string): Promise<Record<string, string>> {
  return redis.hgetall(keys.counter(skuId));
}

/** Every key of a namespace with its type, content and whether it expires: "nothing changed" means this is equal. */
async function snapshot(keys: GateKeys): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  let cursor = '0';
  const all: string[] = [];
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${keys.prefix}*`, 'COUNT', 1_000);
    all.push(...found);
    cursor = next;
  } while (cursor !== '0');
  for (const key of all.sort()) {
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

describe('take.lua', () => {
  it('takes every line: available down, sold up, record with TTL, in-flight entry and payload', async () => {
    const { keys } = ns();
    await seed(new Gate(redis, keys), 'A', { available: 10, reserved: 1, sold: 2, epoch: 3 });
    await seed(new Gate(redis, keys), 'B', { available: 5, epoch: 7 });
    const now = 1_700_000_123_456;

    const reply = await deduct(keys, { key: 'order-1', fp: 'fp-1', gateId: 'gate-1', now, lines: [['A', 3], ['B', 5]] });

    expect(reply[0]).toBe('OK');
    expect(reply).toHaveLength(2);
    expect(JSON.parse(String(reply[1]))).toEqual({ fp: 'fp-1', id: 'gate-1', e: [3, 7], a: [7, 0], u: [0, 0] });
    expect(await counter(keys, 'A')).toMatchObject({ a: '7', r: '1', s: '5', e: '3' });
    expect(await counter(keys, 'B')).toMatchObject({ a: '0', r: '0', s: '5', e: '7' });

    const idem = keys.idempotency('DEDUCT', 'order-1');
    expect(await redis.get(idem)).toBe(reply[1]);
    const ttl = await redis.ttl(idem);
    expect(ttl).toBeGreaterThan(TTL - 10);
    expect(ttl).toBeLessThanOrEqual(TTL);

    expect(await redis.zrange(keys.inflight, 0, -1, 'WITHSCORES')).toEqual(['gate-1', String(now)]);
    const payloads = await redis.hgetall(keys.inflightPayloads);
    expect(Object.keys(payloads)).toEqual(['gate-1']);
    expect(JSON.parse(payloads['gate-1']!)).toEqual({ k: 'DEDUCT', i: idem, c: [keys.counter('A'), keys.counter('B')], q: [3, 5], e: [3, 7], u: [0, 0], t: now });
  });

  it('RESERVE moves units to reserved, not sold', async () => {
    const { keys } = ns();
    await seed(new Gate(redis, keys), 'A', { available: 10, reserved: 1, sold: 2 });

    const reply = await deduct(keys, { kind: 'RESERVE', gateId: 'r1', lines: [['A', 4]] });

    expect(reply[0]).toBe('OK');
    expect(JSON.parse(String(reply[1]))).toMatchObject({ id: 'r1', a: [6], u: [0] });
    expect(await counter(keys, 'A')).toMatchObject({ a: '6', r: '5', s: '2' });
    expect(JSON.parse((await redis.hget(keys.inflightPayloads, 'r1'))!)).toMatchObject({ k: 'RESERVE', q: [4] });
    expect(await redis.exists(keys.idempotency('RESERVE', 'k1'))).toBe(1);
    expect(await redis.exists(keys.idempotency('DEDUCT', 'k1'))).toBe(0);
  });

  it('Gate.take wraps the OK reply and stores the record for a day', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 3, epoch: 4 });

    const out = await gate.take('DEDUCT', 'order-9', 'fp-9', 'gate-9', [{ skuId: 'A', quantity: 2 }]);

    expect(out).toEqual({
      kind: 'taken',
      record: { fingerprint: 'fp-9', gateId: 'gate-9', epochs: [4], availableAfter: [1], unlimited: [false] },
    });
    expect(await gate.record('DEDUCT', 'order-9')).toEqual({
      fingerprint: 'fp-9',
      gateId: 'gate-9',
      epochs: [4],
      availableAfter: [1],
      unlimited: [false],
    });
    const ttl = await redis.ttl(keys.idempotency('DEDUCT', 'order-9'));
    expect(ttl).toBeGreaterThan(GATE_TTL - 10);
    expect(ttl).toBeLessThanOrEqual(GATE_TTL);
    expect((await gate.levels(['A']))[0]).toMatchObject({ available: 1, sold: 2 });
  });

  it('is all-or-nothing: one short line refuses the cart, lists every short line with what it has above its floor', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    await seed(gate, 'B', { available: 2 });
    await seed(gate, 'C', { available: 1, backorderLimit: 3 });
    const before = await snapshot(keys);

    const reply = await deduct(keys, { lines: [['A', 5], ['B', 3], ['C', 5]] });

    expect(reply).toEqual(['SHORT', 2, 2, 0, 3, 4, 0]);
    expect(await snapshot(keys)).toEqual(before);
    expect(await redis.exists(keys.idempotency('DEDUCT', 'k1'), keys.inflight, keys.inflightPayloads)).toBe(0);
  });

  it('one short line among good ones: the good lines are not taken either (Gate view)', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    await seed(gate, 'B', { available: 0 });
    const before = await snapshot(keys);

    const out = await gate.take('DEDUCT', 'k', 'fp', 'g', [
      { skuId: 'A', quantity: 1 },
      { skuId: 'B', quantity: 1 },
    ]);

    expect(out).toEqual({ kind: 'short', lines: [{ index: 1, available: 0, withheld: 0 }] });
    expect(await snapshot(keys)).toEqual(before);
  });

  it('MISSING lists every absent counter (1-based) and changes nothing', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    await seed(gate, 'C', { available: 10 });
    const before = await snapshot(keys);

    const reply = await deduct(keys, { lines: [['A', 1], ['X', 1], ['C', 1], ['Y', 1]] });

    expect(reply).toEqual(['MISSING', 2, 4]);
    expect(await snapshot(keys)).toEqual(before);
    expect(await redis.exists(keys.counter('X'), keys.counter('Y'))).toBe(0);
    expect(await gate.take('DEDUCT', 'k2', 'fp', 'g', [{ skuId: 'Z', quantity: 1 }])).toEqual({ kind: 'missing', indexes: [0] });
  });

  it('REPLAY with the same fingerprint returns the stored record and changes nothing, even when stock ran out', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 2 });
    const first = await deduct(keys, { key: 'k', fp: 'same', gateId: 'g1', lines: [['A', 2]] });
    expect(first[0]).toBe('OK');
    const before = await snapshot(keys);

    const again = await deduct(keys, { key: 'k', fp: 'same', gateId: 'g2', now: 1_800_000_000_000, lines: [['A', 2]] });

    expect(again).toEqual(['REPLAY', first[1]]);
    expect(await snapshot(keys)).toEqual(before);
    expect(await redis.zrange(keys.inflight, 0, -1)).toEqual(['g1']);
    expect(await gate.take('DEDUCT', 'k', 'same', 'g3', [{ skuId: 'A', quantity: 2 }])).toEqual({
      kind: 'replay',
      record: decodeTakeRecord(String(first[1])),
    });
  });

  it('CONFLICT when the key was used with another fingerprint; nothing changes', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    expect((await deduct(keys, { key: 'k', fp: 'fp-a', gateId: 'g1', lines: [['A', 1]] }))[0]).toBe('OK');
    const before = await snapshot(keys);

    expect(await deduct(keys, { key: 'k', fp: 'fp-b', gateId: 'g2', lines: [['A', 1]] })).toEqual(['CONFLICT']);
    expect(await snapshot(keys)).toEqual(before);
    expect(await gate.take('DEDUCT', 'k', 'fp-c', 'g3', [{ skuId: 'A', quantity: 1 }])).toEqual({ kind: 'conflict' });
    expect(await counter(keys, 'A')).toMatchObject({ a: '9', s: '1' });
  });

  it('unlimited counters never refuse; the record marks them u = 1 with after = 0, next to limited lines', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'U', { available: 0, unlimited: true });
    await seed(gate, 'L', { available: 5 });

    const one = await deduct(keys, { key: 'k1', gateId: 'g1', lines: [['U', 1_000_000], ['L', 1]] });
    const two = await deduct(keys, { key: 'k2', gateId: 'g2', lines: [['U', 1_000_000]] });

    expect(one[0]).toBe('OK');
    expect(JSON.parse(String(one[1]))).toMatchObject({ a: [0, 4], u: [1, 0] });
    expect(two[0]).toBe('OK');
    expect(JSON.parse(String(two[1]))).toMatchObject({ a: [0], u: [1] });
    expect(await counter(keys, 'U')).toMatchObject({ a: '0', s: '2000000', u: '1' });
    expect(await counter(keys, 'L')).toMatchObject({ a: '4', s: '1' });
  });

  it('unlimited lines only count what they take: available stays, sold/reserved go up, payload marks them u = 1', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'U', { available: 7, reserved: 1, sold: 2, unlimited: true });
    await seed(gate, 'L', { available: 5 });

    const sold = await deduct(keys, { key: 'k1', gateId: 'g1', lines: [['L', 2], ['U', 3]] });
    expect(sold[0]).toBe('OK');
    expect(JSON.parse(String(sold[1]))).toMatchObject({ a: [3, 0], u: [0, 1] });
    expect(await counter(keys, 'U')).toMatchObject({ a: '7', r: '1', s: '5' });
    expect(JSON.parse((await redis.hget(keys.inflightPayloads, 'g1'))!)).toMatchObject({ q: [2, 3], u: [0, 1] });

    const reserved = await deduct(keys, { kind: 'RESERVE', key: 'k2', gateId: 'g2', lines: [['U', 4]] });
    expect(reserved[0]).toBe('OK');
    expect(JSON.parse(String(reserved[1]))).toMatchObject({ a: [0], u: [1] });
    expect(await counter(keys, 'U')).toMatchObject({ a: '7', r: '5', s: '5' });
    expect(JSON.parse((await redis.hget(keys.inflightPayloads, 'g2'))!)).toMatchObject({ k: 'RESERVE', q: [4], u: [1] });
    expect((await gate.levels(['U']))[0]).toMatchObject({ available: 7, reserved: 5, sold: 5, unlimited: true });
    expect(await counter(keys, 'L')).toMatchObject({ a: '3', s: '2' });
  });

  it('a backorder floor lets available go down to -limit and no further', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'B', { available: 2, backorderLimit: 3 });
    expect(await counter(keys, 'B')).toMatchObject({ f: '-3' });

    const down = await deduct(keys, { key: 'k1', gateId: 'g1', lines: [['B', 4]] });
    expect(down[0]).toBe('OK');
    // A backorder line is limited: after goes below zero, and u is 0 (not to be confused with unlimited).
    expect(JSON.parse(String(down[1]))).toMatchObject({ a: [-2], u: [0] });

    const before = await snapshot(keys);
    expect(await deduct(keys, { key: 'k2', gateId: 'g2', lines: [['B', 2]] })).toEqual(['SHORT', 1, 1, 0]);
    expect(await snapshot(keys)).toEqual(before);

    const last = await deduct(keys, { key: 'k3', gateId: 'g3', lines: [['B', 1]] });
    expect(JSON.parse(String(last[1])).a).toEqual([-3]);
    expect(await deduct(keys, { key: 'k4', gateId: 'g4', lines: [['B', 1]] })).toEqual(['SHORT', 1, 0, 0]);
    expect(await counter(keys, 'B')).toMatchObject({ a: '-3', s: '5' });
  });

  it('without a backorder limit the floor is 0: exactly the available units can be taken', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 3 });
    expect(await deduct(keys, { key: 'k1', gateId: 'g1', lines: [['A', 4]] })).toEqual(['SHORT', 1, 3, 0]);
    expect((await deduct(keys, { key: 'k2', gateId: 'g2', lines: [['A', 3]] }))[0]).toBe('OK');
    expect(await deduct(keys, { key: 'k3', gateId: 'g3', lines: [['A', 1]] })).toEqual(['SHORT', 1, 0, 0]);
    expect(await counter(keys, 'A')).toMatchObject({ a: '0', s: '3' });
  });

  it('an unknown kind is an error reply and changes nothing', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    const before = await snapshot(keys);

    await expect(deduct(keys, { kind: 'STEAL', lines: [['A', 1]] })).rejects.toThrow(/unknown kind STEAL/);
    expect(await snapshot(keys)).toEqual(before);
  });

  it.each([0, -1, 1.5, 'x'])('quantity %j is an error reply and changes nothing, even after good lines', async (bad) => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    await seed(gate, 'B', { available: 10 });
    const before = await snapshot(keys);

    await expect(deduct(keys, { lines: [['A', 2], ['B', bad]] })).rejects.toThrow(/bad quantity on line 2/);
    await expect(deduct(keys, { lines: [['A', bad], ['B', 2]] })).rejects.toThrow(/bad quantity on line 1/);

    expect(await snapshot(keys)).toEqual(before);
    expect(await redis.exists(keys.idempotency('DEDUCT', 'k1'), keys.inflight, keys.inflightPayloads)).toBe(0);
    // The same cart with whole quantities goes through: only the quantity was refused.
    expect((await deduct(keys, { lines: [['A', 2], ['B', 1]] }))[0]).toBe('OK');
  });

  it('a bad quantity on a line whose counter is absent is still an error reply, not MISSING', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    const before = await snapshot(keys);

    await expect(deduct(keys, { lines: [['A', 1], ['X', 0]] })).rejects.toThrow(/bad quantity on line 2/);
    expect(await snapshot(keys)).toEqual(before);
    expect(await deduct(keys, { lines: [['A', 1], ['X', 1]] })).toEqual(['MISSING', 2]);
  });

  it('Gate.take rejects a bad quantity without taking anything', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    const before = await snapshot(keys);

    await expect(gate.take('DEDUCT', 'k', 'fp', 'g', [{ skuId: 'A', quantity: 0.5 }])).rejects.toThrow(/bad quantity on line 1/);
    expect(await snapshot(keys)).toEqual(before);
  });

  it('a SKU on two lines is an error reply and changes nothing (it would otherwise oversell)', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 1 });
    await seed(gate, 'B', { available: 10 });
    const before = await snapshot(keys);

    // Each line alone fits in A's one unit: checked line by line, the cart would take 2 and leave a = -1.
    await expect(deduct(keys, { lines: [['A', 1], ['B', 1], ['A', 1]] })).rejects.toThrow(
      `SKU on more than one line: ${keys.counter('A')}`,
    );
    await expect(gate.take('RESERVE', 'k', 'fp', 'g', [{ skuId: 'B', quantity: 1 }, { skuId: 'B', quantity: 1 }])).rejects.toThrow(
      `SKU on more than one line: ${keys.counter('B')}`,
    );

    expect(await snapshot(keys)).toEqual(before);
    expect(await counter(keys, 'A')).toMatchObject({ a: '1', s: '0' });
    expect(await redis.exists(keys.idempotency('DEDUCT', 'k1'), keys.inflight, keys.inflightPayloads)).toBe(0);
  });

  it('a SKU on two lines is refused even when the key was already used (no REPLAY)', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    const first = await deduct(keys, { key: 'k', fp: 'fp', gateId: 'g1', lines: [['A', 1]] });
    expect(first[0]).toBe('OK');
    const before = await snapshot(keys);

    await expect(deduct(keys, { key: 'k', fp: 'fp', gateId: 'g2', lines: [['A', 1], ['A', 1]] })).rejects.toThrow(/SKU on more than one line/);
    expect(await snapshot(keys)).toEqual(before);
  });
});

describe('take.lua: hot-SKU throttle (counter field t)', () => {
  const T0 = 1_700_000_000_000;

  it('admits t attempts at once, then answers THROTTLED with the ms until the next slot, which then admits one', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'H', { available: 100, throttlePerSecond: 4 });
    for (let i = 0; i < 4; i++) expect((await deduct(keys, { key: `k${i}`, gateId: `g${i}`, now: T0, lines: [['H', 1]] }))[0]).toBe('OK');

    // One slot every 1000 / 4 = 250 ms.
    expect(await deduct(keys, { key: 'k4', gateId: 'g4', now: T0, lines: [['H', 1]] })).toEqual(['THROTTLED', 250, 1]);
    expect(await deduct(keys, { key: 'k4', gateId: 'g4', now: T0 + 249, lines: [['H', 1]] })).toEqual(['THROTTLED', 1, 1]);
    expect((await deduct(keys, { key: 'k4', gateId: 'g4', now: T0 + 250, lines: [['H', 1]] }))[0]).toBe('OK');
    expect(await deduct(keys, { key: 'k5', gateId: 'g5', now: T0 + 250, lines: [['H', 1]] })).toEqual(['THROTTLED', 250, 1]);
    expect(await counter(keys, 'H')).toMatchObject({ a: '95', s: '5', t: '4' });
  });

  it('a throttled attempt changes nothing at all: no count, no take, no record, no in-flight entry', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'H', { available: 10, throttlePerSecond: 1 });
    expect((await deduct(keys, { key: 'first', gateId: 'g1', now: T0, lines: [['H', 1]] }))[0]).toBe('OK');
    const before = await snapshot(keys);
    expect((await deduct(keys, { key: 'second', gateId: 'g2', now: T0 + 10, lines: [['H', 1]] }))[0]).toBe('THROTTLED');
    expect(await snapshot(keys)).toEqual(before);
    // The slot it did not use is still there at T0 + 1000.
    expect((await deduct(keys, { key: 'second', gateId: 'g2', now: T0 + 1000, lines: [['H', 1]] }))[0]).toBe('OK');
  });

  it('counts attempts, not sales: SHORT attempts use slots too', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'H', { available: 0, throttlePerSecond: 2 });
    expect(await deduct(keys, { key: 'a', now: T0, lines: [['H', 1]] })).toEqual(['SHORT', 1, 0, 0]);
    expect(await deduct(keys, { key: 'b', now: T0, lines: [['H', 1]] })).toEqual(['SHORT', 1, 0, 0]);
    expect(await deduct(keys, { key: 'c', now: T0, lines: [['H', 1]] })).toEqual(['THROTTLED', 500, 1]);
  });

  it('replays and conflicts are answered from the record before the throttle, and use no slot', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'H', { available: 10, throttlePerSecond: 1 });
    const [, record] = await deduct(keys, { key: 'k', fp: 'fp', gateId: 'g1', now: T0, lines: [['H', 1]] });
    expect(await deduct(keys, { key: 'k', fp: 'fp', gateId: 'g2', now: T0 + 1, lines: [['H', 1]] })).toEqual(['REPLAY', record]);
    expect(await deduct(keys, { key: 'k', fp: 'other', gateId: 'g3', now: T0 + 1, lines: [['H', 1]] })).toEqual(['CONFLICT']);
    expect(await deduct(keys, { key: 'new', gateId: 'g4', now: T0 + 1, lines: [['H', 1]] })).toEqual(['THROTTLED', 999, 1]);
  });

  it('a cart is admitted on every throttled line or none, lists the throttled lines, and waits for the slowest', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10, throttlePerSecond: 10 });
    await seed(gate, 'B', { available: 10, throttlePerSecond: 2 });
    await seed(gate, 'C', { available: 10, throttlePerSecond: 1 });
    await seed(gate, 'U', { available: 10 });
    expect((await deduct(keys, { key: 'c0', gateId: 'g0', now: T0, lines: [['B', 1], ['C', 1]] }))[0]).toBe('OK');
    expect((await deduct(keys, { key: 'c1', gateId: 'g1', now: T0, lines: [['B', 1]] }))[0]).toBe('OK');
    const aBefore = await counter(keys, 'A');
    // B is out of slots until T0 + 500, C until T0 + 1000; A and U would pass.
    expect(await deduct(keys, { key: 'c2', gateId: 'g2', now: T0, lines: [['A', 1], ['B', 1], ['U', 1], ['C', 1]] })).toEqual([
      'THROTTLED',
      1000,
      2,
      4,
    ]);
    expect(await counter(keys, 'A')).toEqual(aBefore);
    // A's slots were not used by the refused cart: all ten are there.
    for (let i = 0; i < 10; i++) expect((await deduct(keys, { key: `a${i}`, gateId: `ga${i}`, now: T0, lines: [['A', 1]] }))[0]).toBe('OK');
    expect((await deduct(keys, { key: 'a10', gateId: 'ga10', now: T0, lines: [['A', 1]] }))[0]).toBe('THROTTLED');
  });

  it('MISSING comes first: an absent counter of the cart uses no slot of its throttled lines', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'H', { available: 10, throttlePerSecond: 1 });
    expect(await deduct(keys, { key: 'k', now: T0, lines: [['H', 1], ['absent', 1]] })).toEqual(['MISSING', 2]);
    expect(await counter(keys, 'H')).not.toHaveProperty('tt');
    expect((await deduct(keys, { key: 'k2', now: T0, lines: [['H', 1]] }))[0]).toBe('OK');
  });

  it('holds a steady rate: over 10 s of attempts every 10 ms, t a second plus one burst of t get through', async () => {
    const { keys, gate } = ns();
    const t = 5;
    await seed(gate, 'H', { available: 100_000, throttlePerSecond: t });
    const pipeline = redis.pipeline();
    const k = (i: number) => [keys.idempotency('DEDUCT', `s${i}`), keys.inflight, keys.inflightPayloads, keys.counter('H')];
    for (let i = 0; i < 1_000; i++) pipeline.take(4, ...k(i), 'DEDUCT', 'fp', `g${i}`, T0 + i * 10, TTL, 1);
    const replies = (await pipeline.exec())!.map(([err, reply]) => {
      expect(err).toBeNull();
      return (reply as unknown[])[0];
    });
    const admitted = replies.filter((r) => r === 'OK').length;
    expect(replies.filter((r) => r !== 'OK' && r !== 'THROTTLED')).toEqual([]);
    // 0..9.99 s: the first t at once, then one every 200 ms (49 more).
    expect(admitted).toBe(t + 49);
  });

  it('Gate.take answers throttled with the retry and the 0-based lines', async () => {
    const { gate } = ns();
    await seed(gate, 'X', { available: 5 });
    await seed(gate, 'H', { available: 5, throttlePerSecond: 1 });
    expect((await gate.take('DEDUCT', 'k1', 'fp', 'g1', [{ skuId: 'H', quantity: 1 }])).kind).toBe('taken');
    const out = await gate.take('RESERVE', 'k2', 'fp', 'g2', [
      { skuId: 'X', quantity: 1 },
      { skuId: 'H', quantity: 1 },
    ]);
    expect(out).toMatchObject({ kind: 'throttled', indexes: [1] });
    const { retryAfterMs } = out as { retryAfterMs: number };
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(1_000);
  });
});

describe('rate-1.lua', () => {
  const T0 = 1_700_000_000_000;
  const MINUTE = 60_000;

  it('admits `limit` requests at once, refuses the next with the ms until a slot, and counts refusals not at all', async () => {
    const { keys } = ns();
    const key = keys.rate('key:abc');
    for (let i = 0; i < 3; i++) expect(await redis.rate(key, 3, MINUTE, T0)).toBe(0);
    // A slot every 60000 / 3 = 20000 ms.
    expect(await redis.rate(key, 3, MINUTE, T0)).toBe(20_000);
    expect(await redis.rate(key, 3, MINUTE, T0 + 5_000)).toBe(15_000);
    expect(await redis.rate(key, 3, MINUTE, T0 + 20_000)).toBe(0);
    expect(await redis.rate(key, 3, MINUTE, T0 + 20_000)).toBe(20_000);
  });

  it('keeps its schedule only until the bucket is full again', async () => {
    const { keys } = ns();
    const key = keys.rate('addr:127.0.0.1');
    expect(await redis.rate(key, 2, MINUTE, Date.now())).toBe(0);
    const pttl = await redis.pttl(key);
    expect(pttl).toBeGreaterThan(25_000);
    expect(pttl).toBeLessThanOrEqual(30_000);
  });

  it('callers have their own buckets', async () => {
    const { keys } = ns();
    expect(await redis.rate(keys.rate('a'), 1, MINUTE, T0)).toBe(0);
    expect(await redis.rate(keys.rate('a'), 1, MINUTE, T0)).toBeGreaterThan(0);
    expect(await redis.rate(keys.rate('b'), 1, MINUTE, T0)).toBe(0);
  });

  it('refuses bad arguments with an error reply and writes nothing', async () => {
    const { keys } = ns();
    await expect(redis.rate(keys.rate('a'), 0, MINUTE, T0)).rejects.toThrow(/bad rate limit arguments/);
    await expect(redis.rate(keys.rate('a'), 5, 0, T0)).rejects.toThrow(/bad rate limit arguments/);
    expect(await redis.exists(keys.rate('a'))).toBe(0);
  });

  it('Gate.admitCaller counts against the key GateKeys.rate names', async () => {
    const { keys, gate } = ns();
    expect(await gate.admitCaller('key:x', 1, MINUTE)).toBe(0);
    expect(await redis.exists(keys.rate('key:x'))).toBe(1);
    expect(await gate.admitCaller('key:x', 1, MINUTE)).toBeGreaterThan(59_000);
  });
});

describe('release.lua', () => {
  it('gives back exactly what was taken and clears the in-flight entry and its own record', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10, reserved: 1, sold: 2, epoch: 2 });
    await seed(gate, 'B', { available: 4, epoch: 5 });
    await seed(gate, 'C', { available: 7 });
    const before = await snapshot(keys);
    await deduct(keys, { key: 'other', gateId: 'g-other', lines: [['C', 1]] });
    const afterOther = await snapshot(keys);
    expect(afterOther).not.toEqual(before);

    expect((await deduct(keys, { key: 'k', gateId: 'g1', lines: [['A', 3], ['B', 4]] }))[0]).toBe('OK');
    expect(await snapshot(keys)).not.toEqual(afterOther);

    expect(await release(keys, 'g1', 'DEDUCT', 'k', ['A', 'B'])).toBe(2);

    expect(await snapshot(keys)).toEqual(afterOther);
    expect(await redis.exists(keys.idempotency('DEDUCT', 'k'))).toBe(0);
    expect(await redis.zscore(keys.inflight, 'g1')).toBeNull();
    expect(await redis.hexists(keys.inflightPayloads, 'g1')).toBe(0);
    expect(await redis.zscore(keys.inflight, 'g-other')).not.toBeNull();
  });

  it('gives RESERVE units back out of reserved', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10, reserved: 1, sold: 2 });
    const before = await snapshot(keys);
    await gate.take('RESERVE', 'k', 'fp', 'g1', [{ skuId: 'A', quantity: 6 }]);
    expect(await counter(keys, 'A')).toMatchObject({ a: '4', r: '7', s: '2' });

    expect(await redis.exists(keys.idempotency('RESERVE', 'k'))).toBe(1);

    expect(await gate.release('g1', 'RESERVE', 'k', ['A'])).toBe(1);
    expect(await snapshot(keys)).toEqual(before);
    expect(await redis.exists(keys.idempotency('RESERVE', 'k'))).toBe(0);
  });

  it('is idempotent: a second call returns -1 and changes nothing', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    await deduct(keys, { gateId: 'g1', lines: [['A', 3]] });
    expect(await release(keys, 'g1', 'DEDUCT', 'k1', ['A'])).toBe(1);
    const before = await snapshot(keys);

    expect(await release(keys, 'g1', 'DEDUCT', 'k1', ['A'])).toBe(-1);
    expect(await gate.release('never-taken', 'DEDUCT', 'k1', ['A'])).toBe(-1);
    expect(await snapshot(keys)).toEqual(before);
    expect(await counter(keys, 'A')).toMatchObject({ a: '10', s: '0' });
  });

  it('keeps an idempotency record that now belongs to another gate id', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    await deduct(keys, { key: 'k', gateId: 'g1', lines: [['A', 1]] });
    await redis.del(keys.idempotency('DEDUCT', 'k')); // the record expired
    const second = await deduct(keys, { key: 'k', gateId: 'g2', lines: [['A', 2]] });
    expect(second[0]).toBe('OK');

    expect(await release(keys, 'g1', 'DEDUCT', 'k', ['A'])).toBe(1);

    expect(await redis.get(keys.idempotency('DEDUCT', 'k'))).toBe(second[1]);
    expect(await redis.zrange(keys.inflight, 0, -1)).toEqual(['g2']);
    expect(Object.keys(await redis.hgetall(keys.inflightPayloads))).toEqual(['g2']);
    expect(await counter(keys, 'A')).toMatchObject({ a: '8', s: '2' });
  });

  it('does not give units to a counter whose epoch changed since the take, nor recreate a dropped one', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10, epoch: 1 });
    await seed(gate, 'B', { available: 10, epoch: 1 });
    await seed(gate, 'C', { available: 10, epoch: 1 });
    await deduct(keys, { gateId: 'g1', lines: [['A', 3], ['B', 2], ['C', 4]] });
    expect(await seed(gate, 'A', { available: 50, sold: 9, epoch: 2 })).toBe(1); // rebuilt from the truth
    expect(await gate.invalidate('C', 2)).toBe(1); // dropped, not yet reloaded
    const rebuilt = await counter(keys, 'A');

    expect(await release(keys, 'g1', 'DEDUCT', 'k1', ['A', 'B', 'C'])).toBe(1);

    expect(await counter(keys, 'A')).toEqual(rebuilt);
    expect(await counter(keys, 'B')).toMatchObject({ a: '10', s: '0' });
    expect(await redis.exists(keys.counter('C'))).toBe(0);
    expect(await redis.zcard(keys.inflight)).toBe(0);
    expect(await redis.hlen(keys.inflightPayloads)).toBe(0);
    expect(await redis.exists(keys.idempotency('DEDUCT', 'k1'))).toBe(0);
  });

  it('gives back the target counter of unlimited lines but leaves their available alone', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'U', { available: 7, reserved: 1, sold: 2, unlimited: true });
    await seed(gate, 'L', { available: 5 });
    const before = await snapshot(keys);
    expect((await deduct(keys, { key: 'k1', gateId: 'g1', lines: [['U', 3], ['L', 2]] }))[0]).toBe('OK');
    expect((await deduct(keys, { kind: 'RESERVE', key: 'k2', gateId: 'g2', lines: [['L', 1], ['U', 4]] }))[0]).toBe('OK');
    expect(await counter(keys, 'U')).toMatchObject({ a: '7', r: '5', s: '5' });
    expect(await counter(keys, 'L')).toMatchObject({ a: '2', r: '1', s: '2' });

    expect(await release(keys, 'g1', 'DEDUCT', 'k1', ['U', 'L'])).toBe(2);
    expect(await counter(keys, 'U')).toMatchObject({ a: '7', r: '5', s: '2' });
    expect(await counter(keys, 'L')).toMatchObject({ a: '4', r: '1', s: '0' });

    expect(await gate.release('g2', 'RESERVE', 'k2', ['L', 'U'])).toBe(2);
    expect(await counter(keys, 'U')).toMatchObject({ a: '7', r: '1', s: '2' });
    expect(await snapshot(keys)).toEqual(before);
  });

  it('drops only the record named in KEYS[3], and only while it is this gate id\'s', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    expect((await deduct(keys, { key: 'k', gateId: 'g1', lines: [['A', 1]] }))[0]).toBe('OK');
    const other = await deduct(keys, { key: 'other', gateId: 'g2', lines: [['A', 2]] });
    expect(other[0]).toBe('OK');
    const mine = await redis.get(keys.idempotency('DEDUCT', 'k'));

    // Named the other take's record: it is not g1's, so it stays; g1's own record is not looked up from the payload.
    expect(await release(keys, 'g1', 'DEDUCT', 'other', ['A'])).toBe(1);

    expect(await redis.get(keys.idempotency('DEDUCT', 'other'))).toBe(other[1]);
    expect(await redis.get(keys.idempotency('DEDUCT', 'k'))).toBe(mine);
    expect(await redis.zrange(keys.inflight, 0, -1)).toEqual(['g2']);
    expect(await counter(keys, 'A')).toMatchObject({ a: '8', s: '2' });

    expect(await gate.release('g2', 'DEDUCT', 'other', ['A'])).toBe(1);
    expect(await redis.exists(keys.idempotency('DEDUCT', 'other'))).toBe(0);
    expect(await counter(keys, 'A')).toMatchObject({ a: '10', s: '0' });
  });
});

describe('settle-2.lua', () => {
  it('removes gate ids from both in-flight structures, counts them, leaves counters and records alone', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    for (const g of ['g1', 'g2', 'g3']) expect((await deduct(keys, { key: `k-${g}`, gateId: g, lines: [['A', 1]] }))[0]).toBe('OK');
    const counterBefore = await counter(keys, 'A');
    const records = await redis.mget(['g1', 'g2', 'g3'].map((g) => keys.idempotency('DEDUCT', `k-${g}`)));

    expect(await gate.settle(['g1', 'g3', 'unknown'])).toBe(2);

    expect(await redis.zrange(keys.inflight, 0, -1)).toEqual(['g2']);
    expect(Object.keys(await redis.hgetall(keys.inflightPayloads))).toEqual(['g2']);
    expect(await counter(keys, 'A')).toEqual(counterBefore);
    expect(await redis.mget(['g1', 'g2', 'g3'].map((g) => keys.idempotency('DEDUCT', `k-${g}`)))).toEqual(records);

    expect(await redis.settle(keys.inflight, keys.inflightPayloads, 'g1')).toBe(0);
    expect(await redis.settle(keys.inflight, keys.inflightPayloads, 'g2')).toBe(1);
    expect(await redis.exists(keys.inflight, keys.inflightPayloads)).toBe(0);
    // A settled take is in the ledger: release must not give its units back.
    expect(await gate.release('g2', 'DEDUCT', 'k-g2', ['A'])).toBe(-1);
    expect(await counter(keys, 'A')).toEqual(counterBefore);
    expect(await redis.get(keys.idempotency('DEDUCT', 'k-g2'))).toBe(records[1]);
  });
});

describe('seed-2.lua', () => {
  /** Takes the load lock of `skuId` for `token`, as a loader does before seeding. */
  async function lock(keys: GateKeys, skuId: string, token = 'loader'): Promise<string> {
    await redis.set(keys.loadLock(skuId), token, 'PX', 5_000);
    return token;
  }

  it('loads an absent counter with every field', async () => {
    const { keys } = ns();
    for (const id of ['A', 'B', 'C', 'D']) await lock(keys, id);
    const seed = (id: string, ...args: (string | number)[]) => redis.seed(keys.counter(id), keys.loadLock(id), ...args);
    expect(await seed('A', 3, 10, 2, 5, 0, -4, 'Widget', 0, 0, 'loader')).toBe(1);
    expect(await counter(keys, 'A')).toEqual({ e: '3', a: '10', r: '2', s: '5', u: '0', f: '-4', n: 'Widget' });
    // ARGV[8], the throttle: stored as t when set, absent when 0.
    expect(await seed('B', 3, 10, 2, 5, 0, -4, 'Widget', 25, 0, 'loader')).toBe(1);
    expect(await counter(keys, 'B')).toEqual({ e: '3', a: '10', r: '2', s: '5', u: '0', f: '-4', n: 'Widget', t: '25' });
    expect(await seed('C', 3, 10, 2, 5, 0, -4, 'Widget', 0, 0, 'loader')).toBe(1);
    expect(await counter(keys, 'C')).not.toHaveProperty('t');
    // ARGV[9], the withheld units: stored as h when not 0.
    expect(await seed('D', 3, 10, 2, 5, 0, -4, 'Widget', 0, 6, 'loader')).toBe(1);
    expect(await counter(keys, 'D')).toEqual({ e: '3', a: '10', r: '2', s: '5', u: '0', f: '-4', n: 'Widget', h: '6' });
  });

  it('writes nothing for a loader that does not hold the load lock (lapsed, taken over, or flushed)', async () => {
    const { keys } = ns();
    const seed = (token: string) => redis.seed(keys.counter('A'), keys.loadLock('A'), 3, 10, 0, 0, 0, 0, '', 0, 0, token);
    expect(await seed('stalled')).toBe(-1);
    expect(await redis.exists(keys.counter('A'))).toBe(0);
    await lock(keys, 'A', 'successor');
    expect(await seed('stalled')).toBe(-1);
    expect(await redis.exists(keys.counter('A'))).toBe(0);
    expect(await seed('successor')).toBe(1);
  });

  it('Gate.seed maps the StockSeed shape (floor = -backorderLimit, unlimited 0/1, name "" for none)', async () => {
    const { keys, gate } = ns();
    await seedHoldingLock(gate, { skuId: 'A', name: null, available: 1, reserved: 2, sold: 3, unlimited: true, epoch: 9, backorderLimit: 7 });
    expect(await counter(keys, 'A')).toEqual({ e: '9', a: '1', r: '2', s: '3', u: '1', f: '-7', n: '' });
    expect(await gate.levels(['A', 'nope'])).toEqual([
      { skuId: 'A', name: null, available: 1, withheld: 0, reserved: 2, sold: 3, unlimited: true, backorderLimit: 7, throttlePerSecond: null, epoch: 9 },
      null,
    ]);
    // The gate's share is available minus the withheld units; levels add them back.
    await seedHoldingLock(gate, { skuId: 'W', name: null, available: 10, withheld: 4, reserved: 0, sold: 0, unlimited: false, epoch: 1, backorderLimit: 0 });
    expect(await counter(keys, 'W')).toMatchObject({ a: '6', h: '4' });
    expect((await gate.levels(['W']))[0]).toMatchObject({ available: 10, withheld: 4 });
    await seedHoldingLock(gate, { skuId: 'B', name: 'hot', available: 1, reserved: 0, sold: 0, unlimited: false, epoch: 2, backorderLimit: 0, throttlePerSecond: 40 });
    expect(await counter(keys, 'B')).toMatchObject({ e: '2', n: 'hot', t: '40' });
    expect((await gate.levels(['B']))[0]).toMatchObject({ skuId: 'B', throttlePerSecond: 40 });
  });

  it('does not overwrite a counter of the same or a newer epoch', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10, epoch: 5, name: 'first' });
    await deduct(keys, { lines: [['A', 4]] });
    const live = await counter(keys, 'A');

    expect(await seed(gate, 'A', { available: 99, epoch: 5, name: 'same' })).toBe(0);
    expect(await seed(gate, 'A', { available: 99, epoch: 4, name: 'older' })).toBe(0);
    expect(await counter(keys, 'A')).toEqual(live);
    expect(live).toMatchObject({ a: '6', s: '4', e: '5', n: 'first' });
  });

  it('replaces a counter of an older epoch completely (a throttle and its schedule too)', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10, epoch: 2, name: 'old', unlimited: true, backorderLimit: 5, throttlePerSecond: 3 });
    expect((await deduct(keys, { lines: [['A', 1]] }))[0]).toBe('OK');
    expect(await counter(keys, 'A')).toHaveProperty('tt');
    await redis.hset(keys.counter('A'), 'stale', 'x');

    expect(await seed(gate, 'A', { available: 3, sold: 8, epoch: 3 })).toBe(1);
    expect(await counter(keys, 'A')).toEqual({ e: '3', a: '3', r: '0', s: '8', u: '0', f: '0', n: '' });
  });
});

describe('apply-2.lua', () => {
  const delta = { available: 5, reserved: -2, sold: 3 };

  it('adds the deltas to a counter of exactly the given epoch, once per outbox row (marker with TTL)', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10, reserved: 4, sold: 1, epoch: 7 });

    expect(await gate.apply('101', 'A', 7, delta)).toBe(1);
    expect(await counter(keys, 'A')).toMatchObject({ e: '7', a: '15', r: '2', s: '4' });
    const ttl = await redis.ttl(keys.applied('A', '101'));
    expect(ttl).toBeGreaterThan(6 * 24 * 60 * 60);
    expect(ttl).toBeLessThanOrEqual(7 * 24 * 60 * 60);
    // Redelivery of the same row (its own request and the sweeper, or a retry) changes nothing.
    expect(await gate.apply('101', 'A', 7, delta)).toBe(0);
    expect(await gate.apply('101', 'A', 7, { available: 100, reserved: 0, sold: 0 })).toBe(0);
    expect(await counter(keys, 'A')).toMatchObject({ e: '7', a: '15', r: '2', s: '4' });
    // Another row is another change.
    expect(await gate.apply('102', 'A', 7, { available: -1, reserved: 0, sold: 1 })).toBe(1);
    expect(await counter(keys, 'A')).toMatchObject({ a: '14', r: '2', s: '5' });
  });

  it('leaves a newer counter alone, and marks nothing, so a delivery to the right one still applies', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10, epoch: 7 });
    const live = await counter(keys, 'A');

    // A newer counter was loaded from a truth that holds the change.
    expect(await gate.apply('201', 'A', 6, delta)).toBe(-1);
    expect(await counter(keys, 'A')).toEqual(live);
    expect(await redis.exists(keys.applied('A', '201'))).toBe(0);
    // Epochs compare as numbers: "7.0" is epoch 7.
    expect(await redis.apply(keys.counter('A'), keys.applied('A', '203'), '7.0', 1, 0, 0, 60, 0)).toBe(1);
    expect(await counter(keys, 'A')).toMatchObject({ a: '11' });
  });

  it('drops an older counter (fenced since it was loaded, its own drop maybe still on the way) and marks nothing', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10, epoch: 7 });
    expect(await gate.apply('202', 'A', 8, delta)).toBe(-1);
    expect(await redis.exists(keys.counter('A'), keys.applied('A', '202'))).toBe(0);
  });

  it('moves the withheld units by their own delta and the share by the rest', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10, withheld: 4, epoch: 7 });
    // A database-only deduct of 3 sold withheld units: available and withheld both fall by 3.
    expect(await gate.apply('204', 'A', 7, { available: -3, reserved: 0, sold: 3, withheld: -3 })).toBe(1);
    expect(await counter(keys, 'A')).toMatchObject({ a: '6', h: '1', s: '3' });
    expect((await gate.levels(['A']))[0]).toMatchObject({ available: 7, withheld: 1, sold: 3 });
  });

  it('does not create an absent counter (the next load reads a truth that holds the change)', async () => {
    const { keys, gate } = ns();
    expect(await gate.apply('301', 'A', 1, delta)).toBe(-1);
    expect(await redis.exists(keys.counter('A'), keys.applied('A', '301'))).toBe(0);
  });
});

describe('invalidate-1.lua', () => {
  it('drops only a counter older than the given epoch', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { epoch: 3 });
    const live = await counter(keys, 'A');

    expect(await gate.invalidate('A', 2)).toBe(0);
    expect(await gate.invalidate('A', 3)).toBe(0);
    expect(await counter(keys, 'A')).toEqual(live);
    expect(await gate.invalidate('A', 4)).toBe(1);
    expect(await redis.exists(keys.counter('A'))).toBe(0);
    expect(await gate.invalidate('A', 5)).toBe(0);
    expect(await redis.invalidate(keys.counter('never'), 1)).toBe(0);
    expect(await redis.exists(keys.counter('never'))).toBe(0);
  });

  it('compares epochs as numbers, not strings', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { epoch: 10 });
    expect(await gate.invalidate('A', 9)).toBe(0);
    expect(await redis.exists(keys.counter('A'))).toBe(1);
    await seed(gate, 'B', { epoch: 9 });
    expect(await gate.invalidate('B', 10)).toBe(1);
    expect(await redis.exists(keys.counter('B'))).toBe(0);
  });
});

describe('unlock-1.lua', () => {
  it('deletes the lock only for the token that holds it', async () => {
    const { keys } = ns();
    const lock = keys.loadLock('A');
    await redis.set(lock, 'token-1', 'PX', 60_000);

    expect(await redis.unlock(lock, 'token-2')).toBe(0);
    expect(await redis.get(lock)).toBe('token-1');
    expect(await redis.unlock(lock, 'token-1')).toBe(1);
    expect(await redis.exists(lock)).toBe(0);
    expect(await redis.unlock(lock, 'token-1')).toBe(0);

    await redis.set(lock, 'token-3', 'PX', 60_000); // taken over after token-1's lease ran out
    expect(await redis.unlock(lock, 'token-1')).toBe(0);
    expect(await redis.get(lock)).toBe('token-3');
  });
});

describe('script sources', () => {
  const files = readdirSync(LUA_DIR).filter((f) => f.endsWith('.lua'));

  it('finds the seven gate scripts, the live one and the rate limit, and defines each as a command', () => {
    expect(files.sort()).toEqual([
      'announce-2.lua',
      'apply-2.lua',
      'invalidate-1.lua',
      'rate-1.lua',
      'release.lua',
      'seed-2.lua',
      'settle-2.lua',
      'take.lua',
      'unlock-1.lua',
    ]);
    for (const name of ['announce', 'apply', 'take', 'release', 'settle', 'seed', 'invalidate', 'unlock', 'rate']) {
      expect(typeof (redis as unknown as Record<string, unknown>)[name]).toBe('function');
    }
  });

  it.each(files)('%s expands its includes', (file) => {
    const raw = readFileSync(join(LUA_DIR, file), 'utf8');
    const source = scriptSource(file);
    expect(source).not.toMatch(/@include/);
    for (const [, name] of raw.matchAll(/^--- @include "([\w-]+)"$/gm)) {
      expect(source).toContain(readFileSync(join(LUA_DIR, 'includes', `${name}.lua`), 'utf8'));
    }
  });

  it('take and release share the TARGET table from includes/counters.lua', () => {
    for (const file of ['take.lua', 'release.lua']) {
      expect(readFileSync(join(LUA_DIR, file), 'utf8')).toContain('--- @include "counters"');
      expect(scriptSource(file)).toContain('local TARGET = { DEDUCT = "s", RESERVE = "r" }');
    }
  });

  it.each(files)('%s opens with a --[[ header documenting KEYS and Returns', (file) => {
    const raw = readFileSync(join(LUA_DIR, file), 'utf8');
    expect(raw.startsWith('--[[')).toBe(true);
    const header = raw.slice(0, raw.indexOf(']]'));
    expect(header).toMatch(/KEYS\[1\]/);
    expect(header).toMatch(/Returns/);
  });
});

describe('concurrency', () => {
  it('500 parallel 1-unit deducts on 10 connections against 100 units: exactly 100 OK', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'HOT', { available: 100 });
    const clients = Array.from({ length: 10 }, connect);
    extra.push(...clients);

    const replies = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        deduct(keys, { key: `k${i}`, fp: `fp${i}`, gateId: `g${i}`, lines: [['HOT', 1]] }, clients[i % clients.length]),
      ),
    );

    const ok = replies.filter((r) => r[0] === 'OK');
    const short = replies.filter((r) => r[0] === 'SHORT');
    expect(ok).toHaveLength(100);
    expect(short).toHaveLength(400);
    for (const r of short) expect(r).toEqual(['SHORT', 1, 0, 0]);
    expect(ok.map((r) => JSON.parse(String(r[1])).a[0]).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(await counter(keys, 'HOT')).toMatchObject({ a: '0', s: '100' });
    expect(await redis.zcard(keys.inflight)).toBe(100);
    expect(await redis.hlen(keys.inflightPayloads)).toBe(100);
  });

  it('parallel multi-line carts never take part of a cart', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'X', { available: 30 });
    await seed(gate, 'Y', { available: 50 });
    const pipeline = redis.pipeline();
    for (let i = 0; i < 100; i++) {
      const k = [keys.idempotency('DEDUCT', `k${i}`), keys.inflight, keys.inflightPayloads, keys.counter('X'), keys.counter('Y')];
      pipeline.take(k.length, ...k, 'DEDUCT', `fp${i}`, `g${i}`, Date.now(), TTL, 1, 1);
    }
    const replies = ((await pipeline.exec()) ?? []).map(([err, r]) => {
      expect(err).toBeNull();
      return r as (string | number)[];
    });

    expect(replies.filter((r) => r[0] === 'OK')).toHaveLength(30);
    expect(replies.filter((r) => r[0] === 'SHORT')).toHaveLength(70);
    expect(await counter(keys, 'X')).toMatchObject({ a: '0', s: '30' });
    expect(await counter(keys, 'Y')).toMatchObject({ a: '20', s: '30' });
  });

  it('50 parallel requests with one idempotency key take once; the rest replay the same record', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 100 });
    const clients = Array.from({ length: 5 }, connect);
    extra.push(...clients);

    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        deduct(keys, { key: 'same', fp: 'fp', gateId: randomUUID(), lines: [['A', 3]] }, clients[i % clients.length]),
      ),
    );

    const ok = replies.filter((r) => r[0] === 'OK');
    expect(ok).toHaveLength(1);
    const replays = replies.filter((r) => r[0] === 'REPLAY');
    expect(replays).toHaveLength(49);
    for (const r of replays) expect(r[1]).toBe(ok[0]![1]);
    expect(await counter(keys, 'A')).toMatchObject({ a: '97', s: '3' });
    expect(await redis.zcard(keys.inflight)).toBe(1);
  });
});
