/**
 * The simulator driving the real chain rules: every node runs the real consensus engine over
 * chain/app.ts ChainApp (real blocks, state, transactions and Ed25519 signatures) behind a small
 * mempool, for a hospital chain (4 validators of unequal stake) and for the consortium (4 authorities),
 * each with one Byzantine validator, message faults before GST and client transactions, valid and not.
 * Every seed reproduces its run; a failure names the seed and the config.
 */
import { expect, it } from 'vitest';
import {
  DAY,
  DOCTOR,
  GENESIS,
  HOSPITAL,
  LOW_DOCTOR,
  MANAGERS,
  MIRRORS,
  NODES,
  OTHER_DOCTOR,
  PATIENT_2,
  T0,
  account,
  actor,
  grantFor,
  record,
  withAccount,
  world,
  type Actor
} from '../../src/lib/core/chain/fixtures.node.js';
import { ChainApp } from '../../src/lib/core/chain/app.js';
import { blockCodec, makeBlock } from '../../src/lib/core/chain/block.js';
import {
  consortiumGenesisState,
  genesisHeader,
  type ConsortiumGenesis
} from '../../src/lib/core/chain/genesis.js';
import {
  CONSORTIUM_CHAIN_ID,
  hospitalChainId,
  headerHash,
  type Header
} from '../../src/lib/core/chain/header.js';
import {
  applyCertifiedBlock,
  buildBlock,
  verifyBlock,
  verifyTx,
  type ChainParams
} from '../../src/lib/core/chain/rules/block.js';
import { applyGrantTx } from '../../src/lib/core/chain/rules/consent.js';
import { grantEntry, grantRevoked, validatorSetOf } from '../../src/lib/core/chain/rules/lookup.js';
import type { ChainState } from '../../src/lib/core/chain/store.js';
import { appendRecordCodec } from '../../src/lib/core/chain/tx/append-record.js';
import { grantTxCodec, makeRevokeTx, revokeTxCodec } from '../../src/lib/core/chain/tx/consent.js';
import { decodeConsortiumTx, decodeHospitalTx } from '../../src/lib/core/chain/tx/decode.js';
import { evidenceTxCodec, makeEvidenceTx } from '../../src/lib/core/chain/tx/evidence.js';
import { createIndexBatch, indexBatchCodec } from '../../src/lib/core/chain/tx/index-batch.js';
import { TAGS } from '../../src/lib/core/constants.js';
import { setEd25519Backend, signingPublicKey } from '../../src/lib/core/crypto/ed25519.js';
import { nodeEd25519 } from '../../src/lib/core/crypto/ed25519.node.js';
import { memoisedCheck } from '../../src/lib/core/consensus/sim/memo.js';
import { createRevocation, type Revocation } from '../../src/lib/core/consent/revocation.js';
import { grantId, type Grant } from '../../src/lib/core/consent/grant.js';
import { validatorSetHash, verifyCommit, type Evidence } from '../../src/lib/core/consensus/types.js';
import { Prng } from '../../src/lib/core/consensus/sim/prng.js';
import {
  runSimulation,
  type Behaviour,
  type SimApp,
  type SimConfig,
  type SimNodeInfo,
  type SimResult
} from '../../src/lib/core/consensus/sim/simulator.js';
import { txKey, type CommittedBlock } from '../../src/lib/core/consensus/sim/test-chain.js';
import { sha256, toHex } from '../../src/lib/core/crypto/hash.js';
import { utf8Bytes } from '../../src/lib/core/crypto/index.js';
import { txRoot } from '../../src/lib/core/state/tx-merkle.js';
import { bytesEqual } from '../../src/lib/core/encoding/cbor.js';
import { describeFailure } from './scenarios.js';

/** Seeds per chain kind; CARECHAIN_REAL_SIM_RUNS overrides (a quick local pass). */
const RUNS = Number(process.env.CARECHAIN_REAL_SIM_RUNS ?? 20);
/** Each run must commit at least this many blocks at every honest node. */
const MIN_HEIGHTS = 30;
/** The issue's bound: an equivocation is on chain within 10 heights. */
const EVIDENCE_WITHIN = 10;
/** Virtual time 0 of a run maps to this wall time (the fixtures' records are timed T0 + 1 day). */
const BASE_TIME = T0 + DAY;
const GST_MS = 1_500;
const MAX_VIRTUAL_MS = 6_000;

// Every node re-checks the same signatures (mempool admission, re-check after each block, proposal
// validation) across four nodes: verify each distinct (key, message, signature) with node:crypto once
// and remember the answer, as the simulator does for votes. Sound: verification is a pure function.
setEd25519Backend({ ...nodeEd25519, name: 'node-memo', verify: memoisedCheck(nodeEd25519.verify) });

function txTag(params: ChainParams, tx: Uint8Array): { t: string } & Record<string, unknown> {
  return (params.config.kind === 'hospital' ? decodeHospitalTx(tx) : decodeConsortiumTx(tx)) as {
    t: string;
  } & Record<string, unknown>;
}

/**
 * One node's application: the real ChainApp plus what a node adds around it — a mempool that
 * admits only transactions valid against the head (CheckTx) and re-checks them after each commit,
 * an evidence pool turned into evidence transactions, and, for a Byzantine proposer, blocks the rules
 * reject (an invalid transaction, a replayed one, or a false state root).
 */
class RealChainNode implements SimApp {
  readonly blocks: CommittedBlock[] = [];
  readonly mempool = new Map<string, Uint8Array>();
  readonly evidencePool = new Map<string, Uint8Array>();
  readonly committedTxs = new Set<string>();
  readonly committedEvidence: { height: number; evidence: Evidence }[] = [];
  readonly chain: ChainApp;
  refused = 0;
  invalidProposed = 0;

  constructor(
    readonly params: ChainParams,
    start: { header: Header; state: ChainState },
    private readonly info: SimNodeInfo,
    private readonly knownInvalid: readonly Uint8Array[]
  ) {
    this.chain = new ChainApp(params, start, {
      pending: () => [...this.evidencePool.values(), ...this.mempool.values()],
      now: () => this.now(),
      proposer: info.publicKey
    });
  }

  get chainId(): string {
    return this.chain.chainId;
  }
  get height(): number {
    return this.blocks.length;
  }
  head(): Uint8Array {
    return headerHash(this.chain.head);
  }
  validatorSet(height: number) {
    return this.chain.validatorSet(height);
  }
  proposeBlock(height: number): Uint8Array | null {
    return this.chain.proposeBlock(height);
  }
  blockId(block: Uint8Array): Uint8Array {
    return this.chain.blockId(block);
  }
  validateBlock(height: number, block: Uint8Array) {
    return this.chain.validateBlock(height, block);
  }
  txsOf(block: Uint8Array): readonly Uint8Array[] {
    return blockCodec.decode(block).txs;
  }

  private now(): number {
    return BASE_TIME + this.info.now();
  }

  private validNow(tx: Uint8Array): boolean {
    const head = this.chain.head;
    const ctx = {
      ...this.params,
      height: head.height + 1,
      time: Math.max(this.now(), head.time + 1),
      txIndex: 0
    };
    return verifyTx(this.chain.state, tx, ctx).ok;
  }

  addTx(tx: Uint8Array): boolean {
    const key = txKey(tx);
    if (this.committedTxs.has(key) || this.mempool.has(key)) return false;
    if (!this.validNow(tx)) {
      this.refused++;
      return false;
    }
    this.mempool.set(key, tx);
    return true;
  }

  addEvidence(ev: Evidence): void {
    const tx = evidenceTxCodec.encode(makeEvidenceTx(ev));
    const key = txKey(tx);
    if (!this.committedTxs.has(key) && !this.evidencePool.has(key) && this.validNow(tx))
      this.evidencePool.set(key, tx);
  }

  hasWork(): boolean {
    return this.mempool.size + this.evidencePool.size > 0;
  }

  apply(c: CommittedBlock): void {
    this.chain.commit(c.block);
    this.blocks.push(c);
    for (const tx of this.txsOf(c.block)) {
      const key = txKey(tx);
      this.committedTxs.add(key);
      this.mempool.delete(key);
      this.evidencePool.delete(key);
      const d = txTag(this.params, tx);
      if (d.t === TAGS.txEvidence)
        this.committedEvidence.push({ height: c.height, evidence: d.evidence as Evidence });
    }
    // Re-check what waits against the new state, as a node's mempool does after each block.
    for (const pool of [this.mempool, this.evidencePool])
      for (const [key, tx] of pool) if (!this.validNow(tx)) pool.delete(key);
  }

  invalidBlock(height: number): Uint8Array {
    this.invalidProposed++;
    const built = buildBlock(
      this.chain.head,
      this.chain.state,
      [...this.evidencePool.values(), ...this.mempool.values()],
      this.now(),
      this.info.publicKey,
      this.params
    );
    let h = built.block.header;
    let txs = [...built.block.txs];
    const committed =
      this.blocks.length > 0 ? this.txsOf(this.blocks[height % this.blocks.length]!.block) : [];
    const kind = height % 3;
    if (kind === 2 && txs.length > 0) {
      h = { ...h, stateRoot: sha256(h.stateRoot) as Header['stateRoot'] };
    } else {
      const extra =
        kind === 1 && committed.length > 0
          ? committed[0]!
          : this.knownInvalid[height % this.knownInvalid.length]!;
      txs = [...txs, extra];
      h = { ...h, txRoot: txRoot(txs) as Header['txRoot'] };
    }
    return blockCodec.encode(makeBlock(h, txs));
  }
}

interface Workload {
  name: string;
  params: ChainParams;
  start: { header: Header; state: ChainState };
  validators: { seed: Uint8Array; weight: number }[];
  /** Indices that may be Byzantine (their weight is below 1/3 of the total). */
  byzantineCandidates: number[];
  valid: Uint8Array[];
  invalid: { tx: Uint8Array; code: string }[];
  /** Pairs each valid alone of which at most one may commit (a replay of the other's record or seq). */
  conflicts: [Uint8Array, Uint8Array][];
}

function flipSig<T extends { sig: Uint8Array }>(x: T): T {
  const sig = new Uint8Array(x.sig);
  sig[0]! ^= 1;
  return { ...x, sig };
}

// ---------------------------------------------------------------------------------------------
// hospital chain

function hospitalWorkload(): Workload {
  const w = world();
  let consortium = w.consortium;
  const expired = grantFor(PATIENT_2, DOCTOR, 1, undefined, { notBefore: T0, expiry: T0 + DAY / 2 });
  consortium = applyGrantTx(consortium, expired, T0);
  const params: ChainParams = {
    chainId: hospitalChainId(HOSPITAL),
    config: { kind: 'hospital', hospitalId: HOSPITAL, consortium }
  };
  const enc = (r: Parameters<typeof appendRecordCodec.encode>[0]) => appendRecordCodec.encode(r);
  const valid = Array.from({ length: 60 }, (_, i) =>
    enc(record(w.grantId, { category: i % 2 ? 'IV' : 'IX' }))
  );
  const original = record(w.grantId, { blob: utf8Bytes('replayed-blob') });
  const again = record(w.grantId, { blob: utf8Bytes('replayed-blob'), time: T0 + DAY + 1 });
  const invalid = [
    { tx: enc(flipSig(record(w.grantId))), code: 'crypto/bad-signature' },
    { tx: enc(record(grantId(expired.grant), { patient: PATIENT_2 })), code: 'consent/expired' },
    { tx: enc(record(w.grantId, { author: LOW_DOCTOR })), code: 'chain/low-stake' },
    { tx: enc(record(w.grantId, { author: OTHER_DOCTOR })), code: 'chain/not-registered' },
    { tx: enc(record(w.grantId, { mirrors: [MIRRORS[HOSPITAL]![0]!] })), code: 'chain/few-mirrors' }
  ];
  const nodes = NODES[HOSPITAL]!;
  return {
    name: 'hospital',
    params,
    start: { header: w.hospitalHeader, state: w.hospitalState },
    // Genesis stakes 1, 2, 3, 4 (fixtures): any of the first three is below 1/3 of 10.
    validators: nodes.map((n, i) => ({ seed: n.keys.signingSeed, weight: 1 + i })),
    byzantineCandidates: [0, 1, 2],
    valid: [...valid, enc(original)],
    invalid,
    conflicts: [[enc(original), enc(again)]]
  };
}

// ---------------------------------------------------------------------------------------------
// consortium

const C4_HOSPITALS = ['h-north', 'h-south', 'h-east', 'h-west'];
const C4_AUTH: Record<string, Actor> = Object.fromEntries(
  C4_HOSPITALS.map((h) => [h, actor(`c4-authority-${h}`)])
);
const C4_PATIENTS = [0, 1, 2, 3].map((i) => actor(`c4-patient-${i}`));
const C4_DOCTORS = [0, 1, 2].map((i) => actor(`c4-doctor-${i}`));

interface ConsentPlan {
  grants: { grant: Grant; tx: Uint8Array }[];
  revocations: { rev: Revocation; tx: Uint8Array }[];
}

function consortiumWorkload(): Workload & { plan: ConsentPlan } {
  const genesis: ConsortiumGenesis = {
    ...GENESIS,
    managers: MANAGERS.map((m) => ({ key: m.keys.signingPublic, encryptionKey: m.keys.encryptionPublic })),
    hospitals: C4_HOSPITALS.map((h) => {
      const node = actor(`c4-node-${h}`);
      return {
        id: h,
        name: `Hospital ${h}`,
        authority: C4_AUTH[h]!.keys.signingPublic,
        authorityEncryption: C4_AUTH[h]!.keys.encryptionPublic,
        nodes: [
          { key: node.keys.signingPublic, encryptionKey: node.keys.encryptionPublic, mirror: true, weight: 1 }
        ]
      };
    }) as ConsortiumGenesis['hospitals']
  };
  const g = genesisHeader(genesis);
  let state = consortiumGenesisState(genesis);
  // Accounts straight into the start state: registration has its own tests (consortium.test.ts).
  for (const p of C4_PATIENTS) state = withAccount(state, account(p, { role: 'patient' }));
  for (const d of C4_DOCTORS)
    state = withAccount(
      state,
      account(d, { role: 'doctor', hospital: 'h-north', rank: 'consultant', stake: 5 })
    );
  const start = { header: { ...g.header, stateRoot: state.root() as Header['stateRoot'] }, state };

  // Per patient, 15 sequence numbers dealt out at random to grants and revocations (of a doctor, or
  // of one earlier grant), so revocations are numbered both above and below the grants they meet.
  const r = new Prng('real-chain/consortium-workload');
  const plan: ConsentPlan = { grants: [], revocations: [] };
  const valid: Uint8Array[] = [];
  for (const p of C4_PATIENTS) {
    const mine: Grant[] = [];
    for (let seq = 1; seq <= 15; seq++) {
      const doctor = r.pick(C4_DOCTORS);
      if (mine.length === 0 || r.chance(0.55)) {
        const tx = grantFor(p, doctor, seq, { categories: ['IV'], read: true, write: r.chance(0.5) });
        mine.push(tx.grant);
        plan.grants.push({ grant: tx.grant, tx: grantTxCodec.encode(tx) });
        valid.push(grantTxCodec.encode(tx));
      } else {
        const target = r.chance(0.5)
          ? { doctor: doctor.keys.signingPublic }
          : { grant: grantId(r.pick(mine)) };
        const rev = createRevocation({ seed: p.seed, target, seq, time: T0 });
        plan.revocations.push({ rev, tx: revokeTxCodec.encode(makeRevokeTx(rev)) });
        valid.push(revokeTxCodec.encode(makeRevokeTx(rev)));
      }
    }
  }
  const batch = (h: string, signer: Actor) =>
    indexBatchCodec.encode(
      createIndexBatch(signer.keys.signingSeed, signer.keys.signingPublic, {
        hospital: h,
        checkpoint: {
          height: 3,
          headerHash: sha256(utf8Bytes(`header/${h}/3`)) as Uint8Array & { length: 32 }
        },
        entries: [1, 2, 3].map((height) => ({
          tag: sha256(utf8Bytes(`tag/${h}/${height}`)),
          entry: {
            hospital: h,
            height,
            txIndex: 0,
            mhrHash: sha256(utf8Bytes(`blob/${h}/${height}`)),
            blobRef: `sha256:${toHex(sha256(utf8Bytes(`blob/${h}/${height}`)))}`
          }
        }))
      } as Parameters<typeof createIndexBatch>[2])
    );
  for (const h of C4_HOSPITALS) valid.push(batch(h, C4_AUTH[h]!));
  const stranger = actor('c4-stranger');
  const p0 = C4_PATIENTS[0]!;
  const goodGrant = grantFor(p0, C4_DOCTORS[0]!, 100);
  const seqReplay = grantFor(p0, C4_DOCTORS[1]!, 100);
  const badSigGrant = grantFor(p0, C4_DOCTORS[0]!, 101);
  valid.push(grantTxCodec.encode(goodGrant));
  plan.grants.push({ grant: goodGrant.grant, tx: grantTxCodec.encode(goodGrant) });
  const invalid = [
    {
      tx: grantTxCodec.encode({ ...badSigGrant, grant: flipSig(badSigGrant.grant) }),
      code: 'consent/bad-signature'
    },
    { tx: grantTxCodec.encode(grantFor(p0, stranger, 102)), code: 'chain/not-registered' },
    {
      tx: revokeTxCodec.encode(
        makeRevokeTx(
          createRevocation({
            seed: stranger.seed,
            target: { doctor: C4_DOCTORS[0]!.keys.signingPublic },
            seq: 1,
            time: T0
          })
        )
      ),
      code: 'chain/not-registered'
    },
    { tx: batch('h-north', C4_AUTH['h-south']!), code: 'chain/not-authority' }
  ];
  return {
    name: 'consortium',
    params: { chainId: CONSORTIUM_CHAIN_ID, config: { kind: 'consortium' } },
    start,
    validators: C4_HOSPITALS.map((h) => ({ seed: C4_AUTH[h]!.keys.signingSeed, weight: 1 })),
    byzantineCandidates: [0, 1, 2, 3],
    valid,
    invalid,
    conflicts: [[grantTxCodec.encode(goodGrant), grantTxCodec.encode(seqReplay)]],
    plan
  };
}

// ---------------------------------------------------------------------------------------------
// runs and checks

function scenario(w: Workload, seed: number): { cfg: SimConfig; byz: number; apps: RealChainNode[] } {
  const r = new Prng(`real-chain/${w.name}/${seed}`);
  const byz = r.pick(w.byzantineCandidates);
  const extra: Behaviour[] = (['invalid-blocks', 'garbage'] as const).filter(() => r.chance(0.5));
  const behaviours: Behaviour[] = r.chance(0.75) ? ['equivocate', ...extra] : ['invalid-blocks', ...extra];
  // Client order: shuffled valid transactions with the invalid ones, the replays last-ish.
  const [first, second] = w.conflicts[0]!;
  const base = [...w.valid.filter((t) => !bytesEqual(t, first)), ...w.invalid.map((x) => x.tx)];
  for (let i = base.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    [base[i], base[j]] = [base[j]!, base[i]!];
  }
  const mid = r.int(0, base.length >> 1);
  // The replays go before the last few, so a run that stops once every valid one is in has sent them.
  const tail = base.splice(base.length - 5);
  const clientTxs = [...base.slice(0, mid), first, ...base.slice(mid), second, w.valid[0]!, ...tail];
  const mustCommit = w.valid
    .filter((t) => !w.conflicts.some((p) => p.some((x) => bytesEqual(x, t))))
    .map(txKey);
  const apps: RealChainNode[] = [];
  const known = w.invalid.map((x) => x.tx);
  const cfg: SimConfig = {
    seed,
    chainId: w.params.chainId,
    validators: w.validators.map((v, i) =>
      i === byz ? { weight: v.weight, byzantine: behaviours } : { weight: v.weight }
    ),
    validatorSeeds: w.validators.map((v) => v.seed),
    app: (info) => {
      const a = new RealChainNode(w.params, w.start, info, known);
      apps[info.index] = a;
      return a;
    },
    clientTxs,
    // Stop once the work is done: an equivocator keeps every height busy with fresh evidence.
    stopWhen: () =>
      apps.every(
        (a, i) => i === byz || (a.height >= MIN_HEIGHTS && mustCommit.every((k) => a.committedTxs.has(k)))
      ),
    maxVirtualMs: MAX_VIRTUAL_MS,
    txEveryMs: r.int(25, 45),
    delayMs: [1, r.int(3, 10)],
    dropRate: r.pick([0, 0.02, 0.05]),
    dupRate: r.pick([0, 0.02]),
    faultEveryMs: r.pick([0, 400]),
    faultLengthMs: [20, 150],
    gstMs: GST_MS,
    gossipMs: 25,
    // Honest nodes relay votes, so an equivocator's two halves' votes meet (evidence.test.ts).
    relay: true
  };
  return { cfg, byz, apps };
}

interface Totals {
  runs: number;
  commits: number;
  minHeights: number;
  multiRound: number;
  maxRound: number;
  txsCommitted: number;
  invalidRefused: number;
  invalidBlocks: number;
  evidenceLags: number[];
  preGstLost: number;
  revokedByLater: number;
  grantAfterRevocation: number;
}

function runSuite(
  w: Workload,
  extraCheck?: (final: ChainState, apps: RealChainNode[], res: SimResult) => void
): Totals {
  // The invalid transactions fail for the reason they were built for, against the start state.
  for (const x of w.invalid) {
    const v = verifyTx(w.start.state, x.tx, { ...w.params, height: 1, time: BASE_TIME + 1, txIndex: 0 });
    expect(v.ok ? 'ok' : v.error.code, `${w.name}: invalid tx expected ${x.code}`).toBe(x.code);
  }
  const t: Totals = {
    runs: 0,
    commits: 0,
    minHeights: Infinity,
    multiRound: 0,
    maxRound: 0,
    txsCommitted: 0,
    invalidRefused: 0,
    invalidBlocks: 0,
    evidenceLags: [],
    preGstLost: 0,
    revokedByLater: 0,
    grantAfterRevocation: 0
  };
  const invalidKeys = new Set(w.invalid.map((x) => txKey(x.tx)));
  for (let seed = 1; seed <= RUNS; seed++) {
    const { cfg, byz, apps } = scenario(w, seed);
    const res = runSimulation(cfg);
    const fail = (what: string) =>
      new Error(
        describeFailure(
          { ...cfg, app: undefined, clientTxs: undefined, validatorSeeds: undefined },
          res,
          `${w.name} seed ${seed}: ${what}`
        )
      );
    if (res.violations.length > 0) throw fail('SAFETY VIOLATION');
    if (res.badCerts.length > 0) throw fail('bad commit certificate');
    if (res.minHonestHeight < MIN_HEIGHTS) throw fail(`only ${res.minHonestHeight} heights`);
    const honest = apps.filter((_, i) => i !== byz);

    // Replay the first honest node's chain from the start state: full rules and certified rules.
    let prev = w.start.header;
    let state = w.start.state;
    const seen = new Set<string>();
    const set = validatorSetOf(state);
    expect(
      bytesEqual(validatorSetHash(set), validatorSetHash(apps[0]!.chain.validatorSet(apps[0]!.height + 1)))
    ).toBe(true);
    for (const c of honest[0]!.blocks) {
      const block = blockCodec.decode(c.block);
      const full = verifyBlock(prev, state, block, w.params);
      if (!full.ok) throw fail(`committed block ${c.height} fails verifyBlock: ${full.error.message}`);
      const cert = verifyCommit(
        c.cert,
        validatorSetOf(state),
        w.params.chainId,
        c.height,
        headerHash(block.header)
      );
      if (!cert.ok) throw fail(`certificate ${c.height}: ${cert.error.message}`);
      const r = applyCertifiedBlock(prev, state, block, w.params, c.cert);
      if (!r.ok) throw fail(`committed block ${c.height} fails applyCertifiedBlock: ${r.error.message}`);
      for (const tx of block.txs) {
        const key = txKey(tx);
        if (invalidKeys.has(key)) throw fail(`invalid tx committed at ${c.height}`);
        if (seen.has(key)) throw fail(`tx committed twice (at ${c.height})`);
        seen.add(key);
      }
      prev = r.header;
      state = r.state;
      if (c.cert.round > 0) t.multiRound++;
    }
    for (const a of honest) {
      // Every honest node holds the same chain and state (no fork, no divergence).
      const n = Math.min(a.blocks.length, honest[0]!.blocks.length);
      for (let i = 0; i < n; i++)
        if (!bytesEqual(a.blocks[i]!.blockId, honest[0]!.blocks[i]!.blockId)) throw fail(`fork at ${i + 1}`);
      if (a.blocks.length === honest[0]!.blocks.length && !bytesEqual(a.chain.state.root(), state.root()))
        throw fail('final state differs between honest nodes');
    }
    // Liveness: every valid transaction submitted after GST is committed at every honest node.
    for (const tx of w.valid) {
      const rec = res.txs.get(txKey(tx));
      if (!rec) continue;
      const everywhere = honest.every((a) => a.committedTxs.has(txKey(tx)));
      if (
        rec.submittedAt >= GST_MS &&
        !everywhere &&
        !w.conflicts.some((p) => p.some((x) => bytesEqual(x, tx)))
      )
        throw fail(`valid tx submitted at ${rec.submittedAt} never committed everywhere`);
      if (!everywhere) t.preGstLost++;
      else t.txsCommitted++;
    }
    for (const [a, b] of w.conflicts) {
      const both = [a, b].filter((x) => seen.has(txKey(x))).length;
      if (both > 1) throw fail('both transactions of a replay pair committed');
      if (both === 0 && (res.txs.get(txKey(b))?.submittedAt ?? 0) >= GST_MS)
        throw fail('neither of a replay pair committed');
    }
    // Evidence: an equivocation is committed as an evidence transaction within 10 heights.
    const offender = toHex(signingPublicKey(w.validators[byz]!.seed));
    const firstEq = res.equivocatedAt.get(offender);
    const onChain = res.evidence.filter((e) => e.offender === offender).map((e) => e.committedAt);
    if (res.evidence.some((e) => e.offender !== offender)) throw fail('evidence against an honest validator');
    if (firstEq !== undefined) {
      const at = Math.min(...onChain);
      if (!(at <= firstEq + EVIDENCE_WITHIN)) throw fail(`equivocation at ${firstEq}, evidence at ${at}`);
      t.evidenceLags.push(at - firstEq);
    }
    extraCheck?.(state, apps, res);
    t.runs++;
    t.commits += honest[0]!.blocks.length;
    t.minHeights = Math.min(t.minHeights, res.minHonestHeight);
    t.maxRound = Math.max(t.maxRound, res.maxRound);
    t.invalidRefused += honest.reduce((s, a) => s + a.refused, 0);
    t.invalidBlocks += apps[byz]!.invalidProposed;
  }
  return t;
}

function report(name: string, t: Totals, cpuMs: number): void {
  const lags = t.evidenceLags;
  console.log(
    `real-chain ${name}: ${t.runs} seeds, ${t.commits} blocks (min ${t.minHeights} heights/run), ` +
      `${t.multiRound} committed after round 0, max round ${t.maxRound}, ${t.txsCommitted} valid txs committed ` +
      `(${t.preGstLost} pre-GST lost), invalid txs refused by honest mempools ${t.invalidRefused}, ` +
      `invalid blocks proposed ${t.invalidBlocks} (none committed), evidence in ${lags.length} runs: ` +
      `lag max ${lags.length ? Math.max(...lags) : '-'} mean ${lags.length ? (lags.reduce((a, b) => a + b, 0) / lags.length).toFixed(1) : '-'} heights` +
      (name === 'consortium'
        ? `, revoked by a higher seq ${t.revokedByLater}, grant committed after its revocation ${t.grantAfterRevocation}`
        : '') +
      `; CPU ${(cpuMs / 1000).toFixed(1)} s`
  );
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

it(`real hospital chain: ${RUNS} seeded runs, 4 validators of stakes 1-4, one Byzantine`, () => {
  const c0 = cpuMs();
  const t = runSuite(hospitalWorkload());
  report('hospital', t, cpuMs() - c0);
  expect(t.runs).toBe(RUNS);
  expect(t.invalidRefused).toBeGreaterThan(0);
}, 300_000);

it(`real consortium: ${RUNS} seeded runs, 4 authorities, one Byzantine; revocation precedence in the final state`, () => {
  const c0 = cpuMs();
  const w = consortiumWorkload();
  const counts = { later: 0, after: 0 };
  const t = runSuite(w, (state, apps, res) => {
    const committedAt = new Map<string, number>();
    for (const c of apps.find((a) => a.blocks.length > 0)!.blocks)
      for (const tx of blockCodec.decode(c.block).txs) committedAt.set(txKey(tx), c.height);
    const revs = w.plan.revocations.filter((r) => committedAt.has(txKey(r.tx)));
    for (const { grant: g, tx: gtx } of w.plan.grants) {
      const id = grantId(g);
      const entry = grantEntry(state, id);
      if (!entry) continue;
      const by = revs.filter(
        ({ rev: r }) =>
          bytesEqual(r.patient, g.patient) &&
          (r.by === 'grant' ? bytesEqual(r.target, id) : bytesEqual(r.target, g.doctor) && r.seq >= g.seq)
      );
      const revoked = grantRevoked(state, id, entry);
      if (revoked !== by.length > 0)
        throw new Error(
          `consortium seed ${res.seed}: grant seq ${g.seq} live=${!revoked}, revocations say ${by.length === 0}`
        );
      if (by.some(({ rev: r }) => r.seq > g.seq)) counts.later++;
      // The case precedence exists for: the grant reached the chain after the revocation that covers it.
      const gAt = committedAt.get(txKey(gtx))!;
      if (by.some((r) => committedAt.get(txKey(r.tx))! < gAt)) counts.after++;
    }
  });
  t.revokedByLater = counts.later;
  t.grantAfterRevocation = counts.after;
  report('consortium', t, cpuMs() - c0);
  expect(t.runs).toBe(RUNS);
  expect(counts.after).toBeGreaterThan(0);
}, 300_000);
