/**
 * A deterministic test chain for the simulator: a block is a height, its parent's id, a list of opaque
 * transactions and a list of evidence. It enforces just enough to make Byzantine behaviour detectable
 * (right height and parent, no invalid or replayed transactions, only verifiable evidence) and is
 * generic behind ConsensusApp, so the real hospital/consortium chain rules can replace it unchanged.
 */
import { sha256, toHex } from '../../crypto/hash.js';
import { fail, OK, type Verdict } from '../../errors.js';
import { bytesEqual, decodeCanonical, encodeCanonical } from '../../encoding/cbor.js';
import type { ConsensusApp } from '../engine.js';
import {
  evidenceCodec,
  evidenceId,
  verifyEvidence,
  type CommitCertificate,
  type Evidence,
  type SignatureCheck,
  type ValidatorSet
} from '../types.js';

/** A transaction whose first byte is this is invalid by the test chain's rules. */
export const INVALID_TX_MARK = 0xff;
/** Largest test transaction: the benchmark's ~400-byte records fit. */
export const MAX_TEST_TX = 1024;

export interface TestBlock {
  t: 'cc/sim-block';
  height: number;
  parent: Uint8Array;
  txs: Uint8Array[];
  evidence: Uint8Array[];
  /** Free bytes a proposer may vary: how a Byzantine proposer makes two different valid blocks. */
  note: Uint8Array;
}

export interface CommittedBlock {
  height: number;
  block: Uint8Array;
  blockId: Uint8Array;
  cert: CommitCertificate;
}

const ZERO = new Uint8Array(32);
const EMPTY = new Uint8Array(0);
const ids = new WeakMap<Uint8Array, Uint8Array>();
const decoded = new WeakMap<Uint8Array, TestBlock | null>();

/** Map key of a transaction: its bytes as a latin1 string (hex of 400-byte txs dominated the bench). */
export function txKey(tx: Uint8Array): string {
  let s = '';
  for (let i = 0; i < tx.length; i += 4096)
    s += String.fromCharCode.apply(null, tx.subarray(i, i + 4096) as unknown as number[]);
  return s;
}

export function testBlockId(block: Uint8Array): Uint8Array {
  let id = ids.get(block);
  if (!id) {
    id = sha256(block);
    ids.set(block, id);
  }
  return id;
}

export function encodeTestBlock(b: TestBlock): Uint8Array {
  return encodeCanonical(b);
}

export function decodeTestBlock(bytes: Uint8Array): TestBlock | null {
  if (decoded.has(bytes)) return decoded.get(bytes)!;
  let out: TestBlock | null = null;
  try {
    const x = decodeCanonical(bytes) as TestBlock;
    const okShape =
      x !== null &&
      typeof x === 'object' &&
      x.t === 'cc/sim-block' &&
      Number.isSafeInteger(x.height) &&
      x.parent instanceof Uint8Array &&
      x.parent.length === 32 &&
      Array.isArray(x.txs) &&
      x.txs.every((t) => t instanceof Uint8Array && t.length > 0 && t.length <= MAX_TEST_TX) &&
      Array.isArray(x.evidence) &&
      x.evidence.every((e) => e instanceof Uint8Array) &&
      x.note instanceof Uint8Array &&
      Object.keys(x).length === 6;
    out = okShape ? x : null;
  } catch {
    out = null;
  }
  decoded.set(bytes, out);
  return out;
}

export class TestChain implements ConsensusApp {
  readonly blocks: CommittedBlock[] = [];
  readonly mempool = new Map<string, Uint8Array>();
  readonly committedTxs = new Set<string>();
  /** Evidence reported by the engine, not yet in a committed block. */
  readonly evidencePool = new Map<string, Evidence>();
  readonly committedEvidence: { height: number; evidence: Evidence }[] = [];
  private readonly committedEvidenceIds = new Set<string>();

  /**
   * `synthetic`: instead of a mempool, a proposer always has exactly one transaction, a function of
   * (height, proposer) alone, and blocks do not link to their parent. Every height then has work, and
   * the blocks — hence the votes — recur across seeded runs, so a memoised signature check pays for
   * each distinct signature once per process. Competing honest proposals still differ (different
   * proposers), which is what the safety checker needs.
   */
  constructor(
    readonly chainId: string,
    private readonly sets: (height: number) => ValidatorSet,
    private readonly maxTxs: number,
    private readonly check: SignatureCheck,
    private readonly synthetic: { proposer: number } | null = null
  ) {}

  get height(): number {
    return this.blocks.length;
  }

  head(): Uint8Array {
    return this.blocks.at(-1)?.blockId ?? ZERO;
  }

  validatorSet(height: number): ValidatorSet {
    return this.sets(height);
  }

  blockId(block: Uint8Array): Uint8Array {
    return testBlockId(block);
  }

  /** Mempool admission: invalid or already known transactions are refused. */
  addTx(tx: Uint8Array): boolean {
    if (tx.length === 0 || tx.length > MAX_TEST_TX || tx[0] === INVALID_TX_MARK) return false;
    const key = txKey(tx);
    if (this.committedTxs.has(key) || this.mempool.has(key)) return false;
    this.mempool.set(key, tx);
    return true;
  }

  addEvidence(ev: Evidence): void {
    const key = toHex(evidenceId(ev));
    if (!this.committedEvidenceIds.has(key)) this.evidencePool.set(key, ev);
  }

  hasWork(): boolean {
    return this.synthetic !== null || this.mempool.size > 0 || this.evidencePool.size > 0;
  }

  proposeBlock(height: number, _round: number, note: Uint8Array = EMPTY): Uint8Array | null {
    if (!this.hasWork()) return null;
    if (this.synthetic) {
      const tx = new Uint8Array(12);
      const dv = new DataView(tx.buffer);
      dv.setUint32(0, 0x73796e74); // "synt": never the invalid mark
      dv.setUint32(4, height);
      dv.setUint32(8, this.synthetic.proposer);
      const evidence = [...this.evidencePool.values()].slice(0, 8).map((e) => evidenceCodec.encode(e));
      return encodeTestBlock({ t: 'cc/sim-block', height, parent: ZERO, txs: [tx], evidence, note });
    }
    const txs: Uint8Array[] = [];
    for (const tx of this.mempool.values()) {
      if (txs.length >= this.maxTxs) break;
      txs.push(tx);
    }
    const evidence = [...this.evidencePool.values()].slice(0, 8).map((e) => evidenceCodec.encode(e));
    return encodeTestBlock({ t: 'cc/sim-block', height, parent: this.head(), txs, evidence, note });
  }

  validateBlock(height: number, block: Uint8Array): Verdict {
    const b = decodeTestBlock(block);
    if (!b) return fail('decode/schema', { detail: 'not a test block' });
    if (b.height !== height || height !== this.height + 1) return fail('chain/wrong-height', { height });
    if (!(this.synthetic ? bytesEqual(b.parent, ZERO) : bytesEqual(b.parent, this.head())))
      return fail('chain/wrong-parent', { height });
    if (b.txs.length > this.maxTxs) return fail('chain/too-many-txs', { count: b.txs.length });
    const inBlock = new Set<string>();
    for (const tx of b.txs) {
      if (tx[0] === INVALID_TX_MARK) return fail('chain/bad-tx', { detail: 'marked invalid' });
      const key = txKey(tx);
      if (this.committedTxs.has(key) || inBlock.has(key)) return fail('chain/replayed-tx', {});
      inBlock.add(key);
    }
    for (const raw of b.evidence) {
      let ev: Evidence;
      try {
        ev = evidenceCodec.decode(raw);
      } catch (e) {
        return fail('chain/bad-evidence', { detail: (e as Error).message });
      }
      if (this.committedEvidenceIds.has(toHex(evidenceId(ev))))
        return fail('chain/bad-evidence', { detail: 'already committed' });
      const r = verifyEvidence(ev, this.sets(ev.voteA.height), this.check);
      if (!r.ok) return r;
    }
    return OK;
  }

  /** Apply a committed block (the engine already validated it against this state). */
  apply(c: CommittedBlock): void {
    const b = decodeTestBlock(c.block)!;
    this.blocks.push(c);
    for (const tx of b.txs) {
      const key = txKey(tx);
      this.committedTxs.add(key);
      this.mempool.delete(key);
    }
    for (const raw of b.evidence) {
      const ev = evidenceCodec.decode(raw);
      const key = toHex(evidenceId(ev));
      this.committedEvidenceIds.add(key);
      this.evidencePool.delete(key);
      this.committedEvidence.push({ height: c.height, evidence: ev });
    }
  }
}
