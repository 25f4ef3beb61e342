/**
 * Snapshots of one chain's state (every entry of its sparse Merkle tree at a committed height), so a
 * restarting node rebuilds the tree from the newest snapshot and replays only the blocks after it,
 * instead of every block since genesis: start-up stays flat as the chain grows.
 *
 * The snapshot is a cache, never a source of truth: the driver accepts it only if the rebuilt tree's
 * root equals the state root in the header of the stored block at that height (hash-chained to the
 * head), and otherwise replays from genesis. So a torn or damaged snapshot costs time, not safety.
 *
 * Layout: pages `ss/<chain>/<height>/<page>` (canonical CBOR lists of [key, value]) written first,
 * then the pointer `ss/<chain>/latest` = {height, pages, count} in a synced batch that also deletes
 * the previous snapshot's pages. A crash before the pointer leaves orphan pages that the next save
 * clears; a crash after it leaves a complete snapshot.
 */
import { CoreError } from '../../lib/core/errors.js';
import { decodeCanonical, encodeCanonical } from '../../lib/core/encoding/cbor.js';
import { heightKey, type NodeDb, type Op } from './db.js';

/**
 * Entries per page: ~4,096 × (32-byte key + a few hundred bytes of value) ≈ 1–2 MiB, a LevelDB value
 * that writes and reads in one go without holding the event loop long.
 */
export const SNAPSHOT_PAGE_ENTRIES = 4096;
/** A page may not decode to more than this: 4,096 entries of at most 64 KiB values, with slack. */
const MAX_PAGE_BYTES = 512 * 1024 * 1024;

export interface SnapshotPointer {
  height: number;
  pages: number;
  count: number;
}

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

export class StateSnapshots {
  private readonly p: string;

  constructor(
    private readonly db: NodeDb,
    readonly chain: string
  ) {
    this.p = `ss/${chain}/`;
  }

  private pageKey(height: number, page: number) {
    return `${this.p}${heightKey(height)}/${page.toString(16).padStart(8, '0')}`;
  }

  async latest(): Promise<SnapshotPointer | undefined> {
    const raw = await this.db.get(`${this.p}latest`);
    if (!raw) return undefined;
    const o = this.decode(raw, 'state snapshot pointer') as Partial<SnapshotPointer>;
    if (
      !Number.isSafeInteger(o.height) ||
      !Number.isSafeInteger(o.pages) ||
      !Number.isSafeInteger(o.count) ||
      o.height! < 0 ||
      o.pages! < 0 ||
      o.count! < 0
    )
      throw new CoreError('node/storage-corrupt', { chain: this.chain, detail: 'state snapshot pointer' });
    return { height: o.height!, pages: o.pages!, count: o.count! };
  }

  /**
   * Write `entries` (the state at `height`) page by page, yielding to the event loop between pages so
   * consensus is not held up, then point `latest` at it and drop the previous snapshot.
   */
  async save(height: number, entries: Iterable<[Uint8Array, Uint8Array]>): Promise<SnapshotPointer> {
    const previous = await this.latest().catch(() => undefined);
    // Leftovers from a save that crashed before its pointer (or an earlier snapshot at this height).
    await this.deletePagesExcept(previous?.height);
    let page: [Uint8Array, Uint8Array][] = [];
    let pages = 0;
    let count = 0;
    const flush = async () => {
      await this.db.write([{ type: 'put', key: this.pageKey(height, pages), value: encodeCanonical(page) }]);
      pages++;
      page = [];
      await yieldToLoop();
    };
    for (const e of entries) {
      page.push(e);
      count++;
      if (page.length >= SNAPSHOT_PAGE_ENTRIES) await flush();
    }
    if (page.length) await flush();
    const pointer: SnapshotPointer = { height, pages, count };
    const ops: Op[] = [{ type: 'put', key: `${this.p}latest`, value: encodeCanonical(pointer) }];
    if (previous && previous.height !== height)
      for (let i = 0; i < previous.pages; i++)
        ops.push({ type: 'del', key: this.pageKey(previous.height, i) });
    await this.db.write(ops);
    return pointer;
  }

  /** The entries of the snapshot `pointer` names, page by page; throws node/storage-corrupt on a bad page. */
  async *entries(pointer: SnapshotPointer): AsyncGenerator<[Uint8Array, Uint8Array]> {
    let count = 0;
    for (let i = 0; i < pointer.pages; i++) {
      const raw = await this.db.get(this.pageKey(pointer.height, i));
      if (!raw)
        throw new CoreError('node/storage-corrupt', {
          chain: this.chain,
          detail: `snapshot page ${i} missing`
        });
      const list = this.decode(raw, `snapshot page ${i}`, MAX_PAGE_BYTES);
      if (!Array.isArray(list))
        throw new CoreError('node/storage-corrupt', { chain: this.chain, detail: `snapshot page ${i}` });
      for (const e of list) {
        if (
          !Array.isArray(e) ||
          e.length !== 2 ||
          !(e[0] instanceof Uint8Array) ||
          !(e[1] instanceof Uint8Array)
        )
          throw new CoreError('node/storage-corrupt', {
            chain: this.chain,
            detail: `snapshot page ${i} entry`
          });
        count++;
        yield [e[0], e[1]];
      }
    }
    if (count !== pointer.count)
      throw new CoreError('node/storage-corrupt', { chain: this.chain, detail: 'snapshot entry count' });
  }

  /** Disk is untrusted too: bytes that do not decode are a corrupt store, named as such. */
  private decode(raw: Uint8Array, what: string, maxBytes?: number): unknown {
    try {
      return decodeCanonical(raw, maxBytes);
    } catch (e) {
      throw new CoreError('node/storage-corrupt', {
        chain: this.chain,
        detail: `${what}: ${(e as Error).message}`
      });
    }
  }

  private async deletePagesExcept(keepHeight: number | undefined): Promise<void> {
    const ops: Op[] = [];
    const keep = keepHeight === undefined ? undefined : heightKey(keepHeight);
    for await (const k of this.db.keys(this.p, { to: 'latest' }))
      if (keep === undefined || !k.startsWith(keep)) ops.push({ type: 'del', key: this.p + k });
    if (ops.length) await this.db.write(ops);
  }
}
