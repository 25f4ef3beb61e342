/**
 * A chain driver's link to its peers over libp2p: consensus gossip, transaction relay (batched as
 * gossip 'tx' items) and block sync to a fixed list of peer multiaddrs (from the config). Proposals and
 * votes go out on one standing stream per peer (consensus-stream/1), one write at a time; what
 * accumulates during a write goes out in the next frame (up to 64 messages), so under load messages
 * batch by themselves, and a slow peer fills its stream's window instead of making us open streams.
 */
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { TAGS } from '../lib/core/constants.js';
import { isCoreError } from '../lib/core/errors.js';
import { requestBlockSync } from '../lib/net/block-sync.js';
import {
  consensusStreamTo,
  requestConsensusGossip,
  type GossipRequest
} from '../lib/net/consensus-gossip.js';
import type { FrameSender } from '../lib/net/frame-stream.js';
import type { NetHost } from '../lib/net/rpc.js';
import type { ChainTransport, GossipItem, SyncedBlock } from './driver/chain-driver.js';
import type { Logger } from './log.js';

/** A peer whose block sync failed (down, unreachable) is asked last for this long. */
const SYNC_RETRY_MS = 5_000;
/** Messages per gossip frame: a round's votes and a proposal, with room to spare. */
const GOSSIP_BATCH = 64;
/** Messages queued for one peer; beyond this the oldest are dropped (re-gossip resends what matters). */
const MAX_QUEUED = 4096;
/** Txs queued for relay to one peer (a few seconds at full load); the oldest go first when over. */
const MAX_RELAY_QUEUED = 16_384;
/** Relay batches in flight to one peer at once: one being admitted there while the next fills up. */
const RELAY_CONCURRENCY = 2;
/** Transactions per relay batch: the gossip protocol's message limit. */
const RELAY_BATCH = 1024;
/** Bytes per relay batch: well under the gossip request limit (a block's worth of records). */
const RELAY_BATCH_BYTES = 2 * 1024 * 1024;

class PeerLink {
  readonly addr: Multiaddr;
  private queue: GossipItem[] = [];
  private sending = false;
  private readonly stream: FrameSender<GossipRequest>;
  private relayQueue: Uint8Array[] = [];
  private relaying = 0;
  failures = 0;
  /** When block sync from this peer last failed to connect or answer (0: never). */
  syncFailedAt = 0;

  constructor(
    readonly text: string,
    private readonly host: NetHost,
    private readonly chainId: string,
    private readonly log: Logger
  ) {
    this.addr = multiaddr(text);
    this.stream = consensusStreamTo(host, this.addr);
  }

  gossip(items: GossipItem[]) {
    this.queue.push(...items);
    if (this.queue.length > MAX_QUEUED) this.queue.splice(0, this.queue.length - MAX_QUEUED);
    void this.pump();
  }

  private async pump() {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, GOSSIP_BATCH);
        try {
          await this.stream.send({
            t: TAGS.netGossip,
            v: 1,
            chainId: this.chainId,
            messages: batch as never
          });
          this.failures = 0;
        } catch (e) {
          this.failures++;
          if (this.failures === 1 || this.failures % 50 === 0)
            this.log.debug('gossip to peer failed', { peer: this.text, error: (e as Error).message });
          if (this.failures > 3) this.queue = []; // peer down: re-gossip after it returns
        }
      }
    } finally {
      this.sending = false;
    }
  }

  relay(txs: Uint8Array[]) {
    this.relayQueue.push(...txs);
    if (this.relayQueue.length > MAX_RELAY_QUEUED)
      this.relayQueue.splice(0, this.relayQueue.length - MAX_RELAY_QUEUED);
    while (this.relaying < RELAY_CONCURRENCY && this.relayQueue.length) void this.relayBatch();
  }

  /**
   * Relay what waits as one gossip request of 'tx' items (up to RELAY_BATCH txs / bytes): under load a
   * stream carries hundreds of transactions, and each peer sees at most RELAY_CONCURRENCY in flight.
   */
  private async relayBatch() {
    const batch: GossipItem[] = [];
    let bytes = 0;
    while (this.relayQueue.length && batch.length < RELAY_BATCH) {
      const tx = this.relayQueue[0]!;
      if (batch.length && bytes + tx.length > RELAY_BATCH_BYTES) break;
      this.relayQueue.shift();
      bytes += tx.length;
      batch.push({ kind: 'tx', payload: tx });
    }
    if (!batch.length) return;
    this.relaying++;
    try {
      await requestConsensusGossip(this.host, this.addr, {
        t: TAGS.netGossip,
        v: 1,
        chainId: this.chainId,
        messages: batch as never
      });
    } catch {
      // the peer may be down; our own mempool still holds the txs and our turn to propose will come
    } finally {
      this.relaying--;
      if (this.relayQueue.length) void this.relayBatch();
    }
  }
}

export function libp2pTransport(
  host: NetHost,
  chainId: string,
  peers: string[],
  log: Logger
): ChainTransport {
  const links = peers.map((p) => new PeerLink(p, host, chainId, log));
  let next = 0;
  return {
    broadcast(items) {
      for (const l of links) l.gossip(items);
    },
    relay(txs) {
      for (const l of links) l.relay(txs);
    },
    async sync(from, count, waitMs, signal): Promise<SyncedBlock[]> {
      // Start from a different peer each time so one slow or lying peer cannot stall catch-up, and
      // ask peers that failed in the last SYNC_RETRY_MS last: a restarting node must not wait on a
      // dead peer's dial before asking a live one.
      const now = Date.now();
      const order = links
        .map((_, k) => links[(next + k) % links.length]!)
        .sort(
          (a, b) =>
            Number(now - a.syncFailedAt < SYNC_RETRY_MS) - Number(now - b.syncFailedAt < SYNC_RETRY_MS)
        );
      for (const l of order) {
        if (signal?.aborted) return [];
        const k = links.indexOf(l);
        try {
          const got = await requestBlockSync(
            host,
            l.addr,
            { t: TAGS.netSyncRequest, v: 1, chainId, from, count, ...(waitMs ? { waitMs } : {}) },
            signal ? { signal } : {}
          );
          l.syncFailedAt = 0;
          if (got.length) {
            next = k;
            return got.map((b) => ({ height: b.height, block: b.block, commit: b.commit }));
          }
        } catch (e) {
          // A peer at or behind our head answers with no blocks. Polling an idle chain, that is every
          // peer every pass: stop at the first and ask the next one on the next pass (which the
          // driver also starts as soon as gossip shows a height ahead), so a quiet network costs one
          // stream per pass rather than one per peer, and a peer that lies "nothing new" delays
          // catch-up by one pass, not more.
          if (isCoreError(e) && e.code === 'net/no-response') {
            next = (k + 1) % links.length;
            return [];
          }
          // An error frame or a peer down: try the next now.
          if (!isCoreError(e)) l.syncFailedAt = Date.now();
        }
      }
      next = (next + 1) % Math.max(1, links.length);
      return [];
    }
  };
}
