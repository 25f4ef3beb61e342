/**
 * A deterministic network simulator for the consensus engine. N real engines with real Ed25519 keys
 * exchange real encoded messages over an in-memory network driven by a virtual clock and a seeded
 * event queue; a run is a pure function of its config and seed. Fault model (before GST, the
 * "global stabilisation time"; after it the network delivers everything within `delayMs`):
 * - random delays (reordering follows), drops, duplicates;
 * - partitions of the nodes into two sides, healed after a while;
 * - crashes: a node loses its in-memory state (engine, timers, mempool) and later restarts from the
 *   snapshot it persisted when it last acted, and from its committed blocks;
 * - Byzantine validators (see `Behaviour`), which run a real engine but rewrite what they send.
 * Nodes re-gossip their current-height messages and height status every `gossipMs`, and a node that
 * is behind is sent committed blocks with certificates ('catch-up'), as a node's block sync would.
 * The checker records every honest commit: two different blocks at one height is a safety violation,
 * and every certificate is verified against the validator set.
 */
import { signingPublicKey, sign } from '../../crypto/ed25519.js';
import { sha256, toHex } from '../../crypto/hash.js';
import { CoreError } from '../../errors.js';
import {
  ConsensusEngine,
  type EngineAction,
  type EngineSnapshot,
  type TimeoutConfig,
  type Step
} from '../engine.js';
import {
  consensusMessageCodec,
  makeValidatorSet,
  signBytes,
  signProposal,
  signVote,
  verifyCommit,
  type CommitCertificate,
  type ConsensusMessage,
  type Proposal,
  type SignatureCheck,
  type Evidence,
  type Signer,
  type ValidatorSet,
  type Vote
} from '../types.js';
import { TAGS } from '../../constants.js';
import { bytesEqual } from '../../encoding/cbor.js';
import { memoisedCheck } from './memo.js';
import { Prng } from './prng.js';
import { EventQueue } from './queue.js';
import type { ConsensusApp } from '../engine.js';
import {
  encodeTestBlock,
  INVALID_TX_MARK,
  TestChain,
  decodeTestBlock,
  testBlockId,
  txKey,
  type CommittedBlock
} from './test-chain.js';

/**
 * What the simulator needs of a node's application. TestChain is one; a test may plug in the real
 * chain rules (chain/app.ts ChainApp behind a mempool) with `SimConfig.app`.
 */
export interface SimApp extends ConsensusApp {
  readonly height: number;
  readonly blocks: readonly CommittedBlock[];
  readonly mempool: { clear(): void };
  readonly evidencePool: { clear(): void };
  /** Committed client transactions, by txKey. */
  readonly committedTxs: ReadonlySet<string>;
  readonly committedEvidence: readonly { height: number; evidence: Evidence }[];
  head(): Uint8Array;
  addTx(tx: Uint8Array): boolean;
  addEvidence(ev: Evidence): void;
  hasWork(): boolean;
  proposeBlock(height: number, round: number, note?: Uint8Array): Uint8Array | null;
  apply(c: CommittedBlock): void;
  /** The transactions of a committed block, for the transaction tracker (default: a test block's). */
  txsOf?(block: Uint8Array): readonly Uint8Array[];
  /** A block these chain rules reject, for an 'invalid-blocks' proposer (default: a marked test tx). */
  invalidBlock?(height: number): Uint8Array;
}

/** What an app factory is told about the node it serves. */
export interface SimNodeInfo {
  index: number;
  signingSeed: Uint8Array;
  publicKey: Uint8Array;
  set: ValidatorSet;
  /** The simulator's virtual clock, ms since the run started. */
  now(): number;
}

/**
 * - equivocate: every vote also goes out in a conflicting signed version, each to half the peers;
 * - invalid-blocks: its proposals carry a block the chain rules reject;
 * - withhold: sends no votes at all;
 * - garbage: also sends random bytes and bit-flipped copies of its messages;
 * - collude: with the other colluders, splits the honest nodes in two and, in rounds a colluder
 *   proposes, shows each half a different block and votes for each half's block to that half.
 */
export type Behaviour = 'equivocate' | 'invalid-blocks' | 'withhold' | 'garbage' | 'collude';

export interface SimValidator {
  weight: number;
  byzantine?: Behaviour[];
}

export interface SimConfig {
  seed: number;
  validators: SimValidator[];
  chainId?: string;
  /** Stop once every honest node has committed this many blocks. */
  heights?: number;
  /** Hard stop on virtual time. */
  maxVirtualMs: number;
  delayMs?: [number, number];
  dropRate?: number;
  dupRate?: number;
  /** Mean gap between partition/crash faults before GST; 0 for none. */
  faultEveryMs?: number;
  faultLengthMs?: [number, number];
  /** Virtual time after which there are no drops, duplicates, partitions or crashes. */
  gstMs?: number;
  /** Mean gap between client transactions; 0 for none. */
  txEveryMs?: number;
  txBytes?: number;
  /** No new client transactions after this time. */
  txUntilMs?: number;
  /** Transactions already waiting in every mempool at the start (the benchmark's deep mempool). */
  prefillTxs?: number;
  maxTxsPerBlock?: number;
  gossipMs?: number;
  /**
   * Flood votes: each node forwards every vote it receives, once, to its other peers, as gossip between
   * real peers does (this is how an equivocator's two halves' votes meet at one node). Costs n² deliveries.
   */
  relay?: boolean;
  timeouts?: Partial<TimeoutConfig>;
  /** Share decoding and signature-check caches between nodes (tests); off = every node pays its own CPU (bench). */
  sharedCaches?: boolean;
  stopOnViolation?: boolean;
  /** 'mempool': client transactions (default); 'synthetic': see TestChain (always work, recurring blocks). */
  workload?: 'mempool' | 'synthetic';
  /** Validator keys: the same family in every run keeps the signature memo warm across runs. */
  keyFamily?: number;
  /** Stop once every client transaction submitted so far is committed at every honest node (light-load bench). */
  stopWhenTxsCommitted?: boolean;
  /** Called as a client transaction is submitted / is committed at every honest node (the bench's stopwatch). */
  onTxSubmitted?: () => void;
  onTxCommitted?: (rec: TxRecord) => void;
  /** Each node's application instead of a TestChain (its chain id must be `chainId`). */
  app?: (node: SimNodeInfo) => SimApp;
  /** Validator signing seeds instead of the key family's (e.g. the keys a genesis set names). */
  validatorSeeds?: Uint8Array[];
  /** Client transactions to submit, one per submit event in this order, instead of random bytes. */
  clientTxs?: Uint8Array[];
  /** Checked after every honest commit: stop the run once it returns true. */
  stopWhen?: () => boolean;
}

export interface TxRecord {
  submittedAt: number;
  /** The honest node whose rounds are counted, and its round counter at submission. */
  roundsAtSubmit: number;
  committedAt?: number;
  height?: number;
  rounds?: number;
  /** Commits at all honest nodes. */
  everywhereAt?: number;
}

export interface SimResult {
  seed: number;
  heights: number[];
  minHonestHeight: number;
  violations: { height: number; a: string; b: string }[];
  badCerts: { node: number; height: number; error: string }[];
  /** Committed evidence: the height it was committed at and the offender's height and key. */
  evidence: { committedAt: number; voteHeight: number; offender: string }[];
  /** First height at which each equivocator sent conflicting votes. */
  equivocatedAt: Map<string, number>;
  /** Client transactions by key (the bytes as latin1, see txKey). */
  txs: Map<string, TxRecord>;
  invalidMessages: number;
  events: number;
  virtualMs: number;
  maxRound: number;
  signatureChecks: number;
  /** Each node's final engine position (height/round/step), for diagnosing a stuck run. */
  states: string[];
  /** Committed blocks of the first honest node, for byte counts. */
  blocks: { block: Uint8Array; cert: CommitCertificate }[];
}

type SimEvent =
  | { k: 'msg'; to: number; from: number; bytes: Uint8Array }
  | { k: 'timeout'; node: number; epoch: number; h: number; r: number; step: Step }
  | { k: 'tx'; to: number; tx: Uint8Array }
  | { k: 'gossip'; node: number; epoch: number }
  | { k: 'status'; to: number; from: number; height: number }
  | { k: 'sync'; to: number; blocks: { height: number; block: Uint8Array; cert: CommitCertificate }[] }
  | { k: 'submit' }
  | { k: 'fault' }
  | { k: 'heal' }
  | { k: 'restart'; node: number };

interface SimNode {
  i: number;
  signer: Signer;
  behaviours: Set<Behaviour>;
  honest: boolean;
  app: SimApp;
  engine: ConsensusEngine;
  alive: boolean;
  epoch: number;
  snapshot: EngineSnapshot | null;
  check: SignatureCheck;
  /** Rounds this node has started (any height), for the liveness bound. */
  rounds: number;
  at: string;
  statusAt: number;
  relayed: WeakSet<Uint8Array>;
}

// Validator keys depend only on (index, key family), so node:crypto key objects and the memo
// stay warm across runs; the family varies the sort order, and so the proposer order, between seeds.
const keyCache = new Map<string, { seed: Uint8Array; pub: Uint8Array }>();
function validatorKey(i: number, family: number): { seed: Uint8Array; pub: Uint8Array } {
  const k = `${family}/${i}`;
  let e = keyCache.get(k);
  if (!e) {
    const seed = sha256(new TextEncoder().encode(`carechain-sim-validator/${k}`));
    e = { seed, pub: signingPublicKey(seed) };
    keyCache.set(k, e);
  }
  return e;
}

/** Blocks per sync reply: a node that fell behind during a partition catches up in a few round trips. */
const SYNC_BATCH = 32;

/** Virtual timeouts a few times the default 1-10 ms delays: fast runs, rounds still complete after GST. */
export const SIM_TIMEOUTS: TimeoutConfig = {
  proposeMs: 30,
  prevoteMs: 15,
  precommitMs: 15,
  roundDeltaMs: 10
};

const sharedMemo = memoisedCheck();

// Ed25519 is deterministic: a memo of sign(seed, msg) returns exactly what signing again would.
const signMemo = new Map<string, Uint8Array>();
const SIGN_MEMO_MAX = 300_000;
function memoisedSign(seed: Uint8Array): (msg: Uint8Array) => Uint8Array {
  const prefix = toHex(seed);
  return (msg) => {
    const key = prefix + txKey(msg);
    let sig = signMemo.get(key);
    if (!sig) {
      sig = sign(seed, msg);
      if (signMemo.size >= SIGN_MEMO_MAX) signMemo.clear();
      signMemo.set(key, sig);
    }
    return sig;
  };
}

const sharedDecoded = new WeakMap<Uint8Array, ConsensusMessage | null>();
// Decoded messages are shared by every receiver and never mutated: verify each object once.
const verifiedObjects = new WeakMap<ConsensusMessage, boolean>();
function sharedVerify(m: ConsensusMessage): boolean {
  let ok = verifiedObjects.get(m);
  if (ok === undefined) {
    ok = sharedMemo(m.t === TAGS.proposal ? m.proposer : m.validator, signBytes(m), m.sig);
    verifiedObjects.set(m, ok);
  }
  return ok;
}

export function runSimulation(cfg: SimConfig): SimResult {
  return new Simulation(cfg).run();
}

export class Simulation {
  readonly cfg: Required<
    Omit<
      SimConfig,
      | 'timeouts'
      | 'heights'
      | 'txUntilMs'
      | 'onTxSubmitted'
      | 'onTxCommitted'
      | 'app'
      | 'validatorSeeds'
      | 'clientTxs'
      | 'stopWhen'
    >
  > &
    Pick<
      SimConfig,
      | 'timeouts'
      | 'heights'
      | 'txUntilMs'
      | 'onTxSubmitted'
      | 'onTxCommitted'
      | 'app'
      | 'validatorSeeds'
      | 'clientTxs'
      | 'stopWhen'
    >;
  private readonly rng: Prng;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly nodes: SimNode[];
  private readonly set: ValidatorSet;
  private readonly honest: SimNode[];
  private now = 0;
  private side: number[] | null = null;
  private faultActive = false;
  private stopped = false;
  private readonly encoded = new WeakMap<ConsensusMessage, Uint8Array>();
  private readonly conflicts = new WeakMap<Vote, Vote>();
  private readonly plans = new Map<string, { x: Proposal; y: Proposal }>();
  private readonly planVotes = new Map<string, [Vote, Vote]>();
  private sides: Map<number, 'x' | 'y'> | null = null;
  private readonly decided = new Map<number, { id: string; node: number }>();
  private readonly result: SimResult;
  private clientTxsSent = 0;
  /** Events handled, by kind (diagnostics). */
  readonly kinds: Record<string, number> = {};

  constructor(config: SimConfig) {
    this.cfg = {
      chainId: 'sim',
      delayMs: [1, 10],
      dropRate: 0,
      dupRate: 0,
      faultEveryMs: 0,
      faultLengthMs: [20, 200],
      gstMs: 0,
      txEveryMs: 5,
      txBytes: 32,
      prefillTxs: 0,
      maxTxsPerBlock: 64,
      gossipMs: 25,
      relay: false,
      sharedCaches: true,
      stopOnViolation: true,
      stopWhenTxsCommitted: false,
      workload: 'mempool',
      keyFamily: 0,
      ...config
    };
    this.rng = new Prng(config.seed);
    const seeds = config.validatorSeeds;
    const keys = config.validators.map((_, i) =>
      seeds ? { seed: seeds[i]!, pub: signingPublicKey(seeds[i]!) } : validatorKey(i, this.cfg.keyFamily)
    );
    this.set = makeValidatorSet(keys.map((k, i) => ({ key: k.pub, weight: config.validators[i]!.weight })));
    const shared = this.cfg.sharedCaches;
    this.nodes = config.validators.map((v, i) => {
      const check = shared ? sharedMemo : memoisedCheck();
      const seed = keys[i]!.seed;
      const app: SimApp = this.cfg.app
        ? this.cfg.app({
            index: i,
            signingSeed: seed,
            publicKey: keys[i]!.pub,
            set: this.set,
            now: () => this.now
          })
        : new TestChain(
            this.cfg.chainId,
            () => this.set,
            this.cfg.maxTxsPerBlock,
            check,
            this.cfg.workload === 'synthetic' ? { proposer: i } : null
          );
      const signer: Signer = {
        publicKey: keys[i]!.pub,
        sign: shared ? memoisedSign(seed) : (b) => sign(seed, b)
      };
      const node: SimNode = {
        i,
        signer,
        behaviours: new Set(v.byzantine ?? []),
        honest: !v.byzantine || v.byzantine.length === 0,
        app,
        engine: null as unknown as ConsensusEngine,
        alive: true,
        epoch: 0,
        snapshot: null,
        check,
        rounds: 0,
        at: '',
        statusAt: -Infinity,
        relayed: new WeakSet()
      };
      node.engine = this.newEngine(node);
      return node;
    });
    this.honest = this.nodes.filter((n) => n.honest);
    for (let t = 0; t < this.cfg.prefillTxs; t++) {
      const tx = this.newTx();
      for (const n of this.nodes) n.app.addTx(tx);
    }
    this.result = {
      seed: config.seed,
      heights: [],
      minHonestHeight: 0,
      violations: [],
      badCerts: [],
      evidence: [],
      equivocatedAt: new Map(),
      txs: new Map(),
      invalidMessages: 0,
      events: 0,
      virtualMs: 0,
      maxRound: 0,
      signatureChecks: 0,
      states: [],
      blocks: []
    };
  }

  private newEngine(n: SimNode): ConsensusEngine {
    return new ConsensusEngine(n.app, n.signer, {
      height: n.app.height + 1,
      timeouts: this.cfg.timeouts ?? SIM_TIMEOUTS,
      checkSignature: n.check,
      ...(this.cfg.sharedCaches ? { verifyMessage: sharedVerify } : {}),
      ...(n.snapshot ? { snapshot: n.snapshot } : {})
    });
  }

  run(): SimResult {
    const checksBefore = sharedMemo.calls;
    for (const n of this.nodes) {
      this.step(n, { type: 'start' });
      if (n.app.hasWork()) this.step(n, { type: 'txs-available' });
      this.queue.push(this.rng.int(0, this.cfg.gossipMs), { k: 'gossip', node: n.i, epoch: 0 });
    }
    if (this.cfg.txEveryMs > 0) this.queue.push(this.rng.int(0, this.cfg.txEveryMs), { k: 'submit' });
    if (this.cfg.faultEveryMs > 0) this.queue.push(this.expGap(this.cfg.faultEveryMs), { k: 'fault' });
    for (;;) {
      if (this.stopped) break;
      const e = this.queue.pop();
      if (!e || e.at > this.cfg.maxVirtualMs) break;
      this.now = e.at;
      this.result.events++;
      this.kinds[e.item.k] = (this.kinds[e.item.k] ?? 0) + 1;
      this.handle(e.item);
    }
    const r = this.result;
    r.virtualMs = this.now;
    r.heights = this.nodes.map((n) => n.app.height);
    r.states = this.nodes.map(
      (n) =>
        `${n.honest ? '' : 'byz '}${n.alive ? '' : 'down '}${n.engine.currentHeight}/${n.engine.currentRound}/${n.engine.currentStep}${n.engine.isAwaitingStart ? ' awaiting-start' : ''}`
    );
    r.minHonestHeight = Math.min(...this.honest.map((n) => n.app.height));
    r.signatureChecks = this.cfg.sharedCaches
      ? sharedMemo.calls - checksBefore
      : this.nodes.reduce((s, n) => s + (n.check as SignatureCheck & { calls: number }).calls, 0);
    const first = this.honest[0]!;
    r.blocks = first.app.blocks.map((b) => ({ block: b.block, cert: b.cert }));
    for (const { height, evidence } of first.app.committedEvidence)
      r.evidence.push({
        committedAt: height,
        voteHeight: evidence.voteA.height,
        offender: toHex(evidence.voteA.validator)
      });
    return r;
  }

  // -------------------------------------------------------------------------------------------
  // events

  private handle(e: SimEvent): void {
    switch (e.k) {
      case 'msg': {
        const n = this.nodes[e.to]!;
        if (!n.alive) return;
        const msg = this.decode(e.bytes);
        if (!msg) {
          this.result.invalidMessages++;
          return;
        }
        // A peer is ahead: ask it for blocks now rather than at the next stalled gossip tick.
        if (msg.height > n.engine.currentHeight + 1 && this.now - n.statusAt >= this.cfg.gossipMs) {
          n.statusAt = this.now;
          this.send(n.i, e.from, { k: 'status', to: e.from, from: n.i, height: n.app.height });
        }
        if (this.cfg.relay && msg.t === TAGS.vote && !n.relayed.has(e.bytes)) {
          n.relayed.add(e.bytes);
          for (const p of this.nodes) if (p !== n && p.i !== e.from) this.sendMsg(n.i, p.i, e.bytes);
        }
        this.step(n, { type: 'message', msg });
        return;
      }
      case 'timeout': {
        const n = this.nodes[e.node]!;
        if (n.alive && n.epoch === e.epoch)
          this.step(n, { type: 'timeout', height: e.h, round: e.r, step: e.step });
        return;
      }
      case 'tx': {
        const n = this.nodes[e.to]!;
        if (n.alive && n.app.addTx(e.tx)) this.step(n, { type: 'txs-available' });
        return;
      }
      case 'gossip':
        return this.gossip(e.node, e.epoch);
      case 'status': {
        const n = this.nodes[e.to]!;
        if (!n.alive || n.app.height <= e.height) return;
        const blocks = n.app.blocks
          .slice(e.height, e.height + SYNC_BATCH)
          .map((c) => ({ height: c.height, block: c.block, cert: c.cert }));
        this.send(n.i, e.from, { k: 'sync', to: e.from, blocks });
        return;
      }
      case 'sync': {
        const n = this.nodes[e.to]!;
        for (const b of e.blocks)
          if (n.alive && n.engine.currentHeight === b.height && !n.engine.isAwaitingStart)
            this.step(n, { type: 'catch-up', block: b.block, cert: b.cert });
        return;
      }
      case 'submit':
        return this.submit();
      case 'fault':
        return this.fault();
      case 'heal':
        this.side = null;
        this.faultActive = false;
        return;
      case 'restart':
        return this.restart(e.node);
    }
  }

  private decode(bytes: Uint8Array): ConsensusMessage | null {
    if (this.cfg.sharedCaches && sharedDecoded.has(bytes)) return sharedDecoded.get(bytes)!;
    let msg: ConsensusMessage | null = null;
    try {
      msg = consensusMessageCodec.decode(bytes);
    } catch (e) {
      if (!(e instanceof CoreError)) throw e; // anything but a named error is a bug in the codec
    }
    if (this.cfg.sharedCaches) sharedDecoded.set(bytes, msg);
    return msg;
  }

  private step(n: SimNode, ev: Parameters<ConsensusEngine['step']>[0]): void {
    const h0 = n.engine.currentHeight;
    const r0 = n.engine.currentRound;
    const actions = n.engine.step(ev);
    if (n.engine.currentHeight !== h0 || n.engine.currentRound !== r0) {
      n.rounds++;
      if (n.engine.currentRound > this.result.maxRound) this.result.maxRound = n.engine.currentRound;
    }
    if (actions.length > 0) this.apply(n, actions);
  }

  /** Carry out a node's actions: persist first, then send (durable before acknowledging), then commit. */
  private apply(n: SimNode, actions: EngineAction[]): void {
    let persist = false;
    const sends: ConsensusMessage[] = [];
    const commits: Extract<EngineAction, { type: 'commit' }>[] = [];
    for (const a of actions) {
      switch (a.type) {
        case 'broadcast':
          persist = true;
          sends.push(a.msg);
          break;
        case 'schedule-timeout':
          this.queue.push(this.now + a.delayMs, {
            k: 'timeout',
            node: n.i,
            epoch: n.epoch,
            h: a.height,
            r: a.round,
            step: a.step
          });
          break;
        case 'commit':
          persist = true;
          commits.push(a);
          break;
        case 'evidence':
          n.app.addEvidence(a.evidence);
          break;
        case 'invalid':
          this.result.invalidMessages++;
          break;
      }
    }
    if (persist) n.snapshot = n.engine.snapshot();
    for (const m of sends) this.transmit(n, m);
    for (const c of commits) {
      n.app.apply({ height: c.height, block: c.block, blockId: c.blockId, cert: c.cert });
      if (n.honest) this.recordCommit(n, c);
      if (this.stopped) return;
      this.step(n, { type: 'start' });
      if (n.app.hasWork()) this.step(n, { type: 'txs-available' });
    }
  }

  private recordCommit(n: SimNode, c: Extract<EngineAction, { type: 'commit' }>): void {
    const r = this.result;
    const verdict = verifyCommit(c.cert, this.set, this.cfg.chainId, c.height, c.blockId, n.check);
    if (!verdict.ok) r.badCerts.push({ node: n.i, height: c.height, error: verdict.error.message });
    const id = toHex(c.blockId);
    const prev = this.decided.get(c.height);
    if (!prev) this.decided.set(c.height, { id, node: n.i });
    else if (prev.id !== id) {
      r.violations.push({ height: c.height, a: `node ${prev.node}: ${prev.id}`, b: `node ${n.i}: ${id}` });
      if (this.cfg.stopOnViolation) this.stopped = true;
    }
    if (r.txs.size === 0) return this.checkStop();
    const txs = n.app.txsOf ? n.app.txsOf(c.block) : decodeTestBlock(c.block)!.txs;
    const counter = this.honest[0]!;
    for (const tx of txs) {
      const rec = r.txs.get(txKey(tx));
      if (!rec) continue;
      if (rec.committedAt === undefined) {
        rec.committedAt = this.now;
        rec.height = c.height;
        rec.rounds = counter.rounds - rec.roundsAtSubmit;
      }
      if (rec.everywhereAt === undefined && this.honest.every((h) => h.app.committedTxs.has(txKey(tx)))) {
        rec.everywhereAt = this.now;
        this.cfg.onTxCommitted?.(rec);
      }
    }
    this.checkStop();
  }

  private checkStop(): void {
    const r = this.result;
    if (this.cfg.heights !== undefined && this.honest.every((h) => h.app.height >= this.cfg.heights!))
      this.stopped = true;
    if (
      this.cfg.stopWhenTxsCommitted &&
      r.txs.size > 0 &&
      [...r.txs.values()].every((t) => t.everywhereAt !== undefined)
    )
      this.stopped = true;
    if (this.cfg.stopWhen?.()) this.stopped = true;
  }

  // -------------------------------------------------------------------------------------------
  // the network

  private preGst(): boolean {
    return this.now < this.cfg.gstMs;
  }

  private send(from: number, to: number, ev: SimEvent): void {
    if (this.preGst()) {
      if (this.side && this.side[from] !== this.side[to]) return;
      if (this.rng.chance(this.cfg.dropRate)) return;
    }
    const [lo, hi] = this.cfg.delayMs;
    this.queue.push(this.now + this.rng.int(lo, hi), ev);
    if (this.preGst() && this.rng.chance(this.cfg.dupRate))
      this.queue.push(this.now + this.rng.int(lo, hi), ev);
  }

  private sendMsg(from: number, to: number, msg: ConsensusMessage | Uint8Array): void {
    const bytes = msg instanceof Uint8Array ? msg : this.encode(msg);
    this.send(from, to, { k: 'msg', to, from, bytes });
  }

  private encode(msg: ConsensusMessage): Uint8Array {
    let b = this.encoded.get(msg);
    if (!b) {
      b = consensusMessageCodec.encode(msg);
      this.encoded.set(msg, b);
    }
    return b;
  }

  private peers(n: SimNode): SimNode[] {
    return this.nodes.filter((p) => p !== n);
  }

  /** Send one of n's messages to every peer, as n's behaviours dictate. */
  private transmit(n: SimNode, msg: ConsensusMessage): void {
    const b = n.behaviours;
    if (n.honest) {
      for (const p of this.nodes) if (p !== n) this.sendMsg(n.i, p.i, msg);
      return;
    }
    const isVote = msg.t === TAGS.vote;
    if (b.has('collude') && this.colludes(n, msg)) return;
    if (isVote && b.has('withhold')) return;
    let out: ConsensusMessage = msg;
    if (!isVote && b.has('invalid-blocks') && msg.polRound === -1) out = this.invalidProposal(n, msg);
    const peers = this.peers(n);
    if (isVote && b.has('equivocate')) {
      const other = this.conflicting(n, msg);
      peers.forEach((p, k) => this.sendMsg(n.i, p.i, k % 2 === 0 ? msg : other));
    } else for (const p of peers) this.sendMsg(n.i, p.i, out);
    if (b.has('garbage'))
      for (const p of peers) if (this.rng.chance(0.3)) this.sendMsg(n.i, p.i, this.garbage(out));
  }

  private conflicting(n: SimNode, vote: Vote): Vote {
    let c = this.conflicts.get(vote);
    if (!c) {
      // Deterministic content, so the same equivocation in another run costs no new signature check.
      const blockId = (vote.blockId === null ? sha256(signBytes(vote)) : null) as Vote['blockId'];
      const { sig: _sig, ...unsigned } = vote;
      c = signVote({ ...unsigned, blockId }, n.signer);
      this.conflicts.set(vote, c);
      const key = toHex(n.signer.publicKey);
      if (!this.result.equivocatedAt.has(key)) this.result.equivocatedAt.set(key, vote.height);
    }
    return c;
  }

  private invalidProposal(n: SimNode, p: Proposal): Proposal {
    if (n.app.invalidBlock) {
      const bad = n.app.invalidBlock(p.height);
      const { sig: _sig, ...rest } = p;
      return signProposal(
        { ...rest, block: bad as Proposal['block'], blockId: n.app.blockId(bad) as Proposal['blockId'] },
        n.signer
      );
    }
    const block = encodeTestBlock({
      t: 'cc/sim-block',
      height: p.height,
      parent: this.cfg.workload === 'synthetic' ? new Uint8Array(32) : n.app.head(),
      txs: [new Uint8Array([INVALID_TX_MARK, p.height & 0xff, (p.height >> 8) & 0xff, n.i])],
      evidence: [],
      note: new Uint8Array(0)
    });
    const { sig: _sig, ...rest } = p;
    return signProposal(
      { ...rest, block: block as Proposal['block'], blockId: testBlockId(block) as Proposal['blockId'] },
      n.signer
    );
  }

  private garbage(msg: ConsensusMessage): Uint8Array {
    if (this.rng.chance(0.5)) return this.rng.bytes(this.rng.int(1, 300));
    const b = new Uint8Array(this.encode(msg));
    b[this.rng.int(0, b.length - 1)]! ^= 1 << this.rng.int(0, 7);
    return b;
  }

  /**
   * The colluders' split-brain attack. Returns true when it handled the message. The other nodes are
   * split into sides X and Y of about equal weight; colluders see side X's messages.
   */
  private colludes(n: SimNode, msg: ConsensusMessage): boolean {
    const slot = `${msg.height}/${msg.round}`;
    let plan = this.plans.get(slot);
    if (msg.t === TAGS.proposal) {
      if (plan || msg.polRound !== -1) return false;
      const alt = n.app.proposeBlock(msg.height, msg.round, new Uint8Array([0xa1, msg.round & 0xff]));
      if (!alt) return false;
      const { sig: _sig, ...rest } = msg;
      const y = signProposal(
        { ...rest, block: alt as Proposal['block'], blockId: testBlockId(alt) as Proposal['blockId'] },
        n.signer
      );
      plan = { x: msg, y };
      this.plans.set(slot, plan);
      for (const p of this.peers(n)) this.sendMsg(n.i, p.i, this.sideOf(p) === 'y' ? y : msg);
      return true;
    }
    if (!plan) return false;
    const voteKey = `${slot}/${msg.type}/${n.i}`;
    let pair = this.planVotes.get(voteKey);
    if (!pair) {
      const { sig: _sig, ...unsigned } = msg;
      pair = [
        signVote({ ...unsigned, blockId: plan.x.blockId }, n.signer),
        signVote({ ...unsigned, blockId: plan.y.blockId }, n.signer)
      ];
      this.planVotes.set(voteKey, pair);
    }
    const [vx, vy] = pair;
    const key = toHex(n.signer.publicKey);
    if (!this.result.equivocatedAt.has(key)) this.result.equivocatedAt.set(key, msg.height);
    for (const p of this.peers(n)) this.sendMsg(n.i, p.i, this.sideOf(p) === 'y' ? vy : vx);
    return true;
  }

  private sideOf(p: SimNode): 'x' | 'y' | 'c' {
    if (p.behaviours.has('collude')) return 'c';
    if (!this.sides) {
      // Split the others into two halves of about equal weight (heaviest first, to the lighter half).
      this.sides = new Map();
      let wx = 0;
      let wy = 0;
      const others = this.nodes.filter((n) => !n.behaviours.has('collude'));
      others.sort((a, b) => this.weight(b) - this.weight(a) || a.i - b.i);
      for (const n of others) {
        if (wx <= wy) {
          this.sides.set(n.i, 'x');
          wx += this.weight(n);
        } else {
          this.sides.set(n.i, 'y');
          wy += this.weight(n);
        }
      }
    }
    return this.sides.get(p.i)!;
  }

  private weight(n: SimNode): number {
    return this.cfg.validators[n.i]!.weight;
  }

  private gossip(i: number, epoch: number): void {
    const n = this.nodes[i]!;
    if (!n.alive || n.epoch !== epoch) return;
    this.queue.push(this.now + this.cfg.gossipMs, { k: 'gossip', node: i, epoch });
    // Re-send only when stalled since the last tick: a node that is making progress needs no repeats.
    const pos = `${n.engine.currentHeight}/${n.engine.currentRound}/${n.engine.currentStep}/${n.app.height}`;
    const stalled = pos === n.at;
    n.at = pos;
    if (!stalled) return;
    for (const m of n.engine.gossip(this.cfg.relay)) {
      const author = m.t === TAGS.proposal ? m.proposer : m.validator;
      if (bytesEqual(author, n.signer.publicKey)) this.transmit(n, m);
      else for (const p of this.peers(n)) this.sendMsg(n.i, p.i, m);
    }
    for (const p of this.peers(n))
      this.send(n.i, p.i, { k: 'status', to: p.i, from: n.i, height: n.app.height });
  }

  // -------------------------------------------------------------------------------------------
  // clients and faults

  private newTx(): Uint8Array {
    if (this.cfg.clientTxs) return this.cfg.clientTxs[this.clientTxsSent++]!;
    const tx = this.rng.bytes(this.cfg.txBytes);
    if (tx[0] === INVALID_TX_MARK) tx[0] = 0;
    return tx;
  }

  private submit(): void {
    const left = !this.cfg.clientTxs || this.clientTxsSent < this.cfg.clientTxs.length;
    if (left && (this.cfg.txUntilMs === undefined || this.now <= this.cfg.txUntilMs)) {
      const tx = this.newTx();
      const counter = this.honest[0]!;
      this.result.txs.set(txKey(tx), { submittedAt: this.now, roundsAtSubmit: counter.rounds });
      this.cfg.onTxSubmitted?.();
      for (const n of this.nodes) this.send(n.i, n.i, { k: 'tx', to: n.i, tx });
      this.queue.push(this.now + this.expGap(this.cfg.txEveryMs), { k: 'submit' });
    }
  }

  private fault(): void {
    if (!this.preGst()) return;
    const [lo, hi] = this.cfg.faultLengthMs;
    const length = this.rng.int(lo, hi);
    if (!this.faultActive) {
      this.faultActive = true;
      if (this.rng.chance(0.5)) {
        this.side = this.nodes.map(() => this.rng.int(0, 1));
        this.queue.push(this.now + length, { k: 'heal' });
      } else {
        const n = this.rng.pick(this.nodes);
        this.crash(n);
        this.queue.push(this.now + length, { k: 'restart', node: n.i });
      }
    }
    this.queue.push(this.now + length + this.expGap(this.cfg.faultEveryMs), { k: 'fault' });
  }

  private crash(n: SimNode): void {
    n.alive = false;
    n.epoch++;
    n.app.mempool.clear();
    n.app.evidencePool.clear();
  }

  private restart(i: number): void {
    const n = this.nodes[i]!;
    this.faultActive = false;
    n.alive = true;
    n.engine = this.newEngine(n);
    this.step(n, { type: 'start' });
    this.queue.push(this.now + this.cfg.gossipMs, { k: 'gossip', node: n.i, epoch: n.epoch });
  }

  private expGap(mean: number): number {
    return Math.max(1, Math.round(-Math.log(1 - this.rng.float()) * mean));
  }
}
