/**
 * lua/adopt-3.lua and the generation it keeps: a Gate adopts the server it talks to before it takes or
 * loads anything there, once per connection; a server of another history (another replication id: a
 * promoted replica, a restart from an older snapshot) moves the generation on, and every counter of an
 * older one then counts as missing for take.lua, announce-3.lua and Gate.levels, until it is loaded
 * again, and the replay filter is no longer complete; take.lua itself refuses (ADOPT) a server the
 * gate's data was not adopted on, so a command a client resends after a failover moves nothing there.
 * See ./harness.ts.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Gate } from '../../src/gate/gate.ts';
import { connections, counter, ns, recordsNow, redis, seed, takeArgs, useLua } from './harness.ts';

useLua();

const take = (gate: Gate, skuId: string) => gate.take('DEDUCT', randomUUID(), 'fp', randomUUID(), [{ skuId, quantity: 1 }]);

describe('adopt-3.lua', () => {
  it('a first adoption starts generation 1; the same server adopted again, by any gate, keeps it', async () => {
    const { keys, gate } = ns();
    expect(await redis.get(keys.first.generation)).toBeNull();
    await gate.levels(['A']);
    expect(await redis.get(keys.first.generation)).toBe('1');
    expect(await redis.get(keys.first.origin)).toMatch(/^[0-9a-f]{40}$/);
    const [other] = connections(1);
    await new Gate(other!, keys).levels(['A']);
    expect(await redis.get(keys.first.generation)).toBe('1');
  });

  it('another history: the generation moves on, its counters count as missing until loaded again, the filter is incomplete', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10, epoch: 3 });
    expect(await counter(keys, 'A')).toMatchObject({ e: '3', a: '10', g: '1' });
    expect((await take(gate, 'A')).kind).toBe('taken');
    await redis.setbit(keys.first.replayFilter, 0, 1);

    // As if this Redis were a replica promoted after its master died: the data came from another server.
    await redis.set(keys.first.origin, 'replication-id-of-the-dead-master');
    const [reconnected] = connections(1);
    const after = new Gate(reconnected!, keys);
    expect(await take(after, 'A')).toEqual({ kind: 'missing', indexes: [0] });
    expect(await redis.get(keys.first.generation)).toBe('2');
    expect(await redis.getbit(keys.first.replayFilter, 0)).toBe(0);
    // Every gate sees it so, the one adopted before included: the scripts read the generation themselves.
    expect(await take(gate, 'A')).toEqual({ kind: 'missing', indexes: [0] });
    expect(await after.levels(['A'])).toEqual([null]);
    const announced = await redis.announce(
      keys.counter('A'),
      `${keys.prefix}live:{A}`,
      keys.first.generation,
      'peek',
      'l',
      'al',
      'A',
      '',
      '',
    );
    expect(announced).toEqual(['MISSING']);

    // Loaded again from the truth (under a new epoch, as a loader does): it sells under the new generation.
    await seed(after, 'A', { available: 9, epoch: 4 });
    expect(await counter(keys, 'A')).toMatchObject({ e: '4', a: '9', g: '2' });
    expect((await take(after, 'A')).kind).toBe('taken');
    expect(await after.levels(['A'])).toMatchObject([{ available: 8, sold: 1, epoch: 4 }]);
  });

  it('take.lua itself refuses a server it was not adopted on (ADOPT, nothing read or written); Gate.take adopts it and takes', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 5 });
    expect((await take(gate, 'A')).kind).toBe('taken');
    // As if a command reached a promoted replica without the client adopting it first (a resend).
    await redis.set(keys.first.origin, 'replication-id-of-the-dead-master');
    const before = await counter(keys, 'A');
    const raw = await redis.take(...takeArgs(keys, { key: 'resent', lines: [['A', 1]] }));
    expect(raw).toEqual(['ADOPT']);
    expect(await counter(keys, 'A')).toEqual(before);
    expect(await redis.hget(recordsNow(keys), 'resent')).toBeNull();
    // The gate's own take meets ADOPT too (it adopted before), adopts again, and then finds the counter
    // of the old generation missing.
    expect(await take(gate, 'A')).toEqual({ kind: 'missing', indexes: [0] });
    expect(await redis.get(keys.first.generation)).toBe('2');
  });
});
