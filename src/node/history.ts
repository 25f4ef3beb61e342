/**
 * What a node keeps about a chain's recent past for light clients: the state at the last few heights
 * (the tree is persistent, so each is a pointer, sharing almost all nodes with the next) and the
 * heights where the validator set changed, so a client can follow the set one certificate at a time.
 */
import { blockCodec } from '../lib/core/chain/block.js';
import { TAGS } from '../lib/core/constants.js';
import { validatorSetOf } from '../lib/core/chain/rules/lookup.js';
import type { ChainState } from '../lib/core/chain/store.js';
import { validatorSetCodec } from '../lib/core/consensus/types.js';
import { bytesEqual, encodeCanonical } from '../lib/core/encoding/cbor.js';
import type { ChainDriver } from './driver/chain-driver.js';
import type { BlockStore } from './storage/index.js';

/** Heights whose state is kept for proofs: a client a few blocks behind still gets answers. */
export const STATE_HISTORY = 64;
/** Validator-set changes kept: the header protocol sends at most 48 per answer. */
const MAX_CHANGES = 1024;

export class ChainHistory {
  private states = new Map<number, ChainState>();
  private changes: number[] = [];

  constructor(
    private readonly driver: ChainDriver,
    private readonly blocks: BlockStore
  ) {}

  /** Scan stored headers once for set changes, then follow commits. */
  async start(): Promise<void> {
    this.states.set(this.driver.height, this.driver.state);
    for await (const e of this.blocks.iterate()) {
      const h = blockCodec.decode(e.block).header;
      if (!bytesEqual(h.validatorsHash, h.nextValidatorsHash)) this.noteChange(h.height);
    }
    this.driver.onCommit(({ height, header, state }) => {
      this.states.set(height, state);
      this.states.delete(height - STATE_HISTORY);
      if (!bytesEqual(header.validatorsHash, header.nextValidatorsHash)) this.noteChange(height);
    });
  }

  private noteChange(h: number) {
    this.changes.push(h);
    if (this.changes.length > MAX_CHANGES) this.changes.shift();
  }

  stateAt(height: number): ChainState | undefined {
    if (height === this.driver.height) return this.driver.state;
    return this.states.get(height);
  }

  block(height: number) {
    return this.blocks.get(height);
  }

  /** Change proofs after `trusted`, oldest first, at most 48 (the header protocol's limit). */
  async changesAfter(trusted: number): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for (const h of this.changes) {
      if (h <= trusted) continue;
      const e = await this.blocks.get(h);
      const st = this.states.get(h);
      if (!e) continue;
      const next = st ? validatorSetCodec.encode(validatorSetOf(st)) : new Uint8Array(0);
      out.push(encodeChange(e.block, e.cert, next));
      if (out.length >= 48) break;
    }
    return out;
  }
}

/**
 * One validator-set change proof: the block where the set changes (its header names the next set's
 * hash), its commit certificate, and the next set itself, so a client can check the hash and move on.
 */
export function encodeChange(block: Uint8Array, cert: Uint8Array, validators: Uint8Array): Uint8Array {
  return encodeCanonical({ t: TAGS.validatorSet, block, cert, validators });
}
