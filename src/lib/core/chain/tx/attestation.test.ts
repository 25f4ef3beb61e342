/**
 * Group-committed attestations: each blob's path leads to the signed root, and a path, leaf, position,
 * count or root taken from anywhere else is refused.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { setEd25519Backend, signingPublicKey } from '../../crypto/ed25519.js';
import { nodeEd25519 } from '../../crypto/ed25519.node.js';
import { FUZZ_RUNS } from '../../test-support.js';
import {
  ATTEST_BATCH_MAX,
  attestationCodec,
  attestationPathValid,
  attestationSignatureValid,
  createAttestation,
  createBatchAttestations,
  type BatchAttestation
} from './attestation.js';

setEd25519Backend(nodeEd25519);

const SEED = new Uint8Array(32).fill(7);
const MIRROR = signingPublicKey(SEED);
const OTHER_SEED = new Uint8Array(32).fill(8);

const leaf = fc.record({
  mhrHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  size: fc.integer({ min: 0, max: 1024 * 1024 - 1 })
});
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const batchArb = (min: number) =>
  fc.uniqueArray(leaf, { minLength: min, maxLength: ATTEST_BATCH_MAX, selector: (l) => hex(l.mhrHash) });

const batch = (leaves: { mhrHash: Uint8Array; size: number }[], seed = SEED, time = 1000) =>
  createBatchAttestations(seed, signingPublicKey(seed), { hospital: 'H1', time }, leaves);

describe('batched mirror attestations', () => {
  it('every blob of a batch verifies, and survives its codec round trip', () => {
    fc.assert(
      fc.property(batchArb(1), (leaves) => {
        const atts = batch(leaves);
        expect(new Set(atts.map((a) => hex(a.sig))).size).toBe(1);
        for (const a of atts) {
          expect(attestationSignatureValid(a)).toBe(true);
          expect(attestationSignatureValid(attestationCodec.decode(attestationCodec.encode(a)))).toBe(true);
        }
      }),
      { numRuns: 100 }
    );
  });

  it('a path for another leaf, position, count or root is refused (fast-check, ≥ 1,000 runs)', () => {
    fc.assert(
      fc.property(batchArb(2), batchArb(1), fc.nat(), fc.nat(), (leaves, others, ri, rj) => {
        const i = ri % leaves.length;
        const j = (i + 1 + (rj % (leaves.length - 1))) % leaves.length;
        const atts = batch(leaves);
        const a = atts[i]!;
        const b = atts[j]!;
        expect(attestationPathValid(a)).toBe(true);
        const refused = (x: BatchAttestation) => expect(attestationPathValid(x)).toBe(false);
        // another leaf's path, position or blob
        refused({ ...a, path: b.path });
        refused({ ...a, index: j });
        refused({ ...a, mhrHash: b.mhrHash });
        refused({ ...a, size: a.size + 1 });
        // the same path under another root, or a count the root was not made with
        const other = batch(others)[0]!;
        refused({ ...a, root: other.root });
        if (leaves.length < ATTEST_BATCH_MAX) refused({ ...a, count: a.count + 1 });
        if (i < leaves.length - 1) refused({ ...a, count: a.count - 1 });
        // a genuine attestation from another batch carrying this blob's hash
        if (!others.some((o) => hex(o.mhrHash) === hex(a.mhrHash)))
          expect(attestationSignatureValid({ ...other, mhrHash: a.mhrHash })).toBe(false);
      }),
      { numRuns: FUZZ_RUNS }
    );
  });

  it('the signature covers root, count, mirror, hospital and time', () => {
    const leaves = [
      { mhrHash: new Uint8Array(32).fill(1), size: 10 },
      { mhrHash: new Uint8Array(32).fill(2), size: 20 }
    ];
    const [a] = batch(leaves);
    expect(attestationSignatureValid(a!)).toBe(true);
    expect(attestationSignatureValid({ ...a!, time: 1001 })).toBe(false);
    expect(attestationSignatureValid({ ...a!, hospital: 'H2' })).toBe(false);
    expect(attestationSignatureValid({ ...a!, mirror: signingPublicKey(OTHER_SEED) })).toBe(false);
    const forged = batch(leaves, OTHER_SEED)[0]!;
    expect(attestationSignatureValid({ ...forged, mirror: MIRROR })).toBe(false);
    // A root checked once (and remembered) vouches only for that exact signature and fields.
    expect(attestationSignatureValid({ ...a!, sig: forged.sig })).toBe(false);
    expect(attestationSignatureValid({ ...a!, time: 1001 })).toBe(false);
    expect(attestationSignatureValid(batch(leaves)[1]!)).toBe(true);
  });

  it('a batch of one has an empty path; the single-blob form stays valid', () => {
    const [one] = batch([{ mhrHash: new Uint8Array(32).fill(3), size: 5 }]);
    expect(one!.path).toEqual([]);
    expect(attestationSignatureValid(one!)).toBe(true);
    const single = createAttestation(SEED, MIRROR, {
      hospital: 'H1',
      mhrHash: new Uint8Array(32).fill(3),
      size: 5,
      time: 1000
    });
    expect(attestationSignatureValid(attestationCodec.decode(attestationCodec.encode(single)))).toBe(true);
    expect(attestationSignatureValid({ ...single, size: 6 })).toBe(false);
  });

  it('the codec refuses an index at or past the count, and batches past the bound', () => {
    const [a] = batch([{ mhrHash: new Uint8Array(32).fill(4), size: 5 }]);
    expect(() => attestationCodec.parse({ ...a!, index: 1 })).toThrow();
    expect(() => attestationCodec.parse({ ...a!, count: ATTEST_BATCH_MAX + 1 })).toThrow();
    const many = Array.from({ length: ATTEST_BATCH_MAX + 1 }, (_, k) => ({
      mhrHash: new Uint8Array(32).fill(k),
      size: k
    }));
    expect(() => batch(many)).toThrow(RangeError);
    const full = batch(many.slice(0, ATTEST_BATCH_MAX));
    expect(attestationCodec.encode(full[0]!).length).toBeLessThan(1024);
  });
});
