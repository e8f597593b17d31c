/** lua/take.lua, the gate's one take (deducts and reserves): its replies, the all-or-nothing cart, idempotency, unlimited and backorder lines, the hot-SKU throttle, and concurrent callers. See ./harness.ts. */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Gate } from '../../src/gate/gate.ts';
import { decodeTakeRecord } from '../../src/gate/replies.ts';
import { GATE_TTL, TTL, connections, counter, deduct, ns, redis, seed, snapshot, useLua } from './harness.ts';

useLua();

describe('take.lua', () => {
  it('takes every line: available down, sold up, record with TTL, in-flight entry and payload', async () => {
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
    expect(JSON.parse(payloads['gate-1']!)).toEqual({
      k: 'DEDUCT',
      i: idem,
      c: [keys.counter('A'), keys.counter('B')],
      q: [3, 5],
      e: [3, 7],
      u: [0, 0],
      t: now,
    });
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

    const reply = await deduct(keys, {
      lines: [
        ['A', 5],
        ['B', 3],
        ['C', 5],
      ],
    });

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

    const one = await deduct(keys, {
      key: 'k1',
      gateId: 'g1',
      lines: [
        ['U', 1_000_000],
        ['L', 1],
      ],
    });
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

    const sold = await deduct(keys, {
      key: 'k1',
      gateId: 'g1',
      lines: [
        ['L', 2],
        ['U', 3],
      ],
    });
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
    expect(await redis.exists(keys.idempotency('DEDUCT', 'k1'), keys.inflight, keys.inflightPayloads)).toBe(0);
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
  });

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
    expect(await redis.exists(keys.idempotency('DEDUCT', 'k1'), keys.inflight, keys.inflightPayloads)).toBe(0);
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
    const clients = connections(5);

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
