/**
 * Per-peer token buckets (requests/s and bytes/s) and concurrent-stream counters. The number of peers
 * tracked is bounded (least recently seen are forgotten first), so a flood of fresh peer ids costs a
 * fixed amount of memory; a forgotten peer simply starts again with a full bucket. Time is read from
 * an injected `now()` so tests can drive it.
 */
import { CoreError } from '../core/errors.js';

export interface BucketConfig {
  /** Tokens added per second. */
  readonly ratePerSec: number;
  /** Bucket size: the largest burst allowed after a quiet period. */
  readonly burst: number;
}

export interface RateLimitConfig {
  readonly requests: BucketConfig;
  readonly bytes: BucketConfig;
  /** Peers tracked at once; beyond this the least recently seen peer is forgotten. */
  readonly maxPeers: number;
}

/**
 * Defaults for a hospital node: 50 requests/s with bursts of 100 covers a light client syncing
 * headers and proofs and a validator gossiping votes; 8 MiB/s with a 16 MiB burst lets a peer fetch
 * a few maximum-size blobs or blocks back to back; 4,096 peers is far above the connection limit, so
 * only churn through fresh identities evicts anyone.
 */
export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  requests: { ratePerSec: 50, burst: 100 },
  bytes: { ratePerSec: 8 * 1024 * 1024, burst: 16 * 1024 * 1024 },
  maxPeers: 4096
};

interface Bucket {
  requests: number;
  bytes: number;
  at: number;
}

export class PeerRateLimiter {
  private readonly peers = new Map<string, Bucket>();

  constructor(
    readonly config: RateLimitConfig = DEFAULT_RATE_LIMITS,
    private readonly now: () => number = Date.now
  ) {}

  get trackedPeers(): number {
    return this.peers.size;
  }

  private bucket(peer: string): Bucket {
    const t = this.now();
    let b = this.peers.get(peer);
    if (b) {
      this.peers.delete(peer);
      const elapsed = Math.max(0, t - b.at) / 1000;
      b.requests = Math.min(
        this.config.requests.burst,
        b.requests + elapsed * this.config.requests.ratePerSec
      );
      b.bytes = Math.min(this.config.bytes.burst, b.bytes + elapsed * this.config.bytes.ratePerSec);
      b.at = t;
    } else {
      b = { requests: this.config.requests.burst, bytes: this.config.bytes.burst, at: t };
      if (this.peers.size >= this.config.maxPeers) {
        const oldest = this.peers.keys().next().value;
        if (oldest !== undefined) this.peers.delete(oldest);
      }
    }
    // Map keeps insertion order: re-inserting marks the peer most recently seen.
    this.peers.set(peer, b);
    return b;
  }

  /** Takes one request token; false when the peer is over its request rate. */
  tryRequest(peer: string): boolean {
    const b = this.bucket(peer);
    if (b.requests < 1) return false;
    b.requests -= 1;
    return true;
  }

  /** Takes `n` byte tokens; false (and nothing taken) when the peer is over its byte rate. */
  tryBytes(peer: string, n: number): boolean {
    const b = this.bucket(peer);
    if (b.bytes < n) return false;
    b.bytes -= n;
    return true;
  }
}

export interface StreamLimitConfig {
  /** Concurrent inbound streams one peer may hold over all our protocols. */
  readonly perPeer: number;
  /** Concurrent inbound streams on one protocol over all peers. */
  readonly perProtocol: number;
}

/**
 * 16 streams per peer lets a validator overlap gossip, sync and a few proof requests; 256 per protocol
 * keeps one busy protocol (blob fetches, say) from starving the others of handler capacity.
 */
export const DEFAULT_STREAM_LIMITS: StreamLimitConfig = { perPeer: 16, perProtocol: 256 };

/** Counts live inbound streams per peer and per protocol; `acquire` returns a release function. */
export class StreamLimiter {
  private readonly byPeer = new Map<string, number>();
  private readonly byProtocol = new Map<string, number>();

  constructor(readonly config: StreamLimitConfig = DEFAULT_STREAM_LIMITS) {}

  active(peer: string): number {
    return this.byPeer.get(peer) ?? 0;
  }

  /** Throws `net/too-many-streams` when either limit is reached. */
  acquire(peer: string, protocol: string): () => void {
    const p = this.byPeer.get(peer) ?? 0;
    const q = this.byProtocol.get(protocol) ?? 0;
    if (p >= this.config.perPeer)
      throw new CoreError('net/too-many-streams', { peer, limit: this.config.perPeer }, 'ignore');
    if (q >= this.config.perProtocol)
      throw new CoreError('net/too-many-streams', { protocol, limit: this.config.perProtocol }, 'ignore');
    this.byPeer.set(peer, p + 1);
    this.byProtocol.set(protocol, q + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      decrement(this.byPeer, peer);
      decrement(this.byProtocol, protocol);
    };
  }
}

function decrement(map: Map<string, number>, key: string): void {
  const n = (map.get(key) ?? 1) - 1;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}

/** What a node shares between all its protocol handlers. */
export interface NetGuard {
  readonly rate: PeerRateLimiter;
  readonly streams: StreamLimiter;
}

export function createGuard(
  rate: RateLimitConfig = DEFAULT_RATE_LIMITS,
  streams: StreamLimitConfig = DEFAULT_STREAM_LIMITS,
  now: () => number = Date.now
): NetGuard {
  return { rate: new PeerRateLimiter(rate, now), streams: new StreamLimiter(streams) };
}
