/**
 * Hospital chain: one read of one record — who read it, when, and why — so the patient can see every
 * access. Signed by the reader, or by the storage node of this hospital that served the bytes (a
 * node logs every read it serves, so a reader cannot skip the log by not submitting it).
 */
import { PROTOCOL_VERSION, TAGS } from '../../constants.js';
import { sign, verifySignature } from '../../crypto/ed25519.js';
import { defineCodec, signable } from '../../encoding/codec.js';
import { signBytes } from '../bytes.js';
import { hash32, header, id, publicKey, signature, text, uint, v } from '../../encoding/schema.js';

export const accessLogSchema = v.strictObject({
  ...header(TAGS.accessLog),
  hospital: id(),
  reader: publicKey,
  /** Record id (mhrHash) on this hospital chain. */
  record: hash32,
  time: uint(),
  purpose: text(),
  /** The reader, or a registered node of this hospital. */
  signer: publicKey,
  sig: signature
});
export type AccessLog = v.InferOutput<typeof accessLogSchema>;

/** ~700 bytes at most with a full purpose line; 2 KiB bounds it. */
export const accessLogCodec = defineCodec('access-log', accessLogSchema, 2 * 1024);

export function createAccessLog(
  signerSeed: Uint8Array,
  signer: Uint8Array,
  body: { hospital: string; reader: Uint8Array; record: Uint8Array; time: number; purpose: string }
): AccessLog {
  const unsigned = { t: TAGS.accessLog, v: PROTOCOL_VERSION, ...body, signer };
  return accessLogCodec.parse({ ...unsigned, sig: sign(signerSeed, signBytes(unsigned)) });
}

export function accessLogSignatureValid(tx: AccessLog): boolean {
  return verifySignature(tx.signer, signable(tx), tx.sig);
}
