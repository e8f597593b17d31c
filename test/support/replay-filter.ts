import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { TakeKind } from '../../src/inventory.ts';
import type { Services } from '../../src/stock/services.ts';
import { loadCounters } from '../../src/sync/load.ts';
import type { ReplayFilterKeeper } from '../../src/sync/replay-filter.ts';

/**
 * The replay filter tests' common steps (test/replay-filter.test.ts, test/replay-filter-refusals.test.ts).
 * The keeper's settle delay in those tests: a rebuild completes on the first pass more than this after its scan.
 */
export const SETTLE_MS = 100;

/** One pass, a wait past the settle delay, another pass: what completes a rebuild the first pass began. */
export async function rebuild(services: Services, keeper: ReplayFilterKeeper): Promise<void> {
  await keeper.pass();
  expect(await services.gate.replayFilterComplete()).toBe(false);
  await sleep(SETTLE_MS * 2);
  await keeper.pass();
}

/** The gate's refusal of a take of this key on a sold-out SKU (it takes nothing), loading the counter first if needed. */
export async function shortAtGate(services: Services, kind: TakeKind, key: string, skuId: string) {
  const { gate, prisma } = services;
  const take = () => gate.take(kind, key, `probe-${randomUUID()}`, randomUUID(), [{ skuId, quantity: 1 }]);
  let took = await take();
  if (took.kind === 'missing') {
    expect(await loadCounters(gate, prisma, [skuId])).toEqual([]);
    took = await take();
  }
  expect(took.kind).toBe('short');
  return took as Extract<typeof took, { kind: 'short' }>;
}
