/** lua/apply-2.lua: applying an outbox row's deltas to a counter, once. See ./harness.ts. */
import { describe, expect, it } from 'vitest';
import { counter, ns, redis, seed, useLua } from './harness.ts';

useLua();

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
    expect(await redis.apply(keys.counter('A'), keys.applied('A', '203'), '7.0', 1, 0, 0, 60, 0, 'default')).toBe(1);
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
