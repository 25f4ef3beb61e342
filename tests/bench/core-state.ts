/**
 * Authenticated-state figures, folded into `npm run bench -- core` by core.ts. Run alone with
 * `npx tsx tests/bench/core-state.ts`.
 */
import { SparseMerkleTree, smtProofCodec, verifySmtProof } from '../../src/lib/core/state/smt.js';
import { TxMerkleTree, verifyTxProof } from '../../src/lib/core/state/tx-merkle.js';
import { sha256 } from '../../src/lib/core/crypto/hash.js';
import { seededRng } from '../../src/lib/core/crypto/random.js';
import { opsPerSecond } from './report.js';

const ENTRIES = 100_000;

export async function benchState(): Promise<Record<string, number>> {
  const rng = seededRng(11);
  const keys = Array.from({ length: ENTRIES }, () => rng(32));
  const value = rng(100);

  let start = performance.now();
  let tree = SparseMerkleTree.empty();
  for (const k of keys) tree = tree.set(k, value);
  const root = tree.root();
  const buildMs = performance.now() - start;

  const proofs = keys.slice(0, 1024).map((k) => tree.prove(k));
  const absent = Array.from({ length: 1024 }, () => rng(32));
  const absentProofs = absent.map((k) => tree.prove(k));
  let i = 0;
  const verifyOps = opsPerSecond(() => {
    const j = i++ & 1023;
    if (!verifySmtProof(root, keys[j]!, value, proofs[j]!).ok) throw new Error('bench proof failed');
  });
  const verifyAbsentOps = opsPerSecond(() => {
    const j = i++ & 1023;
    if (!verifySmtProof(root, absent[j]!, null, absentProofs[j]!).ok) throw new Error('bench proof failed');
  });
  const proveOps = opsPerSecond(() => tree.prove(keys[i++ % ENTRIES]!));
  const bytes = proofs.map((p) => smtProofCodec.encode(p).length);
  const siblings = proofs.map((p) => p.siblings.length);

  // One update = a new version with one changed entry and its new root (~log2(n) hashes).
  let t = tree;
  const updateOps = opsPerSecond(() => {
    t = t.set(keys[i++ % ENTRIES]!, sha256(new Uint8Array([i & 255])));
    t.root();
  });
  // A block's worth: 1,000 updates then one root, so shared upper nodes are hashed once.
  start = performance.now();
  let b = tree;
  for (let j = 0; j < 1000; j++) b = b.set(rng(32), value);
  b.root();
  const block1000Ms = performance.now() - start;

  const txs = Array.from({ length: 2048 }, () => rng(250));
  start = performance.now();
  const txTree = TxMerkleTree.from(txs);
  const txRootMs = performance.now() - start;
  const txRoot = txTree.root();
  const txProofs = txs.map((_, j) => txTree.prove(j));
  const txVerifyOps = opsPerSecond(() => {
    const j = i++ & 2047;
    if (!verifyTxProof(txRoot, txs[j]!, j, 2048, txProofs[j]!).ok) throw new Error('bench proof failed');
  });

  const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
  return {
    state_proof_verify_ops: verifyOps,
    state_nonmember_verify_ops: verifyAbsentOps,
    state_prove_ops: proveOps,
    state_update_ops: updateOps,
    state_block_1000_updates_ms: +block1000Ms.toFixed(1),
    state_build_100k_ms: Math.round(buildMs),
    state_proof_bytes_mean: Math.round(mean(bytes)),
    state_proof_siblings_mean: +mean(siblings).toFixed(1),
    tx_root_2048_ms: +txRootMs.toFixed(1),
    tx_proof_verify_ops: txVerifyOps
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { report } = await import('./report.js');
  report(await benchState());
}
