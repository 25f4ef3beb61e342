import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nobleEd25519, verifySignature } from './ed25519.js';
import { nodeEd25519 } from './ed25519.node.js';
import { open, seal } from './aead.js';
import { seededRng } from './random.js';
import { unwrapWith, wrapTo, x25519PublicKey } from './x25519.js';
import {
  deriveAccountKeys,
  recordEpochRoot,
  recordPublicKey,
  recordSecret,
  recordSecretFromRoot
} from './keys.js';
import { openWithPassphrase, sealWithPassphrase } from './passphrase.js';
import { isCoreError } from '../errors.js';
import { nobleSha256Backend, setSha256Backend, sha256, taggedHash } from './hash.js';
import { nodeSha256 } from './hash.node.js';
import { FUZZ_RUNS } from '../test-support.js';

const seed = fc.uint8Array({ minLength: 32, maxLength: 32 });
const msg = fc.uint8Array({ maxLength: 256 });

describe('SHA-256 backends', () => {
  it('node:crypto and noble give identical digests, whole or in parts, and plain Uint8Arrays', () => {
    const parts = fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(parts, (ps) => {
        const d = nodeSha256.digest(ps);
        expect(d).toEqual(nobleSha256Backend.digest(ps));
        expect(Object.getPrototypeOf(d)).toBe(Uint8Array.prototype);
      }),
      { numRuns: FUZZ_RUNS }
    );
  });

  it('node:crypto hashes parts that are views into larger buffers, and no parts at all, like noble', () => {
    const view = fc
      .tuple(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat(), fc.nat())
      .map(([b, i, j]) => b.subarray(Math.min(i, j) % b.length, Math.max(i, j) % (b.length + 1)));
    fc.assert(
      fc.property(fc.array(view, { maxLength: 5 }), (ps) => {
        expect(nodeSha256.digest(ps)).toEqual(nobleSha256Backend.digest(ps));
      }),
      { numRuns: FUZZ_RUNS }
    );
    expect(nodeSha256.digest([])).toEqual(nobleSha256Backend.digest([new Uint8Array(0)]));
  });

  it('node:crypto digests own their bytes: a later digest (or a long multi-part input) changes none', () => {
    const a = nodeSha256.digest([new Uint8Array([1]), new Uint8Array([2])]);
    const keep = a.slice();
    const long = [new Uint8Array(20_000).fill(7), new Uint8Array(3)]; // past the scratch buffer
    expect(nodeSha256.digest(long)).toEqual(nobleSha256Backend.digest(long));
    nodeSha256.digest([new Uint8Array([3]), new Uint8Array([4])]);
    expect(a).toEqual(keep);
    expect(a.length).toBe(32);
    expect(a.byteLength).toBe(a.buffer.byteLength); // not a view into something shared
  });

  it('taggedHash and sha256 do not depend on the backend installed (known vector)', () => {
    const abc = new TextEncoder().encode('abc');
    const vector = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    const noble = taggedHash('carechain/test', abc);
    expect(hex(sha256(abc))).toBe(vector);
    setSha256Backend(nodeSha256);
    try {
      expect(hex(sha256(abc))).toBe(vector);
      expect(taggedHash('carechain/test', abc)).toEqual(noble);
    } finally {
      setSha256Backend(nobleSha256Backend);
    }
  });
});

describe('Ed25519 backends', () => {
  it('node:crypto and noble give identical keys and signatures and verify each other', () => {
    fc.assert(
      fc.property(seed, msg, (s, m) => {
        const pub = nobleEd25519.publicKey(s);
        expect(nodeEd25519.publicKey(s)).toEqual(pub);
        const a = nobleEd25519.sign(s, m);
        const b = nodeEd25519.sign(s, m);
        expect(b).toEqual(a);
        expect(verifySignature(pub, m, a, nodeEd25519)).toBe(true);
        expect(verifySignature(pub, m, b, nobleEd25519)).toBe(true);
      }),
      { numRuns: 1000 }
    );
  });

  it('flipping any bit of message or signature fails on both backends', () => {
    fc.assert(
      fc.property(seed, msg, fc.nat(), (s, m, bit) => {
        const pub = nobleEd25519.publicKey(s);
        const sig = nobleEd25519.sign(s, m);
        const total = (m.length + 64) * 8;
        const i = bit % total;
        const m2 = m.slice();
        const sig2 = sig.slice();
        if (i < m.length * 8) m2[i >> 3]! ^= 1 << (i & 7);
        else sig2[(i - m.length * 8) >> 3]! ^= 1 << (i & 7);
        expect(verifySignature(pub, m2, sig2, nobleEd25519)).toBe(false);
        expect(verifySignature(pub, m2, sig2, nodeEd25519)).toBe(false);
      }),
      { numRuns: 1000 }
    );
  });

  it('rejects non-canonical S (S + L) on both backends', () => {
    const s = new Uint8Array(32).fill(3);
    const m = new Uint8Array([1]);
    const pub = nobleEd25519.publicKey(s);
    const sig = nobleEd25519.sign(s, m);
    // add L to S (little-endian) — still a valid signature under lax verifiers
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    let S = 0n;
    for (let i = 31; i >= 0; i--) S = (S << 8n) | BigInt(sig[32 + i]!);
    S += L;
    const bad = sig.slice();
    for (let i = 0; i < 32; i++) bad[32 + i] = Number((S >> BigInt(8 * i)) & 0xffn);
    expect(verifySignature(pub, m, bad, nobleEd25519)).toBe(false);
    expect(verifySignature(pub, m, bad, nodeEd25519)).toBe(false);
  });

  it('rejects a small-order public key', () => {
    const identity = new Uint8Array(32);
    identity[0] = 1;
    expect(verifySignature(identity, new Uint8Array(), new Uint8Array(64), nodeEd25519)).toBe(false);
  });
});

describe('AEAD and wrapping', () => {
  it('seal/open round-trips and any flipped bit fails with a named error', () => {
    const rng = seededRng(1);
    fc.assert(
      fc.property(seed, msg, fc.nat(), (key, m, bit) => {
        const sealed = seal(key, m, rng);
        expect(open(key, sealed)).toEqual(m);
        const bad = sealed.slice();
        bad[(bit >> 3) % bad.length]! ^= 1 << (bit & 7);
        try {
          open(key, bad);
          expect.unreachable();
        } catch (e) {
          expect(isCoreError(e, 'crypto/decrypt-failed')).toBe(true);
        }
      }),
      { numRuns: 1000 }
    );
  });

  it('wraps to an X25519 public key, bound to its context', () => {
    const rng = seededRng(2);
    const secret = rng(32);
    const wrapped = wrapTo(x25519PublicKey(secret), new Uint8Array([9, 9]), 'test', rng);
    expect(unwrapWith(secret, wrapped, 'test')).toEqual(new Uint8Array([9, 9]));
    expect(() => unwrapWith(secret, wrapped, 'other')).toThrowError(/crypto\/decrypt-failed/);
    expect(() => unwrapWith(rng(32), wrapped, 'test')).toThrowError(/crypto\/decrypt-failed/);
  });
});

describe('key derivation', () => {
  it('derives distinct, stable keys from one seed', () => {
    const s = new Uint8Array(32).fill(1);
    const a = deriveAccountKeys(s);
    const b = deriveAccountKeys(s);
    expect(a).toEqual(b);
    expect(a.indexKey).not.toEqual(a.signingSeed);
    expect(recordSecret(s, 'E', 0)).not.toEqual(recordSecret(s, 'E', 1));
    expect(recordPublicKey(s, 'E', 0)).toEqual(x25519PublicKey(recordSecret(s, 'E', 0)));
    expect(() => deriveAccountKeys(new Uint8Array(31))).toThrowError(/crypto\/bad-key/);
  });

  it("record secrets of an epoch derive from its root, and only that epoch's", () => {
    const s = new Uint8Array(32).fill(2);
    const root = recordEpochRoot(s, 7);
    expect(root).toHaveLength(32);
    for (const c of ['I', 'IV', 'XXII']) {
      expect(recordSecretFromRoot(root, c)).toEqual(recordSecret(s, c, 7));
      expect(recordSecretFromRoot(root, c)).not.toEqual(recordSecret(s, c, 6));
      expect(recordSecretFromRoot(root, c)).not.toEqual(recordSecret(s, c, 8));
    }
    expect(recordSecretFromRoot(root, 'I')).not.toEqual(recordSecretFromRoot(root, 'II'));
    expect(recordEpochRoot(s, 7)).not.toEqual(recordEpochRoot(s, 8));
    expect(recordEpochRoot(s, 7)).not.toEqual(recordEpochRoot(new Uint8Array(32).fill(3), 7));
    expect(() => recordSecretFromRoot(new Uint8Array(31), 'I')).toThrowError(/crypto\/bad-key/);
    expect(() => recordEpochRoot(new Uint8Array(33), 0)).toThrowError(/crypto\/bad-key/);
  });

  it('passphrase box opens with the passphrase only', async () => {
    const rng = seededRng(3);
    const params = { N: 2 ** 10, r: 8, p: 1 }; // small N keeps the unit test fast; production uses OWASP N=2^17
    const box = await sealWithPassphrase('correct horse', new Uint8Array([5]), rng, params);
    expect(await openWithPassphrase('correct horse', box)).toEqual(new Uint8Array([5]));
    await expect(openWithPassphrase('wrong', box)).rejects.toThrowError(/crypto\/decrypt-failed/);
  });
});
