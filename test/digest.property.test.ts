import { hash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startBucket } from '../src/gate/buckets.ts';
import { base64urlOf, sha256Base64url, sha256Bytes, uint32At } from '../src/gate/digest.ts';
import { keyTrace } from '../src/gate/gate.ts';

/**
 * The gate's digests are read from strings (src/gate/digest.ts) where they were read from a Buffer:
 * every record field, filter bit, home shard and start bucket must come out as before, or the keys a
 * running gate holds would no longer be found after an upgrade.
 */
describe('gate digests read from strings', () => {
  it('read the same bytes, words and base64url as a Buffer of the digest', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.integer({ min: 0, max: 28 }),
        fc.integer({ min: 0, max: 10 }),
        (text, at, groups) => {
          const buffer = hash('sha256', text, 'buffer');
          const bytes = sha256Bytes(text);
          expect(bytes.length).toBe(32);
          expect(uint32At(bytes, at)).toBe(buffer.readUInt32BE(at));
          expect(base64urlOf(bytes, 3 * groups)).toBe(buffer.subarray(0, 3 * groups).toString('base64url'));
          expect(sha256Base64url(text, 16)).toBe(buffer.toString('base64url').slice(0, 16));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  // Fields, home shards and start buckets are those the Buffer-based code gave at 4c4c7a9. The filter
  // bits are those of idem:filter:2 (two bits a key in 2^28, since 8158006): the old filter's four bits
  // in 2^27 live under the old key, which the service no longer reads.
  it('give every trace the Buffer-based code gave (values computed by it, at 4c4c7a9)', () => {
    expect(keyTrace('DEDUCT', 'order-1')).toEqual({
      field: '9Ji-8E3ueC5J0mZ1',
      filterBits: [128725662, 51042343],
      shard: 0,
    });
    expect(keyTrace('RESERVE', 'order-1', 16)).toEqual({
      field: 'd9OszO2uzn8LgY3K',
      filterBits: [13239251, 15560377],
      shard: 7,
    });
    expect(keyTrace('DEDUCT', 'k"\\{x', 3)).toEqual({
      field: 'M4G5cRTWBxE89o-W',
      filterBits: [3649108, 82538512],
      shard: 0,
    });
    expect([startBucket('order-1', 'SKU-1', 8), startBucket('order-2', 'SKU-1', 8), startBucket('order-3', 'HOT', 64)]).toEqual([5, 5, 21]);
    // A fingerprint's digest as take.lua receives it (Gate's takeCall: DIGEST_LENGTH characters).
    expect(sha256Base64url('["order-1",[["SKU-1",1]]]', 16)).toBe('xO1cpVUTdo_6Pnut');
  });

  it('refuse a prefix that is not whole 3-byte groups', () => {
    expect(() => base64urlOf(sha256Bytes('k'), 4)).toThrow(/whole 3-byte groups/);
    expect(() => base64urlOf(sha256Bytes('k'), 33)).toThrow(/whole 3-byte groups/);
  });
});
