import { randomUUID } from 'node:crypto';
import type { Gate } from '../../src/gate/gate.ts';
import type { StockSeed } from '../../src/inventory.ts';

/** Seeds a counter the way a loader does: holding the SKU's load lock for the write (lua/seed.lua). */
export async function seedHoldingLock(gate: Gate, c: StockSeed): Promise<number> {
  const token = randomUUID();
  const lock = gate.keys.loadLock(c.skuId);
  if (!(await gate.tryLock(lock, token, 5_000))) throw new Error(`load lock of ${c.skuId} is held`);
  try {
    return await gate.seed(c, token);
  } finally {
    await gate.unlock(lock, token);
  }
}
