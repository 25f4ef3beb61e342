/**
 * The Merkle tree over a block's transactions (RFC 6962/9162 shape, our domain tags):
 *
 *   leaf        taggedHash("cc/tx-leaf", txBytes)
 *   node        taggedHash("cc/tx-node", left, right)
 *   root        taggedHash("cc/tx-root", uint32be(n), MTH)    (MTH: the RFC 6962 tree hash)
 *   empty list  taggedHash("cc/tx-empty")
 *
 * The root binds the count n. A bare RFC 6962 root does not (CT signs the tree size beside it): the
 * proof for index 0 of 17 transactions also verifies as index 0 of 18..32, because the right
 * subtree enters the path as an opaque hash. Our header carries only txRoot, so the count goes in.
 *
 * A list of n > 1 splits at k, the largest power of two below n: left = the first k transactions,
 * right = the rest. Unlike Bitcoin's tree, no last leaf is duplicated, so two different lists never
 * share a root (Bitcoin's [a, b, c] and [a, b, c, c] do). An inclusion proof is the ~log2(n)
 * sibling hashes from the leaf up.
 */
import { LIMITS, PROTOCOL_VERSION, TAGS } from '../constants.js';
import { CoreError, fail, OK, type Verdict } from '../errors.js';
import { bytesEqual } from '../encoding/cbor.js';
import { defineCodec } from '../encoding/codec.js';
import { hash32, header, list, uintMax, v } from '../encoding/schema.js';
import { taggedHash } from '../crypto/hash.js';
import { is32Bytes, pairHasher } from './hashing.js';

export const TX_EMPTY_ROOT: Uint8Array = taggedHash(TAGS.txEmpty);
const nodeHash = pairHasher(TAGS.txNode);
export const txLeafHash = (tx: Uint8Array): Uint8Array => taggedHash(TAGS.txLeaf, tx);

function sizedRoot(total: number, treeHash: Uint8Array): Uint8Array {
  const n = new Uint8Array(4);
  new DataView(n.buffer).setUint32(0, total);
  return taggedHash(TAGS.txRoot, n, treeHash);
}

/** Longest inclusion path: a block holds at most maxBlockTxs (2,048) transactions, so 11 levels. */
export const MAX_TX_PATH = Math.ceil(Math.log2(LIMITS.maxBlockTxs));

/** Largest power of two strictly below n (n >= 2): where RFC 6962 splits a list. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Length of the inclusion path of leaf `index` in a tree of `total` leaves. */
function pathLength(index: number, total: number): number {
  let len = 0;
  for (let m = index, n = total; n > 1; len++) {
    const k = splitPoint(n);
    if (m < k) n = k;
    else [m, n] = [m - k, n - k];
  }
  return len;
}

const txProofSchema = v.pipe(
  v.strictObject({
    ...header(TAGS.txProof),
    index: uintMax(LIMITS.maxBlockTxs - 1),
    total: v.pipe(uintMax(LIMITS.maxBlockTxs), v.minValue(1)),
    /** Sibling hashes from the leaf up to the root. */
    path: list(hash32, MAX_TX_PATH)
  }),
  v.check(
    (p) => p.index < p.total && p.path.length === pathLength(p.index, p.total),
    'index must be below total and the path exactly as long as the tree is deep there'
  )
);

export type TxProof = v.InferOutput<typeof txProofSchema>;

/** Largest proof: 11 × 34-byte hashes plus index, total and field names, well under 512 bytes. */
export const TX_PROOF_MAX_BYTES = 512;

export const txProofCodec = defineCodec('tx-proof', txProofSchema, TX_PROOF_MAX_BYTES);

type TxNode = { hash: Uint8Array; left?: TxNode; right?: TxNode; size: number };

function build(leaves: Uint8Array[], lo: number, hi: number): TxNode {
  if (hi - lo === 1) return { hash: leaves[lo]!, size: 1 };
  const k = splitPoint(hi - lo);
  const left = build(leaves, lo, lo + k);
  const right = build(leaves, lo + k, hi);
  return { hash: nodeHash(left.hash, right.hash), left, right, size: hi - lo };
}

function checkTxs(txs: unknown): asserts txs is Uint8Array[] {
  if (!Array.isArray(txs) || !txs.every((t) => t instanceof Uint8Array))
    throw new CoreError('decode/schema', { detail: 'transactions must be a list of byte strings' });
}

/** A built transaction tree: one pass of hashing, then any number of O(log n) proofs. */
export class TxMerkleTree {
  readonly #top: TxNode | null;

  private constructor(top: TxNode | null) {
    this.#top = top;
  }

  static from(txs: Uint8Array[]): TxMerkleTree {
    checkTxs(txs);
    if (txs.length > 0xffffffff) throw new CoreError('chain/too-many-txs', { total: txs.length });
    return new TxMerkleTree(txs.length === 0 ? null : build(txs.map(txLeafHash), 0, txs.length));
  }

  get size(): number {
    return this.#top?.size ?? 0;
  }

  root(): Uint8Array {
    return this.#top === null ? TX_EMPTY_ROOT.slice() : sizedRoot(this.#top.size, this.#top.hash);
  }

  prove(index: number): TxProof {
    const total = this.size;
    if (!Number.isInteger(index) || index < 0 || index >= total)
      throw new CoreError('state/bad-index', { index, total });
    if (total > LIMITS.maxBlockTxs) throw new CoreError('chain/too-many-txs', { total });
    const path: TxProof['path'] = [];
    let node = this.#top!;
    let m = index;
    while (node.left && node.right) {
      const k = node.left.size;
      if (m < k) {
        path.push(node.right.hash.slice());
        node = node.left;
      } else {
        path.push(node.left.hash.slice());
        node = node.right;
        m -= k;
      }
    }
    return { t: TAGS.txProof, v: PROTOCOL_VERSION, index, total, path: path.reverse() };
  }
}

export function txRoot(txs: Uint8Array[]): Uint8Array {
  return TxMerkleTree.from(txs).root();
}

/** One proof; to prove many transactions of one block, build a `TxMerkleTree` once. */
export function proveTx(txs: Uint8Array[], index: number): TxProof {
  return TxMerkleTree.from(txs).prove(index);
}

/**
 * Checks that `txBytes` is transaction `index` of the `total` committed under `root` (the path walk
 * of RFC 9162 §2.1.3.2, then the count). Pure; never throws.
 */
export function verifyTxProof(
  root: Uint8Array,
  txBytes: Uint8Array,
  index: number,
  total: number,
  proof: TxProof
): Verdict {
  if (proof === null || typeof proof !== 'object' || proof.index !== index || proof.total !== total)
    return fail('proof/wrong-key', { detail: 'the proof is for another position', index, total });
  if (
    !is32Bytes(root) ||
    !(txBytes instanceof Uint8Array) ||
    !Number.isInteger(index) ||
    !Number.isInteger(total) ||
    total > 0xffffffff ||
    index < 0 ||
    index >= total ||
    total > LIMITS.maxBlockTxs ||
    !Array.isArray(proof.path) ||
    !proof.path.every(is32Bytes)
  )
    return fail('proof/invalid', { detail: 'malformed proof, root or position' });
  let fn = index;
  let sn = total - 1;
  let r = txLeafHash(txBytes);
  for (const p of proof.path) {
    if (sn === 0) return fail('proof/invalid', { detail: 'path longer than the tree' });
    if ((fn & 1) === 1 || fn === sn) {
      r = nodeHash(p, r);
      while ((fn & 1) === 0 && fn !== 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn !== 0) return fail('proof/invalid', { detail: 'path shorter than the tree' });
  return bytesEqual(sizedRoot(total, r), root) ? OK : fail('proof/invalid', { detail: 'root mismatch' });
}
