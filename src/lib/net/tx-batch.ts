/**
 * tx-batch: a client that writes many transactions (a clinic's outbox, an import, a benchmark) submits
 * up to MAX_BATCH_TXS of them on one stream and gets one verdict per transaction, in order — accepted
 * (the hash the mempool knows it by, and the committed height when the client asked to wait) or
 * rejected with a named error code. `wait: false` answers at admission, so a client can keep a node's
 * pipeline full without holding a stream per pending transaction; `wait: true` answers once every
 * accepted transaction of the batch is durable in a committed block on this node (or failed).
 * tx-submit stays the one-transaction form with the commit wait built in. Transactions are opaque
 * here; the node parses them with the chain's codecs during admission.
 */
import { TAGS } from '../core/constants.js';
import { defineCodec } from '../core/encoding/codec.js';
import { bytesMax, hash32, header, id, list, uint, v } from '../core/encoding/schema.js';
import { type ProtocolLimits, type ServeContext, unaryProtocol } from './rpc.js';
import { MAX_TX_BYTES } from './tx-submit.js';

export const TX_BATCH_PROTOCOL = '/carechain/tx-batch/1';

/** Transactions per batch: a full hospital block of records; more is the next batch's job. */
export const MAX_BATCH_TXS = 1024;

/** Batch bytes: ~1,000 record txs of ~900 B; a batch of large txs is simply shorter. */
const MAX_BATCH_BYTES = 1024 * 1024;

/** One verdict is a hash or a code (~60 B encoded); the list's envelope adds little. */
const MAX_RESULT_BYTES = MAX_BATCH_TXS * 96 + 1024;

export const TX_BATCH_LIMITS: ProtocolLimits = {
  maxRequestBytes: MAX_BATCH_BYTES + 1024,
  maxResponseBytes: MAX_RESULT_BYTES,
  maxResponseFrames: 1,
  /** A waiting batch needs its block(s) committed: a few rounds, even on a loaded host. */
  timeoutMs: 30_000,
  /** A bulk client pipelines a few batches per node; more only queues behind the mempool. */
  maxInboundStreams: 4,
  maxOutboundStreams: 4
};

export const txBatchSchema = v.strictObject({
  ...header(TAGS.netTxBatch),
  chainId: id(),
  /** Answer after commit (true) or at admission (false). */
  wait: v.boolean(),
  txs: v.pipe(list(bytesMax(MAX_TX_BYTES), MAX_BATCH_TXS), v.minLength(1))
});
export type TxBatch = v.InferOutput<typeof txBatchSchema>;
export const txBatchCodec = defineCodec('net/tx-batch', txBatchSchema, TX_BATCH_LIMITS.maxRequestBytes);

const verdictSchema = v.variant('accepted', [
  v.strictObject({
    accepted: v.literal(true),
    txHash: hash32,
    /** The committed height when the batch waited; null when answered at admission. */
    height: v.nullable(uint())
  }),
  v.strictObject({ accepted: v.literal(false), code: id(64) })
]);

export const txBatchResultSchema = v.strictObject({
  ...header(TAGS.netTxBatchResult),
  results: list(verdictSchema, MAX_BATCH_TXS)
});
export type TxBatchResult = v.InferOutput<typeof txBatchResultSchema>;
export const txBatchResultCodec = defineCodec(
  'net/tx-batch-result',
  txBatchResultSchema,
  TX_BATCH_LIMITS.maxResponseBytes
);

export type TxBatchVerdict =
  { accepted: true; txHash: Uint8Array; height: number | null } | { accepted: false; code: string };

export interface TxBatchService {
  /** One verdict per transaction, in order; a rejection is an answer, not an exception. */
  submit(req: TxBatch, ctx: ServeContext): Promise<TxBatchVerdict[]>;
}

const rpc = unaryProtocol(
  TX_BATCH_PROTOCOL,
  txBatchCodec,
  txBatchResultCodec,
  TX_BATCH_LIMITS,
  TAGS.netTxBatchResult
);

export const handleTxBatch = rpc.handler(async (s: TxBatchService, req, ctx) => ({
  results: (await s.submit(req, ctx)) as TxBatchResult['results']
}));

export const requestTxBatch = rpc.request;
