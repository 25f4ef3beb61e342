import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeVarint, encodeFrame, encodeVarint } from './framing.js';
import { isCoreError } from '../core/errors.js';
import { FUZZ_RUNS } from '../core/test-support.js';

describe('varint length prefix', () => {
  it('round-trips every length up to 2^35 - 1, minimally', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 35 - 1 }), (n) => {
        const enc = encodeVarint(n);
        const dec = decodeVarint(enc);
        expect(dec).toEqual({ value: n, size: enc.length });
        expect(enc.length).toBeLessThanOrEqual(5);
        // Every proper prefix asks for more bytes rather than guessing.
        for (let i = 0; i < enc.length; i++) expect(decodeVarint(enc.subarray(0, i))).toBeNull();
      }),
      { numRuns: FUZZ_RUNS }
    );
  });

  it('never throws anything but a named error on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (b) => {
        try {
          const r = decodeVarint(b);
          if (r) expect(encodeVarint(r.value)).toEqual(b.subarray(0, r.size));
        } catch (e) {
          expect(isCoreError(e, 'net/bad-length-prefix')).toBe(true);
        }
      }),
      { numRuns: FUZZ_RUNS }
    );
  });

  it('rejects non-minimal and over-long prefixes', () => {
    expect(() => decodeVarint(Uint8Array.from([0x80, 0x00]))).toThrow(/net\/bad-length-prefix/);
    expect(() => decodeVarint(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(
      /net\/bad-length-prefix/
    );
    expect(decodeVarint(Uint8Array.from([0x00]))).toEqual({ value: 0, size: 1 });
  });

  it('frames are prefix + payload', () => {
    const f = encodeFrame(new Uint8Array(300).fill(7));
    expect(Array.from(f.subarray(0, 2))).toEqual([0xac, 0x02]);
    expect(f.length).toBe(302);
  });
});
