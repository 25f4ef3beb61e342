/**
 * Vector kinds for authenticated state: SMT roots and proofs, state keys, transaction roots and
 * proofs. Isomorphic like runner.ts. Wired into the shared dispatcher through kinds.ts; until then
 * state.test.ts runs state.json with these kinds directly.
 */
import { fromHex, toHex } from '../../src/lib/core/crypto/hash.js';
import { SparseMerkleTree, smtProofCodec, stateKey, verifySmtProof } from '../../src/lib/core/state/smt.js';
import { txProofCodec, txRoot, verifyTxProof } from '../../src/lib/core/state/tx-merkle.js';
import type { Verdict } from '../../src/lib/core/errors.js';

type Kind = (input: Record<string, unknown>) => Record<string, unknown>;

const h = (x: unknown) => fromHex(String(x));
const verdict = (r: Verdict) => (r.ok ? { valid: true } : { error: r.error.code });

export const stateKinds: Record<string, Kind> = {
  'smt-root': (i) => {
    const entries = i.entries as [string, string][];
    const tree = entries.reduce((t, [k, v]) => t.set(h(k), h(v)), SparseMerkleTree.empty());
    return { root: toHex(tree.root()) };
  },
  'smt-verify': (i) =>
    verdict(
      verifySmtProof(
        h(i.root),
        h(i.key),
        i.value === null ? null : h(i.value),
        smtProofCodec.decode(h(i.proof))
      )
    ),
  'state-key': (i) => ({ key: toHex(stateKey(String(i.namespace), String(i.id))) }),
  'tx-root': (i) => ({ root: toHex(txRoot((i.txs as string[]).map(h))) }),
  'tx-verify': (i) =>
    verdict(
      verifyTxProof(h(i.root), h(i.tx), Number(i.index), Number(i.total), txProofCodec.decode(h(i.proof)))
    )
};
