/**
 * tx-submit: a client (or another node) submits one encoded transaction and gets a clear answer —
 * accepted (with the transaction hash the mempool knows it by) or rejected with a named error code.
 * The transaction is opaque here; the node parses it with the chain's transaction codec
 * (src/lib/core/chain/tx) during admission.
 */
import { TAGS } from '../core/constants.js';
import { defineCodec } from '../core/encoding/codec.js';
import { bytesMax, hash32, header, id, text, v } from '../core/encoding/schema.js';
import { type ProtocolLimits, type ServeContext, unaryProtocol } from './rpc.js';

export const TX_SUBMIT_PROTOCOL = '/carechain/tx-submit/1';

/** A record transaction with 16 mirror attestations and signatures is a few KiB; 64 KiB is ample. */
export const MAX_TX_BYTES = 64 * 1024;

export const TX_SUBMIT_LIMITS: ProtocolLimits = {
  maxRequestBytes: MAX_TX_BYTES + 512,
  maxResponseBytes: 1024,
  maxResponseFrames: 1,
  /** Admission is a decode and a few signature checks; 10 s covers a busy mempool lock. */
  timeoutMs: 10_000,
  /** A phone submits one transaction at a time; a doctor's outbox flush a handful. */
  maxInboundStreams: 8,
  maxOutboundStreams: 8
};

export const txSubmitSchema = v.strictObject({
  ...header(TAGS.netTxSubmit),
  chainId: id(),
  tx: bytesMax(MAX_TX_BYTES)
});
export type TxSubmit = v.InferOutput<typeof txSubmitSchema>;
export const txSubmitCodec = defineCodec('net/tx-submit', txSubmitSchema, TX_SUBMIT_LIMITS.maxRequestBytes);

export const txResultSchema = v.variant('accepted', [
  v.strictObject({ ...header(TAGS.netTxResult), accepted: v.literal(true), txHash: hash32 }),
  v.strictObject({ ...header(TAGS.netTxResult), accepted: v.literal(false), code: id(64), message: text() })
]);
export type TxResult = v.InferOutput<typeof txResultSchema>;
export const txResultCodec = defineCodec('net/tx-result', txResultSchema, TX_SUBMIT_LIMITS.maxResponseBytes);

export type TxVerdict =
  { accepted: true; txHash: Uint8Array } | { accepted: false; code: string; message: string };

export interface TxSubmitService {
  /** Runs admission; a rejection is an answer, not an exception. */
  submit(req: TxSubmit, ctx: ServeContext): Promise<TxVerdict>;
}

const rpc = unaryProtocol(
  TX_SUBMIT_PROTOCOL,
  txSubmitCodec,
  txResultCodec,
  TX_SUBMIT_LIMITS,
  TAGS.netTxResult
);

type TxResultHash = Extract<TxResult, { accepted: true }>['txHash'];

export const handleTxSubmit = rpc.handler(async (s: TxSubmitService, req, ctx) => {
  const r = await s.submit(req, ctx);
  return r.accepted
    ? { accepted: true as const, txHash: r.txHash as TxResultHash }
    : { accepted: false as const, code: r.code, message: r.message };
});

export const requestTxSubmit = rpc.request;
