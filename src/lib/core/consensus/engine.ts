/**
 * The BFT engine: Tendermint's algorithm ("The latest gossip on BFT consensus", Buchman, Kwon and
 * Milosevic 2018, Algorithm 1) with weighted votes, as a deterministic state machine. `step(event)`
 * consumes one event and returns the actions the driver must carry out; there are no timers, sockets,
 * clocks or randomness in here, so the same engine runs in the simulator and in a hospital node.
 *
 * Rule names in comments (L22, L28, ...) are the line numbers of Algorithm 1 in the paper.
 * Weighted: "2f+1" is a weight strictly above 2/3 of the total (`quorum`), "f+1" strictly above 1/3.
 *
 * Differences from the paper, all liveness-side (safety rules are the paper's):
 * - No empty blocks: at round 0 of a height a node is idle until it sees work — a 'txs-available'
 *   event or any valid message of the height. An idle proposer whose app has nothing to propose waits;
 *   an idle non-proposer schedules no propose timeout. Rounds > 0 always run their timeouts.
 * - After a commit the engine pauses until the driver sends 'start' again: the driver applies and
 *   persists the block first, so `validatorSet(h+1)` and `proposeBlock(h+1)` see the new state.
 * - A lagging node can be handed a committed block with its certificate ('catch-up').
 *
 * Durability: a driver must persist `snapshot()` after every step that returned a broadcast or commit
 * and before sending anything: the snapshot holds the lock, the valid value and every vote and
 * proposal this node signed at the current height, and a restored engine re-sends those rather than
 * ever signing a different one for the same slot.
 */
import { PROTOCOL_VERSION, TAGS } from '../constants.js';
import { CoreError, type Verdict } from '../errors.js';
import { verifySignature } from '../crypto/ed25519.js';
import { bytesEqual } from '../encoding/cbor.js';
import { proposer } from './proposer.js';
import {
  makeCommitCertificate,
  makeEvidence,
  oneThirdPlus,
  quorum,
  signBytes,
  signProposal,
  signVote,
  verifyCommit,
  type CommitCertificate,
  type ConsensusMessage,
  type Evidence,
  type Proposal,
  type SignatureCheck,
  type Signer,
  type ValidatorSet,
  type Vote,
  type VoteType
} from './types.js';

/** The chain the engine decides blocks for. Everything it knows about blocks comes through here. */
export interface ConsensusApp {
  readonly chainId: string;
  /** The set that signs blocks at `height` (known once height-1 is applied). */
  validatorSet(height: number): ValidatorSet;
  /** A block of the waiting transactions, or null when none wait: no empty blocks. */
  proposeBlock(height: number, round: number): Uint8Array | null;
  blockId(block: Uint8Array): Uint8Array;
  validateBlock(height: number, block: Uint8Array): Verdict;
}

export type Step = 'propose' | 'prevote' | 'precommit';

export interface TimeoutConfig {
  proposeMs: number;
  prevoteMs: number;
  precommitMs: number;
  /** Added per round, so timeouts eventually exceed the network's delay after it stabilises. */
  roundDeltaMs: number;
}

/** Hospital LAN / WAN defaults: a proposal of a full block crosses a WAN well within 3 s. */
export const DEFAULT_TIMEOUTS: TimeoutConfig = {
  proposeMs: 3000,
  prevoteMs: 1000,
  precommitMs: 1000,
  roundDeltaMs: 500
};

/** Rounds ahead of ours we keep messages for: enough for f+1 round skipping, bounded against spam. */
export const ROUND_WINDOW = 100;
/** Messages held for the next height while this one finishes: a full round of votes for 256 validators, twice. */
export const FUTURE_BUFFER = 1024;

export type EngineEvent =
  | { type: 'start' }
  | { type: 'message'; msg: ConsensusMessage }
  | { type: 'timeout'; height: number; round: number; step: Step }
  | { type: 'txs-available' }
  | { type: 'catch-up'; block: Uint8Array; cert: CommitCertificate };

export type EngineAction =
  | { type: 'broadcast'; msg: ConsensusMessage }
  | { type: 'schedule-timeout'; height: number; round: number; step: Step; delayMs: number }
  | { type: 'commit'; height: number; block: Uint8Array; blockId: Uint8Array; cert: CommitCertificate }
  | { type: 'evidence'; evidence: Evidence }
  /** A message that failed a check: the driver may penalise the peer that relayed it. */
  | { type: 'invalid'; error: CoreError };

/** What must survive a crash (see the module comment). Plain data: encode it however the driver stores. */
export interface EngineSnapshot {
  height: number;
  round: number;
  step: Step;
  active: boolean;
  /** True between a commit and the driver's next 'start'. */
  awaitingStart: boolean;
  locked: { round: number; block: Uint8Array; blockId: Uint8Array } | null;
  valid: { round: number; block: Uint8Array; blockId: Uint8Array } | null;
  ownVotes: Vote[];
  ownProposals: Proposal[];
}

export interface EngineOptions {
  /** First height to decide; ignored when restoring from a snapshot. */
  height: number;
  timeouts?: Partial<TimeoutConfig>;
  /** Signature check, injectable so a driver can memoise it; defaults to strict Ed25519. */
  checkSignature?: SignatureCheck;
  /**
   * Whole-message check, for a driver that hands the same decoded (immutable) message object to many
   * engines and caches by identity; defaults to `checkSignature` over the signed bytes.
   */
  verifyMessage?: (msg: ConsensusMessage) => boolean;
  snapshot?: EngineSnapshot;
}

interface RoundState {
  proposal: Proposal | null;
  /**
   * Votes per validator key, every distinct one: an equivocator's conflicting votes each count for
   * their own block, as in the paper's message counting. Dropping all but the first would let an
   * equivocator hide a polka from half the nodes forever and stall the chain.
   */
  prevotes: Map<string, Vote[]>;
  precommits: Map<string, Vote[]>;
  /** Weight per block id hex, 'nil' for nil. */
  prevoteWeight: Map<string, number>;
  precommitWeight: Map<string, number>;
  prevoteAny: number;
  precommitAny: number;
  senders: Set<string>;
  senderWeight: number;
  proposeTimeout: boolean;
  prevoteTimeout: boolean;
  precommitTimeout: boolean;
  /** L36 fires once per round. */
  polSeen: boolean;
}

const NIL = 'nil';
/** Map keys for 32-byte ids and keys: one char per byte, far cheaper than hex on the hot path. */
const bkey = (b: Uint8Array): string => String.fromCharCode.apply(null, b as unknown as number[]);
const idKey = (id: Uint8Array | null): string => (id === null ? NIL : bkey(id));

export class ConsensusEngine {
  private readonly timeouts: TimeoutConfig;
  private readonly check: SignatureCheck;
  private readonly verifyMsg: (msg: ConsensusMessage) => boolean;

  private height: number;
  private round = 0;
  private stepName: Step = 'propose';
  private active = false;
  private awaitingStart = false;
  private started = false;
  private locked: EngineSnapshot['locked'] = null;
  private valid: EngineSnapshot['valid'] = null;
  private ownVotes = new Map<string, Vote>();
  private ownProposals = new Map<number, Proposal>();

  private set!: ValidatorSet;
  private weights = new Map<string, number>();
  private q = 0;
  private f1 = 0;
  private rounds = new Map<number, RoundState>();
  private validity = new Map<string, boolean>();
  /** Ids of every proposal seen at this height: the only blocks a conflicting vote may count for. */
  private proposalIds = new Set<string>();
  private evidenceSeen = new Set<string>();
  private future: ConsensusMessage[] = [];
  /** The votes of the height just decided, kept only to recognise late equivocations. */
  private lastRounds = new Map<number, RoundState>();
  private lastEvidence = new Set<string>();
  private out: EngineAction[] = [];

  constructor(
    private readonly app: ConsensusApp,
    private readonly signer: Signer | null,
    opts: EngineOptions
  ) {
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.check = opts.checkSignature ?? verifySignature;
    this.verifyMsg =
      opts.verifyMessage ??
      ((m) => this.check(m.t === TAGS.proposal ? m.proposer : m.validator, signBytes(m), m.sig));
    const s = opts.snapshot;
    this.height = s ? s.height : opts.height;
    if (s) {
      this.round = s.round;
      this.stepName = s.step;
      this.active = s.active;
      this.awaitingStart = s.awaitingStart;
      this.locked = s.locked;
      this.valid = s.valid;
    }
    if (!this.awaitingStart) this.loadSet();
    if (s && !this.awaitingStart) {
      for (const p of s.ownProposals) {
        this.ownProposals.set(p.round, p);
        this.roundState(p.round).proposal = p;
        this.proposalIds.add(bkey(p.blockId));
        this.addSender(p.round, p.proposer);
      }
      for (const vt of s.ownVotes) {
        this.ownVotes.set(`${vt.round}/${vt.type}`, vt);
        this.addVote(vt, this.weights.get(bkey(vt.validator)) ?? 0);
      }
    }
  }

  get currentHeight(): number {
    return this.height;
  }
  get currentRound(): number {
    return this.round;
  }
  get currentStep(): Step {
    return this.stepName;
  }
  get isAwaitingStart(): boolean {
    return this.awaitingStart;
  }

  snapshot(): EngineSnapshot {
    return {
      height: this.height,
      round: this.round,
      step: this.stepName,
      active: this.active,
      awaitingStart: this.awaitingStart,
      locked: this.locked,
      valid: this.valid,
      ownVotes: [...this.ownVotes.values()],
      ownProposals: [...this.ownProposals.values()]
    };
  }

  /**
   * Messages worth re-sending for this height, for gossip after losses: this node's own proposal and
   * votes, the current proposal, and with `relay` every vote held for the last two rounds (relaying
   * is also how an equivocator's two votes meet at one node and become evidence).
   */
  gossip(relay = false): ConsensusMessage[] {
    if (this.awaitingStart) return [];
    const msgs: ConsensusMessage[] = [];
    for (const p of this.ownProposals.values()) if (p.round >= this.round - 1) msgs.push(p);
    for (const vt of this.ownVotes.values()) if (vt.round >= this.round - 1) msgs.push(vt);
    const cur = this.rounds.get(this.round)?.proposal;
    if (cur && !this.ownProposals.has(this.round)) msgs.push(cur);
    // The prevotes that justify a re-proposed block (L28), for nodes that missed or forgot them.
    if (cur && cur.polRound >= 0) {
      const pol = this.rounds.get(cur.polRound);
      if (pol)
        for (const vts of pol.prevotes.values())
          for (const vt of vts) if (sameId(vt.blockId, cur.blockId)) msgs.push(vt);
    }
    if (relay) {
      for (const r of [this.round - 1, this.round]) {
        const rs = this.rounds.get(r);
        if (!rs) continue;
        for (const vts of [...rs.prevotes.values(), ...rs.precommits.values()])
          for (const vt of vts) if (!this.isMine(vt.validator)) msgs.push(vt);
      }
    }
    return msgs;
  }

  step(event: EngineEvent): EngineAction[] {
    this.out = [];
    switch (event.type) {
      case 'start':
        this.onStart();
        break;
      case 'message':
        if (!this.started) this.onStart();
        this.onMessage(event.msg);
        break;
      case 'timeout':
        if (this.started && !this.awaitingStart) this.onTimeout(event.height, event.round, event.step);
        break;
      case 'txs-available':
        if (this.started && !this.awaitingStart) {
          this.markActive();
          // Our own new proposal is evaluated now: a lone validator has no peer message to wake it.
          this.evalCurrent();
        }
        break;
      case 'catch-up':
        if (this.started && !this.awaitingStart) this.onCatchUp(event.block, event.cert);
        break;
    }
    const out = this.out;
    this.out = [];
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // events

  private onStart(): void {
    const first = !this.started;
    this.started = true;
    if (this.awaitingStart) {
      this.enterHeight(this.height);
      return;
    }
    if (!first) return;
    const restored = this.ownVotes.size > 0 || this.ownProposals.size > 0 || this.round > 0;
    if (!restored) {
      this.startRound(0);
      return;
    }
    // Restored after a crash: re-send what we signed, re-arm the timeout of the step we are in.
    for (const m of this.gossip()) this.out.push({ type: 'broadcast', msg: m });
    if (this.stepName === 'propose') {
      if (this.isProposer(this.round)) this.tryPropose();
      if (this.active) this.scheduleProposeTimeout();
    }
    this.evalCurrent();
  }

  private onMessage(msg: ConsensusMessage): void {
    if (msg.chainId !== this.app.chainId) {
      this.invalid('consensus/wrong-chain', { chainId: msg.chainId });
      return;
    }
    if (this.awaitingStart ? msg.height === this.height : msg.height === this.height + 1) {
      if (this.future.length < FUTURE_BUFFER) this.future.push(msg);
      return;
    }
    if (msg.height === this.height - 1 && msg.t === TAGS.vote) {
      this.checkLateVote(msg);
      return;
    }
    if (msg.height !== this.height) return; // stale or far ahead: not an offence, just not useful
    if (msg.round > this.round + ROUND_WINDOW) {
      this.out.push({
        type: 'invalid',
        error: new CoreError('consensus/round-too-far', { round: msg.round, ours: this.round }, 'ignore')
      });
      return;
    }
    if (msg.t === TAGS.proposal) this.onProposal(msg);
    else this.onVote(msg);
  }

  private onProposal(p: Proposal): void {
    const rs = this.roundState(p.round);
    if (rs.proposal) return; // a duplicate, or a second proposal from an equivocating proposer
    if (!bytesEqual(p.proposer, proposer(this.set, this.height, p.round))) {
      this.invalid('chain/bad-proposer', { height: p.height, round: p.round });
      return;
    }
    if (p.polRound >= p.round) {
      this.invalid('decode/schema', { detail: 'polRound must be below round' });
      return;
    }
    if (!this.verifyMsg(p)) {
      this.invalid('crypto/bad-signature', { kind: 'proposal' });
      return;
    }
    if (!bytesEqual(this.app.blockId(p.block), p.blockId)) {
      this.invalid('consensus/bad-block-id', {});
      return;
    }
    rs.proposal = p;
    this.proposalIds.add(bkey(p.blockId));
    this.addSender(p.round, p.proposer);
    this.afterAccept(p.round);
  }

  private onVote(vt: Vote): void {
    const key = bkey(vt.validator);
    const w = this.weights.get(key);
    if (w === undefined) {
      this.invalid('consensus/not-validator', { height: vt.height });
      return;
    }
    const rs = this.roundState(vt.round);
    const held = (vt.type === 'prevote' ? rs.prevotes : rs.precommits).get(key);
    if (held?.some((h) => sameId(h.blockId, vt.blockId))) return; // duplicate delivery
    if (held && vt.blockId !== null && !this.proposalIds.has(bkey(vt.blockId))) {
      // A conflicting vote for a block nobody proposed can never complete a quorum: keeping it would
      // only let an equivocator fill our memory. It still becomes evidence.
      if (this.verifyMsg(vt)) this.reportEquivocation(held[0]!, vt);
      return;
    }
    if (!this.verifyMsg(vt)) {
      this.invalid('crypto/bad-signature', { kind: 'vote' });
      return;
    }
    if (held) this.reportEquivocation(held[0]!, vt);
    this.addVote(vt, w);
    this.afterAccept(vt.round);
  }

  /**
   * A vote for the height just decided can still prove equivocation (its twin arrived before the
   * commit); it is never counted.
   */
  private checkLateVote(vt: Vote): void {
    const rs = this.lastRounds.get(vt.round);
    const held = (vt.type === 'prevote' ? rs?.prevotes : rs?.precommits)?.get(bkey(vt.validator));
    if (!held || held.some((h) => sameId(h.blockId, vt.blockId))) return;
    if (this.verifyMsg(vt)) this.reportEquivocation(held[0]!, vt, this.lastEvidence);
  }

  private reportEquivocation(a: Vote, b: Vote, seen: Set<string> = this.evidenceSeen): void {
    const slot = `${a.round}/${a.type}/${bkey(a.validator)}`;
    if (seen.has(slot)) return;
    seen.add(slot);
    this.out.push({ type: 'evidence', evidence: makeEvidence(a, b) });
  }

  private afterAccept(r: number): void {
    if (this.tryDecide(r)) return;
    this.markActive();
    if (this.awaitingStart) return;
    // L55: more than 1/3 of the weight is already at a later round: join it.
    if (r > this.round && this.roundState(r).senderWeight >= this.f1) {
      this.startRound(r);
      return;
    }
    this.evalCurrent();
  }

  private onTimeout(h: number, r: number, step: Step): void {
    if (h !== this.height || r !== this.round) return;
    if (step === 'propose' && this.stepName === 'propose')
      this.castVote('prevote', null); // L57
    else if (step === 'prevote' && this.stepName === 'prevote')
      this.castVote('precommit', null); // L61
    else if (step === 'precommit') {
      this.startRound(this.round + 1); // L65
      return;
    }
    this.evalCurrent();
  }

  private onCatchUp(block: Uint8Array, cert: CommitCertificate): void {
    if (cert.height !== this.height || cert.chainId !== this.app.chainId) return;
    const id = this.app.blockId(block);
    const verdict = verifyCommit(cert, this.set, this.app.chainId, this.height, id, this.check);
    if (!verdict.ok) {
      this.out.push({ type: 'invalid', error: verdict.error });
      return;
    }
    const ok = this.app.validateBlock(this.height, block);
    if (!ok.ok) {
      this.out.push({ type: 'invalid', error: ok.error });
      return;
    }
    this.decide(block, id, cert);
  }

  // -------------------------------------------------------------------------------------------
  // the algorithm

  private startRound(r: number): void {
    this.round = r;
    this.stepName = 'propose';
    if (r > 0) this.active = true;
    if (this.isProposer(r)) this.tryPropose();
    // The proposer arms it too: after a restart it may hold a valid value without the prevotes that
    // justify it, and must still leave the round.
    if (this.active) this.scheduleProposeTimeout();
    this.evalCurrent();
  }

  /** Work has appeared at this height (transactions, or peers talking): leave the idle state. */
  private markActive(): void {
    if (this.awaitingStart) return;
    const wasIdle = !this.active;
    this.active = true;
    if (this.stepName !== 'propose') return;
    if (this.isProposer(this.round) && !this.ownProposals.has(this.round)) this.tryPropose();
    if (wasIdle) this.scheduleProposeTimeout();
  }

  private tryPropose(): void {
    if (!this.signer || this.ownProposals.has(this.round)) return;
    let block: Uint8Array;
    let polRound = -1;
    if (this.valid) {
      block = this.valid.block;
      polRound = this.valid.round;
    } else {
      const b = this.app.proposeBlock(this.height, this.round);
      if (b === null) return; // nothing waits: no empty blocks
      block = b;
    }
    const p = signProposal(
      {
        t: TAGS.proposal,
        v: PROTOCOL_VERSION,
        chainId: this.app.chainId,
        height: this.height,
        round: this.round,
        polRound,
        block: block as Proposal['block'],
        blockId: this.app.blockId(block) as Proposal['blockId'],
        proposer: this.signer.publicKey as Proposal['proposer']
      },
      this.signer
    );
    this.ownProposals.set(this.round, p);
    this.active = true;
    this.out.push({ type: 'broadcast', msg: p });
    const rs = this.roundState(this.round);
    this.proposalIds.add(bkey(p.blockId));
    if (!rs.proposal) {
      rs.proposal = p;
      this.addSender(this.round, p.proposer);
    }
  }

  /** The rules of the current round, applied until none fires. Each firing advances the step. */
  private evalCurrent(): void {
    for (;;) {
      if (this.awaitingStart || this.tryDecide(this.round)) return;
      const r = this.round;
      const rs = this.roundState(r);
      const p = rs.proposal;
      if (this.stepName === 'propose' && p) {
        const id = idKey(p.blockId);
        if (p.polRound === -1) {
          // L22
          const ok = this.isValid(p) && (this.locked === null || bytesEqual(this.locked.blockId, p.blockId));
          this.castVote('prevote', ok ? p.blockId : null);
          continue;
        }
        const pol = this.rounds.get(p.polRound);
        if (pol && (pol.prevoteWeight.get(id) ?? 0) >= this.q) {
          // L28
          const ok =
            this.isValid(p) &&
            (this.locked === null ||
              this.locked.round <= p.polRound ||
              bytesEqual(this.locked.blockId, p.blockId));
          this.castVote('prevote', ok ? p.blockId : null);
          continue;
        }
      }
      if (this.stepName === 'prevote' && rs.prevoteAny >= this.q && !rs.prevoteTimeout) {
        rs.prevoteTimeout = true; // L34
        this.schedule('prevote', this.timeouts.prevoteMs);
      }
      if (
        this.stepName !== 'propose' &&
        p &&
        !rs.polSeen &&
        (rs.prevoteWeight.get(idKey(p.blockId)) ?? 0) >= this.q &&
        this.isValid(p)
      ) {
        // L36
        rs.polSeen = true;
        this.valid = { round: r, block: p.block, blockId: p.blockId };
        if (this.stepName === 'prevote') {
          this.locked = { round: r, block: p.block, blockId: p.blockId };
          this.castVote('precommit', p.blockId);
        }
        continue;
      }
      if (this.stepName === 'prevote' && (rs.prevoteWeight.get(NIL) ?? 0) >= this.q) {
        this.castVote('precommit', null); // L44
        continue;
      }
      if (rs.precommitAny >= this.q && !rs.precommitTimeout) {
        rs.precommitTimeout = true; // L47
        this.schedule('precommit', this.timeouts.precommitMs);
      }
      return;
    }
  }

  /** L49: a proposal and precommits of more than 2/3 for it, in any round: decide. */
  private tryDecide(r: number): boolean {
    if (this.awaitingStart) return false;
    const rs = this.rounds.get(r);
    const p = rs?.proposal;
    if (!rs || !p) return false;
    const id = idKey(p.blockId);
    if ((rs.precommitWeight.get(id) ?? 0) < this.q || !this.isValid(p)) return false;
    const votes: Vote[] = [];
    for (const vts of rs.precommits.values()) {
      const vt = vts.find((x) => sameId(x.blockId, p.blockId));
      if (vt) votes.push(vt);
    }
    this.decide(p.block, p.blockId, makeCommitCertificate(votes));
    return true;
  }

  private decide(block: Uint8Array, blockId: Uint8Array, cert: CommitCertificate): void {
    this.out.push({ type: 'commit', height: this.height, block, blockId, cert });
    this.height += 1;
    this.round = 0;
    this.stepName = 'propose';
    this.awaitingStart = true;
    this.active = false;
    this.locked = null;
    this.valid = null;
    this.ownVotes = new Map();
    this.ownProposals = new Map();
    this.lastRounds = this.rounds;
    this.lastEvidence = this.evidenceSeen;
    this.rounds = new Map();
    this.validity = new Map();
    this.proposalIds = new Set();
    this.evidenceSeen = new Set();
    this.future = this.future.filter((m) => m.height === this.height);
  }

  /** After the driver applied the commit: load the new set and replay what arrived early. */
  private enterHeight(h: number): void {
    this.awaitingStart = false;
    this.height = h;
    this.loadSet();
    const early = this.future;
    this.future = [];
    this.startRound(0);
    for (const m of early) {
      if (this.awaitingStart) {
        this.future.push(m);
        continue;
      }
      this.onMessage(m);
    }
  }

  private castVote(type: VoteType, blockId: Uint8Array | null): void {
    this.stepName = type;
    if (!this.signer) return;
    const slot = `${this.round}/${type}`;
    let vt = this.ownVotes.get(slot);
    if (!vt) {
      vt = signVote(
        {
          t: TAGS.vote,
          v: PROTOCOL_VERSION,
          chainId: this.app.chainId,
          type,
          height: this.height,
          round: this.round,
          blockId: blockId as Vote['blockId'],
          validator: this.signer.publicKey as Vote['validator']
        },
        this.signer
      );
      this.ownVotes.set(slot, vt);
    }
    this.out.push({ type: 'broadcast', msg: vt });
    const w = this.weights.get(bkey(vt.validator));
    const rs = this.roundState(this.round);
    const held = (type === 'prevote' ? rs.prevotes : rs.precommits).get(bkey(vt.validator));
    if (w !== undefined && !held?.some((h) => sameId(h.blockId, vt.blockId))) this.addVote(vt, w);
  }

  // -------------------------------------------------------------------------------------------
  // bookkeeping

  private loadSet(): void {
    this.set = this.app.validatorSet(this.height);
    this.weights = new Map(this.set.validators.map((x) => [bkey(x.key), x.weight]));
    this.q = quorum(this.set);
    this.f1 = oneThirdPlus(this.set);
  }

  private roundState(r: number): RoundState {
    let rs = this.rounds.get(r);
    if (!rs) {
      rs = {
        proposal: null,
        prevotes: new Map(),
        precommits: new Map(),
        prevoteWeight: new Map(),
        precommitWeight: new Map(),
        prevoteAny: 0,
        precommitAny: 0,
        senders: new Set(),
        senderWeight: 0,
        proposeTimeout: false,
        prevoteTimeout: false,
        precommitTimeout: false,
        polSeen: false
      };
      this.rounds.set(r, rs);
    }
    return rs;
  }

  /** Count a vote not yet held (same validator, slot and block): once per block, once in "any". */
  private addVote(vt: Vote, w: number): void {
    const rs = this.roundState(vt.round);
    const key = bkey(vt.validator);
    const id = idKey(vt.blockId);
    const pre = vt.type === 'prevote';
    const slots = pre ? rs.prevotes : rs.precommits;
    const tally = pre ? rs.prevoteWeight : rs.precommitWeight;
    const held = slots.get(key);
    if (held) held.push(vt);
    else {
      slots.set(key, [vt]);
      if (pre) rs.prevoteAny += w;
      else rs.precommitAny += w;
    }
    tally.set(id, (tally.get(id) ?? 0) + w);
    this.addSender(vt.round, vt.validator);
  }

  private addSender(r: number, who: Uint8Array): void {
    const rs = this.roundState(r);
    const key = bkey(who);
    if (rs.senders.has(key)) return;
    rs.senders.add(key);
    rs.senderWeight += this.weights.get(key) ?? 0;
  }

  private isValid(p: Proposal): boolean {
    const key = bkey(p.blockId);
    let ok = this.validity.get(key);
    if (ok === undefined) {
      ok = this.app.validateBlock(this.height, p.block).ok;
      this.validity.set(key, ok);
    }
    return ok;
  }

  private isProposer(r: number): boolean {
    return this.signer !== null && bytesEqual(proposer(this.set, this.height, r), this.signer.publicKey);
  }

  private isMine(key: Uint8Array): boolean {
    return this.signer !== null && bytesEqual(key, this.signer.publicKey);
  }

  private scheduleProposeTimeout(): void {
    const rs = this.roundState(this.round);
    if (rs.proposeTimeout) return;
    rs.proposeTimeout = true;
    this.schedule('propose', this.timeouts.proposeMs);
  }

  private schedule(step: Step, base: number): void {
    this.out.push({
      type: 'schedule-timeout',
      height: this.height,
      round: this.round,
      step,
      delayMs: base + this.round * this.timeouts.roundDeltaMs
    });
  }

  private invalid(code: ConstructorParameters<typeof CoreError>[0], data: Record<string, unknown>): void {
    this.out.push({ type: 'invalid', error: new CoreError(code, data) });
  }
}

function sameId(a: Uint8Array | null, b: Uint8Array | null): boolean {
  return a === null || b === null ? a === b : bytesEqual(a, b);
}
