/**
 * A block: a header and the encoded transactions it commits to (txRoot). Transactions travel as the
 * exact bytes their signers produced, so the tx Merkle root, replay hashes and index entries all refer
 * to one byte string per transaction; each is decoded strictly when verified.
 */
import { LIMITS, PROTOCOL_VERSION, TAGS } from '../constants.js';
import { defineCodec } from '../encoding/codec.js';
import { bytesMax, header, list, v } from '../encoding/schema.js';
import { headerSchema, headerHash, type Header } from './header.js';

/** One transaction: the largest (an index batch of 1,024 entries) is ~170 KiB; 256 KiB bounds it. */
export const TX_MAX_BYTES = 256 * 1024;

export const blockSchema = v.strictObject({
  ...header(TAGS.block),
  header: headerSchema,
  txs: list(bytesMax(TX_MAX_BYTES), LIMITS.maxBlockTxs)
});

export type Block = v.InferOutput<typeof blockSchema>;

export const blockCodec = defineCodec('block', blockSchema, LIMITS.maxMessageBytes);

/** The block id is its header hash; the header binds the transactions through txRoot. */
export function blockId(block: Block): Uint8Array {
  return headerHash(block.header);
}

export function makeBlock(h: Header, txs: Uint8Array[]): Block {
  return { t: TAGS.block, v: PROTOCOL_VERSION, header: h, txs: txs as Block['txs'] };
}
