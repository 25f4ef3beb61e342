/**
 * Break-glass: emergency access needs a stated reason and a second registered doctor's co-signature,
 * and is filed in a paged list per patient so the patient's app shows every one.
 */
import { fail, OK, type Verdict } from '../../errors.js';
import { bytesEqual } from '../../encoding/cbor.js';
import { appendToList, listHasRoom, NS, type ChainState } from '../store.js';
import { breakGlassSignaturesValid, type BreakGlass } from '../tx/break-glass.js';
import { TX_FUTURE_SKEW_MS, type TxContext } from './context.js';
import { activeAccount } from './lookup.js';

export function verifyBreakGlass(state: ChainState, tx: BreakGlass, ctx: TxContext): Verdict {
  if (tx.time > ctx.time + TX_FUTURE_SKEW_MS)
    return fail('chain/wrong-time', { txTime: tx.time, blockTime: ctx.time });
  if (bytesEqual(tx.doctor, tx.cosigner))
    return fail('chain/bad-tx', { detail: 'the co-signer must be another doctor' });
  const sigs = breakGlassSignaturesValid(tx);
  if (!sigs.doctor || !sigs.cosigner)
    return fail('crypto/bad-signature', { detail: sigs.doctor ? 'co-signer signature' : 'doctor signature' });
  for (const key of [tx.doctor, tx.cosigner]) {
    const d = activeAccount(state, key, ['doctor']);
    if (!d.ok) return d.verdict;
  }
  const p = activeAccount(state, tx.patient, ['patient']);
  if (!p.ok) return p.verdict;
  if (!listHasRoom(state, NS.breakGlass, tx.patient, 1))
    return fail('chain/list-full', { detail: 'break-glass log' });
  return OK;
}

export function applyBreakGlass(state: ChainState, tx: BreakGlass, bytes: Uint8Array): ChainState {
  return appendToList(state, NS.breakGlass, tx.patient, [bytes]);
}
