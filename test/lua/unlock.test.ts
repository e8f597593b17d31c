/** lua/unlock-1.lua: releasing a load lock by its token. See ./harness.ts. */
import { describe, expect, it } from 'vitest';
import { ns, redis, useLua } from './harness.ts';

useLua();

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
