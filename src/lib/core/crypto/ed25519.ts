/**
 * Ed25519 behind a backend interface. The browser uses @noble/curves; Node tests plug in `node:crypto`
 * (ed25519.node.ts) and hospital nodes libsodium (src/node/crypto), which verify 15-30x faster. All
 * produce byte-identical signatures (Ed25519 is deterministic). `verifySignature` applies the strict
 * checks here, before any backend, so every backend accepts exactly the same set: fixed lengths,
 * canonical S < L, canonical public key not of small order, R not of small order (RFC 8032 strict,
 * not ZIP-215; the set libsodium accepts).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { fromHex } from './hash.js';

export interface Ed25519Backend {
  readonly name: string;
  publicKey(seed: Uint8Array): Uint8Array;
  sign(seed: Uint8Array, message: Uint8Array): Uint8Array;
  /** Called only after the strict checks passed. */
  verify(publicKey: Uint8Array, message: Uint8Array, sig: Uint8Array): boolean;
}

export const nobleEd25519: Ed25519Backend = {
  name: 'noble',
  publicKey: (seed) => ed25519.getPublicKey(seed),
  sign: (seed, message) => ed25519.sign(message, seed),
  verify: (pub, message, sig) => {
    try {
      return ed25519.verify(sig, message, pub, { zip215: false });
    } catch {
      return false;
    }
  }
};

let backend: Ed25519Backend = nobleEd25519;

/** Node entry points install a native backend once at start-up. */
export function setEd25519Backend(b: Ed25519Backend): void {
  backend = b;
}

// Group order L, little-endian, for the canonical-S check.
const L = [
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10
];

function sIsCanonical(sig: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const s = sig[32 + i]!;
    const l = L[i]!;
    if (s < l) return true;
    if (s > l) return false;
  }
  return false; // S == L
}

/**
 * The encodings of the eight small-order points, ignoring the x sign bit: y = 0, 1, p-1, the two
 * order-8 y values, and the non-canonical p and p+1 (libsodium's list). An honest signer's R is
 * never one of them; refusing them here keeps every backend's answer identical (OpenSSL would accept
 * a crafted R = identity, libsodium would not).
 */
const SMALL_ORDER_Y = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'
].map(fromHex);

/** Is the 32-byte point encoding at `b` (sign bit ignored) one of the small-order points? */
export function encodesSmallOrder(b: Uint8Array): boolean {
  return SMALL_ORDER_Y.some((y) => {
    for (let i = 0; i < 31; i++) if (b[i] !== y[i]) return false;
    return (b[31]! & 0x7f) === y[31];
  });
}

// Public keys already found valid: point decompression costs as much as half a node:crypto verify.
const goodKeys = new Set<string>();
const GOOD_KEYS_MAX = 10_000;

function keyIsStrict(pub: Uint8Array): boolean {
  const k = String.fromCharCode(...pub);
  if (goodKeys.has(k)) return true;
  try {
    const p = ed25519.Point.fromBytes(pub, false);
    if (p.isSmallOrder()) return false;
    // Non-canonical y (>= p) decodes but re-encodes differently.
    const again = p.toBytes();
    for (let i = 0; i < 32; i++) if (again[i] !== pub[i]) return false;
  } catch {
    return false;
  }
  if (goodKeys.size >= GOOD_KEYS_MAX) goodKeys.clear();
  goodKeys.add(k);
  return true;
}

export function signingPublicKey(seed: Uint8Array): Uint8Array {
  return backend.publicKey(seed);
}

export function sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return backend.sign(seed, message);
}

export function verifySignature(
  publicKey: Uint8Array,
  message: Uint8Array,
  sig: Uint8Array,
  using: Ed25519Backend = backend
): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
  if (!(sig instanceof Uint8Array) || sig.length !== 64) return false;
  if (!sIsCanonical(sig) || encodesSmallOrder(sig.subarray(0, 32)) || !keyIsStrict(publicKey)) return false;
  return using.verify(publicKey, message, sig);
}
