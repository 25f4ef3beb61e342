/**
 * State answers checked against a verified header: a node's answer is believed only if its proof
 * verifies against that header's state root — for a present key and, just as much, for an absent one
 * (a node cannot hide a revocation or an index entry by saying "not found").
 */
import { CoreError } from '../core/errors.js';
import { bytesEqual } from '../core/encoding/cbor.js';
import { smtProofCodec, verifySmtProof } from '../core/state/smt.js';
import type { Header } from '../core/chain/header.js';

export interface StateAnswer {
  height: number;
  root: Uint8Array;
  key: Uint8Array;
  value: Uint8Array | null;
  proof: Uint8Array;
}

/**
 * Returns the proven value (or null for a proven absence) of `key` in the state after `head`.
 * Throws `light/stale` when the node answered from an older height, `light/proof-invalid` otherwise.
 */
export function verifyStateAnswer(head: Header, key: Uint8Array, answer: StateAnswer): Uint8Array | null {
  if (answer.height < head.height)
    throw new CoreError('light/stale', { height: answer.height, verified: head.height }, 'ignore');
  if (answer.height !== head.height || !bytesEqual(answer.root, head.stateRoot))
    throw new CoreError('light/proof-invalid', { detail: 'answer is not from the verified state' });
  if (!bytesEqual(answer.key, key))
    throw new CoreError('light/proof-invalid', { detail: 'answer for another key' });
  let proof;
  try {
    proof = smtProofCodec.decode(answer.proof);
  } catch (e) {
    throw new CoreError('light/proof-invalid', { detail: (e as Error).message });
  }
  const verdict = verifySmtProof(head.stateRoot, key, answer.value, proof);
  if (!verdict.ok)
    throw new CoreError(answer.value === null ? 'light/withheld' : 'light/proof-invalid', {
      detail: verdict.error.message
    });
  return answer.value;
}
