import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decode, encode } from 'cborg';
import { CBOR_MAX_DEPTH, DECODE_OPTIONS, decodeCanonical, encodeCanonical } from './cbor.js';
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

/**
 * The definition decodeCanonical implements without re-encoding: strict cborg decode, no floats or
 * integers past 2^53, no nesting past 64, and re-encoding gives back the very bytes. Returns
 * undefined for a refusal.
 */
function oracle(bytes: Uint8Array): { value: unknown } | undefined {
  let value: unknown;
  try {
    value = decode(bytes, DECODE_OPTIONS);
  } catch {
    return undefined;
  }
  const bad = (v: unknown, depth: number): boolean => {
    if (depth > CBOR_MAX_DEPTH) return true;
    if (typeof v === 'number') return !Number.isSafeInteger(v);
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return false;
    return Object.values(v).some((x) => bad(x, depth + 1));
  };
  if (bad(value, 0)) return undefined;
  try {
    return Buffer.from(encode(value, { float64: false })).equals(bytes) ? { value } : undefined;
  } catch {
    return undefined;
  }
}

/** decodeCanonical refuses `bytes` (by a named decode error) exactly when the oracle does, or returns its value. */
function expectSameAsOracle(bytes: Uint8Array): void {
  const want = oracle(bytes);
  let got: { value: unknown } | undefined;
  try {
    got = { value: decodeCanonical(bytes) };
  } catch (e) {
    expect(isCoreError(e) && DECODE_CODES.includes(e.code)).toBe(true);
  }
  expect(got === undefined).toBe(want === undefined);
  if (got) expect(got.value).toEqual(want!.value);
}

/** Our data model with what makes canonical form hard: integer-like keys and any Unicode. */
const awkward: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    fc.maxSafeInteger(),
    fc.string({ unit: 'binary', maxLength: 8 }),
    fc.constantFrom(true, false, null),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(
        fc.string({ maxLength: 3 }),
        fc.nat(300).map(String),
        fc.string({ unit: 'binary', maxLength: 3 })
      ),
      tie('node'),
      { maxKeys: 5 }
    )
  )
})).node;

/** Edits that break canonical form in the ways a forger would try: flips, cuts, inserts, swaps. */
const edit = fc.oneof(
  fc.record({ kind: fc.constant('xor' as const), at: fc.nat(), x: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), x: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 4 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    b: fc.uint8Array({ minLength: 1, maxLength: 4 })
  }),
  fc.record({
    kind: fc.constant('swap' as const),
    at: fc.nat(),
    to: fc.nat(),
    n: fc.integer({ min: 1, max: 6 })
  })
);

type Edit = typeof edit extends fc.Arbitrary<infer E> ? E : never;

function applyEdit(bytes: Uint8Array, e: Edit): Uint8Array {
  const b = [...bytes];
  const at = e.at % b.length;
  if (e.kind === 'xor') b[at]! ^= e.x;
  else if (e.kind === 'set') b[at] = e.x;
  else if (e.kind === 'cut') b.splice(at, e.n);
  else if (e.kind === 'insert') b.splice(at, 0, ...e.b);
  else {
    const to = e.to % b.length;
    const moved = b.splice(at, e.n);
    b.splice(Math.min(to, b.length), 0, ...moved);
  }
  return Uint8Array.from(b);
}

describe('canonical CBOR', () => {
  it('gives the same verdict and value as decode-then-re-encode, on canonical and edited encodings', () => {
    fc.assert(
      fc.property(awkward, fc.array(edit, { maxLength: 2 }), (x, edits) => {
        let bytes = encodeCanonical(x);
        for (const e of edits) bytes = applyEdit(bytes, e);
        expectSameAsOracle(bytes);
      }),
      { numRuns: FUZZ_RUNS }
    );
  });

  it('gives the same verdict as decode-then-re-encode on maps written in another key order', () => {
    // Every map's keys in reverse of canonical order (the comparator cborg sorts with, negated).
    const reversed = (a: unknown[], b: unknown[]) => {
      const ka = Buffer.from(encode((a[0] as { value: unknown }).value));
      const kb = Buffer.from(encode((b[0] as { value: unknown }).value));
      return ka.length !== kb.length ? kb.length - ka.length : Buffer.compare(kb, ka);
    };
    fc.assert(
      fc.property(awkward, (x) => {
        expectSameAsOracle(encode(x, { float64: false, mapSorter: reversed }));
      }),
      { numRuns: FUZZ_RUNS }
    );
  });

  it('refuses what only byte-level checks catch: integer-like keys out of order, bad or re-encodable UTF-8', () => {
    const refuse = (hex: string) => {
      const bytes = Uint8Array.from(Buffer.from(hex, 'hex'));
      expect(oracle(bytes)).toBeUndefined();
      expect(() => decodeCanonical(bytes)).toThrowError(/decode\/non-canonical/);
    };
    refuse('a2616101613102'); // {"a":1, "1":2}: JavaScript lists "1" first, the bytes do not
    refuse('62c0af'); // overlong "/"
    refuse('61ff'); // not UTF-8 at all
    refuse('63eda080'); // a lone surrogate
    refuse('62e282'); // a truncated sequence
    // cborg itself refuses integers past 2^53 (malformed): the tokenizer's own check is a second line.
    expect(() => decodeCanonical(Uint8Array.from(Buffer.from('1b0020000000000001', 'hex')))).toThrowError(
      /decode\/malformed/
    );
    expect(decodeCanonical(Uint8Array.from(Buffer.from('a2613101616102', 'hex')))).toEqual({ 1: 1, a: 2 });
    expect(decodeCanonical(Uint8Array.from(Buffer.from('63e282ac', 'hex')))).toBe('€');
  });

  it('returns byte strings that own their memory, even when handed a Buffer view', () => {
    const pool = Buffer.alloc(64, 7);
    const bytes = encodeCanonical({ b: new Uint8Array([1, 2, 3]) });
    pool.set(bytes, 10);
    const out = decodeCanonical(pool.subarray(10, 10 + bytes.length)) as { b: Uint8Array };
    expect(out.b).toEqual(new Uint8Array([1, 2, 3]));
    expect(out.b.buffer.byteLength).toBe(3);
  });

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
