/**
 * state-proof: the value under one 32-byte state key (an account, grant, revocation, index page …) or
 * its absence, with the sparse-Merkle proof against the state root of a committed height. The proof
 * is opaque here; the light client parses it with `smtProofCodec` (src/lib/core/state/smt-proof.ts)
 * and the value with the entry codec for the key's namespace (src/lib/core/chain/entries.ts).
 */
import { TAGS } from '../core/constants.js';
import { ENTRY_MAX_BYTES } from '../core/chain/entries.js';
import { defineCodec } from '../core/encoding/codec.js';
import { bytesMax, hash32, header, id, uint, v } from '../core/encoding/schema.js';
import { type ProtocolLimits, type ServeContext, unaryProtocol } from './rpc.js';

export const STATE_PROOF_PROTOCOL = '/carechain/state-proof/1';

/**
 * Any entry the chain can write. Most are far smaller (an index page with its 32 entries is under
 * 8 KiB), but a page of 32 break-glass statements with long reasons in Bangla is ~60 KiB, and a
 * patient must be able to read it (state-proof.test.ts).
 */
const MAX_VALUE_BYTES = ENTRY_MAX_BYTES;
/** A 256-level SMT proof with every sibling present is 8 KiB plus its envelope (SMT_PROOF_MAX_BYTES 9 KiB). */
const MAX_PROOF_BYTES = 12 * 1024;

export const STATE_PROOF_LIMITS: ProtocolLimits = {
  maxRequestBytes: 512,
  maxResponseBytes: MAX_VALUE_BYTES + MAX_PROOF_BYTES + 1024,
  maxResponseFrames: 1,
  timeoutMs: 10_000,
  /** A doctor's search fans out over categories: 16 concurrent lookups per connection. */
  maxInboundStreams: 16,
  maxOutboundStreams: 16
};

export const stateRequestSchema = v.strictObject({
  ...header(TAGS.netStateRequest),
  chainId: id(),
  key: hash32,
  /** null: the latest committed height. */
  height: v.nullable(uint())
});
export type StateRequest = v.InferOutput<typeof stateRequestSchema>;
export const stateRequestCodec = defineCodec(
  'net/state-request',
  stateRequestSchema,
  STATE_PROOF_LIMITS.maxRequestBytes
);

export const stateResponseSchema = v.strictObject({
  ...header(TAGS.netStateResponse),
  height: uint(),
  root: hash32,
  key: hash32,
  /** null: the key is absent, and `proof` is a non-membership proof. */
  value: v.nullable(bytesMax(MAX_VALUE_BYTES)),
  proof: bytesMax(MAX_PROOF_BYTES)
});
export type StateResponse = v.InferOutput<typeof stateResponseSchema>;
export const stateResponseCodec = defineCodec(
  'net/state-response',
  stateResponseSchema,
  STATE_PROOF_LIMITS.maxResponseBytes
);

export interface StateProofService {
  prove(req: StateRequest, ctx: ServeContext): Promise<Omit<StateResponse, 't' | 'v'>>;
}

const rpc = unaryProtocol(
  STATE_PROOF_PROTOCOL,
  stateRequestCodec,
  stateResponseCodec,
  STATE_PROOF_LIMITS,
  TAGS.netStateResponse
);

export const handleStateProof = rpc.handler((s: StateProofService, req, ctx) => s.prove(req, ctx));

export const requestStateProof = rpc.request;
