/**
 * record: one request for everything a light client needs to verify and read indexed records — per
 * record, the hospital block header, its commit certificate, the record transaction at (height,
 * txIndex), its inclusion proof, and the encrypted blob. It replaces a tx-proof request and a blob
 * request per record (two streams, two protocol negotiations, two service wake-ups each) with one
 * request per node for up to MAX_RECORDS_PER_REQUEST records, answered one frame per record.
 *
 * The read is authorised exactly as a blob read (blob.ts): the request carries the same signed
 * `BlobAuth`, and the node decides and logs it the same way. The header, certificate, transaction and
 * proof are opaque here, as in tx-proof.ts; the light client parses and checks them against the
 * consortium index entry (src/lib/light/records.ts) and hashes the blob against both chains.
 *
 * Under break-glass, the hospital's authority node also answers the record's data key, released to
 * the reader's encryption key (core/records/envelope.ts `releaseRecordKey`); empty otherwise.
 */
import { LIMITS, TAGS } from '../core/constants.js';
import { defineCodec } from '../core/encoding/codec.js';
import { bytesMax, header, id, list, uint, v } from '../core/encoding/schema.js';
import { sha256 } from '../core/crypto/hash.js';
import { WRAPPED_KEY_BYTES } from '../core/records/envelope.js';
import { bytesEqual } from '../core/encoding/cbor.js';
import { CoreError, ERROR_CODES, isCoreError, type ErrorCode } from '../core/errors.js';
import { blobAuthSchema, BLOB_LIMITS } from './blob.js';
import { TX_PROOF_LIMITS, type TxProofResponse } from './tx-proof.js';
import {
  call,
  serve,
  type DialTarget,
  type NetHost,
  type ProtocolLimits,
  type RequestOptions,
  type ServeContext,
  type ServeOptions
} from './rpc.js';

export const RECORD_PROTOCOL = '/carechain/record/1';

/**
 * Records asked for in one request: a patient's history spread over a few nodes is then a request per
 * node. Each answer frame is bounded by one blob, so a stream holds at most 16 blobs (the per-peer
 * byte bucket bounds the rate); a doctor opening a history reads a few dozen records.
 */
export const MAX_RECORDS_PER_REQUEST = 16;

/** The header, certificate, transaction and proof: what a tx-proof answer may hold, less its envelope. */
const MAX_PROOF_PART_BYTES = TX_PROOF_LIMITS.maxResponseBytes - 1024;

export const RECORD_LIMITS: ProtocolLimits = {
  /** Per record, a blob authorisation and three numbers naming the transaction. */
  maxRequestBytes: MAX_RECORDS_PER_REQUEST * (BLOB_LIMITS.maxRequestBytes + 512),
  /** One frame per record: one blob and one transaction proof, each within its own protocol's bound. */
  maxResponseBytes: LIMITS.maxBlobBytes + MAX_PROOF_PART_BYTES + 1024,
  maxResponseFrames: MAX_RECORDS_PER_REQUEST,
  /** As a blob read: the node logs the reads on its chain before answering, and 1 MiB may be slow. */
  timeoutMs: BLOB_LIMITS.timeoutMs,
  /** A client asks a node for a history in one or two requests; a few in flight cover several tags. */
  maxInboundStreams: 8,
  maxOutboundStreams: 8
};

const recordItemSchema = v.strictObject({
  /** The hospital chain and the transaction's place in it, from the consortium index entry. */
  chainId: id(),
  height: uint(),
  txIndex: uint(),
  /** The signed read authorisation, exactly as the blob protocol carries it. */
  auth: blobAuthSchema
});
export type RecordItem = v.InferOutput<typeof recordItemSchema>;

export const recordRequestSchema = v.strictObject({
  ...header(TAGS.netRecordRequest),
  items: list(recordItemSchema, MAX_RECORDS_PER_REQUEST)
});
export type RecordRequest = v.InferOutput<typeof recordRequestSchema>;
export const recordRequestCodec = defineCodec(
  'net/record-request',
  recordRequestSchema,
  RECORD_LIMITS.maxRequestBytes
);

/**
 * One frame per item, in the request's order. A refused item carries the refusal's code (the read is
 * refused for that record, the others are still answered) and empty byte fields.
 */
export const recordResponseSchema = v.strictObject({
  ...header(TAGS.netRecordResponse),
  index: uint(),
  code: v.nullable(id(64)),
  header: bytesMax(4 * 1024),
  commit: bytesMax(32 * 1024),
  tx: bytesMax(64 * 1024),
  proof: bytesMax(2 * 1024),
  blob: bytesMax(LIMITS.maxBlobBytes),
  /** A break-glass release of the data key to the reader, or empty. */
  key: bytesMax(WRAPPED_KEY_BYTES)
});
export type RecordResponse = v.InferOutput<typeof recordResponseSchema>;
export const recordResponseCodec = defineCodec(
  'net/record-response',
  recordResponseSchema,
  RECORD_LIMITS.maxResponseBytes
);

export type RecordAnswer = Omit<TxProofResponse, 't' | 'v'> & { blob: Uint8Array; key?: Uint8Array };

export interface RecordService {
  /** One item's proof and blob, or a CoreError naming the refusal (consent/*, node/blob-missing …). */
  fetch(item: RecordItem, ctx: ServeContext): Promise<RecordAnswer>;
}

const EMPTY = new Uint8Array(0);

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
    async function* (req, ctx) {
      // Every item is worked on at once (a node logs the reads in one block), answered in order. Each
      // record past the first costs a request from the peer's budget, as it would on its own stream:
      // a batch is cheaper to carry, not a way round the rate limit (every read is a logged tx).
      const answers = req.items.map((item, i) =>
        (i === 0 || !opts.guard || opts.guard.rate.tryRequest(ctx.peer)
          ? service.fetch(item, ctx)
          : Promise.reject(new CoreError('net/rate-limited', { peer: ctx.peer }, 'ignore'))
        ).then(
          (a) => ({ code: null, ...a }),
          (e: unknown) => ({
            code: (isCoreError(e) ? e.code : 'net/internal') as string | null,
            header: EMPTY,
            commit: EMPTY,
            tx: EMPTY,
            proof: EMPTY,
            blob: EMPTY,
            key: EMPTY
          })
        )
      );
      for (const [index, answer] of answers.entries()) {
        const a = await answer;
        yield {
          t: TAGS.netRecordResponse,
          v: 1 as const,
          index,
          code: a.code,
          header: a.header as RecordResponse['header'],
          commit: a.commit as RecordResponse['commit'],
          tx: a.tx as RecordResponse['tx'],
          proof: a.proof as RecordResponse['proof'],
          blob: a.blob as RecordResponse['blob'],
          key: (a.key ?? EMPTY) as RecordResponse['key']
        };
      }
    },
    opts
  );
}

/** A refusal named in an answer frame, as the CoreError the node would have sent for it alone. */
function refusal(code: string): CoreError {
  const known = Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
  return new CoreError(
    known ? (code as ErrorCode) : 'net/remote-error',
    { remote: true, remoteCode: code },
    'ignore'
  );
}

/**
 * Asks for several records at once. Each result is the record (its blob checked to hash to the
 * authorised hash) or the refusal for that one record; a node that answers out of order, for another
 * number of records, or with bytes of another hash fails the whole request (`record/hash-mismatch`
 * for the latter, a decode error otherwise).
 */
export async function requestRecords(
  host: NetHost,
  target: DialTarget,
  items: RecordItem[],
  opts: RequestOptions & { limits?: ProtocolLimits } = {}
): Promise<(RecordAnswer | CoreError)[]> {
  const frames = await call(
    host,
    target,
    RECORD_PROTOCOL,
    recordRequestCodec,
    recordResponseCodec,
    opts.limits ?? RECORD_LIMITS,
    { t: TAGS.netRecordRequest, v: 1, items },
    opts
  );
  if (frames.length !== items.length || frames.some((f, i) => f.index !== i))
    throw new CoreError('decode/schema', {
      type: 'net/record-response',
      detail: 'answers do not match the items'
    });
  return frames.map((res, i) => {
    if (res.code !== null) return refusal(res.code);
    if (!bytesEqual(sha256(res.blob), items[i]!.auth.hash))
      throw new CoreError('record/hash-mismatch', { detail: 'blob bytes do not hash to the requested hash' });
    return {
      header: res.header,
      commit: res.commit,
      tx: res.tx,
      proof: res.proof,
      blob: res.blob,
      ...(res.key.length > 0 ? { key: res.key } : {})
    };
  });
}
