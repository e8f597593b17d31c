/** lua/lock.lua and lua/unlock.lua: taking and releasing load locks by their token, many per call. See ./harness.ts. */
import { describe, expect, it } from 'vitest';
import { ns, redis, useLua } from './harness.ts';

useLua();

describe('unlock.lua', () => {
  it('deletes the lock only for the token that holds it', async () => {
    const { keys } = ns();
    const lock = keys.loadLock('A');
    await redis.set(lock, 'token-1', 'PX', 60_000);

    expect(await redis.unlock(1, lock, 'token-2')).toEqual([0]);
    expect(await redis.get(lock)).toBe('token-1');
    expect(await redis.unlock(1, lock, 'token-1')).toEqual([1]);
    expect(await redis.exists(lock)).toBe(0);
    expect(await redis.unlock(1, lock, 'token-1')).toEqual([0]);

    await redis.set(lock, 'token-3', 'PX', 60_000); // taken over after token-1's lease ran out
    expect(await redis.unlock(1, lock, 'token-1')).toEqual([0]);
    expect(await redis.get(lock)).toBe('token-3');
  });

  it('answers each of many keys: released where the token holds the lock, left alone elsewhere', async () => {
    const { keys } = ns();
    const [mine, theirs, none] = ['A', 'B', 'C'].map((id) => keys.loadLock(id));
    await redis.set(mine!, 'token-1', 'PX', 60_000);
    await redis.set(theirs!, 'token-2', 'PX', 60_000);
    expect(await redis.unlock(3, mine!, theirs!, none!, 'token-1')).toEqual([1, 0, 0]);
    expect(await redis.exists(mine!)).toBe(0);
    expect(await redis.get(theirs!)).toBe('token-2');
  });
});

describe('lock.lua', () => {
  it('takes each free lock for the token with its lease, and leaves a held one to its holder', async () => {
    const { keys } = ns();
    const [free, held] = ['A', 'B'].map((id) => keys.loadLock(id));
    await redis.set(held!, 'token-2', 'PX', 60_000);
    expect(await redis.lock(2, free!, held!, 'token-1', 5_000)).toEqual([1, 0]);
    expect(await redis.get(free!)).toBe('token-1');
    expect(await redis.pttl(free!)).toBeGreaterThan(4_000);
    expect(await redis.pttl(free!)).toBeLessThanOrEqual(5_000);
    expect(await redis.get(held!)).toBe('token-2');
    // Taken once: the same token does not take it again (a lock is not reentrant).
    expect(await redis.lock(1, free!, 'token-1', 5_000)).toEqual([0]);
  });

  it('Gate.tryLocks and unlockAll take and release 2,500 locks in calls of at most 1,000 keys, in the keys’ order', async () => {
    const { keys, gate } = ns();
    const locks = Array.from({ length: 2_500 }, (_, i) => keys.loadLock(`sku-${i}`));
    await redis.set(locks[1_234]!, 'someone-else', 'PX', 60_000);
    const got = await gate.tryLocks(locks, 'token', 60_000);
    expect(got.filter((g) => !g)).toHaveLength(1);
    expect(got[1_234]).toBe(false);
    const released = await gate.unlockAll(locks, 'token');
    expect(released.reduce((a, b) => a + b, 0)).toBe(2_499);
    expect(released[1_234]).toBe(0);
    expect(await redis.get(locks[1_234]!)).toBe('someone-else');
    expect(await redis.exists(locks[0]!, locks[2_499]!)).toBe(0);
  });
});
