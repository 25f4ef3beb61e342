/**
 * Proofs of the sparse Merkle tree (smt.ts): the hashing that defines its root, the wire format of
 * a proof, and the pure check a light client runs against a root it trusts.
 *
 *   empty subtree  EMPTY = taggedHash("cc/smt-empty")
 *   leaf           taggedHash("cc/smt-leaf", key, sha256(value))
 *   inner node     taggedHash("cc/smt-node", left, right)
 *
 * A proof lists the sibling hashes on the path from the root down to where the key's path ends — at
 * the key's leaf (membership), at an empty subtree, or at the one other leaf that holds that subtree
 * (non-membership). Empty siblings are left out and marked by a zero bit in `bitmap`, so a proof in
 * a tree of n random keys carries about log2(n) hashes, not 256.
 */
import { LIMITS, PROTOCOL_VERSION, TAGS } from '../constants.js';
import { fail, OK, type Verdict } from '../errors.js';
import { bytesEqual } from '../encoding/cbor.js';
import { defineCodec } from '../encoding/codec.js';
import { bytesMax, hash32, header, list, uintMax, v } from '../encoding/schema.js';
import { sha256, taggedHash } from '../crypto/hash.js';
import { bitAt, is32Bytes, pairHasher } from './hashing.js';

export const SMT_EMPTY: Uint8Array = taggedHash(TAGS.smtEmpty);
export const smtNodeHash = pairHasher(TAGS.smtNode);
const leafPair = pairHasher(TAGS.smtLeaf);
export const smtLeafHash = (key: Uint8Array, valueHash: Uint8Array): Uint8Array => leafPair(key, valueHash);

/** Bitmap bytes for a path of `depth` levels: one bit per level. */
const bitmapBytes = (depth: number) => Math.ceil(depth / 8);

/**
 * A proof is canonical — one encoding per (tree, key) — so a flipped bit anywhere fails: the bitmap
 * has exactly the bytes the depth needs, zero padding bits, and one set bit per listed sibling.
 */
function wellFormed(p: { depth: number; bitmap: Uint8Array; siblings: Uint8Array[] }): boolean {
  if (p.bitmap.length !== bitmapBytes(p.depth)) return false;
  let set = 0;
  for (let i = 0; i < p.bitmap.length * 8; i++) {
    if (bitAt(p.bitmap, i) === 1) {
      if (i >= p.depth) return false;
      set++;
    }
  }
  return set === p.siblings.length;
}

const smtProofSchema = v.pipe(
  v.strictObject({
    ...header(TAGS.smtProof),
    /** Levels from the root to where the key's path ends: 0 (root is a leaf or empty) to 256. */
    depth: uintMax(LIMITS.smtDepth),
    /** Bit i (MSB first) set = the sibling at level i is non-empty and listed in `siblings`. */
    bitmap: bytesMax(LIMITS.smtDepth / 8),
    /** Non-empty sibling hashes, root end first; at most one per level. */
    siblings: list(hash32, LIMITS.smtDepth),
    /** The leaf where the path ends, or null for an empty subtree. */
    leaf: v.nullable(v.strictObject({ key: hash32, valueHash: hash32 }))
  }),
  v.check((p) => wellFormed(p), 'bitmap must be ceil(depth/8) bytes, zero-padded, one set bit per sibling')
);

export type SmtProof = v.InferOutput<typeof smtProofSchema>;

/**
 * Largest proof: 256 listed siblings × 34 bytes (a 32-byte CBOR byte string) = 8,704, plus the
 * bitmap, the leaf and the field names ≈ 8.9 KiB. 9 KiB admits every honest proof and nothing more.
 */
export const SMT_PROOF_MAX_BYTES = 9 * 1024;

export const smtProofCodec = defineCodec('smt-proof', smtProofSchema, SMT_PROOF_MAX_BYTES);

export function makeSmtProof(
  depth: number,
  bitmap: SmtProof['bitmap'],
  siblings: SmtProof['siblings'],
  leaf: SmtProof['leaf']
): SmtProof {
  return { t: TAGS.smtProof, v: PROTOCOL_VERSION, depth, bitmap, siblings, leaf };
}

function commonPrefixBits(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! ^ b[i]!;
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return a.length * 8;
}

/**
 * Checks that under `root`, `key` maps to `value` (or, with `value` null, that `key` is absent).
 * Pure; never throws: a proof that is not well-formed is `proof/invalid`, a proof about another key
 * is `proof/wrong-key`.
 */
export function verifySmtProof(
  root: Uint8Array,
  key: Uint8Array,
  value: Uint8Array | null,
  proof: SmtProof
): Verdict {
  if (!is32Bytes(key)) return fail('proof/wrong-key', { detail: 'key must be 32 bytes' });
  if (!(root instanceof Uint8Array) || root.length !== 32 || !isWellFormedProof(proof))
    return fail('proof/invalid', { detail: 'malformed proof or root' });
  const { depth, bitmap, siblings, leaf } = proof;
  let h: Uint8Array;
  if (value !== null) {
    if (!(value instanceof Uint8Array)) return fail('proof/invalid', { detail: 'value must be bytes' });
    if (leaf === null || !bytesEqual(leaf.key, key))
      return fail('proof/wrong-key', { detail: 'the proof does not end at this key' });
    if (!bytesEqual(leaf.valueHash, sha256(value)))
      return fail('proof/invalid', { detail: 'value does not match the leaf' });
    h = smtLeafHash(key, leaf.valueHash);
  } else if (leaf === null) {
    h = SMT_EMPTY;
  } else {
    if (bytesEqual(leaf.key, key)) return fail('proof/invalid', { detail: 'the key is present' });
    // The leaf holding the subtree must lie on the key's path, or it says nothing about this key.
    if (commonPrefixBits(leaf.key, key) < depth)
      return fail('proof/wrong-key', { detail: 'the leaf is off the key path' });
    h = smtLeafHash(leaf.key, leaf.valueHash);
  }
  let next = siblings.length;
  for (let d = depth - 1; d >= 0; d--) {
    let s = SMT_EMPTY;
    if (bitAt(bitmap, d) === 1) {
      s = siblings[--next]!;
      // An honest prover leaves empty siblings out; listing one would give a second encoding.
      if (bytesEqual(s, SMT_EMPTY)) return fail('proof/invalid', { detail: 'listed empty sibling' });
    }
    h = bitAt(key, d) === 1 ? smtNodeHash(s, h) : smtNodeHash(h, s);
  }
  return bytesEqual(h, root) ? OK : fail('proof/invalid', { detail: 'root mismatch' });
}

/** Shape check for proofs built in memory (decoded ones already passed the schema). */
function isWellFormedProof(p: SmtProof): boolean {
  if (p === null || typeof p !== 'object') return false;
  const { depth, bitmap, siblings, leaf } = p as Partial<SmtProof>;
  if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < 0 || depth > LIMITS.smtDepth)
    return false;
  if (!(bitmap instanceof Uint8Array) || !Array.isArray(siblings)) return false;
  if (!siblings.every(is32Bytes)) return false;
  if (leaf !== null && (typeof leaf !== 'object' || !is32Bytes(leaf.key) || !is32Bytes(leaf.valueHash)))
    return false;
  return wellFormed({ depth, bitmap, siblings });
}
