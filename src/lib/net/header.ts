/**
 * header: the latest committed header of a chain with its commit certificate, plus the validator-set
 * change proofs a light client needs to walk from the height it trusts to the latest one. All three
 * are opaque here; the light client parses them with `headerCodec` (src/lib/core/chain/header.ts),
 * `commitCertificateCodec` and `validatorSetCodec` (src/lib/core/consensus/types.ts).
 */
import { TAGS } from '../core/constants.js';
import { defineCodec } from '../core/encoding/codec.js';
import { bytesMax, header, id, list, uint, v } from '../core/encoding/schema.js';
import { type ProtocolLimits, type ServeContext, unaryProtocol } from './rpc.js';

export const HEADER_PROTOCOL = '/carechain/header/1';

/** A header is under 1 KiB; 4 KiB leaves room for growth without letting a peer send a block. */
const MAX_HEADER_BYTES = 4 * 1024;
/** A commit certificate of 256 validators is under 32 KiB. */
const MAX_COMMIT_BYTES = 32 * 1024;
/** One change proof: header + certificate + the new set (256 validators ≈ 16 KiB). */
const MAX_CHANGE_BYTES = 64 * 1024;
/** Validator-set changes per answer: a client further behind asks again from the last one. */
export const MAX_VALIDATOR_CHANGES = 48;

export const HEADER_LIMITS: ProtocolLimits = {
  maxRequestBytes: 512,
  /** 48 change proofs of 64 KiB plus the head: about 3.1 MiB. */
  maxResponseBytes: MAX_VALIDATOR_CHANGES * MAX_CHANGE_BYTES + MAX_HEADER_BYTES + MAX_COMMIT_BYTES + 4096,
  maxResponseFrames: 1,
  timeoutMs: 10_000,
  /** A light client polls one chain head at a time per chain; 4 covers both chains and a retry. */
  maxInboundStreams: 4,
  maxOutboundStreams: 4
};

export const headerRequestSchema = v.strictObject({
  ...header(TAGS.netHeaderRequest),
  chainId: id(),
  /** The height the client already trusts; change proofs start after it. */
  trustedHeight: uint()
});
export type HeaderRequest = v.InferOutput<typeof headerRequestSchema>;
export const headerRequestCodec = defineCodec(
  'net/header-request',
  headerRequestSchema,
  HEADER_LIMITS.maxRequestBytes
);

export const headerResponseSchema = v.strictObject({
  ...header(TAGS.netHeaderResponse),
  height: uint(),
  header: bytesMax(MAX_HEADER_BYTES),
  commit: bytesMax(MAX_COMMIT_BYTES),
  /** Each: the proof that the validator set changed at some height after trustedHeight, oldest first. */
  validatorChanges: list(bytesMax(MAX_CHANGE_BYTES), MAX_VALIDATOR_CHANGES)
});
export type HeaderResponse = v.InferOutput<typeof headerResponseSchema>;
export const headerResponseCodec = defineCodec(
  'net/header-response',
  headerResponseSchema,
  HEADER_LIMITS.maxResponseBytes
);

export interface HeaderService {
  latest(req: HeaderRequest, ctx: ServeContext): Promise<Omit<HeaderResponse, 't' | 'v'>>;
}

const rpc = unaryProtocol(
  HEADER_PROTOCOL,
  headerRequestCodec,
  headerResponseCodec,
  HEADER_LIMITS,
  TAGS.netHeaderResponse
);

export const handleHeader = rpc.handler((s: HeaderService, req, ctx) => s.latest(req, ctx));

export const requestHeader = rpc.request;
