/** lua/settle-2.lua: marking takes settled once the ledger holds them. See ./harness.ts. */
import { describe, expect, it } from 'vitest';
import { counter, deduct, ns, recordsNow, redis, release, seed, useLua } from './harness.ts';

useLua();

describe('settle-2.lua', () => {
  it('removes gate ids from both in-flight structures, counts them, leaves counters and records alone', async () => {
    const { keys, gate } = ns();
    await seed(gate, 'A', { available: 10 });
    for (const g of ['g1', 'g2', 'g3']) expect((await deduct(keys, { key: `k-${g}`, gateId: g, lines: [['A', 1]] }))[0]).toBe('OK');
    const counterBefore = await counter(keys, 'A');
    const records = await redis.hgetall(recordsNow(keys));
    expect(Object.keys(records).sort()).toEqual(['k-g1', 'k-g2', 'k-g3']);

    expect(
      await gate.settle(
        ['g1', 'g3', 'unknown'].map((g) => ({ gateId: g, kind: 'DEDUCT' as const, idempotencyKey: `k-${g}`, skuIds: ['A'] })),
      ),
    ).toBe(2);

    expect(await redis.zrange(keys.first.inflight, 0, -1)).toEqual(['g2']);
    expect(Object.keys(await redis.hgetall(keys.first.inflightPayloads))).toEqual(['g2']);
    expect(await counter(keys, 'A')).toEqual(counterBefore);
    expect(await redis.hgetall(recordsNow(keys))).toEqual(records);

    expect(await redis.settle(keys.first.inflight, keys.first.inflightPayloads, 'g1')).toBe(0);
    expect(await redis.settle(keys.first.inflight, keys.first.inflightPayloads, 'g2')).toBe(1);
    expect(await redis.exists(keys.first.inflight, keys.first.inflightPayloads)).toBe(0);
    // A settled take is in the ledger: release must not give its units back.
    expect(await gate.release({ gateId: 'g2', kind: 'DEDUCT', idempotencyKey: 'k-g2', skuIds: ['A'] })).toBe(-1);
    expect(await release(keys, 'g2', ['A'])).toBe(-1);
    expect(await counter(keys, 'A')).toEqual(counterBefore);
    expect(await redis.hgetall(recordsNow(keys))).toEqual(records);
  });
});
