/**
 * The Gate's pipelines (many commands in one write, src/gate/gate.ts `pipelined`) fail as its single
 * commands do: on a connection that is down, every command of a pipeline fails on its own, and the
 * Gate must report that as GateDown (the request then goes through PostgreSQL), not as a bug of the
 * request (INTERNAL_SERVER_ERROR). The chaos suite met it: a counter load's seeds on a Redis just killed.
 */
import { describe, expect, it } from 'vitest';
import { GateDown } from '../../src/gate/breaker.ts';
import { Gate } from '../../src/gate/gate.ts';
import { eventually } from '../support/wait.ts';
import { connections, ns, redis, useLua } from './harness.ts';

useLua();

describe('a pipeline on a connection that is down', () => {
  it('fails as GateDown, every list form alike', async () => {
    const [lost] = connections(1);
    const { keys } = ns();
    const gate = new Gate(lost!, keys);
    expect(await gate.areLocked([keys.loadLock('A')])).toEqual([false]);
    // As the service runs once connected: a command sent while the connection is down fails at once.
    lost!.options.enableOfflineQueue = false;
    const id = await lost!.client('ID');
    await redis.client('KILL', 'ID', String(id));
    await eventually('the connection to drop', () => lost!.status !== 'ready');
    for (const call of [
      () => gate.areLocked([keys.loadLock('A'), keys.loadLock('B')]),
      () => gate.tryLocks([keys.loadLock('A')], 'token', 1_000),
      () => gate.unlockAll([keys.loadLock('A')], 'token'),
      () => gate.invalidateAll([{ skuId: 'A', epoch: 1 }]),
    ]) {
      await expect(call()).rejects.toBeInstanceOf(GateDown);
    }
  });
});
