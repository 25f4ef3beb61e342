/**
 * Pending transactions of one chain, FIFO. Admission runs the chain's own `verifyTx` against the
 * current committed state (so a proposer never batches what validators will refuse), plus the node's
 * limits: total count and bytes, per-peer rate (token bucket), and de-duplication against pending and
 * recently committed transactions. Submitters wait on `committed(id)`, which resolves only after the
 * block holding the tx is durable on this node.
 *
 * After a commit, pending transactions that the new state makes invalid are dropped with their named
 * error — by `recheck` while the pool is small, by the proposer's block building otherwise.
 */
import { CoreError, type Verdict } from '../../lib/core/errors.js';
import { toHex } from '../../lib/core/crypto/index.js';

export interface MempoolLimits {
  /** Most pending transactions. */
  maxTxs: number;
  /** Most pending bytes: maxTxs × a typical record tx, so a flood of large txs cannot pin memory. */
  maxBytes: number;
  /** Transactions per second from one peer, burst of twice that. */
  txPerPeerPerSecond: number;
  /** Whether the node is above its memory ceiling (memory-guard.ts): then no new tx is taken. */
  overloaded?: () => boolean;
}

export interface Committed {
  height: number;
  txIndex: number;
  blockHash: Uint8Array;
}

interface Pending {
  id: string;
  tx: Uint8Array;
  waiters: { ok: (c: Committed) => void; ko: (e: CoreError) => void }[];
}

/** Recently committed ids remembered for de-duplication: a few blocks' worth. */
const RECENT_COMMITTED = 50_000;

export type TxId = (tx: Uint8Array) => Uint8Array;

export class Mempool {
  private pending = new Map<string, Pending>();
  private bytes_ = 0;
  private recent = new Set<string>();
  /** Per-peer token buckets; bounded like the pool (a flood of fresh peer ids evicts the oldest). */
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly limits: MempoolLimits,
    /** The chain's verifyTx against the current committed state. */
    private admit: (tx: Uint8Array) => Verdict,
    private readonly txId: TxId,
    private readonly now: () => number = Date.now
  ) {}

  private tryToken(peer: string): boolean {
    const rate = this.limits.txPerPeerPerSecond;
    const t = this.now();
    let b = this.buckets.get(peer);
    if (b) {
      this.buckets.delete(peer);
      b.tokens = Math.min(2 * rate, b.tokens + (Math.max(0, t - b.at) / 1000) * rate);
      b.at = t;
    } else {
      b = { tokens: 2 * rate, at: t };
      if (this.buckets.size >= 4096) this.buckets.delete(this.buckets.keys().next().value!);
    }
    this.buckets.set(peer, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.pending.size;
  }

  get bytes(): number {
    return this.bytes_;
  }

  /** Called when a tx enters the pool (the driver proposes when txs wait). */
  onAdded(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  setAdmission(admit: (tx: Uint8Array) => Verdict) {
    this.admit = admit;
  }

  /** Admit a tx; throws a named CoreError when refused. Returns its id (hex). */
  add(tx: Uint8Array, peer = 'local'): string {
    const id = toHex(this.txId(tx));
    if (this.pending.has(id) || this.recent.has(id))
      throw new CoreError('node/duplicate-tx', { id }, 'ignore');
    if (!this.tryToken(peer)) throw new CoreError('node/rate-limited', { peer }, 'ignore');
    if (this.pending.size >= this.limits.maxTxs || this.bytes_ + tx.length > this.limits.maxBytes)
      throw new CoreError('node/mempool-full', { size: this.pending.size }, 'ignore');
    if (this.limits.overloaded?.())
      throw new CoreError('node/mempool-full', { detail: 'the node is above its memory ceiling' }, 'ignore');
    const verdict = this.admit(tx);
    if (!verdict.ok) throw verdict.error;
    this.pending.set(id, { id, tx, waiters: [] });
    this.bytes_ += tx.length;
    for (const l of this.listeners) l();
    return id;
  }

  has(id: string): boolean {
    return this.pending.has(id);
  }

  /** Resolves when the tx commits (durably), rejects if it is dropped as invalid. */
  committed(id: string, timeoutMs = 30_000): Promise<Committed> {
    const p = this.pending.get(id);
    if (!p) return Promise.reject(new CoreError('chain/bad-tx', { id, detail: 'not pending' }));
    return new Promise<Committed>((ok, ko) => {
      const timer = setTimeout(() => ko(new CoreError('node/timeout', { id, ms: timeoutMs })), timeoutMs);
      p.waiters.push({
        ok: (c) => {
          clearTimeout(timer);
          ok(c);
        },
        ko: (e) => {
          clearTimeout(timer);
          ko(e);
        }
      });
    });
  }

  /** The oldest pending txs, up to the given count and bytes; they stay pending until committed. */
  take(maxTxs: number, maxBytes: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let bytes = 0;
    for (const p of this.pending.values()) {
      if (out.length >= maxTxs || bytes + p.tx.length > maxBytes) break;
      out.push(p.tx);
      bytes += p.tx.length;
    }
    return out;
  }

  /**
   * A block committed (and is durable): settle waiters of its txs and forget them.
   */
  commit(txs: Uint8Array[], where: { height: number; blockHash: Uint8Array }) {
    txs.forEach((tx, txIndex) => {
      const id = toHex(this.txId(tx));
      this.remember(id);
      const p = this.pending.get(id);
      if (!p) return;
      this.drop(p);
      for (const w of p.waiters) w.ok({ height: where.height, txIndex, blockHash: where.blockHash });
    });
  }

  /**
   * Re-check what is left against the new state (a grant revoked in the last block makes a waiting
   * record invalid). Costs a full verify per pending tx, so the driver calls it only when the pool is
   * small; otherwise the proposer's buildBlock finds and `reject`s them on its turn.
   */
  recheck() {
    for (const p of [...this.pending.values()]) {
      const v = this.admit(p.tx);
      if (v.ok) continue;
      this.drop(p);
      for (const w of p.waiters) w.ko(v.error);
    }
  }

  /** Drop txs a proposer found invalid now (they would otherwise be offered again and again). */
  reject(items: { tx: Uint8Array; error: CoreError }[]) {
    for (const { tx, error } of items) {
      const p = this.pending.get(toHex(this.txId(tx)));
      if (!p) continue;
      this.drop(p);
      for (const w of p.waiters) w.ko(error);
    }
  }

  private drop(p: Pending) {
    this.pending.delete(p.id);
    this.bytes_ -= p.tx.length;
  }

  private remember(id: string) {
    if (this.recent.size >= RECENT_COMMITTED) {
      const first = this.recent.values().next().value;
      if (first !== undefined) this.recent.delete(first);
    }
    this.recent.add(id);
  }
}
