/**
 * The consensus write-ahead log of one chain: every message the engine must not forget across a crash
 * (its own votes and proposals, its lock, votes it counted) is appended here, synced, BEFORE the node
 * sends it. After `kill -9` the engine replays the entries for the height it was working on, so it can
 * never sign two conflicting votes for the same height and round (that is what evidence punishes).
 *
 * Entries are opaque bytes (the engine's own encoding); keyed by height then sequence number. A commit
 * deletes the entries of the committed height in the same batch as the block (`truncateOps`).
 */
import { heightKey, type NodeDb, type Op } from './db.js';

/** Most WAL entries kept for one height: rounds × (proposal + 2 votes) × validators, with slack. */
export const MAX_WAL_ENTRIES_PER_HEIGHT = 100_000;

export class ConsensusWal {
  private readonly p: string;
  private seq = new Map<number, number>();

  constructor(
    private readonly db: NodeDb,
    readonly chain: string
  ) {
    this.p = `w/${chain}/`;
  }

  private key(height: number, seq: number) {
    return `${this.p}${heightKey(height)}/${seq.toString(16).padStart(8, '0')}`;
  }

  /**
   * The engine's whole crash state as one value (the engine exposes `snapshot()`), overwritten on
   * every save. Resolves after fsync: only then may the node send what the engine just signed.
   */
  snapshotOps(snapshot: Uint8Array): Op[] {
    return [{ type: 'put', key: `${this.p}snapshot`, value: snapshot }];
  }

  async saveSnapshot(snapshot: Uint8Array): Promise<void> {
    await this.db.write(this.snapshotOps(snapshot));
  }

  loadSnapshot(): Promise<Uint8Array | undefined> {
    return this.db.get(`${this.p}snapshot`);
  }

  /** Durably append; resolves after fsync, only then may the node act on the entry (send the vote). */
  async append(height: number, entry: Uint8Array): Promise<void> {
    await this.appendMany(height, [entry]);
  }

  async appendMany(height: number, entries: Uint8Array[]): Promise<void> {
    let s = this.seq.get(height);
    if (s === undefined) s = await this.nextSeq(height);
    const ops: Op[] = entries.map((value, i) => ({ type: 'put', key: this.key(height, s! + i), value }));
    this.seq.set(height, s + entries.length);
    await this.db.write(ops);
  }

  private async nextSeq(height: number): Promise<number> {
    for await (const [k] of this.db.range(`${this.p}${heightKey(height)}/`, { reverse: true, limit: 1 }))
      return parseInt(k, 16) + 1;
    return 0;
  }

  /** The entries recorded for `height`, in the order they were appended. */
  async read(height: number): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for await (const [, val] of this.db.range(`${this.p}${heightKey(height)}/`, {
      limit: MAX_WAL_ENTRIES_PER_HEIGHT
    }))
      out.push(val);
    return out;
  }

  /** Ops deleting every entry at or below `height`; pass them with the block's append batch. */
  async truncateOps(height: number): Promise<Op[]> {
    const ops: Op[] = [];
    for await (const [k] of this.db.range(this.p, { from: '0', to: heightKey(height + 1) }))
      ops.push({ type: 'del', key: this.p + k });
    for (const h of [...this.seq.keys()]) if (h <= height) this.seq.delete(h);
    return ops;
  }
}
