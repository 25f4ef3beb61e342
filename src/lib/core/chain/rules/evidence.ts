/** Evidence of equivocation, on either chain: verified against the chain's current validator set. */
import { fail, type Verdict } from '../../errors.js';
import { evidenceId, verifyEvidence } from '../../consensus/types.js';
import { hasEntry, NS, putMarker, type ChainState } from '../store.js';
import type { EvidenceTx } from '../tx/evidence.js';
import type { TxContext } from './context.js';
import { validatorSetOf } from './lookup.js';

export function verifyEvidenceTx(state: ChainState, tx: EvidenceTx, ctx: TxContext): Verdict {
  if (tx.evidence.voteA.chainId !== ctx.chainId) return fail('chain/bad-evidence', { detail: 'other chain' });
  if (hasEntry(state, NS.evidence, evidenceId(tx.evidence)))
    return fail('chain/replayed-tx', { detail: 'evidence already recorded' });
  return verifyEvidence(tx.evidence, validatorSetOf(state));
}

/** Recorded under its id; the votes themselves are in the block. Nothing is slashed automatically. */
export function applyEvidenceTx(state: ChainState, tx: EvidenceTx): ChainState {
  return putMarker(state, NS.evidence, evidenceId(tx.evidence));
}
