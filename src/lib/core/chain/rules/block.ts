/**
 * Block rules for both chains. `executeBlock` is the one place a block is checked: header against its
 * parent, the proposer, the tx root, every transaction in order against the state the previous ones
 * produced, then the state root and next validator set the header claims. It returns the new state
 * without touching the old (the tree is persistent). `verifyBlock` is its verdict alone;
 * `applyBlock` is for blocks already finalised by a verified commit certificate; `applyCertifiedBlock`
 * is for blocks committed earlier (sync, replay), checked against this chain alone; `buildBlock`
 * makes a proposal from candidate transactions, dropping those that fail.
 */
import { LIMITS, PROTOCOL_VERSION, TAGS } from '../../constants.js';
import { CoreError, fail, OK, type Verdict } from '../../errors.js';
import { bytesEqual } from '../../encoding/cbor.js';
import { txRoot } from '../../state/tx-merkle.js';
import { validatorSetHash, verifyCommit, weightOf, type CommitCertificate } from '../../consensus/types.js';
import { blockId, makeBlock, type Block } from '../block.js';
import { headerHash, type Header } from '../header.js';
import type { ChainState } from '../store.js';
import { knownConsortium, knownHospital } from '../tx/known.js';
import type { ChainConfig, TxContext } from './context.js';
import { verdictOf } from './context.js';
import { applyConsortiumTx, verifyConsortiumTx } from './consortium.js';
import { applyHospitalTx, verifyHospitalTx } from './hospital.js';
import { validatorSetOf } from './lookup.js';

type HospitalCtx = Parameters<typeof verifyHospitalTx>[3];

/**
 * Verify one encoded transaction against `state` (pure; never changes state). Decoded through the memo
 * (tx/known.ts), which also hands over the replay key, so the bytes are hashed once per process.
 */
export function verifyTx(state: ChainState, tx: Uint8Array, ctx: TxContext): Verdict {
  return verdictOf(() => {
    if (ctx.config.kind === 'hospital') {
      const k = knownHospital(tx);
      return verifyHospitalTx(state, k.tx, tx, ctx as HospitalCtx, k.replayKey);
    }
    const k = knownConsortium(tx);
    return verifyConsortiumTx(state, k.tx, tx, ctx, k.replayKey);
  });
}

/** Apply one encoded transaction that verified against this same state. */
export function applyTx(state: ChainState, tx: Uint8Array, ctx: TxContext): ChainState {
  if (ctx.config.kind === 'hospital') {
    const k = knownHospital(tx);
    return applyHospitalTx(state, k.tx, tx, ctx, k.replayKey);
  }
  const k = knownConsortium(tx);
  return applyConsortiumTx(state, k.tx, tx, ctx, k.replayKey);
}

/** Verify then apply, decoding once: the step both block execution and block building use. */
function step(
  state: ChainState,
  tx: Uint8Array,
  ctx: TxContext
): { ok: true; state: ChainState } | { ok: false; error: CoreError } {
  try {
    if (ctx.config.kind === 'hospital') {
      const k = knownHospital(tx);
      const v = verifyHospitalTx(state, k.tx, tx, ctx as HospitalCtx, k.replayKey);
      return v.ok ? { ok: true, state: applyHospitalTx(state, k.tx, tx, ctx, k.replayKey) } : v;
    }
    const k = knownConsortium(tx);
    const v = verifyConsortiumTx(state, k.tx, tx, ctx, k.replayKey);
    return v.ok ? { ok: true, state: applyConsortiumTx(state, k.tx, tx, ctx, k.replayKey) } : v;
  } catch (e) {
    if (e instanceof CoreError) return { ok: false, error: e };
    throw e;
  }
}

export interface ChainParams {
  chainId: string;
  config: ChainConfig;
}

export type Execution = { ok: true; state: ChainState; header: Header } | { ok: false; error: CoreError };

function bad(v: Verdict): Execution {
  return v as Execution;
}

/** Check a block on top of (prev, state); on success the post-state and the header. */
export function executeBlock(
  prev: Header,
  state: ChainState,
  block: Block,
  params: ChainParams,
  certified = false
): Execution {
  const h = block.header;
  if (block.txs.length > LIMITS.maxBlockTxs)
    return bad(fail('chain/too-many-txs', { count: block.txs.length }));
  if (h.chainId !== params.chainId) return bad(fail('chain/wrong-chain', { chainId: h.chainId }));
  if (h.height !== prev.height + 1)
    return bad(fail('chain/wrong-height', { height: h.height, expected: prev.height + 1 }));
  if (!bytesEqual(h.parent, headerHash(prev))) return bad(fail('chain/wrong-parent', { height: h.height }));
  if (h.time <= prev.time) return bad(fail('chain/wrong-time', { time: h.time, parentTime: prev.time }));
  const set = validatorSetOf(state);
  if (
    !bytesEqual(h.validatorsHash, prev.nextValidatorsHash) ||
    !bytesEqual(h.validatorsHash, validatorSetHash(set))
  )
    return bad(fail('chain/wrong-validators', { detail: 'validatorsHash' }));
  if (weightOf(set, h.proposer) === 0) return bad(fail('chain/bad-proposer', { height: h.height }));
  if (!bytesEqual(h.txRoot, txRoot(block.txs))) return bad(fail('chain/wrong-tx-root', { height: h.height }));
  let s = state;
  for (let i = 0; i < block.txs.length; i++) {
    const r = step(s, block.txs[i]!, { ...params, height: h.height, time: h.time, txIndex: i, certified });
    if (!r.ok) {
      const e = new CoreError(r.error.code, { ...r.error.data, txIndex: i }, r.error.action);
      return { ok: false, error: e };
    }
    s = r.state;
  }
  if (!bytesEqual(h.stateRoot, s.root())) return bad(fail('chain/wrong-state-root', { height: h.height }));
  if (!bytesEqual(h.nextValidatorsHash, validatorSetHash(validatorSetOf(s))))
    return bad(fail('chain/wrong-validators', { detail: 'nextValidatorsHash' }));
  return { ok: true, state: s, header: h };
}

export function verifyBlock(prev: Header, state: ChainState, block: Block, params: ChainParams): Verdict {
  const r = executeBlock(prev, state, block, params);
  return r.ok ? OK : r;
}

/**
 * Apply a block finalised by a commit certificate the caller verified (applyCertifiedBlock's rules).
 * The result must still match the header's state root, or the node's state has diverged and must
 * stop, not guess: that throws.
 */
export function applyBlock(
  prev: Header,
  state: ChainState,
  block: Block,
  params: ChainParams
): { state: ChainState; header: Header } {
  const r = executeBlock(prev, state, block, params, true);
  if (!r.ok) throw r.error;
  return { state: r.state, header: r.header };
}

/**
 * Apply a block that carries a commit certificate from this chain's validator set — block sync,
 * replay after a restart, catching up a hospital chain whose grants have since expired or been
 * revoked. Re-checks everything this chain's own state and the block decide: header against parent
 * (chain, height, parent hash, time, validator-set hashes, proposer), tx root, decoding, every
 * signature in every transaction, replays, record ids, attestations' blob and signatures, and that
 * the result reproduces the header's state root and next validator set. Skips only the rules that
 * read a view from outside the chain (context.ts `certified`): those were checked, as of the block's
 * time, by the > 2/3 of stake that signed it. README.md "Applying certified blocks" gives the
 * argument. If `cert` is given it is verified here against the set in `state`; otherwise the caller
 * must have verified it.
 */
export function applyCertifiedBlock(
  prev: Header,
  state: ChainState,
  block: Block,
  params: ChainParams,
  cert?: CommitCertificate
): Execution {
  if (cert !== undefined) {
    const v = verifyCommit(cert, validatorSetOf(state), params.chainId, block.header.height, blockId(block));
    if (!v.ok) return bad(v);
  }
  return executeBlock(prev, state, block, params, true);
}

export interface Built {
  block: Block;
  state: ChainState;
  /** Candidates left out, with why (invalid now; a later block may still take some). */
  dropped: { index: number; error: CoreError }[];
}

/** Build the next block from candidate transactions in order, keeping only those valid in sequence. */
export function buildBlock(
  prev: Header,
  state: ChainState,
  txs: readonly Uint8Array[],
  wallTime: number,
  proposer: Uint8Array,
  params: ChainParams
): Built {
  const height = prev.height + 1;
  // Block time strictly increases even if the proposer's clock lags its parent's.
  const time = Math.max(wallTime, prev.time + 1);
  const kept: Uint8Array[] = [];
  const dropped: Built['dropped'] = [];
  let s = state;
  for (let i = 0; i < txs.length; i++) {
    if (kept.length === LIMITS.maxBlockTxs) {
      dropped.push({ index: i, error: new CoreError('chain/too-many-txs', {}, 'ignore') });
      continue;
    }
    const r = step(s, txs[i]!, { ...params, height, time, txIndex: kept.length });
    if (!r.ok) {
      dropped.push({ index: i, error: r.error });
      continue;
    }
    kept.push(txs[i]!);
    s = r.state;
  }
  const header: Header = {
    t: TAGS.header,
    v: PROTOCOL_VERSION,
    chainId: params.chainId,
    height,
    time,
    parent: headerHash(prev) as Header['parent'],
    txRoot: txRoot(kept) as Header['txRoot'],
    stateRoot: s.root() as Header['stateRoot'],
    validatorsHash: prev.nextValidatorsHash,
    nextValidatorsHash: validatorSetHash(validatorSetOf(s)) as Header['nextValidatorsHash'],
    proposer: proposer as Header['proposer']
  };
  return { block: makeBlock(header, kept), state: s, dropped };
}
