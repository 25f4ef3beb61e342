/**
 * mirror: store, fetch and attest encrypted blobs between the storage mirrors of one hospital. A
 * store answers with the mirror's attestation that it durably holds the blob; attest asks for that
 * attestation again for a blob already held (e.g. after repair). Attestations are opaque here; the
 * chain rules parse them with the core attestation codec (src/lib/core/chain). Which peers may use
 * this protocol (the hospital's own mirrors and validators) is the node's service decision.
 */
import { LIMITS, TAGS } from '../core/constants.js';
import { CoreError } from '../core/errors.js';
import { defineCodec } from '../core/encoding/codec.js';
import { bytesMax, hash32, header, v } from '../core/encoding/schema.js';
import { bytesEqual } from '../core/encoding/cbor.js';
import { sha256 } from '../core/crypto/hash.js';
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

export const MIRROR_PROTOCOL = '/carechain/mirror/1';

/** An attestation is a mirror key, the hash, a time and a signature, plus a root and a path of at most
 * 6 hashes when the mirror group-commits (core attestation.ts): under 1 KiB either way. */
const MAX_ATTESTATION_BYTES = 1024;

export const MIRROR_LIMITS: ProtocolLimits = {
  /** A store carries one blob (LIMITS.maxBlobBytes). */
  maxRequestBytes: LIMITS.maxBlobBytes + 1024,
  maxResponseBytes: LIMITS.maxBlobBytes + 1024,
  maxResponseFrames: 1,
  /** A durable write (fsync) of 1 MiB plus transfer on a LAN is well under 20 s. */
  timeoutMs: 20_000,
  /** Repair after downtime copies many blobs; 16 in flight keeps a LAN busy without hogging memory. */
  maxInboundStreams: 16,
  maxOutboundStreams: 16
};

export const mirrorRequestSchema = v.variant('op', [
  v.strictObject({
    ...header(TAGS.netMirrorRequest),
    op: v.literal('store'),
    hash: hash32,
    blob: bytesMax(LIMITS.maxBlobBytes)
  }),
  v.strictObject({ ...header(TAGS.netMirrorRequest), op: v.literal('fetch'), hash: hash32 }),
  v.strictObject({ ...header(TAGS.netMirrorRequest), op: v.literal('attest'), hash: hash32 })
]);
export type MirrorRequest = v.InferOutput<typeof mirrorRequestSchema>;
export const mirrorRequestCodec = defineCodec(
  'net/mirror-request',
  mirrorRequestSchema,
  MIRROR_LIMITS.maxRequestBytes
);

export const mirrorResponseSchema = v.variant('op', [
  v.strictObject({
    ...header(TAGS.netMirrorResponse),
    op: v.literal('attestation'),
    hash: hash32,
    attestation: bytesMax(MAX_ATTESTATION_BYTES)
  }),
  v.strictObject({
    ...header(TAGS.netMirrorResponse),
    op: v.literal('blob'),
    hash: hash32,
    blob: bytesMax(LIMITS.maxBlobBytes)
  })
]);
export type MirrorResponse = v.InferOutput<typeof mirrorResponseSchema>;
export const mirrorResponseCodec = defineCodec(
  'net/mirror-response',
  mirrorResponseSchema,
  MIRROR_LIMITS.maxResponseBytes
);

type Bytes = Extract<MirrorResponse, { op: 'blob' }>['blob'];

export interface MirrorService {
  /** Stores durably (before answering) and returns this mirror's attestation. */
  store(hash: Uint8Array, blob: Uint8Array, ctx: ServeContext): Promise<Uint8Array>;
  fetch(hash: Uint8Array, ctx: ServeContext): Promise<Uint8Array>;
  attest(hash: Uint8Array, ctx: ServeContext): Promise<Uint8Array>;
}

export async function handleMirror(
  host: NetHost,
  service: MirrorService,
  limits: ProtocolLimits = MIRROR_LIMITS,
  opts: ServeOptions = {}
): Promise<void> {
  const head = { t: TAGS.netMirrorResponse, v: 1 as const };
  await serve(
    host,
    MIRROR_PROTOCOL,
    mirrorRequestCodec,
    mirrorResponseCodec,
    limits,
    async (req, ctx): Promise<MirrorResponse> => {
      switch (req.op) {
        case 'store':
          if (!bytesEqual(sha256(req.blob), req.hash))
            throw new CoreError('record/hash-mismatch', { detail: 'stored blob does not hash to its hash' });
          return {
            ...head,
            op: 'attestation',
            hash: req.hash,
            attestation: (await service.store(req.hash, req.blob, ctx)) as Bytes
          };
        case 'attest':
          return {
            ...head,
            op: 'attestation',
            hash: req.hash,
            attestation: (await service.attest(req.hash, ctx)) as Bytes
          };
        case 'fetch':
          return { ...head, op: 'blob', hash: req.hash, blob: (await service.fetch(req.hash, ctx)) as Bytes };
      }
    },
    opts
  );
}

/** Sends one mirror request; a fetched blob is checked against its hash before it is returned. */
export async function requestMirror(
  host: NetHost,
  target: DialTarget,
  req: MirrorRequest,
  opts: RequestOptions & { limits?: ProtocolLimits } = {}
): Promise<MirrorResponse> {
  const limits = opts.limits ?? MIRROR_LIMITS;
  const res = await callOne(
    host,
    target,
    MIRROR_PROTOCOL,
    mirrorRequestCodec,
    mirrorResponseCodec,
    limits,
    req,
    opts
  );
  if (!bytesEqual(res.hash, req.hash))
    throw new CoreError('record/hash-mismatch', { detail: 'answer is for another hash' });
  if (res.op === 'blob' && !bytesEqual(sha256(res.blob), req.hash))
    throw new CoreError('record/hash-mismatch', { detail: 'fetched blob does not hash to its hash' });
  return res;
}
