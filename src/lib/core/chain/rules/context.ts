/**
 * What a transaction rule is given besides the state: which chain it runs on, the block's height and
 * time, the transaction's position, and — on a hospital chain — the consortium state the validator
 * follows (accounts, stakes, grants and revocations live there, not on the hospital chain).
 */
import { CoreError, fail, type Verdict } from '../../errors.js';
import { taggedHash } from '../../crypto/hash.js';
import { TAGS } from '../../constants.js';
import { stateKey } from '../../state/smt.js';
import { NS, type ChainState } from '../store.js';

/**
 * What a consortium validator knows of a hospital chain's headers: the hash of the header at `height`
 * that the node verified under that chain's commit certificates (following its validator sets with
 * change proofs), or undefined if it does not follow that hospital or has not reached that height.
 * Must be a pure lookup (same answer for the same question during one block's checks).
 */
export type HospitalHeaderView = (hospitalId: string, height: number) => Uint8Array | undefined;

export type ChainConfig =
  | {
      kind: 'consortium';
      /** Lets an index batch's checkpoint be compared with the certified hospital header (optional). */
      hospitalHeaders?: HospitalHeaderView;
    }
  | {
      kind: 'hospital';
      hospitalId: string;
      /**
       * The consortium state this validator follows. Validity of an append-record depends on it
       * (registration, stake, grant, revocation); validators at different consortium heights may
       * disagree about a fresh grant, which costs a round, never safety.
       */
      consortium: ChainState;
      /**
       * The height of `consortium`, when the node knows it: a validator-set sync read at a later
       * consortium height than this validator has reached is refused (it cannot be checked yet).
       */
      consortiumHeight?: number;
    };

export interface TxContext {
  config: ChainConfig;
  chainId: string;
  height: number;
  /** The block's time (ms since epoch): every time-dependent rule uses it, never a clock. */
  time: number;
  txIndex: number;
  /**
   * Set by applyCertifiedBlock only: the block already carries a commit certificate, so the rules
   * that read a view from outside this chain's own state (the consortium a hospital validator
   * follows, the hospital headers a consortium validator follows) are skipped — more than 2/3 of the
   * stake checked them when the block was committed, and today's view may rightly disagree (a grant
   * expired or was revoked since). Everything decided by this chain's state and the block alone is
   * still checked. README.md, "Applying certified blocks", says why this is sound.
   */
  certified?: boolean;
}

/** How far a transaction's own time may run ahead of the block's: clocks of signers drift. */
export const TX_FUTURE_SKEW_MS = 60_000;

/** The replay key of a transaction: a tagged hash of its exact bytes. */
export function txHash(tx: Uint8Array): Uint8Array {
  return taggedHash(TAGS.txHash, tx);
}

/** The state key of the marker that a transaction with this `txHash` was committed (nonce namespace). */
export const replayKeyOfHash = (hash: Uint8Array): Uint8Array => stateKey(NS.nonce, hash);

/**
 * The state key of a transaction's replay marker, from its exact bytes. Verify reads it and apply
 * writes it; tx/known.ts derives it once per transaction bytes and block.ts hands it to both, so a
 * pass over a block does not hash each transaction (and then its nonce key) twice more.
 */
export const replayKey = (bytes: Uint8Array): Uint8Array => replayKeyOfHash(txHash(bytes));

/** Turn a throw from a strict decoder into a Verdict (only CoreErrors are expected). */
export function verdictOf(fn: () => Verdict): Verdict {
  try {
    return fn();
  } catch (e) {
    if (e instanceof CoreError) return { ok: false, error: e };
    return fail('chain/bad-tx', { detail: (e as Error).message });
  }
}
