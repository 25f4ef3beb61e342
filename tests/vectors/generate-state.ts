/**
 * Writes tests/vectors/state.json: SMT and transaction-tree roots and proofs, valid and invalid.
 * Deterministic (seeded). Valid cases record this implementation's outputs; invalid cases state by
 * hand the error they must produce. Run: npx tsx tests/vectors/generate-state.ts
 */
import { writeFileSync } from 'node:fs';
import { encodeCanonical } from '../../src/lib/core/encoding/cbor.js';
import { seededRng } from '../../src/lib/core/crypto/random.js';
import { toHex } from '../../src/lib/core/crypto/hash.js';
import { SparseMerkleTree, smtProofCodec } from '../../src/lib/core/state/smt.js';
import { proveTx, txProofCodec, txRoot } from '../../src/lib/core/state/tx-merkle.js';
import type { VectorCase } from './runner.js';
import { finish } from './generate-support.js';

const rng = seededRng(6962);
const hex = (b: Uint8Array) => toHex(b);
const flip = (b: Uint8Array, i: number) => {
  const c = b.slice();
  c[i >> 3]! ^= 0x80 >> (i & 7);
  return c;
};

// A tree with keys that share long prefixes (deep paths, empty siblings) and random ones.
const base = rng(32);
const entries: [Uint8Array, Uint8Array][] = [
  [base, rng(8)],
  [flip(base, 255), rng(8)],
  [flip(base, 9), rng(8)],
  ...Array.from({ length: 5 }, () => [rng(32), rng(8)] as [Uint8Array, Uint8Array])
];
const tree = entries.reduce((t, [k, v]) => t.set(k, v), SparseMerkleTree.empty());
const root = tree.root();
const [k0, v0] = entries[0]!;
const member = tree.prove(k0);
const absentNear = flip(base, 100); // shares 100 bits with base: path ends at an inner empty or a leaf
const absentFar = rng(32);
const memberBytes = smtProofCodec.encode(member);
const badSibling = { ...member, siblings: member.siblings.map((s, i) => (i === 0 ? flip(s, 3) : s)) };
// A shallow leaf (random key) so the bitmap has padding bits past its depth.
const [k3, v3] = entries[3]!;
const shallow = tree.prove(k3);
if (shallow.depth % 8 === 0) throw new Error('pick another shallow key');
const paddingBit = shallow.bitmap.slice();
paddingBit[paddingBit.length - 1]! |= 1;

const smt = (
  name: string,
  input: Record<string, unknown>,
  expect: Record<string, unknown> = {}
): VectorCase => ({
  name,
  kind: 'smt-verify',
  input,
  expect
});

const txs = Array.from({ length: 7 }, () => rng(40));
const tRoot = txRoot(txs);
const p5 = proveTx(txs, 5);

const state = finish('Authenticated state: sparse Merkle tree and transaction tree roots and proofs', [
  { name: 'SMT root of the empty tree', kind: 'smt-root', input: { entries: [] }, expect: {} },
  {
    name: 'SMT root of one entry',
    kind: 'smt-root',
    input: { entries: [[hex(k0), hex(v0)]] },
    expect: {}
  },
  {
    name: 'SMT root of eight entries, some sharing 255-bit prefixes',
    kind: 'smt-root',
    input: { entries: entries.map(([k, v]) => [hex(k), hex(v)]) },
    expect: { root: hex(root) }
  },
  {
    name: 'SMT root, same entries in reverse order',
    kind: 'smt-root',
    input: { entries: [...entries].reverse().map(([k, v]) => [hex(k), hex(v)]) },
    expect: { root: hex(root) }
  },
  smt(
    'membership proof of a shallow leaf verifies',
    { root: hex(root), key: hex(k3), value: hex(v3), proof: hex(smtProofCodec.encode(shallow)) },
    { valid: true }
  ),
  smt(
    'membership proof (256 levels deep) verifies',
    { root: hex(root), key: hex(k0), value: hex(v0), proof: hex(memberBytes) },
    { valid: true }
  ),
  smt(
    'non-membership proof (near key) verifies',
    {
      root: hex(root),
      key: hex(absentNear),
      value: null,
      proof: hex(smtProofCodec.encode(tree.prove(absentNear)))
    },
    { valid: true }
  ),
  smt(
    'non-membership proof (random key) verifies',
    {
      root: hex(root),
      key: hex(absentFar),
      value: null,
      proof: hex(smtProofCodec.encode(tree.prove(absentFar)))
    },
    { valid: true }
  ),
  smt(
    'membership proof with a wrong value',
    { root: hex(root), key: hex(k0), value: hex(rng(8)), proof: hex(memberBytes) },
    { error: 'proof/invalid' }
  ),
  smt(
    'membership proof used to claim absence',
    { root: hex(root), key: hex(k0), value: null, proof: hex(memberBytes) },
    { error: 'proof/invalid' }
  ),
  smt(
    'membership proof for another key',
    { root: hex(root), key: hex(flip(k0, 255)), value: hex(v0), proof: hex(memberBytes) },
    { error: 'proof/wrong-key' }
  ),
  smt(
    'membership proof against a flipped root',
    { root: hex(flip(root, 0)), key: hex(k0), value: hex(v0), proof: hex(memberBytes) },
    { error: 'proof/invalid' }
  ),
  smt(
    'membership proof with a flipped sibling',
    { root: hex(root), key: hex(k0), value: hex(v0), proof: hex(smtProofCodec.encode(badSibling)) },
    { error: 'proof/invalid' }
  ),
  smt(
    'proof with a bitmap longer than its depth needs',
    {
      root: hex(root),
      key: hex(k3),
      value: hex(v3),
      proof: hex(encodeCanonical({ ...shallow, bitmap: new Uint8Array([...shallow.bitmap, 0]) }))
    },
    { error: 'decode/schema' }
  ),
  smt(
    'proof with a bitmap padding bit set',
    {
      root: hex(root),
      key: hex(k3),
      value: hex(v3),
      proof: hex(encodeCanonical({ ...shallow, bitmap: paddingBit }))
    },
    { error: 'decode/schema' }
  ),
  smt(
    'truncated proof',
    {
      root: hex(root),
      key: hex(k0),
      value: hex(v0),
      proof: hex(memberBytes.subarray(0, memberBytes.length - 1))
    },
    { error: 'decode/malformed' }
  ),
  smt(
    'proof of protocol version 2',
    { root: hex(root), key: hex(k0), value: hex(v0), proof: hex(encodeCanonical({ ...member, v: 2 })) },
    { error: 'decode/unknown-version' }
  ),
  {
    name: 'state key of account "alice"',
    kind: 'state-key',
    input: { namespace: 'account', id: 'alice' },
    expect: {}
  },
  {
    name: 'state key with a bad namespace',
    kind: 'state-key',
    input: { namespace: 'Account/x', id: 'alice' },
    expect: { error: 'state/bad-namespace' }
  },
  { name: 'tx root of an empty block', kind: 'tx-root', input: { txs: [] }, expect: {} },
  { name: 'tx root of one transaction', kind: 'tx-root', input: { txs: [hex(txs[0]!)] }, expect: {} },
  {
    name: 'tx root of seven transactions',
    kind: 'tx-root',
    input: { txs: txs.map(hex) },
    expect: { root: hex(tRoot) }
  },
  {
    name: 'tx proof for index 5 of 7 verifies',
    kind: 'tx-verify',
    input: { root: hex(tRoot), tx: hex(txs[5]!), index: 5, total: 7, proof: hex(txProofCodec.encode(p5)) },
    expect: { valid: true }
  },
  {
    name: 'tx proof with a flipped transaction',
    kind: 'tx-verify',
    input: {
      root: hex(tRoot),
      tx: hex(flip(txs[5]!, 7)),
      index: 5,
      total: 7,
      proof: hex(txProofCodec.encode(p5))
    },
    expect: { error: 'proof/invalid' }
  },
  {
    name: 'tx proof offered for another index',
    kind: 'tx-verify',
    input: { root: hex(tRoot), tx: hex(txs[5]!), index: 4, total: 7, proof: hex(txProofCodec.encode(p5)) },
    expect: { error: 'proof/wrong-key' }
  },
  {
    name: 'tx proof with a path too long for its position',
    kind: 'tx-verify',
    input: {
      root: hex(tRoot),
      tx: hex(txs[5]!),
      index: 5,
      total: 7,
      proof: hex(encodeCanonical({ ...p5, path: [...p5.path, tRoot] }))
    },
    expect: { error: 'decode/schema' }
  }
]);

writeFileSync(new URL('./state.json', import.meta.url), JSON.stringify(state, null, 2) + '\n');
console.log(`state.json: ${state.cases.length} cases`);
