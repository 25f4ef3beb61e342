/**
 * Evidence of validator misbehaviour (two conflicting signed votes) the engine reported, kept until it
 * is included in a block. Keyed by the evidence's hash so the same evidence seen twice is stored once.
 */
import { sha256, toHex } from '../../lib/core/crypto/index.js';
import type { NodeDb, Op } from './db.js';

export class EvidenceStore {
  private readonly p: string;

  constructor(
    private readonly db: NodeDb,
    readonly chain: string
  ) {
    this.p = `e/${chain}/`;
  }

  async add(evidence: Uint8Array): Promise<void> {
    await this.db.write([{ type: 'put', key: this.p + toHex(sha256(evidence)), value: evidence }]);
  }

  async pending(limit = 256): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for await (const [, val] of this.db.range(this.p, { limit })) out.push(val);
    return out;
  }

  /** Ops removing evidence a committed block included; pass them with the block's batch. */
  removeOps(included: Uint8Array[]): Op[] {
    return included.map((e) => ({ type: 'del', key: this.p + toHex(sha256(e)) }));
  }
}
