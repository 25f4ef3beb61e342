/**
 * record: one request for everything a light client needs to verify and read one indexed record — the
 * hospital block header, its commit certificate, the record transaction at (height, txIndex), its
 * inclusion proof, and the encrypted blob. It replaces a tx-proof request and a blob request (two
 * streams, two protocol negotiations) with one, which is what a history of twenty records costs.
 *
 * The read is authorised exactly as a blob read (blob.ts): the request carries the same signed
 * `BlobAuth`, and the node decides and logs it the same way. The header, certificate, transaction and
 * proof are opaque here, as in tx-proof.ts; the light client parses and checks them against the
 * consortium index entry (src/lib/light/records.ts) and hashes the blob against both chains.
 */
import { LIMITS, TAGS } from '../core/constants.js';
import { defineCodec } from '../core/encoding/codec.js';
import { bytesMax, header, id, uint, v } from '../core/encoding/schema.js';
import { sha256 } from '../core/crypto/hash.js';
import { bytesEqual } from '../core/encoding/cbor.js';
import { CoreError } from '../core/errors.js';
import { blobAuthSchema, BLOB_LIMITS, type BlobAuth } from './blob.js';
import { TX_PROOF_LIMITS, type TxProofResponse } from './tx-proof.js';
import {
  callOne,
  serve,
  type DialTarget,
  type NetHost,
  type ProtocolLimits,
  type RequestOptions,
  type ServeContext,
  type ServeOptions
} from './rpc.js';

export const RECORD_PROTOCOL = '/carechain/record/1';

/** The header, certificate, transaction and proof: what a tx-proof answer may hold, less its envelope. */
const MAX_PROOF_PART_BYTES = TX_PROOF_LIMITS.maxResponseBytes - 1024;

export const RECORD_LIMITS: ProtocolLimits = {
  /** A blob authorisation and three numbers naming the transaction. */
  maxRequestBytes: BLOB_LIMITS.maxRequestBytes + 512,
  /** One blob and one transaction proof, each within its own protocol's bound. */
  maxResponseBytes: LIMITS.maxBlobBytes + MAX_PROOF_PART_BYTES + 1024,
  maxResponseFrames: 1,
  /** As a blob read: the node logs the read on its chain before answering, and 1 MiB may be slow. */
  timeoutMs: BLOB_LIMITS.timeoutMs,
  /** A doctor opening a history reads a few records at once; the byte bucket bounds the rest. */
  maxInboundStreams: 8,
  maxOutboundStreams: 8
};

export const recordRequestSchema = v.strictObject({
  ...header(TAGS.netRecordRequest),
  /** The hospital chain and the transaction's place in it, from the consortium index entry. */
  chainId: id(),
  height: uint(),
  txIndex: uint(),
  /** The signed read authorisation, exactly as the blob protocol carries it. */
  auth: blobAuthSchema
});
export type RecordRequest = v.InferOutput<typeof recordRequestSchema>;
export const recordRequestCodec = defineCodec(
  'net/record-request',
  recordRequestSchema,
  RECORD_LIMITS.maxRequestBytes
);

export const recordResponseSchema = v.strictObject({
  ...header(TAGS.netRecordResponse),
  header: bytesMax(4 * 1024),
  commit: bytesMax(32 * 1024),
  tx: bytesMax(64 * 1024),
  proof: bytesMax(2 * 1024),
  blob: bytesMax(LIMITS.maxBlobBytes)
});
export type RecordResponse = v.InferOutput<typeof recordResponseSchema>;
export const recordResponseCodec = defineCodec(
  'net/record-response',
  recordResponseSchema,
  RECORD_LIMITS.maxResponseBytes
);

export type RecordAnswer = Omit<TxProofResponse, 't' | 'v'> & { blob: Uint8Array };

export interface RecordService {
  /** The proof and the blob, or a CoreError naming the refusal (consent/*, node/blob-missing …). */
  fetch(req: RecordRequest, ctx: ServeContext): Promise<RecordAnswer>;
}

export async function handleRecord(
  host: NetHost,
  service: RecordService,
  limits: ProtocolLimits = RECORD_LIMITS,
  opts: ServeOptions = {}
): Promise<void> {
  await serve(
    host,
    RECORD_PROTOCOL,
    recordRequestCodec,
    recordResponseCodec,
    limits,
    async (req, ctx) => {
      const a = await service.fetch(req, ctx);
      return {
        t: TAGS.netRecordResponse,
        v: 1 as const,
        header: a.header,
        commit: a.commit,
        tx: a.tx,
        proof: a.proof,
        blob: a.blob as RecordResponse['blob']
      };
    },
    opts
  );
}

/** Asks for a record; the blob's bytes are checked to hash to the authorised hash before returning. */
export async function requestRecord(
  host: NetHost,
  target: DialTarget,
  req: Omit<RecordRequest, 't' | 'v'> & { auth: BlobAuth },
  opts: RequestOptions & { limits?: ProtocolLimits } = {}
): Promise<RecordAnswer> {
  const res = await callOne(
    host,
    target,
    RECORD_PROTOCOL,
    recordRequestCodec,
    recordResponseCodec,
    opts.limits ?? RECORD_LIMITS,
    { t: TAGS.netRecordRequest, v: 1, ...req },
    opts
  );
  if (!bytesEqual(sha256(res.blob), req.auth.hash))
    throw new CoreError('record/hash-mismatch', { detail: 'blob bytes do not hash to the requested hash' });
  return { header: res.header, commit: res.commit, tx: res.tx, proof: res.proof, blob: res.blob };
}
