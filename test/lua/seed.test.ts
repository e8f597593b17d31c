/** lua/seed.lua: loading counters from the truth, fenced by epoch and load lock. See ./harness.ts. */
import { describe, expect, it } from 'vitest';
import type { GateKeys } from '../../src/gate/keys.ts';
import { seedHoldingLock } from '../support/seed.ts';
import { counter, deduct, ns, redis, seed, useLua } from './harness.ts';

useLua();

describe('seed.lua', () => {
  /**
   * seed.lua of one counter, straight: its ten first arguments (epoch to the lock token) as given,
   * the rest as for a SKU without buckets or locations. Its one reply.
   */
  async function seedOne(keys: GateKeys, id: string, ...args: (string | number)[]): Promise<number> {
    const [reply] = await redis.seed(3, keys.first.generation, keys.counter(id), keys.loadLock(id), ...args, 1, 0, 0, '', '?');
    return reply!;
  }

  /** Takes the load lock of `skuId` for `token`, as a loader does before seeding. */
  async function lock(keys: GateKeys, skuId: string, token = 'loader'): Promise<string> {
    await redis.set(keys.loadLock(skuId), token, 'PX', 5_000);
    return token;
  }

  it('loads an absent counter with every field', async () => {
    const { keys } = ns();
    for (const id of ['A', 'B', 'C', 'D']) await lock(keys, id);
    const seed = (id: string, ...args: (string | number)[]) => seedOne(keys, id, ...args);
    expect(await seed('A', 3, 10, 2, 5, 0, -4, 'Widget', 0, 0, 'loader')).toBe(1);
    expect(await counter(keys, 'A')).toEqual({ e: '3', a: '10', r: '2', s: '5', u: '0', f: '-4', n: 'Widget', g: '0' });
    // The eighth argument, the throttle: stored as t when set, absent when 0.
    expect(await seed('B', 3, 10, 2, 5, 0, -4, 'Widget', 25, 0, 'loader')).toBe(1);
    expect(await counter(keys, 'B')).toEqual({ e: '3', a: '10', r: '2', s: '5', u: '0', f: '-4', n: 'Widget', t: '25', g: '0' });
    expect(await seed('C', 3, 10, 2, 5, 0, -4, 'Widget', 0, 0, 'loader')).toBe(1);
    expect(await counter(keys, 'C')).not.toHaveProperty('t');
    // The ninth, the withheld units: stored as h when not 0.
    expect(await seed('D', 3, 10, 2, 5, 0, -4, 'Widget', 0, 6, 'loader')).toBe(1);
    expect(await counter(keys, 'D')).toEqual({ e: '3', a: '10', r: '2', s: '5', u: '0', f: '-4', n: 'Widget', h: '6', g: '0' });
  });

  it('writes nothing for a loader that does not hold the load lock (lapsed, taken over, or flushed)', async () => {
    const { keys } = ns();
    const seed = (token: string) => seedOne(keys, 'A', 3, 10, 0, 0, 0, 0, '', 0, 0, token);
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
    // The low-stock threshold, where the loader read it: lt, "" for none (absent above: not read).
    const base = { name: null, available: 1, reserved: 0, sold: 0, unlimited: false, epoch: 1, backorderLimit: 0 };
    await seedHoldingLock(gate, { ...base, skuId: 'T', lowStockThreshold: 5 });
    await seedHoldingLock(gate, { ...base, skuId: 'N', lowStockThreshold: null });
    expect(await counter(keys, 'T')).toMatchObject({ lt: '5' });
    expect(await counter(keys, 'N')).toMatchObject({ lt: '' });
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

  it('loads many counters in one call, each as if alone: a lost lock or a newer counter answers for itself only', async () => {
    const { keys } = ns();
    for (const id of ['A', 'C']) await lock(keys, id);
    await lock(keys, 'B', 'someone-else');
    await seedOne(keys, 'C', 9, 1, 0, 0, 0, 0, '', 0, 0, 'loader');
    const counterArgs = (epoch: number, available: number) => [epoch, available, 0, 0, 0, 0, '', 0, 0, 'loader', 1, 0, 0, '', '?'];
    const replies = await redis.seed(
      7,
      keys.first.generation,
      ...['A', 'B', 'C'].flatMap((id) => [keys.counter(id), keys.loadLock(id)]),
      ...counterArgs(3, 10),
      ...counterArgs(3, 20),
      ...counterArgs(3, 30),
    );
    expect(replies).toEqual([1, -1, 0]);
    expect(await counter(keys, 'A')).toMatchObject({ e: '3', a: '10' });
    expect(await redis.exists(keys.counter('B'))).toBe(0);
    expect(await counter(keys, 'C')).toMatchObject({ e: '9', a: '1' });
  });

  it('refuses arguments that do not match the keys before writing anything', async () => {
    const { keys } = ns();
    await lock(keys, 'A');
    await expect(
      redis.seed(
        5,
        keys.first.generation,
        keys.counter('A'),
        keys.loadLock('A'),
        keys.counter('B'),
        keys.loadLock('B'),
        3,
        10,
        0,
        0,
        0,
        0,
        '',
        0,
        0,
        'loader',
        1,
        0,
        0,
        '',
        '?',
      ),
    ).rejects.toThrow(/do not match/);
    // An epoch that is not a number, in the second counter: the first is not loaded either.
    await expect(
      redis.seed(
        5,
        keys.first.generation,
        ...['A', 'B'].flatMap((id) => [keys.counter(id), keys.loadLock(id)]),
        ...[3, 10, 0, 0, 0, 0, '', 0, 0, 'loader', 1, 0, 0, '', '?'],
        ...['three', 10, 0, 0, 0, 0, '', 0, 0, 'loader', 1, 0, 0, '', '?'],
      ),
    ).rejects.toThrow(/counter 2: bad epoch/);
    expect(await redis.exists(keys.counter('A'))).toBe(0);
  });

  it('Gate.seedAll loads 1,200 counters (three calls) and answers each in order', async () => {
    const { keys, gate } = ns();
    const ids = Array.from({ length: 1_200 }, (_, i) => `bulk-${i}`);
    await gate.tryLocks(
      ids.map((id) => keys.loadLock(id)),
      'token',
      60_000,
    );
    await redis.set(keys.loadLock('bulk-600'), 'someone-else', 'PX', 60_000);
    const replies = await gate.seedAll(
      ids.map((skuId, i) => ({ skuId, name: null, available: i, reserved: 0, sold: 0, unlimited: false, epoch: 1, backorderLimit: 0 })),
      'token',
    );
    expect(replies.filter((r) => r === 1)).toHaveLength(1_199);
    expect(replies[600]).toBe(-1);
    expect(await counter(keys, 'bulk-1199')).toMatchObject({ e: '1', a: '1199' });
  });
});
