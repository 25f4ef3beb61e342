import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TAGS } from '../constants.js';
import { isCoreError } from '../errors.js';
import { taggedHash, toHex } from '../crypto/hash.js';
import { FUZZ_RUNS } from '../test-support.js';
import {
  MAX_TX_PATH,
  proveTx,
  TX_EMPTY_ROOT,
  TX_PROOF_MAX_BYTES,
  TxMerkleTree,
  txProofCodec,
  txLeafHash,
  txRoot,
  verifyTxProof,
  type TxProof
} from './tx-merkle.js';

const RUNS = 1_000;

const flipBit = (b: Uint8Array, i: number) => {
  const c = b.slice();
  c[i >> 3]! ^= 0x80 >> (i & 7);
  return c;
};

/** RFC 6962 §2.1 MTH, written from the RFC text with the generic taggedHash. */
function mth(txs: Uint8Array[]): Uint8Array {
  if (txs.length === 1) return taggedHash(TAGS.txLeaf, txs[0]!);
  let k = 1;
  while (k * 2 < txs.length) k *= 2;
  return taggedHash(TAGS.txNode, mth(txs.slice(0, k)), mth(txs.slice(k)));
}

function referenceRoot(txs: Uint8Array[]): Uint8Array {
  if (txs.length === 0) return taggedHash(TAGS.txEmpty);
  const n = txs.length;
  return taggedHash(
    TAGS.txRoot,
    new Uint8Array([n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255]),
    mth(txs)
  );
}

/**
 * A list of 1..300 transactions of 1..64 bytes, drawn from a seed so long lists are cheap to shrink.
 * xorshift32, not the SHA-256 seededRng: test data needs no strength and this keeps hashing for the tree.
 */
const txList = fc.tuple(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1 })).map(([n, seed]) => {
  let x = seed;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  return Array.from({ length: n }, () => Uint8Array.from({ length: 1 + (next() % 64) }, () => next() & 255));
});

describe('transaction Merkle tree', () => {
  it('proves every index of random lists of 1..300 transactions', () => {
    fc.assert(
      fc.property(txList, (txs) => {
        const tree = TxMerkleTree.from(txs);
        const root = tree.root();
        expect(toHex(root)).toBe(toHex(referenceRoot(txs)));
        const depth = Math.ceil(Math.log2(txs.length));
        const bad = txs
          .map((tx, i) => [i, tree.prove(i)] as const)
          .filter(([i, p]) => p.path.length > depth || !verifyTxProof(root, txs[i]!, i, txs.length, p).ok);
        expect(bad.map(([i]) => i)).toEqual([]);
        // The codec is slower than the proof; a trip for the two ends and one inner leaf covers it.
        for (const i of new Set([0, txs.length >> 1, txs.length - 1])) {
          const again = txProofCodec.decode(txProofCodec.encode(tree.prove(i)));
          expect(verifyTxProof(root, txs[i]!, i, txs.length, again)).toEqual({ ok: true });
        }
      }),
      { numRuns: RUNS }
    );
  });

  it('fails when any bit of the encoded proof, the root or the transaction flips, or the position moves', () => {
    fc.assert(
      fc.property(txList, fc.nat(), fc.nat(), (txs, pick, bit) => {
        const n = txs.length;
        const i = pick % n;
        const tx = txs[i]!;
        const tree = TxMerkleTree.from(txs);
        const root = tree.root();
        const p = tree.prove(i);
        const bytes = txProofCodec.encode(p);
        let decoded: TxProof | undefined;
        try {
          decoded = txProofCodec.decode(flipBit(bytes, bit % (bytes.length * 8)));
        } catch (e) {
          expect(isCoreError(e) && e.code.startsWith('decode/')).toBe(true);
        }
        if (decoded) expect(verifyTxProof(root, tx, i, n, decoded).ok).toBe(false);
        expect(verifyTxProof(flipBit(root, bit % 256), tx, i, n, p).ok).toBe(false);
        expect(verifyTxProof(root, flipBit(tx, bit % (tx.length * 8)), i, n, p).ok).toBe(false);
        if (p.path.length > 0) {
          const path = p.path.slice();
          const j = pick % path.length;
          path[j] = flipBit(path[j]!, bit % 256);
          expect(verifyTxProof(root, tx, i, n, { ...p, path }).ok).toBe(false);
          expect(verifyTxProof(root, tx, i, n, { ...p, path: p.path.slice(1) }).ok).toBe(false);
        }
        expect(verifyTxProof(root, tx, i, n, { ...p, path: [...p.path, root.slice()] }).ok).toBe(false);
        if (n > 1) {
          const other = (i + 1 + (bit % (n - 1))) % n;
          if (toHex(txs[other]!) !== toHex(tx))
            expect(verifyTxProof(root, tx, other, n, { ...p, index: other }).ok).toBe(false);
        }
        expect(verifyTxProof(root, tx, i, n + 1, { ...p, total: n + 1 }).ok).toBe(false);
        expect(verifyTxProof(root, tx, i + 1, n, p).ok).toBe(false);
      }),
      { numRuns: RUNS }
    );
  });

  it('never gives two different lists the same root (no duplicated last leaf)', () => {
    const [a, b, c] = [1, 2, 3].map((x) => new Uint8Array([x]));
    expect(toHex(txRoot([a!, b!, c!]))).not.toBe(toHex(txRoot([a!, b!, c!, c!])));
    expect(toHex(txRoot([a!, b!]))).not.toBe(toHex(txRoot([a!, b!, b!])));
    // A transaction whose bytes are two leaf hashes is still a leaf, not the node over them.
    const pair = new Uint8Array([...txLeafHash(a!), ...txLeafHash(b!)]);
    expect(toHex(txRoot([pair, c!]))).not.toBe(toHex(txRoot([a!, b!, c!])));
    // Near misses of a random list: the last one repeated or dropped, one byte changed, two swapped.
    fc.assert(
      fc.property(txList, fc.nat(), fc.nat(), (x, i, j) => {
        const n = x.length;
        const edited = x.map((t) => t.slice());
        edited[i % n]![j % edited[i % n]!.length]! ^= 1;
        const swapped = x.slice();
        [swapped[i % n], swapped[j % n]] = [swapped[j % n]!, swapped[i % n]!];
        const variants = [[...x, x[n - 1]!], x.slice(0, -1), edited];
        if (toHex(x[i % n]!) !== toHex(x[j % n]!)) variants.push(swapped);
        const root = toHex(txRoot(x));
        expect(variants.filter((y) => toHex(txRoot(y)) === root)).toEqual([]);
      }),
      { numRuns: RUNS }
    );
  });

  it('has a fixed empty root and refuses positions outside the block', () => {
    expect(toHex(txRoot([]))).toBe(toHex(TX_EMPTY_ROOT));
    expect(toHex(TX_EMPTY_ROOT)).toBe(toHex(taggedHash(TAGS.txEmpty)));
    expect(() => proveTx([], 0)).toThrow(/state\/bad-index/);
    expect(() => proveTx([new Uint8Array([1])], 1)).toThrow(/state\/bad-index/);
    expect(() => proveTx([new Uint8Array([1])], -1)).toThrow(/state\/bad-index/);
    expect(() => txRoot(['x' as unknown as Uint8Array])).toThrow(/decode\/schema/);
    const p = proveTx([new Uint8Array([1])], 0);
    expect(p.path.length).toBe(0);
    const bad = verifyTxProof(txRoot([]), new Uint8Array([1]), 0, 0, { ...p, total: 0 });
    expect(bad.ok === false && bad.error.code).toBe('proof/invalid');
    const wrong = verifyTxProof(txRoot([new Uint8Array([1])]), new Uint8Array([1]), 0, 2, p);
    expect(wrong.ok === false && wrong.error.code).toBe('proof/wrong-key');
  });

  it('keeps the largest proof within its codec limit', () => {
    const txs = Array.from({ length: 2048 }, (_, i) => new Uint8Array([i >> 8, i & 255]));
    const tree = TxMerkleTree.from(txs);
    const p = tree.prove(1234);
    expect(p.path.length).toBe(MAX_TX_PATH);
    expect(txProofCodec.encode(p).length).toBeLessThanOrEqual(TX_PROOF_MAX_BYTES);
    expect(() => TxMerkleTree.from([...txs, new Uint8Array([1])]).prove(0)).toThrow(/chain\/too-many-txs/);
  });

  it('binds the count: a proof does not verify under another total (bare RFC 6962 would)', () => {
    const txs = Array.from({ length: 18 }, (_, i) => new Uint8Array([i]));
    const root17 = txRoot(txs.slice(0, 17));
    const p = proveTx(txs.slice(0, 17), 0);
    expect(proveTx(txs, 0).path.slice(0, 4)).toEqual(p.path.slice(0, 4));
    expect(verifyTxProof(root17, txs[0]!, 0, 17, p).ok).toBe(true);
    expect(verifyTxProof(root17, txs[0]!, 0, 18, { ...p, total: 18 }).ok).toBe(false);
    expect(verifyTxProof(root17, txs[0]!, 0, 32, { ...p, total: 32 }).ok).toBe(false);
  });
});

describe('txProofCodec', () => {
  it('decodes arbitrary bytes only to a value or a named decode error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          txProofCodec.decode(bytes);
        } catch (e) {
          expect(isCoreError(e) && e.code.startsWith('decode/')).toBe(true);
        }
      }),
      { numRuns: FUZZ_RUNS }
    );
  });

  it('rejects proofs whose path length does not fit the position', () => {
    const txs = Array.from({ length: 5 }, (_, i) => new Uint8Array([i]));
    const p = proveTx(txs, 4); // the odd last leaf of 5 sits one level below the root
    expect(p.path.length).toBe(1);
    expect(() => txProofCodec.encode({ ...p, path: [...p.path, p.path[0]!] })).toThrow(/decode\/schema/);
    expect(() => txProofCodec.encode({ ...p, index: 5 })).toThrow(/decode\/schema/);
    expect(() => txProofCodec.encode({ ...p, total: 0, index: 0 })).toThrow(/decode\/schema/);
  });
});
