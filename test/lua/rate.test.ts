/** lua/rate-1.lua, the per-caller rate limit. See ./harness.ts. */
import { describe, expect, it } from 'vitest';
import { ns, redis, useLua } from './harness.ts';

useLua();

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
