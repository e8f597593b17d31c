/** lua/take.lua, the gate's one take (deducts and reserves): its replies, the all-or-nothing cart, idempotency records per period, the replay filter, unlimited and backorder lines, the hot-SKU throttle, and concurrent callers. See ./harness.ts. */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Gate, keyTrace } from '../../src/gate/gate.ts';
import type { GateKeys } from '../../src/gate/keys.ts';
import type { TakeKind } from '../../src/inventory.ts';
import {
  GATE_LIFETIME,
  LIFETIME,
  bitsOf,
  connections,
  counter,
  deduct,
  deductParts,
  gateRecords,
  ns,
  recordOf,
  recordsBefore,
  recordsNow,
  redis,
  seed,
  snapshot,
  takeArgs,
  takePartsArgs,
  useLua,
} from './harness.ts';
import { eventually } from '../support/wait.ts';

useLua();

/** Where Gate.take put a key's record: this period's records or the last's (the period may have turned since). */
async function gateRecord(keys: GateKeys, kind: TakeKind, key: string): Promise<{ hash: string; value: string } | null> {
  const { field } = keyTrace(kind, key);
  for (const hash of gateRecords(keys)) {
    const value = await redis.hget(hash, field);
    if (value !== null) return { hash, value };
  }
  return null;
}

/** Which of these bits of the replay filter are set. */
async function filterBits(keys: GateKeys, bits: number[]): Promise<number[]> {
  return Promise.all(bits.map((bit) => redis.getbit(keys.first.replayFilter, bit)));
}

describe('take.lua', () => {
  it("takes every line: available down, sold up, record in this period's hash (which expires), filter bits, in-flight entry and payload", async () => {
    const { keys } = ns();
    await seed(new Gate(redis, keys), 'A', { available: 10, reserved: 1, sold: 2, epoch: 3 });
    await seed(new Gate(redis, keys), 'B', { available: 5, epoch: 7 });
    const now = 1_700_000_123_456;

    const reply = await deduct(keys, {
      key: 'order-1',
      fp: 'fp-1',
      gateId: 'gate-1',
      now,
      lines: [
        ['A', 3],
        ['B', 5],
      ],
    });

    // Per line: epoch, available after, unlimited flag.
    expect(reply).toEqual(['OK', '3', 7, 0, '', '7', 0, 0, '', 0]);
    expect(await counter(keys, 'A')).toMatchObject({ a: '7', r: '1', s: '5', e: '3' });
    expect(await counter(keys, 'B')).toMatchObject({ a: '0', r: '0', s: '5', e: '7' });

    const idem = recordsNow(keys);
    expect(await redis.hgetall(idem)).toEqual({ 'order-1': 'fp-1:gate-1' });
    const ttl = await redis.ttl(idem);
    expect(ttl).toBeGreaterThan(LIFETIME - 10);
    expect(ttl).toBeLessThanOrEqual(LIFETIME);
    // The previous period's records are only read.
    expect(await redis.exists(recordsBefore(keys))).toBe(0);
    expect(await filterBits(keys, bitsOf('order-1'))).toEqual([1, 1]);

    expect(await redis.zrange(keys.first.inflight, 0, -1, 'WITHSCORES')).toEqual(['gate-1', String(now)]);
    const payloads = await redis.hgetall(keys.first.inflightPayloads);
    expect(Object.keys(payloads)).toEqual(['gate-1']);
    expect(JSON.parse(payloads['gate-1']!)).toEqual({
      k: 'DEDUCT',
      i: idem,
      f: 'order-1',
      c: [keys.counter('A'), keys.counter('B')],
      q: [3, 5],
      e: [3, 7],
      u: [0, 0],
      l: ['', ''],
      t: now,
    });
  });

  it('RESERVE moves units to reserved, not sold', async () => {
    const { keys } = ns();
    await seed(new Gate(redis, keys), 'A', { available: 10, reserved: 1, sold: 2 });

    const reply = await deduct(keys, { kind: 'RESERVE', gateId: 'r1', lines: [['A', 4]] });

    expect(reply).toEqual(['OK', '1', 6, 0, '', 0]);
    expect(await counter(keys, 'A')).toMatchObject({ a: '6', r: '5', s: '2' });
    expect(JSON.parse((await redis.hget(keys.first.inflightPayloads, 'r1'))!)).toMatchObject({ k: 'RESERVE', q: [4] });
    expect(await redis.hget(recordsNow(keys), 'k1')).toBe('fp1:r1');
  });

  it('Gate.take keeps a RESERVE and a DEDUCT with one key apart (the record field is a digest of kind and key)', async () => {
    const { gate } = ns();
    await seed(gate, 'A', { available: 10 });
    const gateId = randomUUID();

    expect((await gate.take('RESERVE', 'k', 'fp', gateId, [{ skuId: 'A', quantity: 4 }])).kind).toBe('taken');

    expect(keyTrace('RESERVE', 'k').field).not.toBe(keyTrace('DEDUCT', 'k').field);
    expect(await gate.recordedGateToken('RESERVE', 'k')).toBe(gateId.slice(0, 8));
    expect(await gate.recordedGateToken('DEDUCT', 'k')).toBeNull();
    // The same key and fingerprint as a DEDUCT is a take of its own, not a replay.
    expect((await gate.take('DEDUCT', 'k', 'fp', randomUUID(), [{ skuId: 'A', quantity: 1 }])).kind).toBe('taken');
  });

  it("Gate.take wraps the OK reply and stores a compact record in this period's hash, for 15 minutes at most", async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 3, epoch: 4 });
    const gateId = randomUUID();

    const out = await gate.take('DEDUCT', 'order-9', 'fp-9', gateId, [{ skuId: 'A', quantity: 2 }]);

    expect(out).toEqual({ kind: 'taken', record: { epochs: [4], availableAfter: [1], unlimited: [false], sources: [null], fresh: false } });
    expect(await gate.recordedGateToken('DEDUCT', 'order-9')).toBe(gateId.slice(0, 8));
    const record = (await gateRecord(keys, 'DEDUCT', 'order-9'))!;
    // A 16-character field and "16-character fingerprint digest:8-character token", whatever the key's and fingerprint's length.
    expect(keyTrace('DEDUCT', 'order-9').field).toHaveLength(16);
    expect(record.value).toMatch(new RegExp(`^[\\w-]{16}:${gateId.slice(0, 8)}$`));
    expect(await redis.hlen(record.hash)).toBe(1);
    const ttl = await redis.ttl(record.hash);
    expect(ttl).toBeGreaterThan(GATE_LIFETIME - 10);
    expect(ttl).toBeLessThanOrEqual(GATE_LIFETIME);
    expect(await filterBits(keys, keyTrace('DEDUCT', 'order-9').filterBits)).toEqual([1, 1]);
    expect((await gate.levels(['A']))[0]).toMatchObject({ available: 1, sold: 2 });
  });

  it('is all-or-nothing: one short line refuses the cart, lists every short line with what it has above its floor', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    await seed(gate, 'B', { available: 2 });
    await seed(gate, 'C', { available: 1, backorderLimit: 3 });
    const before = await snapshot(keys);

    const reply = await deduct(keys, {
      lines: [
        ['A', 5],
        ['B', 3],
        ['C', 5],
      ],
    });

    // Not fresh: the replay filter is not complete (bit 0).
    expect(reply).toEqual(['SHORT', 0, 2, 2, 0, 1, 3, 4, 0, 1]);
    expect(await snapshot(keys)).toEqual(before);
    expect(await redis.exists(recordsNow(keys), keys.first.inflight, keys.first.inflightPayloads, keys.first.replayFilter)).toBe(0);
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

    expect(out).toEqual({ kind: 'short', fresh: false, lines: [{ index: 1, available: 0, withheld: 0, buckets: 1 }] });
    expect(await snapshot(keys)).toEqual(before);
  });

  it('MISSING lists every absent counter (1-based) and changes nothing', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    await seed(gate, 'C', { available: 10 });
    const before = await snapshot(keys);

    const reply = await deduct(keys, {
      lines: [
        ['A', 1],
        ['X', 1],
        ['C', 1],
        ['Y', 1],
      ],
    });

    expect(reply).toEqual(['MISSING', 2, 4]);
    expect(await snapshot(keys)).toEqual(before);
    expect(await redis.exists(keys.counter('X'), keys.counter('Y'))).toBe(0);
    expect(await gate.take('DEDUCT', 'k2', 'fp', 'g', [{ skuId: 'Z', quantity: 1 }])).toEqual({ kind: 'missing', indexes: [0] });
  });

  it("REPLAY with the same fingerprint returns the first attempt's gate token and changes nothing, even when stock ran out", async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 2 });
    const first = await deduct(keys, { key: 'k', fp: 'same', gateId: 'gate-one-1', lines: [['A', 2]] });
    expect(first[0]).toBe('OK');
    const before = await snapshot(keys);

    const again = await deduct(keys, { key: 'k', fp: 'same', gateId: 'gate-two-2', now: 1_800_000_000_000, lines: [['A', 2]] });

    // The token is the first 8 characters of the gate id that took.
    expect(again).toEqual(['REPLAY', 'gate-one']);
    expect(await snapshot(keys)).toEqual(before);
    expect(await redis.zrange(keys.first.inflight, 0, -1)).toEqual(['gate-one-1']);

    // Gate view, on a SKU of its own: the replay names the attempt that took.
    await seed(gate, 'B', { available: 2 });
    const took = randomUUID();
    expect((await gate.take('DEDUCT', 'k', 'same', took, [{ skuId: 'B', quantity: 2 }])).kind).toBe('taken');
    expect(await gate.take('DEDUCT', 'k', 'same', randomUUID(), [{ skuId: 'B', quantity: 2 }])).toEqual({
      kind: 'replay',
      gateToken: took.slice(0, 8),
    });
  });

  it('CONFLICT when the key was used with another fingerprint; nothing changes', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    expect((await deduct(keys, { key: 'k', fp: 'fp-a', gateId: 'g1', lines: [['A', 1]] }))[0]).toBe('OK');
    const before = await snapshot(keys);

    expect(await deduct(keys, { key: 'k', fp: 'fp-b', gateId: 'g2', lines: [['A', 1]] })).toEqual(['CONFLICT']);
    expect(await snapshot(keys)).toEqual(before);
    // Gate view: its own first take, then another fingerprint with the key (the fingerprint is stored as a digest).
    expect((await gate.take('DEDUCT', 'gk', 'fp-a', randomUUID(), [{ skuId: 'A', quantity: 1 }])).kind).toBe('taken');
    expect(await gate.take('DEDUCT', 'gk', 'fp-c', randomUUID(), [{ skuId: 'A', quantity: 1 }])).toEqual({ kind: 'conflict' });
    expect(await counter(keys, 'A')).toMatchObject({ a: '8', s: '2' });
  });

  it('unlimited counters never refuse; the reply marks them unlimited = 1 with after = 0, next to limited lines', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'U', { available: 0, unlimited: true });
    await seed(gate, 'L', { available: 5 });

    const one = await deduct(keys, {
      key: 'k1',
      gateId: 'g1',
      lines: [
        ['U', 1_000_000],
        ['L', 1],
      ],
    });
    const two = await deduct(keys, { key: 'k2', gateId: 'g2', lines: [['U', 1_000_000]] });

    expect(one).toEqual(['OK', '1', 0, 1, '', '1', 4, 0, '', 0]);
    expect(two).toEqual(['OK', '1', 0, 1, '', 0]);
    expect(await counter(keys, 'U')).toMatchObject({ a: '0', s: '2000000', u: '1' });
    expect(await counter(keys, 'L')).toMatchObject({ a: '4', s: '1' });
  });

  it('unlimited lines only count what they take: available stays, sold/reserved go up, payload marks them u = 1', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'U', { available: 7, reserved: 1, sold: 2, unlimited: true });
    await seed(gate, 'L', { available: 5 });

    const sold = await deduct(keys, {
      key: 'k1',
      gateId: 'g1',
      lines: [
        ['L', 2],
        ['U', 3],
      ],
    });
    expect(sold).toEqual(['OK', '1', 3, 0, '', '1', 0, 1, '', 0]);
    expect(await counter(keys, 'U')).toMatchObject({ a: '7', r: '1', s: '5' });
    expect(JSON.parse((await redis.hget(keys.first.inflightPayloads, 'g1'))!)).toMatchObject({ q: [2, 3], u: [0, 1] });

    const reserved = await deduct(keys, { kind: 'RESERVE', key: 'k2', gateId: 'g2', lines: [['U', 4]] });
    expect(reserved).toEqual(['OK', '1', 0, 1, '', 0]);
    expect(await counter(keys, 'U')).toMatchObject({ a: '7', r: '5', s: '5' });
    expect(JSON.parse((await redis.hget(keys.first.inflightPayloads, 'g2'))!)).toMatchObject({ k: 'RESERVE', q: [4], u: [1] });
    expect((await gate.levels(['U']))[0]).toMatchObject({ available: 7, reserved: 5, sold: 5, unlimited: true });
    expect(await counter(keys, 'L')).toMatchObject({ a: '3', s: '2' });
  });

  it('a backorder floor lets available go down to -limit and no further', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'B', { available: 2, backorderLimit: 3 });
    expect(await counter(keys, 'B')).toMatchObject({ f: '-3' });

    const down = await deduct(keys, { key: 'k1', gateId: 'g1', lines: [['B', 4]] });
    // A backorder line is limited: after goes below zero, and its flag is 0 (not to be confused with unlimited).
    expect(down).toEqual(['OK', '1', -2, 0, '', 0]);

    const before = await snapshot(keys);
    expect(await deduct(keys, { key: 'k2', gateId: 'g2', lines: [['B', 2]] })).toEqual(['SHORT', 0, 1, 1, 0, 1]);
    expect(await snapshot(keys)).toEqual(before);

    const last = await deduct(keys, { key: 'k3', gateId: 'g3', lines: [['B', 1]] });
    expect(last).toEqual(['OK', '1', -3, 0, '', 0]);
    expect(await deduct(keys, { key: 'k4', gateId: 'g4', lines: [['B', 1]] })).toEqual(['SHORT', 0, 1, 0, 0, 1]);
    expect(await counter(keys, 'B')).toMatchObject({ a: '-3', s: '5' });
  });

  it('without a backorder limit the floor is 0: exactly the available units can be taken', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 3 });
    expect(await deduct(keys, { key: 'k1', gateId: 'g1', lines: [['A', 4]] })).toEqual(['SHORT', 0, 1, 3, 0, 1]);
    expect((await deduct(keys, { key: 'k2', gateId: 'g2', lines: [['A', 3]] }))[0]).toBe('OK');
    expect(await deduct(keys, { key: 'k3', gateId: 'g3', lines: [['A', 1]] })).toEqual(['SHORT', 0, 1, 0, 0, 1]);
    expect(await counter(keys, 'A')).toMatchObject({ a: '0', s: '3' });
  });

  it('a time that is not a whole number of ms is an error reply and changes nothing', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    const before = await snapshot(keys);

    await expect(deduct(keys, { now: 1.5, lines: [['A', 1]] })).rejects.toThrow(/bad time/);
    expect(await snapshot(keys)).toEqual(before);
  });

  it('an unknown kind is an error reply and changes nothing', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    const before = await snapshot(keys);

    await expect(deduct(keys, { kind: 'STEAL', lines: [['A', 1]] })).rejects.toThrow(/unknown kind STEAL/);
    expect(await snapshot(keys)).toEqual(before);
  });

  // Quantities are written as the digits they came as (lua/take.lua WHOLE_NUMBER): only plain whole numbers of up to 10 digits pass.
  it.each([0, -1, 1.5, 'x', '1e3', '0x10', '01', ' 1', 12_345_678_901])(
    'quantity %j is an error reply and changes nothing, even after good lines',
    async (bad) => {
      const { keys, gate } = ns();
      await seed(gate, 'A', { available: 10 });
      await seed(gate, 'B', { available: 10 });
      const before = await snapshot(keys);

      await expect(
        deduct(keys, {
          lines: [
            ['A', 2],
            ['B', bad],
          ],
        }),
      ).rejects.toThrow(/bad quantity on line 2/);
      await expect(
        deduct(keys, {
          lines: [
            ['A', bad],
            ['B', 2],
          ],
        }),
      ).rejects.toThrow(/bad quantity on line 1/);

      expect(await snapshot(keys)).toEqual(before);
      expect(await redis.exists(recordsNow(keys), keys.first.inflight, keys.first.inflightPayloads, keys.first.replayFilter)).toBe(0);
      // The same cart with whole quantities goes through: only the quantity was refused.
      expect(
        (
          await deduct(keys, {
            lines: [
              ['A', 2],
              ['B', 1],
            ],
          })
        )[0],
      ).toBe('OK');
    },
  );

  it('a bad quantity on a line whose counter is absent is still an error reply, not MISSING', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    const before = await snapshot(keys);

    await expect(
      deduct(keys, {
        lines: [
          ['A', 1],
          ['X', 0],
        ],
      }),
    ).rejects.toThrow(/bad quantity on line 2/);
    expect(await snapshot(keys)).toEqual(before);
    expect(
      await deduct(keys, {
        lines: [
          ['A', 1],
          ['X', 1],
        ],
      }),
    ).toEqual(['MISSING', 2]);
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
    await expect(
      deduct(keys, {
        lines: [
          ['A', 1],
          ['B', 1],
          ['A', 1],
        ],
      }),
    ).rejects.toThrow(`SKU on more than one line: ${keys.counter('A')}`);
    await expect(
      gate.take('RESERVE', 'k', 'fp', 'g', [
        { skuId: 'B', quantity: 1 },
        { skuId: 'B', quantity: 1 },
      ]),
    ).rejects.toThrow(`SKU on more than one line: ${keys.counter('B')}`);

    expect(await snapshot(keys)).toEqual(before);
    expect(await counter(keys, 'A')).toMatchObject({ a: '1', s: '0' });
    expect(await redis.exists(recordsNow(keys), keys.first.inflight, keys.first.inflightPayloads, keys.first.replayFilter)).toBe(0);
  });

  it('a SKU on two lines is refused even when the key was already used (no REPLAY)', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    const first = await deduct(keys, { key: 'k', fp: 'fp', gateId: 'g1', lines: [['A', 1]] });
    expect(first[0]).toBe('OK');
    const before = await snapshot(keys);

    await expect(
      deduct(keys, {
        key: 'k',
        fp: 'fp',
        gateId: 'g2',
        lines: [
          ['A', 1],
          ['A', 1],
        ],
      }),
    ).rejects.toThrow(/SKU on more than one line/);
    expect(await snapshot(keys)).toEqual(before);
  });
});

describe('take.lua: idempotency records, one hash per period', () => {
  it("a record in the previous period's hash is still a REPLAY or a CONFLICT, and is not copied into this period's", async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 2 });
    const earlier: [string, string] = [keys.first.idempotencyRecords(1), keys.first.idempotencyRecords(0)];
    expect(await deduct(keys, { key: 'k', fp: 'fp', gateId: 'gate-old-1', records: earlier, lines: [['A', 2]] })).toEqual([
      'OK',
      '1',
      0,
      0,
      '',
      0,
    ]);
    expect(await redis.hget(keys.first.idempotencyRecords(1), 'k')).toBe('fp:gate-old');
    const before = await snapshot(keys);

    // A period later (records now = 2, before = 1), with the stock gone.
    expect(await deduct(keys, { key: 'k', fp: 'fp', gateId: 'gate-new-1', lines: [['A', 2]] })).toEqual(['REPLAY', 'gate-old']);
    expect(await deduct(keys, { key: 'k', fp: 'other', gateId: 'gate-new-2', lines: [['A', 2]] })).toEqual(['CONFLICT']);
    expect(await snapshot(keys)).toEqual(before);
    expect(await redis.exists(recordsNow(keys))).toBe(0);
  });

  it('a record two periods old is forgotten: the key takes anew (PostgreSQL remembers it, not the gate)', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    const longAgo: [string, string] = [keys.first.idempotencyRecords(0), keys.first.idempotencyRecords(-1)];
    expect((await deduct(keys, { key: 'k', gateId: 'gate-old-1', records: longAgo, lines: [['A', 1]] }))[0]).toBe('OK');

    expect(await deduct(keys, { key: 'k', gateId: 'gate-new-1', lines: [['A', 1]] })).toEqual(['OK', '1', 8, 0, '', 0]);
    expect(await redis.hget(recordsNow(keys), 'k')).toBe('fp1:gate-new');
  });

  it("this period's hash expires at most its lifetime after its first record, not extended by later ones; the previous one is left alone", async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    await redis.hset(recordsBefore(keys), 'old', 'fp:gate-old');

    expect((await deduct(keys, { key: 'k1', gateId: 'g1', lifetime: 100, lines: [['A', 1]] }))[0]).toBe('OK');
    const first = await redis.pttl(recordsNow(keys));
    expect(first).toBeGreaterThan(90_000);
    expect(first).toBeLessThanOrEqual(100_000);

    // A later record, with a longer lifetime: the hash still expires when the first record said.
    expect((await deduct(keys, { key: 'k2', gateId: 'g2', lifetime: 5_000, lines: [['A', 1]] }))[0]).toBe('OK');
    const later = await redis.pttl(recordsNow(keys));
    expect(later).toBeGreaterThan(90_000);
    expect(later).toBeLessThanOrEqual(first);
    expect(await redis.hgetall(recordsNow(keys))).toEqual({ k1: 'fp1:g1', k2: 'fp1:g2' });
    expect(await redis.ttl(recordsBefore(keys))).toBe(-1);
    expect(await redis.hgetall(recordsBefore(keys))).toEqual({ old: 'fp:gate-old' });
  });

  it('a Gate of another record lifetime (IDEMPOTENCY_RECORD_SECONDS) writes periods of half of it, whose hash lives that long', async () => {
    const { keys } = ns();
    const gate = new Gate(redis, keys, 60);
    await seed(gate, 'A', { available: 10 });
    const gateId = randomUUID();

    const before = Date.now();
    expect((await gate.take('DEDUCT', 'k', 'fp', gateId, [{ skuId: 'A', quantity: 1 }])).kind).toBe('taken');
    const after = Date.now();

    const periods = [...new Set([before, after].map((t) => Math.floor(t / 30_000)))];
    const { field } = keyTrace('DEDUCT', 'k');
    const hashes = (
      await Promise.all(periods.map(async (p) => ((await redis.hexists(keys.first.idempotencyRecords(p), field)) ? [p] : [])))
    ).flat();
    expect(hashes).toHaveLength(1);
    const ttl = await redis.ttl(keys.first.idempotencyRecords(hashes[0]!));
    expect(ttl).toBeGreaterThan(50);
    expect(ttl).toBeLessThanOrEqual(60);
    expect(await gate.recordedGateToken('DEDUCT', 'k')).toBe(gateId.slice(0, 8));
  });

  it("a record costs under 128 bytes of Redis, as Gate.take writes it (digest field, 'digest:token' value)", async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 100_000 });
    const n = 1_000;
    const fp = 'x'.repeat(16);
    const pipeline = redis.pipeline();
    for (let i = 0; i < n; i++) {
      const key = `order-${randomUUID()}-${'long key '.repeat(10)}`;
      pipeline.take(...takeArgs(keys, { key: keyTrace('DEDUCT', key).field, fp, gateId: randomUUID(), bits: [], lines: [['A', 1]] }));
    }
    for (const [err, reply] of (await pipeline.exec())!) {
      expect(err).toBeNull();
      expect((reply as unknown[][])[0]![0]).toBe('OK');
    }
    expect(await redis.hlen(recordsNow(keys))).toBe(n);
    const bytes = Number(await redis.call('MEMORY', 'USAGE', recordsNow(keys), 'SAMPLES', '0'));
    expect(bytes / n).toBeLessThanOrEqual(128);
  });
});

describe('take.lua: the replay filter (KEYS[5], each part’s filter bits)', () => {
  it("an OK take sets the key's bits and nothing else; bit 0 (complete) stays as it was", async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });

    expect((await deduct(keys, { key: 'k', bits: [7, 11, 300, 1_000], lines: [['A', 1]] }))[0]).toBe('OK');

    expect(await filterBits(keys, [0, 7, 11, 300, 1_000])).toEqual([0, 1, 1, 1, 1]);
    expect(await redis.bitcount(keys.first.replayFilter)).toBe(4);
  });

  it('SHORT, MISSING, THROTTLED, REPLAY and CONFLICT set no bits', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 1 });
    await seed(gate, 'H', { available: 10, throttlePerSecond: 1 });
    expect((await deduct(keys, { key: 'k', bits: [5], lines: [['A', 1]] }))[0]).toBe('OK');
    expect((await deduct(keys, { key: 'h', bits: [6], now: 1, lines: [['H', 1]] }))[0]).toBe('OK');
    const before = await redis.getBuffer(keys.first.replayFilter);

    expect((await deduct(keys, { key: 's', bits: [20], lines: [['A', 1]] }))[0]).toBe('SHORT');
    expect((await deduct(keys, { key: 'm', bits: [21], lines: [['X', 1]] }))[0]).toBe('MISSING');
    expect((await deduct(keys, { key: 't', bits: [22], now: 2, lines: [['H', 1]] }))[0]).toBe('THROTTLED');
    expect((await deduct(keys, { key: 'k', bits: [23], lines: [['A', 1]] }))[0]).toBe('REPLAY');
    expect((await deduct(keys, { key: 'k', fp: 'other', bits: [24], lines: [['A', 1]] }))[0]).toBe('CONFLICT');

    expect(await redis.getBuffer(keys.first.replayFilter)).toEqual(before);
  });

  it('SHORT is fresh = 0 while the filter is not complete (bit 0 unset), even for a key it lacks', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 0 });
    expect(await deduct(keys, { key: 'new', bits: [3, 5], lines: [['A', 1]] })).toEqual(['SHORT', 0, 1, 0, 0, 1]);
    await redis.setbit(keys.first.replayFilter, 9, 1);
    expect(await deduct(keys, { key: 'new', bits: [3, 5], lines: [['A', 1]] })).toEqual(['SHORT', 0, 1, 0, 0, 1]);
  });

  it("SHORT is fresh = 1 once the filter is complete and lacks one of the key's bits, 0 when it has them all", async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 0 });
    await seed(gate, 'B', { available: 5 });
    await redis.setbit(keys.first.replayFilter, 0, 1);
    await redis.setbit(keys.first.replayFilter, 3, 1);
    const before = await snapshot(keys);

    const cart = {
      key: 'new',
      bits: [3, 5],
      lines: [
        ['B', 1],
        ['A', 1],
      ] as [string, number][],
    };
    expect(await deduct(keys, cart)).toEqual(['SHORT', 1, 2, 0, 0, 1]);
    // A refusal sets no bits: the key is still fresh.
    expect(await deduct(keys, cart)).toEqual(['SHORT', 1, 2, 0, 0, 1]);
    expect(await snapshot(keys)).toEqual(before);

    await redis.setbit(keys.first.replayFilter, 5, 1);
    expect(await deduct(keys, cart)).toEqual(['SHORT', 0, 2, 0, 0, 1]);
  });

  it('while the earlier layout’s filter exists (an earlier version takes there), the complete filter is marked incomplete and vouches for no key', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 0 });
    await redis.setbit(keys.first.replayFilter, 0, 1);
    const cart = { key: 'new', bits: [3, 5], lines: [['A', 1]] as [string, number][] };
    expect(await deduct(keys, cart)).toEqual(['SHORT', 1, 1, 0, 0, 1]);

    await redis.setbit(keys.first.earlierReplayFilter, 7, 1);
    expect(await deduct(keys, cart)).toEqual(['SHORT', 0, 1, 0, 0, 1]);
    expect(await redis.getbit(keys.first.replayFilter, 0)).toBe(0);
    // Gone again, the filter stays incomplete: only the keeper, having added the keys taken there, completes it.
    await redis.del(keys.first.earlierReplayFilter);
    expect(await deduct(keys, cart)).toEqual(['SHORT', 0, 1, 0, 0, 1]);
  });

  it('retire-1.lua deletes the earlier layout’s filter only once untouched for the idle seconds; a take’s look keeps it', async () => {
    const { keys, gate } = ns();
    const earlier = keys.first.earlierReplayFilter;
    expect(await redis.retire(earlier, 1)).toBe(0);
    await redis.setbit(earlier, 7, 1);
    expect(await redis.retire(earlier, 1)).toBe(1);
    expect(await gate.earlierReplayFilters(1_000)).toBe(1);
    await sleep(2_100);
    expect(await redis.retire(earlier, 60)).toBe(1);
    // Read as an earlier version's take reads it: idle from then on.
    await redis.getbit(earlier, 7);
    expect(await redis.retire(earlier, 1)).toBe(1);
    // Two whole seconds must show: a reading of 2 comes at most 3 s after the touch.
    await sleep(3_100);
    expect(await gate.earlierReplayFilters(1_000)).toBe(0);
    expect(await redis.exists(earlier)).toBe(0);
  });

  it('retire-1.lua keeps a filter whose idle time reads exactly the threshold: that reading comes up to a second after a touch', async () => {
    const { keys } = ns();
    const earlier = keys.first.earlierReplayFilter;
    await redis.setbit(earlier, 7, 1);
    // OBJECT IDLETIME subtracts whole seconds of the wall clock: it reads 1 from the next second's tick on.
    const readOneAfterMs = await eventually('IDLETIME to read 1', async () => Number(await redis.object('IDLETIME', earlier)) >= 1, {
      every: 20,
    });
    expect(await redis.retire(earlier, 1)).toBe(1);
    expect(await redis.exists(earlier)).toBe(1);
    expect(readOneAfterMs).toBeLessThan(1_000 + 500);
  });

  it("a complete filter that lacks one of a key's bits vouches it was never taken: no record of it is looked up", async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 5 });
    // A record no take wrote (its bits are not in the filter): only a filter not yet complete lets it answer.
    await redis.hset(recordsNow(keys), 'planted', recordOf('fp', 'old-gate'));
    expect(await deduct(keys, { key: 'planted', fp: 'fp', gateId: 'g1', bits: [3, 5], lines: [['A', 1]] })).toEqual(['REPLAY', 'old-gate']);

    await redis.setbit(keys.first.replayFilter, 0, 1);
    expect((await deduct(keys, { key: 'planted', fp: 'fp', gateId: 'g2', bits: [3, 5], lines: [['A', 1]] }))[0]).toBe('OK');
    expect(await redis.hget(recordsNow(keys), 'planted')).toBe(recordOf('fp', 'g2'));
    // Its take set its bits: from now on the key is looked up, and replays answer from its record.
    expect(await deduct(keys, { key: 'planted', fp: 'fp', gateId: 'g3', bits: [3, 5], lines: [['A', 1]] })).toEqual(['REPLAY', 'g2']);
    expect(await counter(keys, 'A')).toMatchObject({ a: '4', s: '1' });
  });

  it('a key taken once is never fresh again: its own take set its bits', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 1 });
    await redis.setbit(keys.first.replayFilter, 0, 1);
    expect((await deduct(keys, { key: 'k', gateId: 'g1', lines: [['A', 1]] }))[0]).toBe('OK');
    await redis.del(recordsNow(keys)); // the record is gone (expired), the bits are not

    expect(await deduct(keys, { key: 'k', gateId: 'g2', lines: [['A', 1]] })).toEqual(['SHORT', 0, 1, 0, 0, 1]);
    expect(await deduct(keys, { key: 'never', bits: bitsOf('never').map((b) => b + 1_000), lines: [['A', 1]] })).toEqual([
      'SHORT',
      1,
      1,
      0,
      0,
      1,
    ]);
  });

  it('Gate: keyTrace bits, addToReplayFilter, markReplayFilterComplete and the fresh flag of its short outcome', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 1 });
    const trace = keyTrace('DEDUCT', 'taken');
    expect(trace).toEqual(keyTrace('DEDUCT', 'taken'));
    expect(trace.filterBits).toHaveLength(2);
    for (const bit of trace.filterBits) {
      expect(Number.isInteger(bit)).toBe(true);
      expect(bit).toBeGreaterThanOrEqual(1);
      expect(bit).toBeLessThan(2 ** 28);
    }
    expect(keyTrace('RESERVE', 'taken').filterBits).not.toEqual(trace.filterBits);

    expect((await gate.take('DEDUCT', 'taken', 'fp', randomUUID(), [{ skuId: 'A', quantity: 1 }])).kind).toBe('taken');
    expect(await filterBits(keys, trace.filterBits)).toEqual([1, 1]);
    expect(await gate.replayFilterComplete()).toBe(false);
    const line = [{ skuId: 'A', quantity: 1 }];
    expect(await gate.take('DEDUCT', 'new', 'fp', randomUUID(), line)).toMatchObject({ kind: 'short', fresh: false });

    await gate.markReplayFilterComplete();
    expect(await gate.replayFilterComplete()).toBe(true);
    expect(await gate.take('DEDUCT', 'new', 'fp', randomUUID(), line)).toMatchObject({ kind: 'short', fresh: true });
    // A take says so too (read before it set the key's bits): a cart's later part short elsewhere trusts it.
    await seed(gate, 'B', { available: 1 });
    const fresh = await gate.take('DEDUCT', 'first-time', 'fp', randomUUID(), [{ skuId: 'B', quantity: 1 }]);
    expect(fresh).toMatchObject({ kind: 'taken', record: { fresh: true } });
    await redis.del(...gateRecords(keys));
    await seed(gate, 'B', { available: 1, epoch: 2 });
    const again = await gate.take('DEDUCT', 'first-time', 'fp', randomUUID(), [{ skuId: 'B', quantity: 1 }]);
    expect(again).toMatchObject({ kind: 'taken', record: { fresh: false } });
    await redis.del(...gateRecords(keys)); // its record gone, 'taken' is still "maybe taken"
    expect(await gate.take('DEDUCT', 'taken', 'fp', randomUUID(), line)).toMatchObject({ kind: 'short', fresh: false });

    await gate.addToReplayFilter([keyTrace('DEDUCT', 'new'), keyTrace('RESERVE', 'other')]);
    expect(await filterBits(keys, [...keyTrace('DEDUCT', 'new').filterBits, ...keyTrace('RESERVE', 'other').filterBits])).toEqual(
      Array(4).fill(1),
    );
    expect(await gate.take('DEDUCT', 'new', 'fp', randomUUID(), line)).toMatchObject({ kind: 'short', fresh: false });
    await gate.addToReplayFilter([]);
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
    expect(await deduct(keys, { key: 'a', now: T0, lines: [['H', 1]] })).toEqual(['SHORT', 0, 1, 0, 0, 1]);
    expect(await deduct(keys, { key: 'b', now: T0, lines: [['H', 1]] })).toEqual(['SHORT', 0, 1, 0, 0, 1]);
    expect(await deduct(keys, { key: 'c', now: T0, lines: [['H', 1]] })).toEqual(['THROTTLED', 500, 1]);
  });

  it('replays and conflicts are answered from the record before the throttle, and use no slot', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'H', { available: 10, throttlePerSecond: 1 });
    expect((await deduct(keys, { key: 'k', fp: 'fp', gateId: 'g1', now: T0, lines: [['H', 1]] }))[0]).toBe('OK');
    expect(await deduct(keys, { key: 'k', fp: 'fp', gateId: 'g2', now: T0 + 1, lines: [['H', 1]] })).toEqual(['REPLAY', 'g1']);
    expect(await deduct(keys, { key: 'k', fp: 'other', gateId: 'g3', now: T0 + 1, lines: [['H', 1]] })).toEqual(['CONFLICT']);
    expect(await deduct(keys, { key: 'new', gateId: 'g4', now: T0 + 1, lines: [['H', 1]] })).toEqual(['THROTTLED', 999, 1]);
  });

  it('a cart is admitted on every throttled line or none, lists the throttled lines, and waits for the slowest', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10, throttlePerSecond: 10 });
    await seed(gate, 'B', { available: 10, throttlePerSecond: 2 });
    await seed(gate, 'C', { available: 10, throttlePerSecond: 1 });
    await seed(gate, 'U', { available: 10 });
    expect(
      (
        await deduct(keys, {
          key: 'c0',
          gateId: 'g0',
          now: T0,
          lines: [
            ['B', 1],
            ['C', 1],
          ],
        })
      )[0],
    ).toBe('OK');
    expect((await deduct(keys, { key: 'c1', gateId: 'g1', now: T0, lines: [['B', 1]] }))[0]).toBe('OK');
    const aBefore = await counter(keys, 'A');
    // B is out of slots until T0 + 500, C until T0 + 1000; A and U would pass.
    expect(
      await deduct(keys, {
        key: 'c2',
        gateId: 'g2',
        now: T0,
        lines: [
          ['A', 1],
          ['B', 1],
          ['U', 1],
          ['C', 1],
        ],
      }),
    ).toEqual(['THROTTLED', 1000, 2, 4]);
    expect(await counter(keys, 'A')).toEqual(aBefore);
    // A's slots were not used by the refused cart: all ten are there.
    for (let i = 0; i < 10; i++) expect((await deduct(keys, { key: `a${i}`, gateId: `ga${i}`, now: T0, lines: [['A', 1]] }))[0]).toBe('OK');
    expect((await deduct(keys, { key: 'a10', gateId: 'ga10', now: T0, lines: [['A', 1]] }))[0]).toBe('THROTTLED');
  });

  it('MISSING comes first: an absent counter of the cart uses no slot of its throttled lines', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'H', { available: 10, throttlePerSecond: 1 });
    expect(
      await deduct(keys, {
        key: 'k',
        now: T0,
        lines: [
          ['H', 1],
          ['absent', 1],
        ],
      }),
    ).toEqual(['MISSING', 2]);
    expect(await counter(keys, 'H')).not.toHaveProperty('tt');
    expect((await deduct(keys, { key: 'k2', now: T0, lines: [['H', 1]] }))[0]).toBe('OK');
  });

  it('holds a steady rate: over 10 s of attempts every 10 ms, t a second plus one burst of t get through', async () => {
    const { keys, gate } = ns();
    const t = 5;
    await seed(gate, 'H', { available: 100_000, throttlePerSecond: t });
    const pipeline = redis.pipeline();
    for (let i = 0; i < 1_000; i++)
      pipeline.take(...takeArgs(keys, { key: `s${i}`, fp: 'fp', gateId: `g${i}`, now: T0 + i * 10, lines: [['H', 1]] }));
    const replies = (await pipeline.exec())!.map(([err, reply]) => {
      expect(err).toBeNull();
      return (reply as unknown[][])[0]![0];
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

describe('concurrency', () => {
  it('500 parallel 1-unit deducts on 10 connections against 100 units: exactly 100 OK', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'HOT', { available: 100 });
    const clients = connections(10);

    const replies = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        deduct(keys, { key: `k${i}`, fp: `fp${i}`, gateId: `g${i}`, lines: [['HOT', 1]] }, clients[i % clients.length]),
      ),
    );

    const ok = replies.filter((r) => r[0] === 'OK');
    const short = replies.filter((r) => r[0] === 'SHORT');
    expect(ok).toHaveLength(100);
    expect(short).toHaveLength(400);
    for (const r of short) expect(r).toEqual(['SHORT', 0, 1, 0, 0, 1]);
    expect(ok.map((r) => Number(r[2])).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(await counter(keys, 'HOT')).toMatchObject({ a: '0', s: '100' });
    expect(await redis.zcard(keys.first.inflight)).toBe(100);
    expect(await redis.hlen(keys.first.inflightPayloads)).toBe(100);
  });

  it('parallel multi-line carts never take part of a cart', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'X', { available: 30 });
    await seed(gate, 'Y', { available: 50 });
    const pipeline = redis.pipeline();
    for (let i = 0; i < 100; i++) {
      pipeline.take(
        ...takeArgs(keys, {
          key: `k${i}`,
          fp: `fp${i}`,
          gateId: `g${i}`,
          now: Date.now(),
          lines: [
            ['X', 1],
            ['Y', 1],
          ],
        }),
      );
    }
    const replies = ((await pipeline.exec()) ?? []).map(([err, r]) => {
      expect(err).toBeNull();
      return (r as (string | number)[][])[0]!;
    });

    expect(replies.filter((r) => r[0] === 'OK')).toHaveLength(30);
    expect(replies.filter((r) => r[0] === 'SHORT')).toHaveLength(70);
    expect(await counter(keys, 'X')).toMatchObject({ a: '0', s: '30' });
    expect(await counter(keys, 'Y')).toMatchObject({ a: '20', s: '30' });
  });

  it('50 parallel requests with one idempotency key take once; the rest replay the gate token of the one that took', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 100 });
    const clients = connections(5);

    const gateIds = Array.from({ length: 50 }, () => randomUUID());
    const replies = await Promise.all(
      gateIds.map((gateId, i) => deduct(keys, { key: 'same', fp: 'fp', gateId, lines: [['A', 3]] }, clients[i % clients.length])),
    );

    const ok = replies.flatMap((r, i) => (r[0] === 'OK' ? [gateIds[i]!] : []));
    expect(ok).toHaveLength(1);
    const replays = replies.filter((r) => r[0] === 'REPLAY');
    expect(replays).toHaveLength(49);
    for (const r of replays) expect(r).toEqual(['REPLAY', ok[0]!.slice(0, 8)]);
    expect(await redis.hgetall(recordsNow(keys))).toEqual({ same: recordOf('fp', ok[0]!) });
    expect(await counter(keys, 'A')).toMatchObject({ a: '97', s: '3' });
    expect(await redis.zcard(keys.first.inflight)).toBe(1);
  });
});

describe('take.lua: many parts in one call (a batch)', () => {
  it('takes the parts one after the other, each as if called alone: later ones see what earlier ones took', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 3 });
    await seed(gate, 'B', { available: 5 });
    const replies = await deductParts(
      keys,
      Array.from({ length: 5 }, (_, i) => ({
        key: `k${i}`,
        fp: `fp${i}`,
        gateId: `g${i}`,
        lines: [
          ['B', 1],
          ['A', 1],
        ] as [string, number][],
      })),
    );
    expect(replies.map((r) => r[0])).toEqual(['OK', 'OK', 'OK', 'SHORT', 'SHORT']);
    // Available after each take, per line: B then A.
    expect(replies.slice(0, 3).map((r) => [r[2], r[6]])).toEqual([
      [4, 2],
      [3, 1],
      [2, 0],
    ]);
    // Line 2 (A) is short in the later parts; B was not taken for them.
    expect(replies[3]).toEqual(['SHORT', 0, 2, 0, 0, 1]);
    expect(await counter(keys, 'A')).toMatchObject({ a: '0', s: '3' });
    expect(await counter(keys, 'B')).toMatchObject({ a: '2', s: '3' });
    expect(await redis.hgetall(recordsNow(keys))).toEqual({
      k0: recordOf('fp0', 'g0'),
      k1: recordOf('fp1', 'g1'),
      k2: recordOf('fp2', 'g2'),
    });
    expect(await redis.zrange(keys.first.inflight, 0, -1)).toEqual(['g0', 'g1', 'g2']);
    expect(Object.keys(await redis.hgetall(keys.first.inflightPayloads)).sort()).toEqual(['g0', 'g1', 'g2']);
    expect(await filterBits(keys, bitsOf('k2'))).toEqual([1, 1]);
    expect(await redis.ttl(recordsNow(keys))).toBeGreaterThan(0);
  });

  it("a key met again later in the call answers from the earlier part's record: REPLAY with the same fingerprint, else CONFLICT", async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    const replies = await deductParts(keys, [
      { key: 'same', fp: 'fp', gateId: 'first-gate', lines: [['A', 2]] },
      { key: 'same', fp: 'fp', gateId: 'second-gate', lines: [['A', 2]] },
      { key: 'other', fp: 'fp-a', gateId: 'third-gate', lines: [['A', 1]] },
      { key: 'other', fp: 'fp-b', gateId: 'fourth-gate', lines: [['A', 1]] },
    ]);
    expect(replies.map((r) => r[0])).toEqual(['OK', 'REPLAY', 'OK', 'CONFLICT']);
    expect(replies[1]).toEqual(['REPLAY', 'first-ga']);
    expect(await counter(keys, 'A')).toMatchObject({ a: '7', s: '3' });
    expect(await redis.zcard(keys.first.inflight)).toBe(2);
  });

  it('with the filter complete, a key met again later in the call still answers from the record its earlier part wrote', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    await redis.setbit(keys.first.replayFilter, 0, 1);
    const replies = await deductParts(keys, [
      { key: 'same', fp: 'fp', gateId: 'first-gate', lines: [['A', 2]] },
      { key: 'same', fp: 'fp', gateId: 'second-gate', lines: [['A', 2]] },
      { key: 'same', fp: 'other', gateId: 'third-gate', lines: [['A', 2]] },
    ]);
    expect(replies).toEqual([['OK', '1', 8, 0, '', 1], ['REPLAY', 'first-ga'], ['CONFLICT']]);
    expect(await counter(keys, 'A')).toMatchObject({ a: '8', s: '2' });
  });

  it("a throttled SKU's parts in one call share its schedule: t of them are admitted, then the rest are THROTTLED", async () => {
    const { keys, gate } = ns();
    const NOW = 1_700_000_000_000;
    await seed(gate, 'H', { available: 100, throttlePerSecond: 4 });
    const replies = await deductParts(
      keys,
      Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, gateId: `g${i}`, now: NOW, lines: [['H', 1]] as [string, number][] })),
    );
    expect(replies.map((r) => r[0])).toEqual(['OK', 'OK', 'OK', 'OK', 'THROTTLED', 'THROTTLED']);
    expect(replies.slice(0, 4).map((r) => r[2])).toEqual([99, 98, 97, 96]);
    expect(replies[4]).toEqual(['THROTTLED', 250, 1]);
    expect(await deduct(keys, { key: 'k6', gateId: 'g6', now: NOW + 249, lines: [['H', 1]] })).toEqual(['THROTTLED', 1, 1]);
    expect((await deduct(keys, { key: 'k6', gateId: 'g6', now: NOW + 250, lines: [['H', 1]] }))[0]).toBe('OK');
    expect(await counter(keys, 'H')).toMatchObject({ a: '95', s: '5' });
  });

  it("takes a home part without lines (a cart whose lines are all in other shards): it holds the key's record and its in-flight entry", async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    const replies = await deductParts(keys, [
      { key: 'k1', fp: 'fp1', gateId: 'g1', lines: [['A', 1]] },
      { key: 'home-only', fp: 'fp2', gateId: 'g2', lines: [] },
    ]);
    expect(replies[1]).toEqual(['OK', 0]);
    expect(await redis.hget(recordsNow(keys), 'home-only')).toBe(recordOf('fp2', 'g2'));
    expect(await redis.zrange(keys.first.inflight, 0, -1)).toEqual(['g1', 'g2']);
    expect(await counter(keys, 'A')).toMatchObject({ a: '9', s: '1' });
  });

  it('refuses the whole call before writing anything when a later part is bad (quantity, line count, keys)', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    await redis.adopt(keys.first.origin, keys.first.generation, keys.first.replayFilter);
    const before = await snapshot(keys);
    const good = { key: 'k1', lines: [['A', 1]] as [string, number][] };
    await expect(deductParts(keys, [good, { key: 'k2', lines: [['A', 0]] }])).rejects.toThrow(/bad quantity on line 1/);
    await expect(deductParts(keys, [good, { key: 'k2', kind: 'LEND', lines: [['A', 1]] }])).rejects.toThrow(/unknown kind/);
    // One counter key too many for the parts' lines.
    const [count, ...rest] = takePartsArgs(keys, [good]);
    await expect(redis.take(count + 1, ...rest.slice(0, count), keys.counter('A'), ...rest.slice(count))).rejects.toThrow(/do not match/);
    // A line count beyond the arguments.
    const args = takePartsArgs(keys, [good]);
    args[args.length - 3] = 5;
    await expect(redis.take(...args)).rejects.toThrow(/bad line count/);
    expect(await snapshot(keys)).toEqual(before);
  });

  it('a part that fails at run time (a counter of the wrong type) leaves the parts before it whole: taken, recorded and in flight', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    await redis.set(keys.counter('BAD'), 'not a hash');
    await expect(
      deductParts(keys, [
        { key: 'k1', fp: 'fp1', gateId: 'g1', lines: [['A', 2]] },
        // A's second take in the call: its sums are written after the parts (take.lua `writes`), failure or not.
        { key: 'k3', fp: 'fp3', gateId: 'g3', lines: [['A', 3]] },
        { key: 'k2', fp: 'fp2', gateId: 'g2', lines: [['BAD', 1]] },
      ]),
    ).rejects.toThrow(/WRONGTYPE/);
    // Reconciliation finds the earlier parts' takes in flight and settles them from the truth (I3).
    expect(await counter(keys, 'A')).toMatchObject({ a: '5', s: '5' });
    expect(await redis.hget(recordsNow(keys), 'k1')).toBe(recordOf('fp1', 'g1'));
    expect(await redis.hget(recordsNow(keys), 'k3')).toBe(recordOf('fp3', 'g3'));
    expect(await redis.zrange(keys.first.inflight, 0, -1)).toEqual(['g1', 'g3']);
    expect(await redis.hexists(keys.first.inflightPayloads, 'g1')).toBe(1);
    expect(await redis.hexists(keys.first.inflightPayloads, 'g3')).toBe(1);
    expect(await redis.hget(recordsNow(keys), 'k2')).toBeNull();
  });

  it('refuses more than 1,000 parts in one call (MAX_PARTS) before writing anything', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10_000 });
    await redis.adopt(keys.first.origin, keys.first.generation, keys.first.replayFilter);
    const before = await snapshot(keys);
    const parts = (count: number) => Array.from({ length: count }, (_, i) => ({ key: `k${i}`, gateId: `g${i}`, lines: [] }));
    await expect(deductParts(keys, parts(1_001))).rejects.toThrow(/more than 1000 parts/);
    expect(await snapshot(keys)).toEqual(before);
    expect((await deductParts(keys, parts(1_000))).every((reply) => reply[0] === 'OK')).toBe(true);
    expect(await redis.zcard(keys.first.inflight)).toBe(1_000);
  });

  it('answers ADOPT once for the whole call on a server it was not adopted on, and writes nothing', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    await redis.adopt(keys.first.origin, keys.first.generation, keys.first.replayFilter);
    await redis.set(keys.first.origin, 'replication-id-of-the-dead-master');
    const before = await snapshot(keys);
    const raw = await redis.take(
      ...takePartsArgs(keys, [
        { key: 'k1', lines: [['A', 1]] },
        { key: 'k2', lines: [['A', 1]] },
      ]),
    );
    expect(raw).toEqual(['ADOPT']);
    expect(await snapshot(keys)).toEqual(before);
  });

  it('Gate.takeMany sends a batch of 250 one-line carts as three take.lua calls (100 parts at most each) and answers each in order', async () => {
    const { keys } = ns();
    const client = connections(1)[0]!;
    const gate = new Gate(client, keys);
    await seed(gate, 'A', { available: 200 });
    await gate.take('DEDUCT', 'warm-up', 'fp', randomUUID(), [{ skuId: 'A', quantity: 1 }]);
    const sent: string[] = [];
    const send = client.sendCommand.bind(client);
    client.sendCommand = (command, stream) => {
      sent.push(command.name);
      return send(command, stream);
    };
    const outcomes = await gate.takeMany(
      Array.from({ length: 250 }, (_, i) => ({
        kind: 'DEDUCT' as const,
        idempotencyKey: `batch-${i}`,
        fingerprint: `fp-${i}`,
        gateId: randomUUID(),
        lines: [{ skuId: 'A', quantity: 1 }],
      })),
    );
    expect(sent.filter((name) => name === 'evalsha' || name === 'eval')).toHaveLength(3);
    expect(outcomes.slice(0, 199).every((o) => o.kind === 'taken')).toBe(true);
    expect(outcomes.slice(199).map((o) => o.kind)).toEqual(Array(51).fill('short'));
    expect(outcomes.slice(0, 199).map((o) => (o.kind === 'taken' ? o.record.availableAfter[0] : -1))).toEqual(
      Array.from({ length: 199 }, (_, i) => 198 - i),
    );
    expect(await counter(keys, 'A')).toMatchObject({ a: '0', s: '200' });
  });
});
