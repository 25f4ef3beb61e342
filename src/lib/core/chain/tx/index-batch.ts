/**
 * Consortium: an index batch. A hospital's authority extracts the index entries of records committed
 * on its own chain and anchors them with a checkpoint — the hospital chain's header hash and height —
 * so a hospital that later rewrites its chain contradicts what it signed here. Signed by the
 * hospital's authority key.
 */
import { CHAIN_LIMITS, PROTOCOL_VERSION, TAGS } from '../../constants.js';
import { sign, verifySignature } from '../../crypto/ed25519.js';
import { defineCodec, signable } from '../../encoding/codec.js';
import { signBytes } from '../bytes.js';
import { hash32, header, id, list, publicKey, signature, uint, v } from '../../encoding/schema.js';

/** What the index holds for a record, under its tag: where it lives and its hash. */
export const indexEntrySchema = v.strictObject({
  hospital: id(),
  height: uint(),
  txIndex: uint(),
  mhrHash: hash32,
  blobRef: id()
});
export type IndexEntry = v.InferOutput<typeof indexEntrySchema>;
/** One index entry as stored in a paged list: ~400 bytes at most. */
export const indexEntryCodec = defineCodec('index-entry', indexEntrySchema, 1024);

export const indexBatchSchema = v.strictObject({
  ...header(TAGS.indexBatch),
  hospital: id(),
  /** The hospital chain header this batch anchors; entries come from heights up to it. */
  checkpoint: v.strictObject({ height: uint(), headerHash: hash32 }),
  entries: list(v.strictObject({ tag: hash32, entry: indexEntrySchema }), CHAIN_LIMITS.maxIndexEntries),
  authority: publicKey,
  sig: signature
});
export type IndexBatch = v.InferOutput<typeof indexBatchSchema>;
/** 1,024 entries x ~420 bytes; 512 KiB bounds it. */
export const indexBatchCodec = defineCodec('index-batch', indexBatchSchema, 512 * 1024);

export function createIndexBatch(
  authoritySeed: Uint8Array,
  authority: Uint8Array,
  body: Pick<IndexBatch, 'hospital' | 'checkpoint' | 'entries'>
): IndexBatch {
  const unsigned = { t: TAGS.indexBatch, v: PROTOCOL_VERSION, ...body, authority };
  return indexBatchCodec.parse({ ...unsigned, sig: sign(authoritySeed, signBytes(unsigned)) });
}

export function indexBatchSignatureValid(tx: IndexBatch): boolean {
  return verifySignature(tx.authority, signable(tx), tx.sig);
}
