/**
 * Dating a replica (src/db/replicas.ts, PrimaryPositions): its lag is how long ago the primary last
 * stood at or before the replica's replay position, and it is in rotation when that is within the lag
 * bound. Random primaries (positions that stay, advance, or start over lower after a failover) and
 * replicas anywhere around them, checked after every check against the definition over every position
 * seen since the primary last started over.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PrimaryPositions } from '../src/db/replicas.ts';

interface Check {
  /** ms since the check before. */
  elapsed: number;
  /** How the primary's position moved: 0 stays; a failover starts it over this far below. */
  advance: number;
  failover: boolean;
  /** Replicas asked about after this check: how far behind the primary's position each stands. */
  behind: number[];
}

const check: fc.Arbitrary<Check> = fc.record({
  elapsed: fc.integer({ min: 0, max: 400 }),
  advance: fc.integer({ min: 0, max: 3 }),
  // One check in eight: a failover.
  failover: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
  behind: fc.array(fc.integer({ min: -2, max: 40 }), { maxLength: 4 }),
});

describe('replica lag', () => {
  it('is how long ago the primary last stood where the replica stands, within the bound or out of rotation', () => {
    fc.assert(
      fc.property(fc.constantFrom(50, 300, 1_000, 5_000), fc.array(check, { minLength: 1, maxLength: 80 }), (maxLagMs, checks) => {
        const positions = new PrimaryPositions(maxLagMs);
        let now = 1_000;
        let lsn = 1_000_000n;
        // The definition's memory: every check since the primary last started over.
        let seen: { at: number; lsn: bigint }[] = [];
        for (const c of checks) {
          now += c.elapsed;
          if (c.failover) {
            lsn -= BigInt(1 + c.advance * 7);
            seen = [];
          } else lsn += BigInt(c.advance);
          positions.remember(now, lsn);
          seen.push({ at: now, lsn });
          for (const behind of c.behind) {
            const replayed = lsn - BigInt(behind);
            const standing = seen.filter((s) => s.lsn <= replayed);
            const expectedLag = standing.length > 0 ? now - Math.max(...standing.map((s) => s.at)) : null;
            const { lagMs, dated } = positions.lag(replayed, now);
            const inRotation = dated && lagMs <= maxLagMs;
            expect(inRotation).toBe(expectedLag !== null && expectedLag <= maxLagMs);
            if (inRotation) expect(lagMs).toBe(expectedLag);
            else expect(lagMs).toBeGreaterThan(expectedLag === null ? -1 : Math.min(expectedLag, maxLagMs) - 1);
          }
        }
      }),
      { numRuns: 3_000 },
    );
  });
});
