/**
 * blob: fetch one encrypted record blob by its SHA-256 hash. The request is an authorisation object
 * signed by the requester: who asks (their signing key), under which grant, with the search
 * capability that matches the record's index tag (or a break-glass reference), bound to this node's
 * peer id, the blob hash, a time and a random nonce so it cannot be replayed elsewhere or later.
 * The protocol only carries and parses it; the node's service checks the signature, the time window,
 * nonce freshness, the grant and the capability, logs the read, and decides.
 */
import { LIMITS, TAGS } from '../core/constants.js';
import { defineCodec, signable } from '../core/encoding/codec.js';
import {
  bytes,
  bytesMax,
  hash32,
  header,
  id,
  publicKey,
  signature,
  uint,
  v
} from '../core/encoding/schema.js';
import { sign, verifySignature } from '../core/crypto/ed25519.js';
import { CoreError } from '../core/errors.js';
import { sha256 } from '../core/crypto/hash.js';
import { bytesEqual } from '../core/encoding/cbor.js';
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

export const BLOB_PROTOCOL = '/carechain/blob/1';

/** A signed break-glass statement (reason, co-signature) is a few hundred bytes. */
const MAX_BREAK_GLASS_BYTES = 4 * 1024;

export const BLOB_LIMITS: ProtocolLimits = {
  /** The authorisation object: keys, ids, a signature and an optional break-glass statement. */
  maxRequestBytes: MAX_BREAK_GLASS_BYTES + 1024,
  /** One blob (LIMITS.maxBlobBytes) and its envelope. */
  maxResponseBytes: LIMITS.maxBlobBytes + 1024,
  maxResponseFrames: 1,
  /** 1 MiB over a phone link at ~1 Mbit/s is ~8 s; 20 s leaves margin. */
  timeoutMs: 20_000,
  /** A doctor opening a history reads a few records at once; the byte bucket bounds the rest. */
  maxInboundStreams: 8,
  maxOutboundStreams: 8
};

export const blobAuthSchema = v.strictObject({
  ...header(TAGS.netBlobAuth),
  /** The blob asked for. */
  hash: hash32,
  /** The serving node's peer id: an authorisation for one node is useless at another. */
  node: id(128),
  requester: publicKey,
  /** The consent grant id (null for the patient reading their own records, or break-glass). */
  grantId: v.nullable(hash32),
  /** The search capability for the record's category, proving the grant covers its index tag. */
  capability: v.nullable(bytes(32)),
  /** An encoded, co-signed break-glass statement (parsed by the node with the core break-glass codec). */
  breakGlass: v.nullable(bytesMax(MAX_BREAK_GLASS_BYTES)),
  /** Requester's clock, ms since epoch; the node accepts a short window around its own. */
  time: uint(),
  nonce: bytes(16),
  sig: signature
});
export type BlobAuth = v.InferOutput<typeof blobAuthSchema>;
export type UnsignedBlobAuth = Omit<BlobAuth, 'sig'>;
export const blobAuthCodec = defineCodec('net/blob-auth', blobAuthSchema, BLOB_LIMITS.maxRequestBytes);

export const blobResponseSchema = v.strictObject({
  ...header(TAGS.netBlob),
  hash: hash32,
  blob: bytesMax(LIMITS.maxBlobBytes)
});
export type BlobResponse = v.InferOutput<typeof blobResponseSchema>;
export const blobResponseCodec = defineCodec('net/blob', blobResponseSchema, BLOB_LIMITS.maxResponseBytes);

export function signBlobAuth(unsigned: UnsignedBlobAuth, signingSeed: Uint8Array): BlobAuth {
  return {
    ...unsigned,
    sig: sign(signingSeed, signable(unsigned as UnsignedBlobAuth & { sig?: unknown })) as BlobAuth['sig']
  };
}

/** Signature check only; whether the requester may read is the service's decision. */
export function verifyBlobAuthSignature(auth: BlobAuth): boolean {
  return verifySignature(auth.requester, signable(auth), auth.sig);
}

export interface BlobService {
  /** Returns the blob bytes, or throws a CoreError (consent/*, node/blob-missing …) that names the refusal. */
  fetch(auth: BlobAuth, ctx: ServeContext): Promise<Uint8Array>;
}

export async function handleBlob(
  host: NetHost,
  service: BlobService,
  limits: ProtocolLimits = BLOB_LIMITS,
  opts: ServeOptions = {}
): Promise<void> {
  await serve(
    host,
    BLOB_PROTOCOL,
    blobAuthCodec,
    blobResponseCodec,
    limits,
    async (auth, ctx) => ({
      t: TAGS.netBlob,
      v: 1 as const,
      hash: auth.hash,
      blob: (await service.fetch(auth, ctx)) as BlobResponse['blob']
    }),
    opts
  );
}

/** Fetches a blob and checks its bytes hash to what was asked for before returning them. */
export async function requestBlob(
  host: NetHost,
  target: DialTarget,
  auth: BlobAuth,
  opts: RequestOptions & { limits?: ProtocolLimits } = {}
): Promise<Uint8Array> {
  const limits = opts.limits ?? BLOB_LIMITS;
  const res = await callOne(
    host,
    target,
    BLOB_PROTOCOL,
    blobAuthCodec,
    blobResponseCodec,
    limits,
    auth,
    opts
  );
  if (!bytesEqual(res.hash, auth.hash) || !bytesEqual(sha256(res.blob), auth.hash))
    throw new CoreError('record/hash-mismatch', { detail: 'blob bytes do not hash to the requested hash' });
  return res.blob;
}
