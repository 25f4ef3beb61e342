/**
 * What a node keeps about a chain's recent past for light clients: the state at the last few heights
 * (the tree is persistent, so each is a pointer, sharing almost all nodes with the next) and the
 * heights where the validator set changed with the set each handed over to (persisted with the block,
 * so proofs for older heights still work after a restart), so a client can follow the set one
 * certificate at a time.
 */
import { blockCodec } from '../lib/core/chain/block.js';
import { TAGS } from '../lib/core/constants.js';
import { validatorSetOf } from '../lib/core/chain/rules/lookup.js';
import type { ChainState } from '../lib/core/chain/store.js';
import { commitCertificateCodec, validatorSetCodec, type ValidatorSet } from '../lib/core/consensus/types.js';
import { changeProofCodec, makeChangeProof } from '../lib/core/chain/change-proof.js';
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
  /** The set each change hands over to, captured from the post-state when the change commits. */
  private changeSets = new Map<number, ValidatorSet>();

  constructor(
    private readonly driver: ChainDriver,
    private readonly blocks: BlockStore
  ) {}

  /**
   * Load the recorded validator-set changes (each stored with the set it hands over to, in its block's
   * batch — storage/block-store.ts), then follow commits. Data written before sets were recorded has
   * none: it is scanned once for change heights, recorded without their sets (served as withheld),
   * the newest with the current set.
   */
  async start(): Promise<void> {
    this.states.set(this.driver.height, this.driver.state);
    let recorded = await this.blocks.validatorChanges();
    if (recorded.length === 0 && !(await this.blocks.changesScanned())) {
      const found: number[] = [];
      for await (const e of this.blocks.iterate()) {
        const h = blockCodec.decode(e.block).header;
        if (!bytesEqual(h.validatorsHash, h.nextValidatorsHash)) found.push(h.height);
      }
      await this.blocks.recordScannedChanges(
        found,
        found.length ? validatorSetCodec.encode(validatorSetOf(this.driver.state)) : undefined
      );
      recorded = await this.blocks.validatorChanges();
    }
    for (const c of recorded) {
      this.noteChange(c.height);
      if (c.set) this.changeSets.set(c.height, validatorSetCodec.decode(c.set));
    }
    this.driver.onCommit(({ height, header, state }) => {
      this.states.set(height, state);
      this.states.delete(height - STATE_HISTORY);
      if (!bytesEqual(header.validatorsHash, header.nextValidatorsHash)) {
        this.noteChange(height);
        this.changeSets.set(height, validatorSetOf(state));
      }
    });
  }

  private noteChange(h: number) {
    this.changes.push(h);
    if (this.changes.length > MAX_CHANGES) this.changeSets.delete(this.changes.shift()!);
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
      if (!e) continue;
      const set = this.changeSets.get(h);
      out.push(
        set
          ? changeProofCodec.encode(
              makeChangeProof(blockCodec.decode(e.block).header, commitCertificateCodec.decode(e.cert), set)
            )
          : encodeChange(e.block, e.cert, new Uint8Array(0))
      );
      if (out.length >= 48) break;
    }
    return out;
  }
}

/**
 * The older change form, kept only for a change whose set this node no longer knows (sent with an
 * empty set, which the light client treats as withheld data); everything else is a ChangeProof.
 */
export function encodeChange(block: Uint8Array, cert: Uint8Array, validators: Uint8Array): Uint8Array {
  return encodeCanonical({ t: TAGS.validatorSet, block, cert, validators });
}
