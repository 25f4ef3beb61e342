/**
 * The boundary for transaction bytes: decode strictly once, by type tag, into the union of the
 * transactions one chain accepts. A transaction of the other chain is 'chain/unknown-tx'.
 */
import { TAGS } from '../../constants.js';
import { CoreError } from '../../errors.js';
import { decodeCanonical } from '../../encoding/cbor.js';
import type { Codec } from '../../encoding/codec.js';
import { TX_MAX_BYTES } from '../block.js';
import { accessLogCodec, type AccessLog } from './access-log.js';
import { amendmentCodec, appendRecordCodec, type Amendment, type AppendRecord } from './append-record.js';
import { authorityJoinCodec, type AuthorityJoin } from './authority-join.js';
import { breakGlassCodec, type BreakGlass } from './break-glass.js';
import { grantTxCodec, revokeTxCodec, type GrantTx, type RevokeTx } from './consent.js';
import { evidenceTxCodec, type EvidenceTx } from './evidence.js';
import { indexBatchCodec, type IndexBatch } from './index-batch.js';
import { syncValidatorsCodec, type SyncValidators } from './sync-validators.js';
import {
  hospitalChangeCodec,
  rankChangeCodec,
  recoverTxCodec,
  registerTxCodec,
  type HospitalChange,
  type RankChange,
  type RecoverTx,
  type RegisterTx
} from './accounts.js';

export type HospitalTx = AppendRecord | Amendment | AccessLog | EvidenceTx | SyncValidators;
export type ConsortiumTx =
  | RegisterTx
  | RecoverTx
  | RankChange
  | HospitalChange
  | AuthorityJoin
  | GrantTx
  | RevokeTx
  | IndexBatch
  | BreakGlass
  | EvidenceTx;

const HOSPITAL: Record<string, Codec<HospitalTx>> = {
  [TAGS.txAppendRecord]: appendRecordCodec,
  [TAGS.amendment]: amendmentCodec,
  [TAGS.accessLog]: accessLogCodec,
  [TAGS.txEvidence]: evidenceTxCodec,
  [TAGS.txSyncValidators]: syncValidatorsCodec
};

const CONSORTIUM: Record<string, Codec<ConsortiumTx>> = {
  [TAGS.txRegister]: registerTxCodec,
  [TAGS.txRecover]: recoverTxCodec,
  [TAGS.rankChange]: rankChangeCodec,
  [TAGS.hospitalChange]: hospitalChangeCodec,
  [TAGS.txAuthorityJoin]: authorityJoinCodec,
  [TAGS.txGrant]: grantTxCodec,
  [TAGS.txRevoke]: revokeTxCodec,
  [TAGS.indexBatch]: indexBatchCodec,
  [TAGS.breakGlass]: breakGlassCodec,
  [TAGS.txEvidence]: evidenceTxCodec
};

function decodeWith<T>(table: Record<string, Codec<T>>, bytes: Uint8Array, chain: string): T {
  const value = decodeCanonical(bytes, TX_MAX_BYTES);
  const t =
    value !== null && typeof value === 'object' && 't' in value ? (value as { t: unknown }).t : undefined;
  const codec = typeof t === 'string' && Object.hasOwn(table, t) ? table[t] : undefined;
  if (!codec) throw new CoreError('chain/unknown-tx', { type: typeof t === 'string' ? t : '?', chain });
  return codec.parse(value);
}

export function decodeHospitalTx(bytes: Uint8Array): HospitalTx {
  return decodeWith(HOSPITAL, bytes, 'hospital');
}

export function decodeConsortiumTx(bytes: Uint8Array): ConsortiumTx {
  return decodeWith(CONSORTIUM, bytes, 'consortium');
}
