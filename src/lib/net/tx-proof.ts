/**
 * tx-proof: a hospital block header, its commit certificate, one transaction of that block and the
 * Merkle inclusion proof of the transaction under the header's transaction root. Opaque here; the
 * light client parses them with `headerCodec` (src/lib/core/chain/header.ts), `commitCertificateCodec`
 * (src/lib/core/consensus/types.ts) and `txProofCodec` (src/lib/core/state/tx-merkle.ts).
 */
import { TAGS } from '../core/constants.js';
import { defineCodec } from '../core/encoding/codec.js';
import { bytesMax, hash32, header, id, uint, v } from '../core/encoding/schema.js';
import { type ProtocolLimits, type ServeContext, unaryProtocol } from './rpc.js';
import { MAX_TX_BYTES } from './tx-submit.js';

export const TX_PROOF_PROTOCOL = '/carechain/tx-proof/1';

/** A header is under 1 KiB. */
const MAX_HEADER_BYTES = 4 * 1024;
/** A commit certificate of 256 validators is under 32 KiB. */
const MAX_COMMIT_BYTES = 32 * 1024;
/** log2(2,048 txs) = 11 siblings of 32 bytes; TX_PROOF_MAX_BYTES is 512, 2 KiB leaves slack. */
const MAX_PROOF_BYTES = 2 * 1024;

export const TX_PROOF_LIMITS: ProtocolLimits = {
  maxRequestBytes: 512,
  maxResponseBytes: MAX_HEADER_BYTES + MAX_COMMIT_BYTES + MAX_TX_BYTES + MAX_PROOF_BYTES + 1024,
  maxResponseFrames: 1,
  timeoutMs: 10_000,
  /** A doctor opening a patient's history verifies several records at once. */
  maxInboundStreams: 16,
  maxOutboundStreams: 16
};

export const txProofRequestSchema = v.strictObject({
  ...header(TAGS.netTxProofRequest),
  chainId: id(),
  height: uint(),
  /** The wanted transaction's hash, or 32 zero bytes when asking by `txIndex`. */
  txHash: hash32,
  /**
   * The transaction's position in the block. A light client knows (height, txIndex) from a consortium
   * index entry, not the transaction's hash, so it asks by position; the proof it gets is checked
   * against the certified header either way.
   */
  txIndex: v.optional(uint())
});
export type TxProofRequest = v.InferOutput<typeof txProofRequestSchema>;
export const txProofRequestCodec = defineCodec(
  'net/tx-proof-request',
  txProofRequestSchema,
  TX_PROOF_LIMITS.maxRequestBytes
);

export const txProofResponseSchema = v.strictObject({
  ...header(TAGS.netTxProofResponse),
  header: bytesMax(MAX_HEADER_BYTES),
  commit: bytesMax(MAX_COMMIT_BYTES),
  tx: bytesMax(MAX_TX_BYTES),
  proof: bytesMax(MAX_PROOF_BYTES)
});
export type TxProofResponse = v.InferOutput<typeof txProofResponseSchema>;
export const txProofResponseCodec = defineCodec(
  'net/tx-proof-response',
  txProofResponseSchema,
  TX_PROOF_LIMITS.maxResponseBytes
);

export interface TxProofService {
  prove(req: TxProofRequest, ctx: ServeContext): Promise<Omit<TxProofResponse, 't' | 'v'>>;
}

const rpc = unaryProtocol(
  TX_PROOF_PROTOCOL,
  txProofRequestCodec,
  txProofResponseCodec,
  TX_PROOF_LIMITS,
  TAGS.netTxProofResponse
);

export const handleTxProof = rpc.handler((s: TxProofService, req, ctx) => s.prove(req, ctx));

export const requestTxProof = rpc.request;
