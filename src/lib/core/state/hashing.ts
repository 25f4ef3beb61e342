/**
 * The hashes both trees are made of. A Merkle proof check is a few dozen two-input hashes, so the
 * tag prefix of `taggedHash` is laid out once per tag and only the two 32-byte inputs are copied per
 * call; the bytes hashed are exactly those of `taggedHash(tag, a, b)` (a test holds them equal).
 */
import { LIMITS } from '../constants.js';
import { sha256, utf8Bytes } from '../crypto/hash.js';

export type PairHash = (a: Uint8Array, b: Uint8Array) => Uint8Array;

/** `taggedHash(tag, a, b)` for 32-byte `a` and `b`. */
export function pairHasher(tag: string): PairHash {
  const t = utf8Bytes(tag);
  const buf = new Uint8Array(1 + t.length + 64);
  buf[0] = t.length;
  buf.set(t, 1);
  const at = 1 + t.length;
  // The buffer is shared between calls: safe because sha256 is synchronous and returns a fresh array.
  return (a, b) => {
    buf.set(a, at);
    buf.set(b, at + 32);
    return sha256(buf);
  };
}

/** Bit `i` of a 32-byte key, most significant bit of byte 0 first, so bit order is byte order. */
export function bitAt(key: Uint8Array, i: number): number {
  return (key[i >> 3]! >> (7 - (i & 7))) & 1;
}

/** Keys and hashes in both trees are 32 bytes (SHA-256 outputs). */
export function is32Bytes(key: unknown): key is Uint8Array {
  return key instanceof Uint8Array && key.length === LIMITS.smtDepth / 8;
}
