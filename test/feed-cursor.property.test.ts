/**
 * The change feed's cursor (src/live/feed-cursor.ts): a subscriber that started "now" skips what its
 * start snapshot saw as ended, and a cursor sent with any movement, decoded again, goes on exactly as
 * the subscriber would have: no movement lost, none sent twice, whatever the snapshot and wherever the
 * subscriber left. Random snapshots and ledgers, checked against the definition.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { comparePositions, endedIn, type Position, type Snapshot } from '../src/ledger/feed.ts';
import { decodeCursor, encodeCursor, isAhead, type FeedCursor } from '../src/live/feed-cursor.ts';

/** A snapshot: xmin ≤ running < xmax, around transaction ids of a few thousand million. */
const snapshot: fc.Arbitrary<Snapshot> = fc
  .record({
    xmin: fc.bigInt({ min: 3n, max: 5_000_000_000n }),
    span: fc.nat({ max: 12 }),
    running: fc.array(fc.nat({ max: 11 }), { maxLength: 6 }),
  })
  .map(({ xmin, span, running }) => ({
    xmin,
    xmax: xmin + BigInt(span),
    running: [...new Set(running.filter((r) => r < span).map((r) => xmin + BigInt(r)))].sort((a, b) => (a < b ? -1 : 1)),
  }));

/** Movements around the snapshot, in feed order, each position once. */
const ledgerAround = (s: Snapshot): fc.Arbitrary<Position[]> =>
  fc.array(fc.record({ dt: fc.integer({ min: -3, max: 15 }), id: fc.bigInt({ min: 1n, max: 40n }) }), { maxLength: 40 }).map((rows) => {
    const positions = rows.map((r) => ({ tx: s.xmin + BigInt(r.dt), id: r.id }));
    const unique = new Map(positions.map((p) => [`${p.tx}:${p.id}`, p]));
    return [...unique.values()].sort(comparePositions);
  });

describe('feed cursors', () => {
  it('resumed anywhere, deliver exactly what the start snapshot had not seen, each once', () => {
    fc.assert(
      fc.property(
        snapshot.chain((s) => fc.tuple(fc.constant(s), ledgerAround(s), fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }))),
        ([s, ledger, resumeAfter]) => {
          const start: FeedCursor = { position: { tx: s.xmin, id: 0n }, skip: s };
          const expected = ledger.filter((p) => comparePositions(p, start.position) > 0 && !endedIn(s, p.tx));
          let cursor = start;
          const delivered: Position[] = [];
          ledger.forEach((p, i) => {
            if (!isAhead(cursor, p)) return;
            delivered.push(p);
            cursor = { position: p, skip: cursor.skip };
            // The client leaves here and comes back with the cursor it was sent.
            if (resumeAfter[i]) cursor = decodeCursor(encodeCursor(cursor));
          });
          expect(delivered).toEqual(expected);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('refuse anything that is not one of theirs with INVALID_CURSOR', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          const cursor = decodeCursor(text);
          // A text that decodes is a cursor: encoding it again reads the same.
          expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
        } catch (err) {
          expect((err as { extensions?: { code?: string } }).extensions?.code).toBe('INVALID_CURSOR');
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
