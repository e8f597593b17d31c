/** lua/seed-3.lua: loading a counter from the truth, fenced by epoch and load lock. See ./harness.ts. */
import { describe, expect, it } from 'vitest';
import type { GateKeys } from '../../src/gate/keys.ts';
import { seedHoldingLock } from '../support/seed.ts';
import { counter, deduct, ns, redis, seed, useLua } from './harness.ts';

useLua();

describe('seed-3.lua', () => {
  /** Takes the load lock of `skuId` for `token`, as a loader does before seeding. */
  async function lock(keys: GateKeys, skuId: string, token = 'loader'): Promise<string> {
    await redis.set(keys.loadLock(skuId), token, 'PX', 5_000);
    return token;
  }

  it('loads an absent counter with every field', async () => {
    const { keys } = ns();
    for (const id of ['A', 'B', 'C', 'D']) await lock(keys, id);
    const seed = (id: string, ...args: (string | number)[]) =>
      redis.seed(keys.counter(id), keys.loadLock(id), keys.first.generation, ...args);
    expect(await seed('A', 3, 10, 2, 5, 0, -4, 'Widget', 0, 0, 'loader')).toBe(1);
    expect(await counter(keys, 'A')).toEqual({ e: '3', a: '10', r: '2', s: '5', u: '0', f: '-4', n: 'Widget', g: '0' });
    // ARGV[8], the throttle: stored as t when set, absent when 0.
    expect(await seed('B', 3, 10, 2, 5, 0, -4, 'Widget', 25, 0, 'loader')).toBe(1);
    expect(await counter(keys, 'B')).toEqual({ e: '3', a: '10', r: '2', s: '5', u: '0', f: '-4', n: 'Widget', t: '25', g: '0' });
    expect(await seed('C', 3, 10, 2, 5, 0, -4, 'Widget', 0, 0, 'loader')).toBe(1);
    expect(await counter(keys, 'C')).not.toHaveProperty('t');
    // ARGV[9], the withheld units: stored as h when not 0.
    expect(await seed('D', 3, 10, 2, 5, 0, -4, 'Widget', 0, 6, 'loader')).toBe(1);
    expect(await counter(keys, 'D')).toEqual({ e: '3', a: '10', r: '2', s: '5', u: '0', f: '-4', n: 'Widget', h: '6', g: '0' });
  });

  it('writes nothing for a loader that does not hold the load lock (lapsed, taken over, or flushed)', async () => {
    const { keys } = ns();
    const seed = (token: string) =>
      redis.seed(keys.counter('A'), keys.loadLock('A'), keys.first.generation, 3, 10, 0, 0, 0, 0, '', 0, 0, token);
    expect(await seed('stalled')).toBe(-1);
    expect(await redis.exists(keys.counter('A'))).toBe(0);
    await lock(keys, 'A', 'successor');
    expect(await seed('stalled')).toBe(-1);
    expect(await redis.exists(keys.counter('A'))).toBe(0);
    expect(await seed('successor')).toBe(1);
  });

  it('Gate.seed maps the StockSeed shape (floor = -backorderLimit, unlimited 0/1, name "" for none)', async () => {
    const { keys, gate } = ns();
    await seedHoldingLock(gate, {
      skuId: 'A',
      name: null,
      available: 1,
      reserved: 2,
      sold: 3,
      unlimited: true,
      epoch: 9,
      backorderLimit: 7,
    });
    expect(await counter(keys, 'A')).toEqual({ e: '9', a: '1', r: '2', s: '3', u: '1', f: '-7', n: '', g: '1' });
    expect(await gate.levels(['A', 'nope'])).toEqual([
      {
        skuId: 'A',
        name: null,
        available: 1,
        withheld: 0,
        reserved: 2,
        sold: 3,
        unlimited: true,
        backorderLimit: 7,
        throttlePerSecond: null,
        epoch: 9,
        buckets: 1,
      },
      null,
    ]);
    // The gate's share is available minus the withheld units; levels add them back.
    await seedHoldingLock(gate, {
      skuId: 'W',
      name: null,
      available: 10,
      withheld: 4,
      reserved: 0,
      sold: 0,
      unlimited: false,
      epoch: 1,
      backorderLimit: 0,
    });
    expect(await counter(keys, 'W')).toMatchObject({ a: '6', h: '4' });
    expect((await gate.levels(['W']))[0]).toMatchObject({ available: 10, withheld: 4 });
    await seedHoldingLock(gate, {
      skuId: 'B',
      name: 'hot',
      available: 1,
      reserved: 0,
      sold: 0,
      unlimited: false,
      epoch: 2,
      backorderLimit: 0,
      throttlePerSecond: 40,
    });
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
    expect(await counter(keys, 'A')).toEqual({ e: '3', a: '3', r: '0', s: '8', u: '0', f: '0', n: '', g: '1' });
  });
});
