/**
 * Hospital chain: append a record, or an amendment that corrects an earlier one (records are never
 * edited). The patient and the category appear only inside the secure index `tag`; the author proves
 * the grant covers the tag by revealing `opening`, whose write commitment H(opening, tag) the patient
 * put in the grant (see ../commit.ts). Signed by the author doctor.
 */
import { CHAIN_LIMITS, PROTOCOL_VERSION, TAGS } from '../../constants.js';
import { sign, verifySignature } from '../../crypto/ed25519.js';
import { defineCodec, signable } from '../../encoding/codec.js';
import { signBytes, signedPartOf } from '../bytes.js';
import { hash32, header, id, list, publicKey, signature, uint, v } from '../../encoding/schema.js';
import { attestationSchema } from './attestation.js';

const recordFields = {
  hospital: id(),
  /** Secure index tag: HMAC(search capability of (patient, category)); reveals neither. */
  tag: hash32,
  /** Where the mirrors keep the blob (content address); the hash below is what binds it. */
  blobRef: id(),
  /** SHA-256 of the encrypted blob bytes; also the record id. */
  mhrHash: hash32,
  author: publicKey,
  /** grantId of the consortium grant that lets the author write for this patient. */
  grant: hash32,
  /** Opening of the grant's write commitment for this tag. */
  opening: hash32,
  time: uint(),
  attestations: list(attestationSchema, CHAIN_LIMITS.maxAttestations),
  sig: signature
};

export const appendRecordSchema = v.strictObject({ ...header(TAGS.txAppendRecord), ...recordFields });
export type AppendRecord = v.InferOutput<typeof appendRecordSchema>;

export const amendmentSchema = v.strictObject({
  ...header(TAGS.amendment),
  ...recordFields,
  /** Record id (mhrHash) of the record this one corrects; it must exist on this chain. */
  amends: hash32
});
export type Amendment = v.InferOutput<typeof amendmentSchema>;

/** 16 attestations x ~500 bytes (a batched one with its path) + fields: 12 KiB bounds it. */
export const RECORD_TX_MAX_BYTES = 12 * 1024;
export const appendRecordCodec = defineCodec('append-record', appendRecordSchema, RECORD_TX_MAX_BYTES);
export const amendmentCodec = defineCodec('amendment', amendmentSchema, RECORD_TX_MAX_BYTES);

export type RecordTx = AppendRecord | Amendment;
export type RecordTxBody = Omit<AppendRecord, 't' | 'v' | 'sig' | 'author'>;

/** Only the record fields of `body` are taken (a whole signed tx may be passed to re-sign a variant). */
function fieldsOf(body: RecordTxBody): RecordTxBody {
  const { hospital, tag, blobRef, mhrHash, grant, opening, time, attestations } = body;
  return { hospital, tag, blobRef, mhrHash, grant, opening, time, attestations };
}

export function createAppendRecord(
  authorSeed: Uint8Array,
  author: Uint8Array,
  body: RecordTxBody
): AppendRecord {
  const unsigned = { t: TAGS.txAppendRecord, v: PROTOCOL_VERSION, ...fieldsOf(body), author };
  return appendRecordCodec.parse({ ...unsigned, sig: sign(authorSeed, signBytes(unsigned)) });
}

export function createAmendment(
  authorSeed: Uint8Array,
  author: Uint8Array,
  body: RecordTxBody & { amends: Uint8Array }
): Amendment {
  const unsigned = { t: TAGS.amendment, v: PROTOCOL_VERSION, ...fieldsOf(body), amends: body.amends, author };
  return amendmentCodec.parse({ ...unsigned, sig: sign(authorSeed, signBytes(unsigned)) });
}

/**
 * The author's signature holds. `encoded`, when given, must be the bytes `tx` was decoded from: the
 * signed bytes are then cut from them (bytes.ts signedPartOf) rather than encoded again.
 */
export function recordTxSignatureValid(tx: RecordTx, encoded?: Uint8Array): boolean {
  const message = (encoded && signedPartOf(encoded)) ?? signable(tx);
  return verifySignature(tx.author, message, tx.sig);
}
