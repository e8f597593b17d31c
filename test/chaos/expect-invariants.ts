import { expect } from 'vitest';
import type { ChaosReport } from './run.ts';

/**
 * What every chaos run must show, one-Redis or cluster: requests acknowledged, none oversold, lost or
 * doubled (I1, I2, I4), the gate agreeing with the truth with no unit stranded or phantom (I3), and no
 * non-retryable error.
 */
export function expectInvariantsKept(report: ChaosReport): void {
  expect(report.stats.acked).toBeGreaterThan(0);
  expect(report.verdict.oversold).toBe(0);
  expect(report.verdict.lost).toBe(0);
  expect(report.verdict.doubled).toBe(0);
  expect(report.agreement.agreed).toBe(true);
  expect(report.agreement.stranded).toBe(0);
  expect(report.agreement.phantom).toBe(0);
  expect(report.stats.errors).toEqual({});
}
