import { hash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64urlOf, sha256Base64url, sha256Bytes, uint32At } from '../src/gate/digest.ts';

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

  it('refuse a prefix that is not whole 3-byte groups', () => {
    expect(() => base64urlOf(sha256Bytes('k'), 4)).toThrow(/whole 3-byte groups/);
    expect(() => base64urlOf(sha256Bytes('k'), 33)).toThrow(/whole 3-byte groups/);
  });
});
