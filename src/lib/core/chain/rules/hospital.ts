/**
 * Hospital chain rules: append-record, amendment, access-log, evidence, sync-validators. `verifyHospitalTx` is pure and
 * never changes state; `applyHospitalTx` assumes the transaction verified and only writes. The checks
 * for a record are the thesis's scenario 2, all re-done by every validator: the author is a doctor
 * registered at this hospital and not rotated, holds at least the minimum stake, signed it; a live
 * grant from the patient gives write scope for exactly this tag; two or more distinct registered
 * mirrors of this hospital attest the blob; the transaction was never seen before.
 */
import { CHAIN_LIMITS, PROTOCOL_VERSION, TAGS } from '../../constants.js';
import { makeValidatorSet, validatorSetHash } from '../../consensus/types.js';
import { fail, OK, type Verdict } from '../../errors.js';
import { MIN_WRITE_STAKE } from '../../accounts/rank.js';
import { bytesEqual } from '../../encoding/cbor.js';
import { writeCommitment } from '../commit.js';
import { hexKey } from '../bytes.js';
import { recordEntryCodec, validatorsEntryCodec, type RecordEntry } from '../entries.js';
import {
  appendToList,
  getEntry,
  hasEntry,
  listHasRoom,
  NS,
  putEntry,
  putMarkerAt,
  type ChainState
} from '../store.js';
import { attestationSignatureValid } from '../tx/attestation.js';
import { rememberSignaturesHold, signaturesChecked } from '../tx/known.js';
import { recordTxSignatureValid, type RecordTx } from '../tx/append-record.js';
import { accessLogSignatureValid, type AccessLog } from '../tx/access-log.js';
import { applyEvidenceTx, verifyEvidenceTx } from './evidence.js';
import type { HospitalTx } from '../tx/decode.js';
import { replayKey, TX_FUTURE_SKEW_MS, type TxContext } from './context.js';
import { activeAccount, grantEntry, grantRevoked, validatorSetOf } from './lookup.js';
import { hospitalSetOf } from './hospital-set.js';
import type { SyncValidators } from '../tx/sync-validators.js';

type HospitalCtx = TxContext & {
  config: { kind: 'hospital'; hospitalId: string; consortium: ChainState; consortiumHeight?: number };
};

const ZERO = new Uint8Array(32);

export const recordOf = (s: ChainState, id: Uint8Array): RecordEntry | null =>
  getEntry(s, NS.record, id, recordEntryCodec);

function verifyRecord(state: ChainState, tx: RecordTx, bytes: Uint8Array, ctx: HospitalCtx): Verdict {
  const c = ctx.config.consortium;
  if (tx.hospital !== ctx.config.hospitalId)
    return fail('chain/wrong-chain', { hospital: tx.hospital, expected: ctx.config.hospitalId });
  if (tx.time > ctx.time + TX_FUTURE_SKEW_MS)
    return fail('chain/wrong-time', { txTime: tx.time, blockTime: ctx.time });
  // Signatures depend on the bytes alone: checked once per decoded transaction (tx/known.ts).
  const signedBefore = signaturesChecked(tx);
  if (!signedBefore && !recordTxSignatureValid(tx, bytes))
    return fail('crypto/bad-signature', { detail: 'author signature' });
  if (!ctx.certified) {
    const v = verifyRecordConsent(tx, ctx);
    if (!v.ok) return v;
  }

  const mirrors = new Set<string>();
  for (const [i, a] of tx.attestations.entries()) {
    if (a.hospital !== tx.hospital || !bytesEqual(a.mhrHash, tx.mhrHash))
      return fail('chain/bad-attestation', { index: i, detail: 'attests another blob or hospital' });
    if (a.time > ctx.time + TX_FUTURE_SKEW_MS)
      return fail('chain/bad-attestation', { index: i, detail: 'future' });
    if (!signedBefore && !attestationSignatureValid(a))
      return fail('chain/bad-attestation', { index: i, detail: 'signature' });
    if (!ctx.certified) {
      const m = activeAccount(c, a.mirror, ['node']);
      if (!m.ok || m.account.nodeRole !== 'mirror' || m.account.hospital !== tx.hospital)
        return fail('chain/bad-attestation', {
          index: i,
          detail: 'not a registered mirror of this hospital'
        });
    }
    mirrors.add(hexKey(a.mirror));
  }
  // Every signature was checked above (the loop returns on the first bad one).
  rememberSignaturesHold(tx);
  if (mirrors.size < CHAIN_LIMITS.minAttestations)
    return fail('chain/few-mirrors', { mirrors: mirrors.size, needed: CHAIN_LIMITS.minAttestations });

  if (hasEntry(state, NS.record, tx.mhrHash))
    return fail('chain/bad-tx', { detail: 'record id already used' });
  if (tx.t === TAGS.amendment) {
    const old = recordOf(state, tx.amends);
    if (old === null) return fail('chain/unknown-record', { amends: hexKey(tx.amends) });
    if (!bytesEqual(old.tag, tx.tag))
      return fail('chain/bad-tx', { detail: 'an amendment stays in the index of the record it corrects' });
  }
  return OK;
}

/**
 * The checks that read the consortium (who the author is, their stake, the grant and whether it is
 * live at block time): decided by the consortium state the validator follows, so skipped when a
 * certified block is applied (context.ts `certified`).
 */
function verifyRecordConsent(tx: RecordTx, ctx: HospitalCtx): Verdict {
  const c = ctx.config.consortium;
  const author = activeAccount(c, tx.author, ['doctor']);
  if (!author.ok) return author.verdict;
  if (author.account.hospital !== ctx.config.hospitalId)
    return fail('chain/not-registered', { detail: 'author is registered at another hospital' });
  if (author.account.stake < MIN_WRITE_STAKE)
    return fail('chain/low-stake', { stake: author.account.stake, needed: MIN_WRITE_STAKE });

  const g = grantEntry(c, tx.grant);
  if (g === null) return fail('chain/no-grant', { grant: hexKey(tx.grant) });
  if (!bytesEqual(g.doctor, tx.author)) return fail('consent/wrong-doctor');
  if (grantRevoked(c, tx.grant, g)) return fail('consent/revoked', { grant: hexKey(tx.grant) });
  if (ctx.time < g.notBefore) return fail('consent/not-yet-valid', { notBefore: g.notBefore, now: ctx.time });
  if (ctx.time >= g.expiry) return fail('consent/expired', { expiry: g.expiry, now: ctx.time });
  if (!g.write) return fail('consent/out-of-scope', { mode: 'write' });
  const commit = writeCommitment(tx.opening, tx.tag);
  if (!g.writeCommits.some((x) => bytesEqual(x, commit)))
    return fail('consent/out-of-scope', { detail: 'the grant does not cover this index tag' });
  return OK;
}

/** A read is logged by the reader (a registered patient or doctor) or by a node of this hospital. */
function verifyLogSigner(tx: AccessLog, c: ChainState): Verdict {
  if (bytesEqual(tx.signer, tx.reader)) {
    const r = activeAccount(c, tx.reader, ['patient', 'doctor']);
    return r.ok ? OK : r.verdict;
  }
  const n = activeAccount(c, tx.signer, ['node']);
  if (!n.ok) return n.verdict;
  if (n.account.hospital !== tx.hospital)
    return fail('chain/not-registered', { detail: 'signer is a node of another hospital' });
  return OK;
}

function verifyAccessLog(state: ChainState, tx: AccessLog, ctx: HospitalCtx): Verdict {
  if (tx.hospital !== ctx.config.hospitalId) return fail('chain/wrong-chain', { hospital: tx.hospital });
  if (tx.time > ctx.time + TX_FUTURE_SKEW_MS)
    return fail('chain/wrong-time', { txTime: tx.time, blockTime: ctx.time });
  if (!accessLogSignatureValid(tx)) return fail('crypto/bad-signature', { detail: 'access log signature' });
  // Who may log a read is a consortium question, settled when a certified block was committed.
  if (!ctx.certified) {
    const v = verifyLogSigner(tx, ctx.config.consortium);
    if (!v.ok) return v;
  }
  if (recordOf(state, tx.record) === null) return fail('chain/unknown-record', { record: hexKey(tx.record) });
  if (!listHasRoom(state, NS.access, tx.record, 1))
    return fail('chain/list-full', { record: hexKey(tx.record) });
  return OK;
}

/**
 * Adopt the consortium's set for this hospital. The set takes effect from the next block: the header
 * of this block names it as nextValidatorsHash, so light clients follow it with a change proof.
 */
function verifySyncValidators(state: ChainState, tx: SyncValidators, ctx: HospitalCtx): Verdict {
  if (tx.hospital !== ctx.config.hospitalId) return fail('chain/wrong-chain', { hospital: tx.hospital });
  if (bytesEqual(validatorSetHash(tx.set), validatorSetHash(validatorSetOf(state))))
    return fail('chain/bad-tx', { detail: 'the validator set is already this one' });
  if (ctx.certified) return OK;
  const seen = ctx.config.consortiumHeight;
  if (seen !== undefined && tx.consortiumHeight > seen)
    return fail('chain/wrong-validators', { detail: 'read at a consortium height not reached yet', seen });
  const want = hospitalSetOf(ctx.config.consortium, ctx.config.hospitalId);
  if (
    want.length !== tx.set.validators.length ||
    !bytesEqual(validatorSetHash(makeValidatorSet(want)), validatorSetHash(tx.set))
  )
    return fail('chain/wrong-validators', { detail: 'not the set the consortium assigns to this hospital' });
  return OK;
}

/** `replay` must be `replayKey(bytes)` (context.ts); block.ts passes the one tx/known.ts derived. */
export function verifyHospitalTx(
  state: ChainState,
  tx: HospitalTx,
  bytes: Uint8Array,
  ctx: HospitalCtx,
  replay: Uint8Array = replayKey(bytes)
): Verdict {
  if (state.has(replay)) return fail('chain/replayed-tx');
  switch (tx.t) {
    case TAGS.txAppendRecord:
    case TAGS.amendment:
      return verifyRecord(state, tx, bytes, ctx);
    case TAGS.accessLog:
      return verifyAccessLog(state, tx, ctx);
    case TAGS.txEvidence:
      return verifyEvidenceTx(state, tx, ctx);
    case TAGS.txSyncValidators:
      return verifySyncValidators(state, tx, ctx);
  }
}

export function applyHospitalTx(
  state: ChainState,
  tx: HospitalTx,
  bytes: Uint8Array,
  ctx: TxContext,
  replay: Uint8Array = replayKey(bytes)
): ChainState {
  const s = putMarkerAt(state, replay);
  switch (tx.t) {
    case TAGS.txAppendRecord:
    case TAGS.amendment: {
      const entry: RecordEntry = {
        t: TAGS.stRecord,
        v: 1,
        tag: tx.tag,
        mhrHash: tx.mhrHash,
        blobRef: tx.blobRef,
        author: tx.author,
        grant: tx.grant,
        height: ctx.height,
        txIndex: ctx.txIndex,
        time: tx.time,
        amends: tx.t === TAGS.amendment ? tx.amends : ZERO
      };
      return putEntry(s, NS.record, tx.mhrHash, recordEntryCodec, entry);
    }
    case TAGS.accessLog:
      return appendToList(s, NS.access, tx.record, [bytes]);
    case TAGS.txEvidence:
      return applyEvidenceTx(s, tx);
    case TAGS.txSyncValidators:
      return putEntry(s, NS.validator, 'current', validatorsEntryCodec, {
        t: TAGS.stValidators,
        v: PROTOCOL_VERSION,
        validators: tx.set.validators
      });
  }
}
