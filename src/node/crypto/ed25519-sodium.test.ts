import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { encodesSmallOrder, nobleEd25519, verifySignature } from '../../lib/core/crypto/ed25519.js';
import { nodeEd25519 } from '../../lib/core/crypto/ed25519.node.js';
import { fromHex } from '../../lib/core/crypto/hash.js';
import { sodiumEd25519 } from './ed25519-sodium.js';

const seed = fc.uint8Array({ minLength: 32, maxLength: 32 });
const msg = fc.uint8Array({ maxLength: 256 });
const L = ed25519.Point.CURVE().n;

const leToBig = (b: Uint8Array) => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);
const bigToLe = (n: bigint) =>
  Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));

describe('libsodium Ed25519 backend', () => {
  it('gives the same keys and signatures as noble, and each verifies the other (1,000 runs)', () => {
    fc.assert(
      fc.property(seed, msg, (s, m) => {
        const pub = nobleEd25519.publicKey(s);
        expect(sodiumEd25519.publicKey(s)).toEqual(pub);
        const sig = sodiumEd25519.sign(s, m);
        expect(sig).toEqual(nobleEd25519.sign(s, m));
        expect(verifySignature(pub, m, sig, sodiumEd25519)).toBe(true);
        expect(encodesSmallOrder(sig.subarray(0, 32))).toBe(false);
      }),
      { numRuns: 1000 }
    );
  });

  it('refuses a signature with any bit of message, signature or key flipped (1,000 runs)', () => {
    fc.assert(
      fc.property(seed, msg, fc.nat(), (s, m, bit) => {
        const pub = nobleEd25519.publicKey(s).slice();
        const sig = nobleEd25519.sign(s, m).slice();
        const m2 = m.slice();
        const i = bit % ((m.length + 96) * 8);
        const flip = (b: Uint8Array, j: number) => (b[j >> 3]! ^= 1 << (j & 7));
        if (i < m.length * 8) flip(m2, i);
        else if (i < (m.length + 64) * 8) flip(sig, i - m.length * 8);
        else flip(pub, i - (m.length + 64) * 8);
        expect(verifySignature(pub, m2, sig, sodiumEd25519)).toBe(false);
      }),
      { numRuns: 1000 }
    );
  });

  it('every backend refuses a crafted signature whose R is the identity, which OpenSSL alone would pass', () => {
    // s·B = R + k·A with R = identity holds for s = k·a: valid under the plain equation.
    const { scalar, pointBytes } = ed25519.utils.getExtendedPublicKey(new Uint8Array(32).fill(7));
    const m = new TextEncoder().encode('crafted');
    const R = bigToLe(1n);
    const k = leToBig(sha512(new Uint8Array([...R, ...pointBytes, ...m]))) % L;
    const sig = new Uint8Array([...R, ...bigToLe((k * scalar) % L)]);
    expect(nodeEd25519.verify(pointBytes, m, sig)).toBe(true);
    expect(sodiumEd25519.verify(pointBytes, m, sig)).toBe(false);
    for (const b of [nobleEd25519, nodeEd25519, sodiumEd25519])
      expect(verifySignature(pointBytes, m, sig, b)).toBe(false);
  });

  it('the small-order list covers every point of order dividing 8, with either x sign, and no real key', () => {
    const t = ed25519.Point.fromBytes(
      fromHex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05')
    );
    let q = ed25519.Point.ZERO;
    for (let i = 0; i < 8; i++, q = q.add(t)) {
      const enc = q.toBytes();
      expect(encodesSmallOrder(enc)).toBe(true);
      enc[31]! ^= 0x80;
      expect(encodesSmallOrder(enc)).toBe(true);
    }
    fc.assert(
      fc.property(seed, (s) => !encodesSmallOrder(nobleEd25519.publicKey(s))),
      { numRuns: 1000 }
    );
  });
});
