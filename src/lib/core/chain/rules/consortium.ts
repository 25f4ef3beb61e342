/**
 * Consortium chain rules: one dispatcher over the transaction kinds; each kind's verify and apply live
 * in their own file. Every transaction's bytes are remembered (nonce namespace) so none can be
 * committed twice.
 */
import { TAGS } from '../../constants.js';
import { fail, type Verdict } from '../../errors.js';
import { putMarkerAt, type ChainState } from '../store.js';
import type { ConsortiumTx } from '../tx/decode.js';
import { replayKey, type TxContext } from './context.js';
import {
  applyAuthorityJoin,
  applyHospitalChange,
  applyRankChange,
  applyRecover,
  applyRegister,
  verifyAuthorityJoin,
  verifyHospitalChange,
  verifyRankChange,
  verifyRecover,
  verifyRegister
} from './accounts.js';
import { applyBreakGlass, verifyBreakGlass } from './break-glass.js';
import { applyGrantTx, applyRevokeTx, verifyGrantTx, verifyRevokeTx } from './consent.js';
import { applyEvidenceTx, verifyEvidenceTx } from './evidence.js';
import { applyIndexBatch, verifyIndexBatch } from './index-batch.js';

/** `replay` must be `replayKey(bytes)` (context.ts); block.ts passes the one tx/known.ts derived. */
export function verifyConsortiumTx(
  state: ChainState,
  tx: ConsortiumTx,
  bytes: Uint8Array,
  ctx: TxContext,
  replay: Uint8Array = replayKey(bytes)
): Verdict {
  if (ctx.config.kind !== 'consortium')
    return fail('chain/wrong-chain', { detail: 'consortium transaction' });
  if (state.has(replay)) return fail('chain/replayed-tx');
  switch (tx.t) {
    case TAGS.txRegister:
      return verifyRegister(state, tx, ctx);
    case TAGS.txRecover:
      return verifyRecover(state, tx, ctx);
    case TAGS.rankChange:
      return verifyRankChange(state, tx, ctx);
    case TAGS.hospitalChange:
      return verifyHospitalChange(state, tx, ctx);
    case TAGS.txAuthorityJoin:
      return verifyAuthorityJoin(state, tx);
    case TAGS.txGrant:
      return verifyGrantTx(state, tx, ctx.time);
    case TAGS.txRevoke:
      return verifyRevokeTx(state, tx);
    case TAGS.indexBatch:
      return verifyIndexBatch(state, tx, ctx);
    case TAGS.breakGlass:
      return verifyBreakGlass(state, tx, ctx);
    case TAGS.txEvidence:
      return verifyEvidenceTx(state, tx, ctx);
  }
}

export function applyConsortiumTx(
  state: ChainState,
  tx: ConsortiumTx,
  bytes: Uint8Array,
  ctx: TxContext,
  replay: Uint8Array = replayKey(bytes)
): ChainState {
  const s = putMarkerAt(state, replay);
  switch (tx.t) {
    case TAGS.txRegister:
      return applyRegister(s, tx);
    case TAGS.txRecover:
      return applyRecover(s, tx);
    case TAGS.rankChange:
      return applyRankChange(s, tx);
    case TAGS.hospitalChange:
      return applyHospitalChange(s, tx);
    case TAGS.txAuthorityJoin:
      return applyAuthorityJoin(s, tx);
    case TAGS.txGrant:
      return applyGrantTx(s, tx, ctx.time);
    case TAGS.txRevoke:
      return applyRevokeTx(s, tx);
    case TAGS.indexBatch:
      return applyIndexBatch(s, tx);
    case TAGS.breakGlass:
      return applyBreakGlass(s, tx, bytes);
    case TAGS.txEvidence:
      return applyEvidenceTx(s, tx);
  }
}
