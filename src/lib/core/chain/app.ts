/**
 * The chain as the consensus engine sees it (consensus/engine.ts ConsensusApp), for either chain.
 * Pure apart from what is injected: `pending()` yields candidate transactions (the node's mempool)
 * and `now()` the proposer's clock; nothing here reads a clock or does I/O. A block validated once is
 * remembered by the hash of its exact bytes (not its id: the id covers the header only), so committing it does not execute it again.
 */
import { CoreError, type Verdict } from '../errors.js';
import { sha256, toHex } from '../crypto/hash.js';
import type { ConsensusApp } from '../consensus/engine.js';
import type { ValidatorSet } from '../consensus/types.js';
import { blockCodec } from './block.js';
import { headerHash, type Header } from './header.js';
import { buildBlock, executeBlock, type ChainParams } from './rules/block.js';
import { validatorSetOf } from './rules/lookup.js';
import type { ChainState } from './store.js';

export interface ChainAppOptions {
  /** Candidate transactions, oldest first (the mempool); invalid ones are skipped, not removed. */
  pending(): readonly Uint8Array[];
  /** The proposer's clock, ms since epoch; block time is max(now, parent + 1). */
  now(): number;
  /** This node's validator key (the proposer field of blocks it builds). */
  proposer: Uint8Array;
}

/** Validated-but-uncommitted executions kept: a few rounds' worth of proposals at one height. */
const MAX_CACHED = 16;

export class ChainApp implements ConsensusApp {
  readonly chainId: string;
  #head: Header;
  #state: ChainState;
  #cache = new Map<string, { header: Header; state: ChainState }>();

  constructor(
    readonly params: ChainParams,
    start: { header: Header; state: ChainState },
    private readonly opts: ChainAppOptions
  ) {
    this.chainId = params.chainId;
    this.#head = start.header;
    this.#state = start.state;
  }

  get head(): Header {
    return this.#head;
  }
  get state(): ChainState {
    return this.#state;
  }

  /** The set for the next height (the only one the engine asks about before committing it). */
  validatorSet(height: number): ValidatorSet {
    if (height !== this.#head.height + 1)
      throw new CoreError('chain/wrong-height', { height, expected: this.#head.height + 1 }, 'ignore');
    return validatorSetOf(this.#state);
  }

  proposeBlock(height: number): Uint8Array | null {
    if (height !== this.#head.height + 1) return null;
    const pending = this.opts.pending();
    if (pending.length === 0) return null;
    const built = buildBlock(
      this.#head,
      this.#state,
      pending,
      this.opts.now(),
      this.opts.proposer,
      this.params
    );
    if (built.block.txs.length === 0) return null;
    const bytes = blockCodec.encode(built.block);
    this.#remember(bytes, { header: built.block.header, state: built.state });
    return bytes;
  }

  blockId(block: Uint8Array): Uint8Array {
    return headerHash(blockCodec.decode(block).header);
  }

  validateBlock(height: number, bytes: Uint8Array): Verdict {
    try {
      const block = blockCodec.decode(bytes);
      if (block.header.height !== height)
        return {
          ok: false,
          error: new CoreError('chain/wrong-height', { height: block.header.height, expected: height })
        };
      if (this.#cache.has(toHex(sha256(bytes)))) return { ok: true };
      const r = executeBlock(this.#head, this.#state, block, this.params);
      if (!r.ok) return r;
      this.#remember(bytes, r);
      return { ok: true };
    } catch (e) {
      if (e instanceof CoreError) return { ok: false, error: e };
      throw e;
    }
  }

  /** Move to the committed block (its certificate verified by the caller); returns the new head. */
  commit(bytes: Uint8Array): Header {
    const block = blockCodec.decode(bytes);
    let next = this.#cache.get(toHex(sha256(bytes)));
    if (!next) {
      // Finalised by a certificate: our consortium view may since have moved (applyCertifiedBlock).
      const r = executeBlock(this.#head, this.#state, block, this.params, true);
      if (!r.ok) throw r.error;
      next = r;
    }
    this.#head = next.header;
    this.#state = next.state;
    this.#cache.clear();
    return this.#head;
  }

  #remember(bytes: Uint8Array, r: { header: Header; state: ChainState }): void {
    if (this.#cache.size >= MAX_CACHED) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(toHex(sha256(bytes)), { header: r.header, state: r.state });
  }
}
