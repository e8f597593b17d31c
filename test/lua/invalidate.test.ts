/** lua/invalidate-1.lua: dropping a counter older than an epoch. See ./harness.ts. */
import { describe, expect, it } from 'vitest';
import { counter, ns, redis, seed, useLua } from './harness.ts';

useLua();

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
