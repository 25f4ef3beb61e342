import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DAY, DOCTORS, FIVE, PATIENTS, T0, doctorOf, grant } from './fixtures.node.js';
import {
  createGrant,
  grantCodec,
  grantId,
  openGrantCaps,
  scopeCategories,
  GRANT_CAPS_CONTEXT,
  type Grant
} from './grant.js';
import { revocationCodec } from './revocation.js';
import { verifyGrant, verifyRevocation } from './verify.js';
import { createRevocation } from './revocation.js';
import { CATEGORY_CODES } from '../records/categories.js';
import { indexTag, searchCapability } from '../records/index-tag.js';
import { writeCommitsFor } from '../chain/commit.js';
import { writeRoot } from './write-commits.js';
import { recordPublicKey, recordSecret } from '../crypto/keys.js';
import { wrapTo } from '../crypto/x25519.js';
import { seededRng } from '../crypto/random.js';
import { encodeCanonical } from '../encoding/cbor.js';
import { isCoreError } from '../errors.js';
import { FUZZ_RUNS } from '../test-support.js';

const [P] = PATIENTS as [(typeof PATIENTS)[0]];
const [D, E] = DOCTORS as [(typeof DOCTORS)[0], (typeof DOCTORS)[0]];

const bytesN = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const time = fc.integer({ min: 0, max: 2 ** 45 });

/** Any explicit category list in canonical order, or 'all'. */
const categoriesArb = fc.oneof(
  fc.constant('all' as const),
  fc.subarray([...CATEGORY_CODES], { minLength: 1 })
);
const scopeArb = fc
  .record({ categories: categoriesArb, read: fc.boolean(), write: fc.boolean() })
  .filter((s) => s.read || s.write);

/** Schema-valid grants with arbitrary field values: what the codec must round-trip. */
const grantShapeArb: fc.Arbitrary<Grant> = fc
  .record({
    patient: bytesN(32),
    doctor: bytesN(32),
    scope: scopeArb,
    notBefore: time,
    span: fc.integer({ min: 1, max: 2 ** 40 }),
    seq: fc.maxSafeNat(),
    caps: fc.uint8Array({ maxLength: 1200 }),
    root: bytesN(32),
    sig: bytesN(64)
  })
  .map(
    ({ span, root, ...g }) =>
      ({
        t: 'cc/grant',
        v: 1,
        ...g,
        expiry: g.notBefore + span,
        ...(g.scope.write ? { writeRoot: root } : {})
      }) as Grant
  );

const DECODE_CODES = [
  'decode/malformed',
  'decode/non-canonical',
  'decode/too-large',
  'decode/schema',
  'decode/unknown-version'
];

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
}

describe('grant', () => {
  it('carries search caps and record secrets for read, record public keys for write, per granted category', () => {
    const g = grant(P, D, 7, { categories: ['X', 'IV', 'IV'], read: true, write: true });
    expect(g.scope.categories).toEqual(['IV', 'X']); // sorted, repeats dropped
    expect(verifyGrant(g).ok).toBe(true);
    const caps = openGrantCaps(g, D.keys.encryptionSecret);
    expect(caps.epoch).toBe(0);
    for (const c of ['IV', 'X']) {
      expect(caps.search.get(c)).toEqual(searchCapability(P.keys.indexKey, c));
      expect(caps.recordSecrets.get(c)).toEqual(recordSecret(P.seed, c, 0));
      expect(caps.recordPublics.get(c)).toEqual(recordPublicKey(P.seed, c, 0));
    }
    expect([...caps.search.keys()]).toEqual(['IV', 'X']);

    const readOnly = openGrantCaps(
      grant(P, D, 8, { categories: ['IV'], read: true, write: false }),
      D.keys.encryptionSecret
    );
    expect(readOnly.recordPublics.size).toBe(0);
    expect(readOnly.recordSecrets.size).toBe(1);

    const writeOnly = openGrantCaps(
      grant(P, D, 9, { categories: ['IV'], read: false, write: true }),
      D.keys.encryptionSecret
    );
    expect(writeOnly.search.size).toBe(0);
    expect(writeOnly.recordSecrets.size).toBe(0);
    expect(writeOnly.recordPublics.get('IV')).toEqual(recordPublicKey(P.seed, 'IV', 0));

    const all = openGrantCaps(
      grant(P, D, 10, { categories: 'all', read: true, write: false }),
      D.keys.encryptionSecret
    );
    expect([...all.search.keys()]).toEqual([...CATEGORY_CODES]);
  });

  it("an 'all' read grant carries the index key and epoch root and opens to the same per-category caps", () => {
    for (const write of [true, false]) {
      const g = createGrant({
        seed: P.seed,
        doctor: doctorOf(D),
        scope: { categories: 'all', read: true, write },
        notBefore: T0,
        expiry: T0 + DAY,
        seq: 30,
        epoch: 4,
        rng: seededRng(30)
      });
      const caps = openGrantCaps(g, D.keys.encryptionSecret);
      expect(caps.epoch).toBe(4);
      expect([...caps.recordSecrets.keys()]).toEqual([...CATEGORY_CODES]);
      for (const c of CATEGORY_CODES) {
        expect(caps.search.get(c)).toEqual(searchCapability(P.keys.indexKey, c));
        expect(caps.recordSecrets.get(c)).toEqual(recordSecret(P.seed, c, 4));
        expect(caps.tags.get(c)).toEqual(indexTag(P.keys.indexKey, c));
        if (write) expect(caps.recordPublics.get(c)).toEqual(recordPublicKey(P.seed, c, 4));
      }
      expect(caps.recordPublics.size).toBe(write ? CATEGORY_CODES.length : 0);
      expect(caps.writeCommits).toEqual(write ? writeCommitsFor(P.seed, CATEGORY_CODES, 4) : []);
    }
  });

  it('refuses caps in the form the signed scope does not use', () => {
    const rootForm = encodeCanonical({ e: 0, x: P.keys.indexKey, r: new Uint8Array(32) });
    const listForm = encodeCanonical({ e: 0, s: [], k: [], p: [], i: [] });
    const five = grant(P, D, 31, { categories: FIVE, read: true, write: false });
    const all = grant(P, D, 32, { categories: 'all', read: true, write: false });
    const writeOnlyAll = grant(P, D, 33, { categories: 'all', read: false, write: true });
    for (const [g, plain] of [
      [five, rootForm],
      [writeOnlyAll, rootForm],
      [all, listForm]
    ] as const) {
      const forged = { ...g, caps: wrapTo(D.keys.encryptionPublic, plain, GRANT_CAPS_CONTEXT, seededRng(1)) };
      expect(() => openGrantCaps(forged as Grant, D.keys.encryptionSecret)).toThrowError(
        /consent\/malformed/
      );
    }
  });

  it('write grants sign the root of their write commitments; the doctor rebuilds the list from the caps', () => {
    for (const read of [true, false]) {
      const g = grant(P, D, 20, { categories: FIVE, read, write: true });
      const caps = openGrantCaps(g, D.keys.encryptionSecret);
      const expected = writeCommitsFor(P.seed, FIVE, 0); // the chain's own formula (chain/commit.ts)
      expect(caps.writeCommits).toEqual(expected);
      expect(g.writeRoot).toEqual(writeRoot(expected));
      for (const c of FIVE) expect(caps.tags.get(c)).toEqual(indexTag(P.keys.indexKey, c));
    }
    const readOnly = grant(P, D, 21, { categories: FIVE, read: true, write: false });
    expect(readOnly.writeRoot).toBeUndefined();
    expect(openGrantCaps(readOnly, D.keys.encryptionSecret).writeCommits).toEqual([]);
    // A root that does not match the capabilities is refused.
    const g = grant(P, D, 22, { categories: FIVE, read: false, write: true });
    expect(() =>
      openGrantCaps({ ...g, writeRoot: new Uint8Array(32) }, D.keys.encryptionSecret)
    ).toThrowError(/consent\/malformed/);
  });

  it('uses the epoch it is given for record keys', () => {
    const g = createGrant({
      seed: P.seed,
      doctor: doctorOf(D),
      scope: { categories: ['IV'], read: true, write: false },
      notBefore: T0,
      expiry: T0 + DAY,
      seq: 1,
      epoch: 5,
      rng: seededRng(3)
    });
    const caps = openGrantCaps(g, D.keys.encryptionSecret);
    expect(caps.epoch).toBe(5);
    expect(caps.recordSecrets.get('IV')).toEqual(recordSecret(P.seed, 'IV', 5));
    expect(caps.recordSecrets.get('IV')).not.toEqual(recordSecret(P.seed, 'IV', 4));
  });

  it('only the doctor it was issued to can open the capabilities', () => {
    const g = grant(P, D, 1);
    expect(() => openGrantCaps(g, E.keys.encryptionSecret)).toThrowError(/crypto\/decrypt-failed/);
  });

  it('rejects caps whose contents do not match the signed scope', () => {
    const g = grant(P, D, 1, { categories: FIVE, read: true, write: false });
    const wrongCount = encodeCanonical({
      epoch: 0,
      search: [new Uint8Array(32)],
      secrets: [new Uint8Array(32)],
      publics: []
    });
    const forged = {
      ...g,
      caps: wrapTo(D.keys.encryptionPublic, wrongCount, GRANT_CAPS_CONTEXT, seededRng(1))
    } as Grant;
    expect(() => openGrantCaps(forged, D.keys.encryptionSecret)).toThrowError(/consent\/malformed/);
    const junk = {
      ...g,
      caps: wrapTo(D.keys.encryptionPublic, new Uint8Array([1, 2, 3]), GRANT_CAPS_CONTEXT, seededRng(1))
    } as Grant;
    expect(() => openGrantCaps(junk, D.keys.encryptionSecret)).toThrowError(/consent\/malformed/);
  });

  it('refuses to create malformed grants with named errors', () => {
    const base = {
      seed: P.seed,
      doctor: doctorOf(D),
      notBefore: T0,
      expiry: T0 + DAY,
      seq: 1,
      epoch: 0,
      rng: seededRng(1)
    };
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isCoreError(e) ? e.code : 'untyped';
      }
      return 'none';
    };
    expect(
      code(() => createGrant({ ...base, scope: { categories: ['XXIII'], read: true, write: false } }))
    ).toBe('record/unknown-category');
    expect(code(() => createGrant({ ...base, scope: { categories: [], read: true, write: false } }))).toBe(
      'consent/malformed'
    );
    expect(
      code(() => createGrant({ ...base, scope: { categories: ['I'], read: false, write: false } }))
    ).toBe('consent/malformed');
    expect(
      code(() => createGrant({ ...base, expiry: T0, scope: { categories: ['I'], read: true, write: false } }))
    ).toBe('consent/malformed');
    expect(
      code(() => createGrant({ ...base, seq: -1, scope: { categories: ['I'], read: true, write: false } }))
    ).toBe('consent/malformed');
    expect(
      code(() => createGrant({ ...base, epoch: 1.5, scope: { categories: ['I'], read: true, write: false } }))
    ).toBe('consent/malformed');
  });

  it('decoding rejects non-canonical scopes, unknown fields and unknown versions', () => {
    const g = grant(P, D, 1);
    const reencode = (x: unknown) => encodeCanonical(x);
    const bad = [
      { ...g, scope: { ...g.scope, categories: ['IV', 'I'] } },
      { ...g, scope: { ...g.scope, categories: ['I', 'I'] } },
      { ...g, scope: { ...g.scope, categories: 'everything' } },
      { ...g, extra: 1 },
      { ...g, v: 2 },
      { ...g, t: 'cc/revocation' },
      { ...g, expiry: g.notBefore }
    ];
    for (const b of bad) expect(() => grantCodec.decode(reencode(b))).toThrowError(/decode\//);
  });

  it('round-trips every schema-valid grant to identical bytes', () => {
    fc.assert(
      fc.property(grantShapeArb, (g) => {
        const bytes = grantCodec.encode(g);
        const back = grantCodec.decode(bytes);
        expect(back).toEqual(g);
        expect(grantCodec.encode(back)).toEqual(bytes);
        expect(grantId(back)).toEqual(grantId(g));
      }),
      { numRuns: 1000 }
    );
  });

  it('round-trips real signed grants of any scope and keeps them verifiable', () => {
    fc.assert(
      fc.property(scopeArb, fc.nat(), time, (scope, seq, notBefore) => {
        const g = createGrant({
          seed: P.seed,
          doctor: doctorOf(D),
          scope,
          notBefore,
          expiry: notBefore + DAY,
          seq,
          epoch: 0,
          rng: seededRng(seq)
        });
        const back = grantCodec.decode(grantCodec.encode(g));
        expect(back).toEqual(g);
        expect(verifyGrant(back).ok).toBe(true);
        const caps = openGrantCaps(back, D.keys.encryptionSecret);
        const n = scopeCategories(scope).length;
        expect(caps.search.size).toBe(scope.read ? n : 0);
        expect(caps.recordPublics.size).toBe(scope.write ? n : 0);
      }),
      // Each run derives up to 22 X25519 keys in pure JS (~7 ms); the codec itself gets 1,000 runs above.
      { numRuns: 250 }
    );
  });

  it('decoding arbitrary bytes fails only with a named decode error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        for (const codec of [grantCodec, revocationCodec]) {
          try {
            codec.decode(bytes);
          } catch (e) {
            expect(isCoreError(e) && DECODE_CODES.includes(e.code)).toBe(true);
          }
        }
      }),
      { numRuns: FUZZ_RUNS }
    );
  });

  it('decoding mutated real grants fails only with named errors', () => {
    const bytes = grantCodec.encode(grant(P, D, 3));
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.nat(255), fc.nat(bytes.length), (at, value, cut) => {
        const m = bytes.slice(0, Math.max(cut, at + 1));
        m[at] = value;
        try {
          grantCodec.decode(m);
        } catch (e) {
          expect(isCoreError(e) && DECODE_CODES.includes(e.code)).toBe(true);
        }
      }),
      { numRuns: FUZZ_RUNS }
    );
  });

  it('flipping any bit of a signed grant makes it fail to decode or to verify', () => {
    const bytes = grantCodec.encode(grant(P, D, 3));
    fc.assert(
      fc.property(fc.nat(bytes.length * 8 - 1), (bit) => {
        let g: Grant;
        try {
          g = grantCodec.decode(flipBit(bytes, bit));
        } catch (e) {
          expect(isCoreError(e)).toBe(true);
          return;
        }
        expect(verifyGrant(g).ok).toBe(false);
      }),
      { numRuns: 1000 }
    );
  });

  it('flipping any bit of a signed revocation makes it fail to decode or to verify', () => {
    for (const target of [{ doctor: D.keys.signingPublic }, { grant: grantId(grant(P, D, 3)) }]) {
      const bytes = revocationCodec.encode(createRevocation({ seed: P.seed, target, seq: 9, time: T0 }));
      expect(verifyRevocation(revocationCodec.decode(bytes)).ok).toBe(true);
      fc.assert(
        fc.property(fc.nat(bytes.length * 8 - 1), (bit) => {
          try {
            expect(verifyRevocation(revocationCodec.decode(flipBit(bytes, bit))).ok).toBe(false);
          } catch (e) {
            expect(isCoreError(e)).toBe(true);
          }
        }),
        { numRuns: 1000 }
      );
    }
  });

  it('round-trips revocations', () => {
    fc.assert(
      fc.property(fc.boolean(), bytesN(32), fc.maxSafeNat(), time, (byGrant, target, seq, t) => {
        const r = createRevocation({
          seed: P.seed,
          target: byGrant ? { grant: target } : { doctor: target },
          seq,
          time: t
        });
        const bytes = revocationCodec.encode(r);
        expect(revocationCodec.decode(bytes)).toEqual(r);
        expect(r.by).toBe(byGrant ? 'grant' : 'doctor');
      }),
      { numRuns: 1000 }
    );
  });
});
