/**
 * The consensus driver of one chain on one node: real timers, storage and network around the pure
 * engine (src/lib/core/consensus/engine.ts). Every engine event is processed one at a time on a queue,
 * and the actions of a step are carried out in this order:
 *   1. commit → the block, its certificate and the engine snapshot go to disk in ONE synced batch,
 *      then state moves on, waiting submitters are acknowledged, listeners (indexer, mirror) told;
 *   2. otherwise, if the step signed something → the engine snapshot is synced to the WAL first;
 *   3. only then broadcasts go out and timeouts are armed.
 * So nothing this node said or acknowledged can be forgotten by a crash.
 *
 * State is rebuilt on start by replaying stored blocks (each certificate re-verified against the
 * validator set of its height, the state root re-checked). A torn tail (kill -9 mid-write) is cut
 * back to the last whole block; a stored block that does not replay stops the node with a named error
 * rather than deleting committed data. A node that is behind — restarted, or just
 * slow — pulls blocks with block-sync and applies them on the strength of their certificates: a
 * block signed by more than 2/3 of the weight is final, even if this node's view of the consortium
 * (grants, revocations) has moved on since it was decided.
 */
import { blockCodec, blockId, type Block } from '../../lib/core/chain/block.js';
import { headerHash, type Header } from '../../lib/core/chain/header.js';
import {
  applyCertifiedBlock,
  buildBlock,
  executeBlock,
  verifyTx,
  type ChainParams
} from '../../lib/core/chain/rules/block.js';
import { txHash } from '../../lib/core/chain/rules/context.js';
import { validatorSetOf } from '../../lib/core/chain/rules/lookup.js';
import type { ChainState } from '../../lib/core/chain/store.js';
import { makeEvidenceTx, evidenceTxCodec } from '../../lib/core/chain/tx/evidence.js';
import {
  ConsensusEngine,
  DEFAULT_TIMEOUTS,
  type ConsensusApp,
  type EngineAction,
  type EngineEvent,
  type EngineSnapshot,
  type TimeoutConfig
} from '../../lib/core/consensus/engine.js';
import { SparseMerkleTree } from '../../lib/core/state/smt.js';
import { txRoot } from '../../lib/core/state/tx-merkle.js';
import {
  commitCertificateCodec,
  evidenceCodec,
  proposalCodec,
  verifyEvidence,
  validatorSetCodec,
  voteCodec,
  type ConsensusMessage,
  type Evidence
} from '../../lib/core/consensus/types.js';
import { TAGS, LIMITS } from '../../lib/core/constants.js';
import { toHex } from '../../lib/core/crypto/index.js';
import { bytesEqual, decodeCanonical, encodeCanonical } from '../../lib/core/encoding/cbor.js';
import { CoreError, OK, isCoreError } from '../../lib/core/errors.js';
import type { NodeKey } from '../keys.js';
import type { Logger } from '../log.js';
import { Histogram } from '../metrics.js';
import { isStorageFailure } from '../storage/db.js';
import type { ChainStores, NodeDb, Op, StoredBlock } from '../storage/index.js';
import { Mempool, type Committed, type MempoolLimits } from './mempool.js';

/** Consensus messages, and client transactions relayed between mempools ('tx'). */
export type GossipKind = 'proposal' | 'vote' | 'evidence' | 'tx';
export interface GossipItem {
  kind: GossipKind;
  payload: Uint8Array;
}
export interface SyncedBlock {
  height: number;
  block: Uint8Array;
  commit: Uint8Array;
}

/** How a chain driver reaches the other nodes of its chain (libp2p in a node, in-memory in tests). */
export interface ChainTransport {
  /** Best effort, to every peer of this chain. */
  broadcast(items: GossipItem[]): void;
  /** Hand admitted client transactions to the other validators (so any proposer can batch them). */
  relay(txs: Uint8Array[]): void;
  /**
   * Committed blocks from `from` (at most `count`), from any peer that has them; [] if none. With
   * `waitMs`, the peer asked may hold the answer that long for `from` to commit (a long poll);
   * `signal` gives up on it.
   */
  sync(from: number, count: number, waitMs?: number, signal?: AbortSignal): Promise<SyncedBlock[]>;
}

export interface ChainDriverOptions {
  name: string;
  chainId: string;
  genesis: { header: Header; state: ChainState };
  /** Chain params at this instant (a hospital chain's include the consortium state it follows). */
  params(): ChainParams;
  stores: ChainStores;
  db: NodeDb;
  /** The validator key; null for a follower (verifies and applies, never signs). */
  signer: NodeKey | null;
  /**
   * A second key this node signs with at the heights where it, and not `signer`, is in the set: the
   * authority key of a hospital added after genesis, its chain's only validator until the set of the
   * nodes registered for it is adopted (core/chain/genesis.ts hospitalGenesisOf).
   */
  altSigner?: NodeKey;
  transport: ChainTransport;
  mempool: MempoolLimits;
  timeouts?: Partial<TimeoutConfig>;
  /**
   * Most transactions per proposed block. A hospital chain caps it at the index batch limit so the
   * records of one block always fit in one consortium index batch.
   */
  maxBlockTxs?: number;
  /** Snapshot the state every this many blocks (default SNAPSHOT_EVERY_BLOCKS; tests use fewer). */
  snapshotEveryBlocks?: number;
  /** Re-send own and relayed votes this often while a height is open (covers lost messages). */
  regossipMs?: number;
  /**
   * Poll peers for blocks this often (validators use it to catch up; a follower's poll is a long
   * poll, so this is at most the pause between two of them).
   */
  syncMs?: number;
  log: Logger;
  now?: () => number;
  /**
   * Called once if the node's storage fails under a step (disk full, an I/O error, damage): the engine
   * may already have moved past what is on disk, so the driver stops stepping and the node must stop
   * too; started again, it resumes from what is durable and catches up from peers.
   */
  onFatal?: (e: CoreError) => void;
}

/**
 * A follower hears of new blocks only by asking: it asks one peer at a time to answer as soon as the
 * next block commits, or after this long with nothing. Blocks reach it as they commit, and an idle
 * chain costs a request every few seconds. Validators learn of heights from consensus gossip and poll
 * without waiting (a wait would hold their catch-up behind one peer).
 */
export const FOLLOWER_SYNC_WAIT_MS = 5_000;

/** Blocks never shrink below this many transactions when the host is slow (progress over pace). */
const MIN_BLOCK_TXS = 64;
/** A record's build cost on an idle core with its signatures cached (core/chain bench), doubled. */
const INITIAL_BUILD_US_PER_TX = 600;

/** Transactions admitted between two yields to the event loop (~10 ms of signature checks). */
const ADMIT_SLICE = 32;

/**
 * Relayed transactions refused in one gossip batch that get a line each; the rest are counted by code
 * in one line (a full mempool under load refuses hundreds at once).
 */
const RELAY_REFUSALS_LOGGED = 16;

/**
 * A state snapshot is taken once this many blocks have committed since the last one, so a restart
 * replays at most about this many blocks (~1.5 ms each on an idle core) after rebuilding the tree.
 */
const SNAPSHOT_EVERY_BLOCKS = 16;
/**
 * ...and no sooner than this many times the last snapshot's own duration after it: a large state
 * (a busy hospital) is snapshotted less often, so snapshots never take more than ~5% of the time.
 */
const SNAPSHOT_DUTY = 20;

/** Event-loop turns an admission slice waits at most for the engine's queue to drain. */
const ADMISSION_MAX_DEFERRALS = 200;

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

export type SubmitVerdict =
  { ok: true; id: string; done: Promise<Committed> | undefined } | { ok: false; error: CoreError };

/** Re-verify the whole pool after a commit only while it is this small (each is a full verify). */
const RECHECK_MAX_PENDING = 256;

/** Block bytes a proposer packs: under the proposal limit with room for the envelope. */
const MAX_PROPOSAL_TX_BYTES = LIMITS.maxMessageBytes - 64 * 1024;

export type CommitListener = (c: {
  height: number;
  hash: Uint8Array;
  block: Block;
  header: Header;
  state: ChainState;
}) => void;

interface Executed {
  block: Block;
  state: ChainState;
  header: Header;
}

export class ChainDriver {
  readonly mempool: Mempool;
  readonly commitLatency = new Histogram();
  readonly log: Logger;
  state: ChainState;
  header: Header;
  headHash: Uint8Array;
  lastCommitAt = 0;
  /** The height of the state snapshot the last start rebuilt from (0: replayed from genesis). */
  restoredFrom = 0;
  commits = 0;
  syncedBlocks = 0;

  private engine!: ConsensusEngine;
  private queue: Promise<void> = Promise.resolve();
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private intervals: ReturnType<typeof setInterval>[] = [];
  private executed = new Map<string, Executed>();
  private listeners = new Set<CommitListener>();
  private signalled = false;
  private stopped = false;
  private syncing = false;
  /** Aborted on stop: a follower's long poll must not hold the node open. */
  private readonly stopping = new AbortController();
  /** Engine events waiting or running on the queue; admission yields to them (see `admissionTurn`). */
  private queued = 0;
  /** Recent wall-clock cost of building a block, per transaction (sizes the next proposal). */
  private buildUsPerTx = INITIAL_BUILD_US_PER_TX;
  /** When the head last moved (or the engine restarted): re-gossip only once a height stalls. */
  private progressAt = 0;
  /** Height of the newest state snapshot on disk, when the last one finished and how long it took. */
  private snapshotHeight = 0;
  private snapshotDoneAt = 0;
  private snapshotMs = 0;
  private snapshotting: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly o: ChainDriverOptions) {
    this.log = o.log.child({ chain: o.name });
    this.now = o.now ?? Date.now;
    this.state = o.genesis.state;
    this.header = o.genesis.header;
    this.headHash = headerHash(o.genesis.header);
    this.mempool = new Mempool(
      o.mempool,
      (tx) => verifyTx(this.state, tx, this.ctx(this.header.height + 1, this.now(), 0)),
      txHash,
      this.now
    );
    this.mempool.onAdded(() => {
      if (this.signalled) return;
      this.signalled = true;
      void this.enqueue(async () => {
        await this.step({ type: 'txs-available' });
      });
    });
  }

  get height(): number {
    return this.header.height;
  }

  get genesisHeader(): Header {
    return this.o.genesis.header;
  }

  get chainId(): string {
    return this.o.chainId;
  }

  get isValidator(): boolean {
    return this.o.signer !== null || this.o.altSigner !== undefined;
  }

  /** Whether one of this node's keys is in the set that signs the next block: its vote counts now. */
  get isVoting(): boolean {
    const k = this.signerNow();
    return k !== null && validatorSetOf(this.state).validators.some((x) => bytesEqual(x.key, k.publicKey));
  }

  /** The key that signs at the next height: `altSigner` only while it, and not `signer`, is a member. */
  private signerNow(): NodeKey | null {
    const alt = this.o.altSigner;
    if (!alt) return this.o.signer;
    const member = (k: NodeKey) =>
      validatorSetOf(this.state).validators.some((x) => bytesEqual(x.key, k.publicKey));
    return this.o.signer && member(this.o.signer)
      ? this.o.signer
      : member(alt)
        ? alt
        : (this.o.signer ?? alt);
  }

  /** This height's signer (set when its engine starts). */
  private signer: NodeKey | null = null;

  onCommit(fn: CommitListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private ctx(height: number, time: number, txIndex: number) {
    const p = this.o.params();
    return { config: p.config, chainId: p.chainId, height, time, txIndex };
  }

  // -------------------------------------------------------------------------------------------
  // start / stop

  async start(): Promise<void> {
    await this.recoverAndReplay();
    await this.startEngine(true);
    const regossip = this.o.regossipMs ?? 1000;
    this.intervals.push(
      setInterval(() => {
        // Only a height that is stuck needs its messages again; under load heights take less than
        // the interval, and re-sending a full proposal to every peer each tick would cost real work.
        if (this.engine.isAwaitingStart || this.now() - this.progressAt < regossip) return;
        const msgs = this.engine.gossip(true);
        if (msgs.length) this.o.transport.broadcast(msgs.map(toGossip));
      }, regossip)
    );
    this.intervals.push(
      setInterval(() => void this.syncOnce(), this.o.syncMs ?? (this.isValidator ? 1000 : 250))
    );
    void this.syncOnce();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    for (const t of this.timers) clearTimeout(t);
    for (const i of this.intervals) clearInterval(i);
    this.timers.clear();
    await this.queue.catch(() => {});
    await this.snapshotting;
  }

  private async recoverAndReplay(): Promise<void> {
    const blocks = this.o.stores.blocks;
    await blocks.recover(
      (e, prev) => {
        try {
          const b = blockCodec.decode(e.block);
          const cert = commitCertificateCodec.decode(e.cert);
          const id = blockId(b);
          if (!bytesEqual(id, e.hash) || b.header.height !== e.height)
            return { ok: false, error: new CoreError('node/storage-corrupt', { detail: 'hash or height' }) };
          if (!bytesEqual(cert.blockId, id) || cert.height !== e.height)
            return {
              ok: false,
              error: new CoreError('chain/bad-commit', { detail: 'certificate is for another block' })
            };
          if (prev && !bytesEqual(b.header.parent, prev.hash))
            return { ok: false, error: new CoreError('chain/wrong-parent', { height: e.height }) };
          return OK;
        } catch (err) {
          return { ok: false, error: isCoreError(err) ? err : new CoreError('node/storage-corrupt', {}) };
        }
      },
      2,
      (height, why) => this.log.warn('truncated torn tail of the block store', { height, why })
    );
    const head = blocks.height();
    const t0 = this.now();
    const from = await this.restoreSnapshot(head);
    for (let h = from; h <= head; h++) {
      const e = await blocks.get(h);
      try {
        if (!e) throw new CoreError('node/storage-corrupt', { height: h, detail: 'missing block' });
        this.applyCertified(e);
      } catch (err) {
        // Not a torn tail (recover() handled that): committed blocks that no longer replay mean the
        // genesis or the protocol rules changed under this data directory, or the disk is damaged.
        // Deleting committed blocks would destroy what peers may need: refuse to start instead.
        this.log.error('stored chain does not replay; not starting', {
          height: h,
          error: (err as Error).message
        });
        throw new CoreError('node/storage-corrupt', {
          chain: this.o.name,
          height: h,
          detail: `stored ${this.o.name} block ${h} does not replay (${(err as Error).message}); restore the data directory, or start it afresh`
        });
      }
    }
    if (head >= blocks.base)
      this.log.info('replayed stored blocks', {
        height: this.height,
        from,
        blocks: head - from + 1,
        ms: this.now() - t0
      });
  }

  /**
   * Rebuild the state from the newest snapshot if it is usable: at or below the stored head, and its
   * tree's root equal to the state root in the stored header at its height (whose hash is the stored
   * block id). Returns the first height left to replay; anything wrong means replay from genesis.
   */
  private async restoreSnapshot(head: number): Promise<number> {
    const { blocks, snapshots } = this.o.stores;
    try {
      const ptr = await snapshots.latest();
      if (!ptr || ptr.height < blocks.base || ptr.height > head) return blocks.base;
      const e = await blocks.get(ptr.height);
      if (!e) return blocks.base;
      // The stored chain must still start at this genesis (replay from genesis would check it too).
      const first = await blocks.get(blocks.base);
      if (
        !first ||
        !bytesEqual(blockCodec.decode(first.block).header.parent, headerHash(this.o.genesis.header))
      )
        throw new CoreError('node/storage-corrupt', {
          detail: 'stored chain does not start at this genesis'
        });
      const block = blockCodec.decode(e.block);
      if (!bytesEqual(blockId(block), e.hash) || block.header.height !== ptr.height)
        throw new CoreError('node/storage-corrupt', { detail: `block ${ptr.height} under the snapshot` });
      const t0 = this.now();
      let tree = SparseMerkleTree.empty();
      for await (const [k, v] of snapshots.entries(ptr)) tree = tree.set(k, v);
      if (!bytesEqual(tree.root(), block.header.stateRoot))
        throw new CoreError('node/storage-corrupt', {
          detail: `snapshot at ${ptr.height} has the wrong root`
        });
      this.state = tree;
      this.header = block.header;
      this.headHash = e.hash;
      this.snapshotHeight = this.restoredFrom = ptr.height;
      this.log.info('restored state snapshot', {
        height: ptr.height,
        entries: ptr.count,
        ms: this.now() - t0
      });
      return ptr.height + 1;
    } catch (err) {
      this.log.warn('state snapshot not usable; replaying from genesis', { error: (err as Error).message });
      return blocks.base;
    }
  }

  /**
   * Snapshot the state in the background now and then (see SNAPSHOT_EVERY_BLOCKS). The tree is
   * persistent, so the state being written cannot change under the writer while commits go on.
   */
  private maybeSnapshot(): void {
    if (this.snapshotting || this.stopped) return;
    if (this.height - this.snapshotHeight < (this.o.snapshotEveryBlocks ?? SNAPSHOT_EVERY_BLOCKS)) return;
    if (this.now() - this.snapshotDoneAt < this.snapshotMs * SNAPSHOT_DUTY) return;
    const { height, state } = { height: this.height, state: this.state };
    const t0 = this.now();
    this.snapshotting = this.o.stores.snapshots
      .save(height, state.entries())
      .then((p) => {
        this.snapshotHeight = height;
        this.snapshotDoneAt = this.now();
        this.snapshotMs = this.snapshotDoneAt - t0;
        this.log.debug('state snapshot saved', { height, entries: p.count, ms: this.snapshotMs });
      })
      .catch((err: unknown) => this.log.warn('state snapshot failed', { error: (err as Error).message }))
      .finally(() => (this.snapshotting = undefined));
  }

  /**
   * Apply a committed block (replay, block sync) with core's applyCertifiedBlock: the certificate
   * against the validator set of our state, the header against our head, every signature and
   * chain-own rule, the state root — everything except the consortium-view checks the signing
   * validators already made at the block's time. So a grant revoked or expired since does not stop a
   * node from re-syncing records written under it.
   */
  private applyCertified(
    e: StoredBlock | { height: number; block: Uint8Array; cert: Uint8Array }
  ): Executed & {
    hash: Uint8Array;
  } {
    const block = blockCodec.decode(e.block);
    const cert = commitCertificateCodec.decode(e.cert);
    const h = block.header;
    if (h.height !== this.height + 1)
      throw new CoreError('chain/wrong-height', { height: h.height, expected: this.height + 1 });
    const r = applyCertifiedBlock(this.header, this.state, block, this.o.params(), cert);
    if (!r.ok) throw r.error;
    const id = blockId(block);
    this.state = r.state;
    this.header = r.header;
    this.headHash = id;
    return { block, state: r.state, header: r.header, hash: id };
  }

  private async startEngine(restore: boolean): Promise<void> {
    let snapshot: EngineSnapshot | undefined;
    this.signer = this.signerNow();
    if (restore && this.signer) {
      const raw = await this.o.stores.wal.loadSnapshot();
      if (raw) {
        try {
          const s = decodeSnapshot(raw);
          if (s.height === this.height + 1) snapshot = s;
        } catch (e) {
          this.log.warn('ignoring unreadable consensus snapshot', { error: (e as Error).message });
        }
      }
    }
    this.engine = new ConsensusEngine(this.app(), this.signer, {
      height: this.height + 1,
      timeouts: this.o.timeouts,
      snapshot
    });
    if (snapshot)
      this.log.info('restored consensus state from WAL', { height: snapshot.height, round: snapshot.round });
    this.signalled = false;
    await this.handle(this.engine.step({ type: 'start' }));
    if (this.mempool.size > 0) {
      this.signalled = true;
      await this.handle(this.engine.step({ type: 'txs-available' }));
    }
  }

  // -------------------------------------------------------------------------------------------
  // the engine's view of the chain

  private app(): ConsensusApp {
    return {
      chainId: this.o.chainId,
      validatorSet: () => validatorSetOf(this.state),
      proposeBlock: (height) => this.propose(height),
      blockId: (bytes) => blockId(this.decodeBlock(bytes)),
      validateBlock: (height, bytes) => {
        if (height !== this.height + 1)
          return { ok: false, error: new CoreError('chain/wrong-height', { height }) };
        try {
          const block = this.decodeBlock(bytes);
          const r = executeBlock(this.header, this.state, block, this.o.params());
          if (!r.ok) return r;
          this.executed.set(toHex(blockId(block)), { block, state: r.state, header: r.header });
          return OK;
        } catch (e) {
          return {
            ok: false,
            error: isCoreError(e) ? e : new CoreError('chain/bad-tx', { detail: String(e) })
          };
        }
      }
    };
  }

  /**
   * The engine asks for a proposal's block id, then for its validity, with the same bytes: decode a
   * block (up to a few MiB) once. Keyed by the bytes object, which nobody mutates.
   */
  private decoded = new WeakMap<Uint8Array, Block>();
  private decodeBlock(bytes: Uint8Array): Block {
    let b = this.decoded.get(bytes);
    if (!b) {
      b = blockCodec.decode(bytes);
      this.decoded.set(bytes, b);
    }
    return b;
  }

  private propose(height: number): Uint8Array | null {
    if (height !== this.height + 1 || !this.signer) return null;
    const cap = Math.min(this.o.maxBlockTxs ?? LIMITS.maxBlockTxs, LIMITS.maxBlockTxs);
    // As many as this host builds in a quarter of the propose timeout at its recent pace: every
    // validator spends about as long validating, and all of it must fit the round on a busy host.
    const budgetUs = (this.o.timeouts?.proposeMs ?? DEFAULT_TIMEOUTS.proposeMs) * 250;
    const max = Math.max(MIN_BLOCK_TXS, Math.min(cap, Math.floor(budgetUs / this.buildUsPerTx)));
    const txs = this.mempool.take(max, MAX_PROPOSAL_TX_BYTES);
    if (txs.length === 0) return null;
    const t0 = performance.now();
    const built = buildBlock(
      this.header,
      this.state,
      txs,
      this.now(),
      this.signer.publicKey,
      this.o.params()
    );
    const perTx = ((performance.now() - t0) * 1000) / txs.length;
    // Only full-ish blocks say much about the pace; a lone tx is dominated by fixed costs.
    if (txs.length >= MIN_BLOCK_TXS) this.buildUsPerTx = 0.7 * this.buildUsPerTx + 0.3 * perTx;
    if (built.dropped.length)
      this.mempool.reject(built.dropped.map((d) => ({ tx: txs[d.index]!, error: d.error })));
    if (built.block.txs.length === 0) return null;
    this.log.debug('proposing', { height, txs: built.block.txs.length });
    this.executed.set(toHex(blockId(built.block)), {
      block: built.block,
      state: built.state,
      header: built.block.header
    });
    return blockCodec.encode(built.block);
  }

  // -------------------------------------------------------------------------------------------
  // events in

  private enqueue(fn: () => Promise<void> | void): Promise<void> {
    this.queued++;
    const p = this.queue.then(async () => {
      try {
        if (!this.stopped) await fn();
      } finally {
        this.queued--;
      }
    });
    this.queue = p.catch((e: unknown) => {
      if (isStorageFailure(e)) {
        if (this.stopped) return;
        this.stopped = true;
        this.log.error('storage failed: this chain stops here', { code: e.code, ...e.data });
        this.o.onFatal?.(e);
        return;
      }
      this.log.error('driver step failed', {
        error: e instanceof Error ? (e.stack ?? e.message) : String(e)
      });
    });
    return p;
  }

  private async step(event: EngineEvent): Promise<EngineAction[]> {
    const actions = this.engine.step(event);
    await this.handle(actions);
    return actions;
  }

  /**
   * Consensus messages (and relayed transactions) from a peer; returns how many the engine (or the
   * mempool) took without complaint.
   */
  async onGossip(items: GossipItem[], peer = 'gossip'): Promise<number> {
    let accepted = 0;
    let admitted = 0;
    let refused = 0;
    const refusedCodes = new Map<string, number>();
    let ahead = false;
    for (const it of items) {
      try {
        if (it.kind === 'tx') {
          // Relayed by a fellow validator (the service passes 'tx' items from configured peers only).
          // Checked here although the sender checked it: that keeps junk out of the pool and leaves
          // the signatures in the verify cache, so validating the proposal that holds it — the step
          // every validator waits on — costs a lookup instead of three signature checks. Never
          // relayed on.
          if (admitted++ % ADMIT_SLICE === 0) await this.admissionTurn();
          try {
            this.mempool.add(it.payload, peer);
          } catch (e) {
            // A refusal on the relay path is as much a security event as one on tx-submit (a replay
            // sent to two nodes is refused here by the second): logged at info with its code.
            if (!isCoreError(e) || e.code.startsWith('decode/')) throw e;
            if (refused++ < RELAY_REFUSALS_LOGGED)
              this.log.info('refused tx', {
                code: e.code,
                peer,
                path: 'relay',
                txHash: toHex(txHash(it.payload))
              });
            refusedCodes.set(e.code, (refusedCodes.get(e.code) ?? 0) + 1);
            continue;
          }
          accepted++;
          continue;
        }
        if (it.kind === 'evidence') {
          const ev = evidenceCodec.decode(it.payload);
          if (this.addEvidence(ev)) accepted++;
          continue;
        }
        const msg: ConsensusMessage =
          it.kind === 'proposal' ? proposalCodec.decode(it.payload) : voteCodec.decode(it.payload);
        if (msg.chainId !== this.o.chainId) continue;
        if (msg.height > this.height + 1) ahead = true;
        await this.enqueue(async () => {
          const actions = await this.step({ type: 'message', msg });
          if (!actions.some((a) => a.type === 'invalid')) accepted++;
        });
      } catch (e) {
        this.log.debug('bad gossip item', { kind: it.kind, error: (e as Error).message });
      }
    }
    if (refused > RELAY_REFUSALS_LOGGED)
      this.log.info('refused relayed txs', { peer, path: 'relay', counts: Object.fromEntries(refusedCodes) });
    if (ahead) void this.syncOnce();
    return accepted;
  }

  /**
   * Wait for a moment when no engine event is waiting: under overload, checking incoming transactions
   * (signatures, ~0.3 ms each) must not delay the proposal and votes of the height being decided —
   * that would turn a backlog into missed rounds. Bounded so admission still progresses in a storm.
   */
  private async admissionTurn(): Promise<void> {
    for (let i = 0; i < ADMISSION_MAX_DEFERRALS; i++) {
      await yieldToLoop();
      if (this.queued === 0 || this.stopped) return;
    }
  }

  /** Admit a transaction; resolves with its id once it is in the mempool (throws the refusal). */
  submit(tx: Uint8Array, peer = 'local', relay = true): string {
    const id = this.mempool.add(tx, peer);
    this.log.debug('admitted', { id: id.slice(0, 8), relay });
    if (relay) this.o.transport.relay([tx]);
    return id;
  }

  /**
   * Admit many transactions from one submitter; one verdict each, in order. Those admitted are relayed
   * to the other validators together (one gossip batch rather than a stream each).
   */
  async submitMany(
    txs: Uint8Array[],
    peer = 'local',
    opts: { wait?: boolean; timeoutMs?: number } = {}
  ): Promise<SubmitVerdict[]> {
    const since = this.now();
    const out: SubmitVerdict[] = [];
    for (let i = 0; i < txs.length; i += ADMIT_SLICE) {
      // Admission verifies signatures (~0.3 ms a record): yield between slices so consensus messages
      // waiting on this event loop are not held up behind a whole batch.
      await this.admissionTurn();
      const admitted: Uint8Array[] = [];
      for (const tx of txs.slice(i, i + ADMIT_SLICE)) {
        try {
          const id = this.mempool.add(tx, peer);
          admitted.push(tx);
          // The waiter is registered in the same tick as admission: no commit can slip in between.
          const done = opts.wait ? this.waitCommitted(id, since, opts.timeoutMs) : undefined;
          done?.catch(() => {});
          out.push({ ok: true, id, done });
        } catch (e) {
          out.push({
            ok: false,
            error: isCoreError(e) ? e : new CoreError('chain/bad-tx', { detail: String(e) })
          });
        }
      }
      if (admitted.length) this.o.transport.relay(admitted);
    }
    return out;
  }

  /** Wait for an admitted transaction's durable commit; observes commit latency from `since`. */
  private async waitCommitted(id: string, since: number, timeoutMs = 30_000): Promise<Committed> {
    const c = await this.mempool.committed(id, timeoutMs);
    this.commitLatency.observe(this.now() - since);
    return c;
  }

  /** Submit and wait for the durable commit; observes commit latency. */
  async submitAndWait(tx: Uint8Array, peer = 'local', timeoutMs = 30_000): Promise<Committed> {
    const t0 = this.now();
    const id = this.submit(tx, peer);
    const c = await this.mempool.committed(id, timeoutMs);
    this.commitLatency.observe(this.now() - t0);
    return c;
  }

  private addEvidence(ev: Evidence): boolean {
    const verdict = verifyEvidence(ev, validatorSetOf(this.state));
    if (!verdict.ok) {
      this.log.info('refused evidence', { code: verdict.error.code });
      return false;
    }
    const tx = evidenceTxCodec.encode(makeEvidenceTx(ev));
    void this.o.stores.evidence.add(evidenceCodec.encode(ev));
    try {
      this.mempool.add(tx, 'evidence');
      return true;
    } catch {
      return false;
    }
  }

  // -------------------------------------------------------------------------------------------
  // actions out

  private async handle(actions: EngineAction[]): Promise<void> {
    if (actions.length === 0) return;
    const commit = actions.find((a) => a.type === 'commit');
    const signed = actions.some((a) => a.type === 'broadcast');
    if (commit && commit.type === 'commit') await this.persistCommit(commit);
    else if (signed && this.signer)
      await this.o.stores.wal.saveSnapshot(encodeSnapshot(this.engine.snapshot()));
    const out: GossipItem[] = [];
    for (const a of actions) {
      if (a.type === 'broadcast') out.push(toGossip(a.msg));
      else if (a.type === 'schedule-timeout') this.arm(a);
      else if (a.type === 'evidence') {
        this.log.warn('equivocation seen', { validator: a.evidence.voteA.validator });
        out.push({ kind: 'evidence', payload: evidenceCodec.encode(a.evidence) });
        this.addEvidence(a.evidence);
      } else if (a.type === 'invalid')
        // An invalid proposal, vote or certificate is a peer's offence (or a Byzantine validator's).
        this.log.info('refused consensus message', { code: a.error.code });
    }
    if (out.length) this.o.transport.broadcast(out);
    if (commit) this.afterCommit();
  }

  private arm(a: Extract<EngineAction, { type: 'schedule-timeout' }>) {
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.enqueue(() =>
        this.step({ type: 'timeout', height: a.height, round: a.round, step: a.step }).then(() => {})
      );
    }, a.delayMs);
    this.timers.add(t);
  }

  private async persistCommit(c: Extract<EngineAction, { type: 'commit' }>): Promise<void> {
    const key = toHex(c.blockId);
    let ex = this.executed.get(key);
    if (!ex) {
      // Decided by > 2/3 of the weight (the engine checked the certificate) before this node
      // validated it: apply on the strength of the certificate, as block sync does.
      const block = this.decodeBlock(c.block);
      const r = applyCertifiedBlock(this.header, this.state, block, this.o.params());
      if (!r.ok) throw r.error;
      ex = { block, state: r.state, header: r.header };
    }
    const certBytes = commitCertificateCodec.encode(c.cert);
    await this.o.stores.blocks.append(
      { height: c.height, hash: c.blockId, block: c.block, cert: certBytes },
      [
        ...(this.signer ? this.o.stores.wal.snapshotOps(encodeSnapshot(this.engine.snapshot())) : []),
        ...this.o.stores.evidence.removeOps(evidenceIn(ex.block)),
        ...this.setChangeOps(ex.header, ex.state)
      ]
    );
    this.state = ex.state;
    this.header = ex.header;
    this.headHash = c.blockId;
    this.executed.clear();
    this.log.debug('committed', { height: c.height, round: c.cert.round, txs: ex.block.txs.length });
    this.finishCommit(ex.block, c.blockId);
  }

  /** A block that changes the validator set stores the set it hands over to, in its own batch. */
  private setChangeOps(header: Header, state: ChainState): Op[] {
    if (bytesEqual(header.validatorsHash, header.nextValidatorsHash)) return [];
    return this.o.stores.blocks.validatorSetOps(
      header.height,
      validatorSetCodec.encode(validatorSetOf(state))
    );
  }

  /**
   * Resolves once `height` is committed here, after `waitMs` at most, when `signal` aborts (the asker
   * went) or when this node stops.
   */
  private committed(height: number, waitMs: number, signal?: AbortSignal): Promise<void> {
    const signals = [this.stopping.signal, ...(signal ? [signal] : [])];
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        off();
        for (const s of signals) s.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      const off = this.onCommit((c) => {
        if (c.height >= height) done();
      });
      for (const s of signals) s.addEventListener('abort', done, { once: true });
      if (signals.some((s) => s.aborted)) done();
    });
  }

  private finishCommit(block: Block, hash: Uint8Array) {
    this.maybeSnapshot();
    this.commits++;
    this.lastCommitAt = this.progressAt = this.now();
    this.mempool.commit(block.txs, { height: block.header.height, blockHash: hash });
    if (this.mempool.size <= RECHECK_MAX_PENDING) this.mempool.recheck();
    for (const l of this.listeners) {
      try {
        l({ height: block.header.height, hash, block, header: block.header, state: this.state });
      } catch (e) {
        this.log.error('commit listener failed', { error: (e as Error).message });
      }
    }
  }

  /** The engine paused after its commit; restart it at the next height (after the current step). */
  private afterCommit() {
    this.signalled = false;
    void this.enqueue(async () => {
      // The set changed so that the other of this node's keys signs from now on: a new engine for it.
      if (this.signerNow() !== this.signer) return this.startEngine(false);
      await this.step({ type: 'start' });
      if (this.mempool.size > 0 && !this.signalled) {
        this.signalled = true;
        await this.step({ type: 'txs-available' });
      }
    });
  }

  // -------------------------------------------------------------------------------------------
  // block sync

  /** Pull and apply blocks peers have beyond our head. Safe to call often: one pass at a time. */
  async syncOnce(): Promise<number> {
    if (this.syncing || this.stopped) return 0;
    this.syncing = true;
    let applied = 0;
    try {
      // A follower's first request of a pass waits at its peer for the next block; a pass that is
      // catching up asks again at once.
      let waitMs = this.isValidator ? 0 : FOLLOWER_SYNC_WAIT_MS;
      for (;;) {
        const got = await this.o.transport.sync(this.height + 1, 32, waitMs, this.stopping.signal);
        waitMs = 0;
        if (got.length === 0 || this.stopped) break;
        let progressed = false;
        await this.enqueue(async () => {
          for (const sb of got) {
            if (sb.height !== this.height + 1) continue;
            const ex = this.applyCertified({ height: sb.height, block: sb.block, cert: sb.commit });
            await this.o.stores.blocks.append(
              { height: sb.height, hash: ex.hash, block: sb.block, cert: sb.commit },
              [
                ...this.o.stores.evidence.removeOps(evidenceIn(ex.block)),
                ...this.setChangeOps(ex.header, ex.state)
              ]
            );
            this.executed.clear();
            this.syncedBlocks++; // before finishCommit: its listeners may ask how the block came
            this.finishCommit(ex.block, ex.hash);
            applied++;
            progressed = true;
          }
          if (progressed) {
            // The engine was deciding a height that is now settled: start it afresh at the new head.
            for (const t of this.timers) clearTimeout(t);
            this.timers.clear();
            await this.startEngine(false);
          }
        });
        if (!progressed || got.length < 32) break;
      }
    } catch (e) {
      this.log.warn('block sync failed', { error: (e as Error).message });
    } finally {
      this.syncing = false;
    }
    if (applied) this.log.info('caught up from peers', { blocks: applied, height: this.height });
    return applied;
  }

  /**
   * Committed block bytes for block-sync peers, each checked against its stored id (header hash, and
   * the transactions against the header's txRoot) first: a block damaged on disk since it was written
   * is never served; the node says so and serves nothing from there on.
   */
  async *blocksFrom(
    from: number,
    count: number,
    waitMs = 0,
    signal?: AbortSignal
  ): AsyncIterable<SyncedBlock> {
    if (waitMs > 0 && this.height < from) await this.committed(from, waitMs, signal);
    const end = Math.min(this.height, from + count - 1);
    for (let h = from; h <= end; h++) {
      const e = await this.o.stores.blocks.get(h);
      if (!e) return;
      let intact = false;
      try {
        const b = blockCodec.decode(e.block);
        intact =
          b.header.height === h &&
          bytesEqual(blockId(b), e.hash) &&
          bytesEqual(b.header.txRoot, txRoot(b.txs));
      } catch {
        // not even decodable: damaged
      }
      if (!intact) {
        this.log.error('stored block is damaged; not serving it', {
          code: 'node/storage-corrupt',
          height: h,
          detail: 'restore the data directory, or move it away to resync from peers'
        });
        return;
      }
      yield { height: h, block: e.block, commit: e.cert };
    }
  }
}

function toGossip(msg: ConsensusMessage): GossipItem {
  return msg.t === TAGS.proposal
    ? { kind: 'proposal', payload: proposalCodec.encode(msg) }
    : { kind: 'vote', payload: voteCodec.encode(msg) };
}

const EVIDENCE_TAG = new TextEncoder().encode(TAGS.txEvidence);

/** Does `tx` contain the evidence tag's bytes at all? Rules out (nearly) every record without decoding it. */
function mayBeEvidence(tx: Uint8Array): boolean {
  return Buffer.from(tx.buffer, tx.byteOffset, tx.byteLength).indexOf(EVIDENCE_TAG) >= 0;
}

function evidenceIn(block: Block): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const tx of block.txs) {
    if (!mayBeEvidence(tx)) continue;
    try {
      const v = decodeCanonical(tx) as { t?: unknown };
      if (v.t === TAGS.txEvidence) out.push(evidenceCodec.encode(evidenceTxCodec.decode(tx).evidence));
    } catch {
      // not evidence
    }
  }
  return out;
}

/** The snapshot on disk: canonical CBOR; votes and proposals re-parsed with their codecs on load. */
export function encodeSnapshot(s: EngineSnapshot): Uint8Array {
  return encodeCanonical({
    ...s,
    ownVotes: s.ownVotes.map((x) => voteCodec.encode(x)),
    ownProposals: s.ownProposals.map((x) => proposalCodec.encode(x))
  });
}

export function decodeSnapshot(bytes: Uint8Array): EngineSnapshot {
  const o = decodeCanonical(bytes, LIMITS.maxMessageBytes * 8) as Record<string, unknown>;
  const votes = o.ownVotes as Uint8Array[];
  const proposals = o.ownProposals as Uint8Array[];
  const step = o.step;
  if (
    typeof o.height !== 'number' ||
    typeof o.round !== 'number' ||
    !Array.isArray(votes) ||
    !Array.isArray(proposals) ||
    (step !== 'propose' && step !== 'prevote' && step !== 'precommit')
  )
    throw new CoreError('node/storage-corrupt', { what: 'consensus snapshot' });
  return {
    height: o.height,
    round: o.round,
    step,
    active: o.active === true,
    awaitingStart: o.awaitingStart === true,
    locked: (o.locked ?? null) as EngineSnapshot['locked'],
    valid: (o.valid ?? null) as EngineSnapshot['valid'],
    ownVotes: votes.map((b) => voteCodec.decode(b)),
    ownProposals: proposals.map((b) => proposalCodec.decode(b))
  };
}
