import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeCanonical, encodeCanonical } from './cbor.js';
import { isCoreError } from '../errors.js';
import { FUZZ_RUNS } from '../test-support.js';

const DECODE_CODES = ['decode/malformed', 'decode/non-canonical', 'decode/too-large'];

const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    fc.maxSafeInteger(),
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 64 }),
    fc.array(tie('node'), { maxLength: 5 }),
    fc.dictionary(
      fc.string().filter((k) => k !== '__proto__'),
      tie('node'),
      { maxKeys: 5 }
    )
  )
})).node;

describe('canonical CBOR', () => {
  it('round-trips any value of our data model to identical bytes', () => {
    fc.assert(
      fc.property(value, (x) => {
        const bytes = encodeCanonical(x);
        expect(encodeCanonical(decodeCanonical(bytes))).toEqual(bytes);
      }),
      { numRuns: 1000 }
    );
  });

  it('decoding arbitrary bytes fails only with a named decode error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), (bytes) => {
        try {
          decodeCanonical(bytes);
        } catch (e) {
          expect(isCoreError(e) && DECODE_CODES.includes(e.code)).toBe(true);
        }
      }),
      { numRuns: FUZZ_RUNS }
    );
  });

  it('rejects trailing bytes, non-minimal integers, floats, indefinite lengths, duplicate and unsorted keys', () => {
    const reject = (hex: string, code: string) => {
      try {
        decodeCanonical(Uint8Array.from(Buffer.from(hex, 'hex')));
        expect.unreachable(`accepted ${hex}`);
      } catch (e) {
        expect(isCoreError(e) ? e.code : e).toBe(code);
      }
    };
    reject('0100', 'decode/malformed'); // trailing byte
    reject('1801', 'decode/malformed'); // 1 encoded in two bytes
    reject('fb3ff0000000000000', 'decode/non-canonical'); // float 1.0
    reject('9f01ff', 'decode/malformed'); // indefinite array
    reject('a2616101616102', 'decode/malformed'); // {a:1, a:2}
    reject('a2626262016161 02'.replace(' ', ''), 'decode/non-canonical'); // {bb:1, a:2}: length-first order broken
    reject('f93e00', 'decode/non-canonical'); // float16 1.5
    reject('a1616182 01 f93e00'.replace(/ /g, ''), 'decode/non-canonical'); // {a: [1, 1.5]}
    reject('81'.repeat(70) + '01', 'decode/non-canonical'); // nested deeper than any of our types
  });

  it('whatever it accepts is exactly the canonical encoding of what it returns (mutated inputs)', () => {
    fc.assert(
      fc.property(value, fc.nat(), fc.integer({ min: 1, max: 255 }), (x, at, xor) => {
        const bytes = encodeCanonical(x).slice();
        bytes[at % bytes.length]! ^= xor;
        let decoded: unknown;
        try {
          decoded = decodeCanonical(bytes);
        } catch (e) {
          expect(isCoreError(e) && DECODE_CODES.includes(e.code)).toBe(true);
          return;
        }
        expect(encodeCanonical(decoded)).toEqual(bytes);
      }),
      { numRuns: FUZZ_RUNS }
    );
  });

  it('rejects oversized input before parsing', () => {
    expect(() => decodeCanonical(new Uint8Array(10), 4)).toThrowError(/decode\/too-large/);
  });
});
