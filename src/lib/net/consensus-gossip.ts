/**
 * consensus-gossip: proposals, votes and evidence between the validator nodes of one chain, and the
 * client transactions their mempools relay to each other. A request carries a batch of encoded
 * messages; each is opaque here and parsed by the engine with `consensusMessageCodec` / `evidenceCodec`
 * (src/lib/core/consensus/types.ts), or by the chain's transaction codecs on mempool admission — the
 * node does that in its service, so this file stays independent of the engine's types.
 *
 * Two ways to carry the same batches:
 * - consensus-gossip/1, a request answered once the receiver took the batch in: transaction relay
 *   (kind 'tx': one request carries hundreds, so relaying costs a stream per batch, and the answer
 *   paces the relay by the receiver's admission);
 * - consensus-stream/1, frames on a standing stream (frame-stream.ts): proposals and votes, a few per
 *   height per peer, which a stream each would make cost more than the message, and an answer each
 *   would delay by a round trip and the receiver's fsync.
 */
import { TAGS, LIMITS } from '../core/constants.js';
import { defineCodec } from '../core/encoding/codec.js';
import { bytesMax, header, id, list, uintMax, v } from '../core/encoding/schema.js';
import {
  type ProtocolLimits,
  type ServeContext,
  type ServeOptions,
  type NetHost,
  unaryProtocol
} from './rpc.js';
import { FrameSender, serveFrames, type FrameStreamLimits } from './frame-stream.js';
import type { Multiaddr } from '@multiformats/multiaddr';

export const CONSENSUS_GOSSIP_PROTOCOL = '/carechain/consensus-gossip/1';
export const CONSENSUS_STREAM_PROTOCOL = '/carechain/consensus-stream/1';

/**
 * Messages per request: a relay batch of 1,024 record transactions (~900 B each, under the request's
 * byte limit); votes of one round for a 256-validator set fit in one. More waits for the next stream.
 */
const MAX_MESSAGES = 1024;

export const CONSENSUS_GOSSIP_LIMITS: ProtocolLimits = {
  /** One proposal carries a whole block (LIMITS.maxMessageBytes); the batch envelope adds little. */
  maxRequestBytes: LIMITS.maxMessageBytes + 16 * 1024,
  /** The answer is a count. */
  maxResponseBytes: 256,
  maxResponseFrames: 1,
  /** A 4 MiB proposal over a slow WAN link still arrives well within 10 s; a round timeout is longer. */
  timeoutMs: 10_000,
  /** Validators pipeline a few batches per round; 8 per connection bounds a flooding validator. */
  maxInboundStreams: 8,
  maxOutboundStreams: 8
};

export const CONSENSUS_STREAM_LIMITS: FrameStreamLimits = {
  maxFrameBytes: CONSENSUS_GOSSIP_LIMITS.maxRequestBytes,
  /** About half an hour of a busy height's traffic; then the sender starts a fresh stream. */
  maxFramesPerStream: 100_000,
  /** Validators with work talk several times a second; an idle chain sends nothing at all. */
  idleMs: 60_000,
  timeoutMs: CONSENSUS_GOSSIP_LIMITS.timeoutMs,
  /** One stream per chain the two nodes share (hospital, consortium), and a replacement overlapping. */
  maxInboundStreams: 4,
  maxOutboundStreams: 4
};

export const gossipKindSchema = v.picklist(['proposal', 'vote', 'evidence', 'tx']);

export const gossipRequestSchema = v.strictObject({
  ...header(TAGS.netGossip),
  chainId: id(),
  messages: list(
    v.strictObject({ kind: gossipKindSchema, payload: bytesMax(LIMITS.maxMessageBytes) }),
    MAX_MESSAGES
  )
});
export type GossipRequest = v.InferOutput<typeof gossipRequestSchema>;
export const gossipRequestCodec = defineCodec(
  'net/gossip',
  gossipRequestSchema,
  CONSENSUS_GOSSIP_LIMITS.maxRequestBytes
);

export const gossipAckSchema = v.strictObject({
  ...header(TAGS.netGossipAck),
  /** How many of the messages the engine took in (the rest were stale, duplicate or invalid). */
  accepted: uintMax(MAX_MESSAGES)
});
export type GossipAck = v.InferOutput<typeof gossipAckSchema>;
export const gossipAckCodec = defineCodec(
  'net/gossip-ack',
  gossipAckSchema,
  CONSENSUS_GOSSIP_LIMITS.maxResponseBytes
);

export interface ConsensusGossipService {
  /** Hands the batch to the engine (and txs to the mempool); returns how many messages it accepted. */
  onGossip(req: GossipRequest, ctx: ServeContext): Promise<number>;
}

const rpc = unaryProtocol(
  CONSENSUS_GOSSIP_PROTOCOL,
  gossipRequestCodec,
  gossipAckCodec,
  CONSENSUS_GOSSIP_LIMITS,
  TAGS.netGossipAck
);

export const handleConsensusGossip = rpc.handler(async (s: ConsensusGossipService, req, ctx) => ({
  accepted: await s.onGossip(req, ctx)
}));

export const requestConsensusGossip = rpc.request;

/** Serves consensus-stream/1: every frame is a batch for `onGossip`, taken in order, never answered. */
export function handleConsensusStream(
  host: NetHost,
  service: ConsensusGossipService,
  limits: FrameStreamLimits = CONSENSUS_STREAM_LIMITS,
  opts: ServeOptions = {}
): Promise<void> {
  return serveFrames(
    host,
    CONSENSUS_STREAM_PROTOCOL,
    gossipRequestCodec,
    limits,
    (req, ctx) => service.onGossip(req, ctx),
    opts
  );
}

/** The standing consensus-stream/1 to one peer. */
export function consensusStreamTo(
  host: NetHost,
  peer: Multiaddr,
  limits: FrameStreamLimits = CONSENSUS_STREAM_LIMITS
): FrameSender<GossipRequest> {
  return new FrameSender(host, peer, CONSENSUS_STREAM_PROTOCOL, gossipRequestCodec, limits);
}
