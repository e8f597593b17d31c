/** lua/release.lua: giving back a take that never reached the ledger. See ./harness.ts. */
import { describe, expect, it } from 'vitest';
import { counter, deduct, ns, redis, release, seed, snapshot, useLua } from './harness.ts';

useLua();

describe('release.lua', () => {
  it('gives back exactly what was taken and clears the in-flight entry and its own record', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10, reserved: 1, sold: 2, epoch: 2 });
    await seed(gate, 'B', { available: 4, epoch: 5 });
    await seed(gate, 'C', { available: 7 });
    const before = await snapshot(keys);
    await deduct(keys, { key: 'other', gateId: 'g-other', lines: [['C', 1]] });
    const afterOther = await snapshot(keys);
    expect(afterOther).not.toEqual(before);

    expect(
      (
        await deduct(keys, {
          key: 'k',
          gateId: 'g1',
          lines: [
            ['A', 3],
            ['B', 4],
          ],
        })
      )[0],
    ).toBe('OK');
    expect(await snapshot(keys)).not.toEqual(afterOther);

    expect(await release(keys, 'g1', 'DEDUCT', 'k', ['A', 'B'])).toBe(2);

    expect(await snapshot(keys)).toEqual(afterOther);
    expect(await redis.exists(keys.idempotency('DEDUCT', 'k'))).toBe(0);
    expect(await redis.zscore(keys.inflight, 'g1')).toBeNull();
    expect(await redis.hexists(keys.inflightPayloads, 'g1')).toBe(0);
    expect(await redis.zscore(keys.inflight, 'g-other')).not.toBeNull();
  });

  it('gives RESERVE units back out of reserved', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10, reserved: 1, sold: 2 });
    const before = await snapshot(keys);
    await gate.take('RESERVE', 'k', 'fp', 'g1', [{ skuId: 'A', quantity: 6 }]);
    expect(await counter(keys, 'A')).toMatchObject({ a: '4', r: '7', s: '2' });

    expect(await redis.exists(keys.idempotency('RESERVE', 'k'))).toBe(1);

    expect(await gate.release('g1', 'RESERVE', 'k', ['A'])).toBe(1);
    expect(await snapshot(keys)).toEqual(before);
    expect(await redis.exists(keys.idempotency('RESERVE', 'k'))).toBe(0);
  });

  it('is idempotent: a second call returns -1 and changes nothing', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    await deduct(keys, { gateId: 'g1', lines: [['A', 3]] });
    expect(await release(keys, 'g1', 'DEDUCT', 'k1', ['A'])).toBe(1);
    const before = await snapshot(keys);

    expect(await release(keys, 'g1', 'DEDUCT', 'k1', ['A'])).toBe(-1);
    expect(await gate.release('never-taken', 'DEDUCT', 'k1', ['A'])).toBe(-1);
    expect(await snapshot(keys)).toEqual(before);
    expect(await counter(keys, 'A')).toMatchObject({ a: '10', s: '0' });
  });

  it('keeps an idempotency record that now belongs to another gate id', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    await deduct(keys, { key: 'k', gateId: 'g1', lines: [['A', 1]] });
    await redis.del(keys.idempotency('DEDUCT', 'k')); // the record expired
    const second = await deduct(keys, { key: 'k', gateId: 'g2', lines: [['A', 2]] });
    expect(second[0]).toBe('OK');

    expect(await release(keys, 'g1', 'DEDUCT', 'k', ['A'])).toBe(1);

    expect(await redis.get(keys.idempotency('DEDUCT', 'k'))).toBe(second[1]);
    expect(await redis.zrange(keys.inflight, 0, -1)).toEqual(['g2']);
    expect(Object.keys(await redis.hgetall(keys.inflightPayloads))).toEqual(['g2']);
    expect(await counter(keys, 'A')).toMatchObject({ a: '8', s: '2' });
  });

  it('does not give units to a counter whose epoch changed since the take, nor recreate a dropped one', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10, epoch: 1 });
    await seed(gate, 'B', { available: 10, epoch: 1 });
    await seed(gate, 'C', { available: 10, epoch: 1 });
    await deduct(keys, {
      gateId: 'g1',
      lines: [
        ['A', 3],
        ['B', 2],
        ['C', 4],
      ],
    });
    expect(await seed(gate, 'A', { available: 50, sold: 9, epoch: 2 })).toBe(1); // rebuilt from the truth
    expect(await gate.invalidate('C', 2)).toBe(1); // dropped, not yet reloaded
    const rebuilt = await counter(keys, 'A');

    expect(await release(keys, 'g1', 'DEDUCT', 'k1', ['A', 'B', 'C'])).toBe(1);

    expect(await counter(keys, 'A')).toEqual(rebuilt);
    expect(await counter(keys, 'B')).toMatchObject({ a: '10', s: '0' });
    expect(await redis.exists(keys.counter('C'))).toBe(0);
    expect(await redis.zcard(keys.inflight)).toBe(0);
    expect(await redis.hlen(keys.inflightPayloads)).toBe(0);
    expect(await redis.exists(keys.idempotency('DEDUCT', 'k1'))).toBe(0);
  });

  it('gives back the target counter of unlimited lines but leaves their available alone', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'U', { available: 7, reserved: 1, sold: 2, unlimited: true });
    await seed(gate, 'L', { available: 5 });
    const before = await snapshot(keys);
    expect(
      (
        await deduct(keys, {
          key: 'k1',
          gateId: 'g1',
          lines: [
            ['U', 3],
            ['L', 2],
          ],
        })
      )[0],
    ).toBe('OK');
    expect(
      (
        await deduct(keys, {
          kind: 'RESERVE',
          key: 'k2',
          gateId: 'g2',
          lines: [
            ['L', 1],
            ['U', 4],
          ],
        })
      )[0],
    ).toBe('OK');
    expect(await counter(keys, 'U')).toMatchObject({ a: '7', r: '5', s: '5' });
    expect(await counter(keys, 'L')).toMatchObject({ a: '2', r: '1', s: '2' });

    expect(await release(keys, 'g1', 'DEDUCT', 'k1', ['U', 'L'])).toBe(2);
    expect(await counter(keys, 'U')).toMatchObject({ a: '7', r: '5', s: '2' });
    expect(await counter(keys, 'L')).toMatchObject({ a: '4', r: '1', s: '0' });

    expect(await gate.release('g2', 'RESERVE', 'k2', ['L', 'U'])).toBe(2);
    expect(await counter(keys, 'U')).toMatchObject({ a: '7', r: '1', s: '2' });
    expect(await snapshot(keys)).toEqual(before);
  });

  it("drops only the record named in KEYS[3], and only while it is this gate id's", async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    expect((await deduct(keys, { key: 'k', gateId: 'g1', lines: [['A', 1]] }))[0]).toBe('OK');
    const other = await deduct(keys, { key: 'other', gateId: 'g2', lines: [['A', 2]] });
    expect(other[0]).toBe('OK');
    const mine = await redis.get(keys.idempotency('DEDUCT', 'k'));

    // Named the other take's record: it is not g1's, so it stays; g1's own record is not looked up from the payload.
    expect(await release(keys, 'g1', 'DEDUCT', 'other', ['A'])).toBe(1);

    expect(await redis.get(keys.idempotency('DEDUCT', 'other'))).toBe(other[1]);
    expect(await redis.get(keys.idempotency('DEDUCT', 'k'))).toBe(mine);
    expect(await redis.zrange(keys.inflight, 0, -1)).toEqual(['g2']);
    expect(await counter(keys, 'A')).toMatchObject({ a: '8', s: '2' });

    expect(await gate.release('g2', 'DEDUCT', 'other', ['A'])).toBe(1);
    expect(await redis.exists(keys.idempotency('DEDUCT', 'other'))).toBe(0);
    expect(await counter(keys, 'A')).toMatchObject({ a: '10', s: '0' });
  });
});
