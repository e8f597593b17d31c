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

  // Fields, home shards and start buckets are the values the Buffer-based code gave at 4c4c7a9. The
  // filter bits are idem:filter:2's (two bits a key in 2^28, since 8158006; the four bits in 2^27 of the
  // old key are no longer read): pinned, and read again here from a Buffer of the digest, so they do
  // not rest on the string reading under test alone.
  const bufferFilterBits = (text: string, shardCount: number) => {
    const digest = hash('sha256', text, 'buffer');
    const bitsPerShard = Math.floor(2 ** 28 / shardCount);
    return [0, 1].map((i) => 1 + (digest.readUInt32BE(12 + 4 * i) % (bitsPerShard - 1)));
  };

  it('give every trace the Buffer-based code gave (fields and home shards as at 4c4c7a9; filter bits of idem:filter:2)', () => {
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
    expect(bufferFilterBits('DEDUCT\norder-1', 1)).toEqual([128725662, 51042343]);
    expect(bufferFilterBits('RESERVE\norder-1', 16)).toEqual([13239251, 15560377]);
    expect(bufferFilterBits('DEDUCT\nk"\\{x', 3)).toEqual([3649108, 82538512]);
    expect([startBucket('order-1', 'SKU-1', 8), startBucket('order-2', 'SKU-1', 8), startBucket('order-3', 'HOT', 64)]).toEqual([5, 5, 21]);
    // A fingerprint's digest as take.lua receives it (Gate's takeCall: DIGEST_LENGTH characters).
    expect(sha256Base64url('["order-1",[["SKU-1",1]]]', 16)).toBe('xO1cpVUTdo_6Pnut');
  });

  it('refuse a prefix that is not whole 3-byte groups', () => {
    expect(() => base64urlOf(sha256Bytes('k'), 4)).toThrow(/whole 3-byte groups/);
    expect(() => base64urlOf(sha256Bytes('k'), 33)).toThrow(/whole 3-byte groups/);
  });
});
