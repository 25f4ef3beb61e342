/**
 * Authenticated key-value state: a compact sparse Merkle tree over 32-byte keys.
 *
 * Conceptually a binary tree of depth 256 with one slot per possible key; in memory (and in the
 * root hash) a subtree holding one entry is replaced by that entry's leaf and an empty subtree by
 * the EMPTY constant, as in Diem's Jellyfish tree. With keys that are hashes, a path is about
 * log2(n) levels long, so an update hashes ~log2(n) times and a proof holds ~log2(n) hashes.
 * The shape depends only on the set of keys, so the root does not depend on insertion order.
 *
 * The tree is persistent: `set` and `delete` copy the path they change and share everything else,
 * so the old tree stays valid. A chain verifies a block by applying it to the current state and
 * comparing roots, and keeps or drops the result — nothing to undo. Inner hashes are computed on
 * first use and kept (nodes never change), so a block of updates pays for each new node once.
 *
 * Range queries are deliberately absent: where a reader needs "all entries for X" (e.g. every index
 * entry under one secure tag) the chain stores one value per X holding the bounded list of entries,
 * so a single membership proof for X's key proves the list complete.
 */
import { CoreError } from '../errors.js';
import { bytesEqual } from '../encoding/cbor.js';
import { sha256, taggedHash, utf8Bytes } from '../crypto/hash.js';
import { bitAt, is32Bytes } from './hashing.js';
import { makeSmtProof, SMT_EMPTY, smtLeafHash, smtNodeHash, type SmtProof } from './smt-proof.js';

export { SMT_EMPTY, smtProofCodec, verifySmtProof, type SmtProof } from './smt-proof.js';

class Leaf {
  #hash: Uint8Array | undefined;
  #valueHash: Uint8Array | undefined;
  constructor(
    readonly key: Uint8Array,
    readonly value: Uint8Array
  ) {}
  valueHash(): Uint8Array {
    return (this.#valueHash ??= sha256(this.value));
  }
  hash(): Uint8Array {
    return (this.#hash ??= smtLeafHash(this.key, this.valueHash()));
  }
}

/** An inner node: both of its subtrees together hold at least two entries (otherwise it collapses). */
class Branch {
  #hash: Uint8Array | undefined;
  constructor(
    readonly left: Node | null,
    readonly right: Node | null,
    readonly size: number
  ) {}
  hash(): Uint8Array {
    return (this.#hash ??= smtNodeHash(hashOf(this.left), hashOf(this.right)));
  }
}

type Node = Leaf | Branch;

const hashOf = (n: Node | null): Uint8Array => (n === null ? SMT_EMPTY : n.hash());
const sizeOf = (n: Node | null): number => (n === null ? 0 : n instanceof Leaf ? 1 : n.size);

function checkKey(key: unknown): asserts key is Uint8Array {
  if (!is32Bytes(key)) throw new CoreError('state/bad-key', { length: (key as Uint8Array)?.length });
}

function insert(node: Node | null, depth: number, leaf: Leaf): Node {
  if (node === null) return leaf;
  if (node instanceof Leaf) {
    if (!bytesEqual(node.key, leaf.key)) return split(node, leaf, depth);
    return bytesEqual(node.value, leaf.value) ? node : leaf;
  }
  if (bitAt(leaf.key, depth) === 1) {
    const right = insert(node.right, depth + 1, leaf);
    return right === node.right ? node : new Branch(node.left, right, sizeOf(node.left) + sizeOf(right));
  }
  const left = insert(node.left, depth + 1, leaf);
  return left === node.left ? node : new Branch(left, node.right, sizeOf(left) + sizeOf(node.right));
}

/** Two leaves that met in one slot at `depth`: inner nodes down to the first bit where they differ. */
function split(a: Leaf, b: Leaf, depth: number): Branch {
  const bitA = bitAt(a.key, depth);
  if (bitA === bitAt(b.key, depth)) {
    const below = split(a, b, depth + 1);
    return bitA === 1 ? new Branch(null, below, 2) : new Branch(below, null, 2);
  }
  return bitA === 1 ? new Branch(b, a, 2) : new Branch(a, b, 2);
}

function remove(node: Node | null, depth: number, key: Uint8Array): Node | null {
  if (node === null) return null;
  if (node instanceof Leaf) return bytesEqual(node.key, key) ? null : node;
  const goRight = bitAt(key, depth) === 1;
  const child = goRight ? node.right : node.left;
  const changed = remove(child, depth + 1, key);
  if (changed === child) return node;
  const left = goRight ? node.left : changed;
  const right = goRight ? changed : node.right;
  // A subtree left with one entry is that entry's leaf: it moves up until it has a sibling.
  if (left === null && (right === null || right instanceof Leaf)) return right;
  if (right === null && left instanceof Leaf) return left;
  return new Branch(left, right, sizeOf(left) + sizeOf(right));
}

function findLeaf(root: Node | null, key: Uint8Array): Leaf | undefined {
  let node = root;
  for (let depth = 0; node instanceof Branch; depth++)
    node = bitAt(key, depth) === 1 ? node.right : node.left;
  return node !== null && bytesEqual(node.key, key) ? node : undefined;
}

export class SparseMerkleTree {
  static readonly #EMPTY = new SparseMerkleTree(null);
  readonly #root: Node | null;

  private constructor(root: Node | null) {
    this.#root = root;
  }

  static empty(): SparseMerkleTree {
    return SparseMerkleTree.#EMPTY;
  }

  /** Number of entries. */
  get size(): number {
    return sizeOf(this.#root);
  }

  /** The 32-byte root hash; SMT_EMPTY for the empty tree. */
  root(): Uint8Array {
    return hashOf(this.#root).slice();
  }

  get(key: Uint8Array): Uint8Array | undefined {
    checkKey(key);
    return findLeaf(this.#root, key)?.value.slice();
  }

  has(key: Uint8Array): boolean {
    checkKey(key);
    return findLeaf(this.#root, key) !== undefined;
  }

  /** A new tree with `key` set to `value`; this tree is unchanged. Key and value are copied. */
  set(key: Uint8Array, value: Uint8Array): SparseMerkleTree {
    checkKey(key);
    if (!(value instanceof Uint8Array))
      throw new CoreError('decode/schema', { detail: 'value must be bytes' });
    const root = insert(this.#root, 0, new Leaf(key.slice(), value.slice()));
    return root === this.#root ? this : new SparseMerkleTree(root);
  }

  /** A new tree without `key`; this tree is unchanged. Deleting an absent key returns this tree. */
  delete(key: Uint8Array): SparseMerkleTree {
    checkKey(key);
    const root = remove(this.#root, 0, key);
    return root === this.#root ? this : new SparseMerkleTree(root);
  }

  /** Membership proof if `key` is present, non-membership proof otherwise. */
  prove(key: Uint8Array): SmtProof {
    checkKey(key);
    const siblings: SmtProof['siblings'] = [];
    const bitmap = new Uint8Array(32);
    let node = this.#root;
    let depth = 0;
    for (; node instanceof Branch; depth++) {
      const goRight = bitAt(key, depth) === 1;
      const sibling = goRight ? node.left : node.right;
      if (sibling !== null) {
        bitmap[depth >> 3]! |= 0x80 >> (depth & 7);
        siblings.push(sibling.hash().slice());
      }
      node = goRight ? node.right : node.left;
    }
    const leaf = node === null ? null : { key: node.key.slice(), valueHash: node.valueHash().slice() };
    return makeSmtProof(depth, bitmap.slice(0, Math.ceil(depth / 8)), siblings, leaf);
  }

  /** All entries in ascending key order (bytewise), as copies. */
  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    const stack: (Node | null)[] = [this.#root];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (node === null) continue;
      if (node instanceof Leaf) yield [node.key.slice(), node.value.slice()];
      else stack.push(node.right, node.left);
    }
  }
}

/** State namespaces are short fixed words ('account', 'grant', 'index', …). */
const NAMESPACE = /^[a-z0-9-]{1,64}$/;

/**
 * The 32-byte key of entry `id` in `namespace`: taggedHash("cc/state/" + namespace, id). A string id
 * is hashed as its UTF-8 bytes, so a namespace should use one kind of id throughout.
 */
export function stateKey(namespace: string, id: Uint8Array | string): Uint8Array {
  if (typeof namespace !== 'string' || !NAMESPACE.test(namespace))
    throw new CoreError('state/bad-namespace', { namespace });
  if (typeof id === 'string') return taggedHash('cc/state/' + namespace, utf8Bytes(id));
  if (!(id instanceof Uint8Array))
    throw new CoreError('decode/schema', { detail: 'id must be bytes or text' });
  return taggedHash('cc/state/' + namespace, id);
}
