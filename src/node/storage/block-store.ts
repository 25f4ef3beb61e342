/**
 * Committed blocks of one chain with their commit certificates, by height and by hash. A block and its
 * certificate are stored in the same synced batch as the head pointer (plus whatever the caller adds,
 * e.g. WAL truncation), so "committed" on disk means all of it or none of it.
 *
 * Recovery after `kill -9`: `recover(check)` re-verifies the stored tail (hash chain + certificate,
 * through the chain rules the caller passes in) and truncates back to the last block that passes,
 * logging what it dropped. A dropped tail was never acknowledged, because acknowledgement waits for
 * the batch to resolve.
 */
import { CoreError, type Verdict } from '../../lib/core/errors.js';
import { toHex } from '../../lib/core/crypto/index.js';
import { heightKey, type NodeDb, type Op } from './db.js';

export interface StoredBlock {
  height: number;
  hash: Uint8Array;
  block: Uint8Array;
  cert: Uint8Array;
}

export interface Head {
  height: number;
  hash: Uint8Array;
}

/** Checks one stored block against its predecessor (undefined for the first stored block). */
export type BlockCheck = (entry: StoredBlock, prev: StoredBlock | undefined) => Verdict;

export interface RecoverResult {
  head: Head | undefined;
  truncated: number[];
}

export class BlockStore {
  private headCache: Head | undefined;
  private readonly p: string;

  constructor(
    private readonly db: NodeDb,
    readonly chain: string,
    /** First stored height: 1 on a real chain, whose height 0 is the genesis document, not a block. */
    readonly base = 1
  ) {
    this.p = `b/${chain}/`;
  }

  private k = {
    head: () => `${this.p}head`,
    block: (h: number) => `${this.p}blk/${heightKey(h)}`,
    cert: (h: number) => `${this.p}crt/${heightKey(h)}`,
    hash: (h: number) => `${this.p}hsh/${heightKey(h)}`,
    byHash: (hash: Uint8Array) => `${this.p}idx/${toHex(hash)}`,
    vset: (h: number) => `${this.p}vset/${heightKey(h)}`
  };

  async load(): Promise<Head | undefined> {
    const raw = await this.db.get(this.k.head());
    if (raw === undefined) return (this.headCache = undefined);
    if (raw.length < 9)
      throw new CoreError('node/storage-corrupt', { chain: this.chain, detail: 'head pointer too short' });
    const height = Number(new DataView(raw.buffer, raw.byteOffset).getBigUint64(0));
    return (this.headCache = { height, hash: raw.slice(8) });
  }

  head(): Head | undefined {
    return this.headCache;
  }

  height(): number {
    return this.headCache?.height ?? -1;
  }

  private headBytes(h: Head): Uint8Array {
    const out = new Uint8Array(8 + h.hash.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(h.height));
    out.set(h.hash, 8);
    return out;
  }

  /** Ops that append `e` as the new head; combine with other ops into one synced write. */
  appendOps(e: StoredBlock): Op[] {
    const expected = this.height() + 1;
    if (this.headCache !== undefined && e.height !== expected)
      throw new CoreError('chain/wrong-height', { chain: this.chain, expected, got: e.height });
    return [
      { type: 'put', key: this.k.block(e.height), value: e.block },
      { type: 'put', key: this.k.cert(e.height), value: e.cert },
      { type: 'put', key: this.k.hash(e.height), value: e.hash },
      { type: 'put', key: this.k.byHash(e.hash), value: this.headBytes({ height: e.height, hash: e.hash }) },
      { type: 'put', key: this.k.head(), value: this.headBytes({ height: e.height, hash: e.hash }) }
    ];
  }

  /** Durably append one block; resolves once it is on disk. `extra` ops share the batch. */
  async append(e: StoredBlock, extra: Op[] = []): Promise<void> {
    await this.db.write([...this.appendOps(e), ...extra]);
    this.headCache = { height: e.height, hash: e.hash };
  }

  /**
   * Ops recording the validator set a block at `height` hands over to (its post-state's set), for the
   * same batch as the block: light clients following the set need it for every change, also after a
   * restart. `set` empty = the set is not known (changes found in data written before sets were kept).
   */
  validatorSetOps(height: number, set: Uint8Array): Op[] {
    return [{ type: 'put', key: this.k.vset(height), value: set }];
  }

  /** Every recorded validator-set change, oldest first; `set` undefined where it is not known. */
  async validatorChanges(): Promise<{ height: number; set: Uint8Array | undefined }[]> {
    const out: { height: number; set: Uint8Array | undefined }[] = [];
    for await (const [k, v] of this.db.range(`${this.p}vset/`)) {
      const height = parseInt(k, 16);
      if (!Number.isSafeInteger(height) || height > this.height()) continue;
      out.push({ height, set: v.length ? v : undefined });
    }
    return out;
  }

  /** Has this store been scanned for set changes made before sets were recorded? */
  async changesScanned(): Promise<boolean> {
    return (await this.db.get(`${this.p}vset-scanned`)) !== undefined;
  }

  /** Record changes found by that scan: heights, all without their set but the newest (`newest`). */
  async recordScannedChanges(heights: number[], newest: Uint8Array | undefined): Promise<void> {
    const ops: Op[] = heights.map((h, i) => ({
      type: 'put',
      key: this.k.vset(h),
      value: i === heights.length - 1 && newest ? newest : new Uint8Array(0)
    }));
    ops.push({ type: 'put', key: `${this.p}vset-scanned`, value: new Uint8Array([1]) });
    await this.db.write(ops);
  }

  async get(height: number): Promise<StoredBlock | undefined> {
    const [block, cert, hash] = await this.db.getMany([
      this.k.block(height),
      this.k.cert(height),
      this.k.hash(height)
    ]);
    if (block === undefined || cert === undefined || hash === undefined) return undefined;
    return { height, hash, block, cert };
  }

  async heightOf(hash: Uint8Array): Promise<number | undefined> {
    const raw = await this.db.get(this.k.byHash(hash));
    if (raw === undefined || raw.length < 8) return undefined;
    return Number(new DataView(raw.buffer, raw.byteOffset).getBigUint64(0));
  }

  /** Durably drop every block from `height` up (a stored block failed verification on replay). */
  async truncateFrom(height: number): Promise<void> {
    const ops: Op[] = [];
    for (let h = this.height(); h >= height; h--) ops.push(...this.deleteOps(h, (await this.get(h))?.hash));
    const prev = height > this.base ? await this.get(height - 1) : undefined;
    if (prev) ops.push({ type: 'put', key: this.k.head(), value: this.headBytes(prev) });
    else ops.push({ type: 'del', key: this.k.head() });
    await this.db.write(ops);
    this.headCache = prev ? { height: prev.height, hash: prev.hash } : undefined;
  }

  /** Blocks from `from` up to the head (inclusive), in order. */
  async *iterate(from = this.base, to = this.height()): AsyncGenerator<StoredBlock> {
    for (let h = from; h <= to; h++) {
      const e = await this.get(h);
      if (!e) return;
      yield e;
    }
  }

  private deleteOps(height: number, hash: Uint8Array | undefined): Op[] {
    const ops: Op[] = [
      { type: 'del', key: this.k.block(height) },
      { type: 'del', key: this.k.cert(height) },
      { type: 'del', key: this.k.hash(height) },
      { type: 'del', key: this.k.vset(height) }
    ];
    if (hash) ops.push({ type: 'del', key: this.k.byHash(hash) });
    return ops;
  }

  /**
   * Verify the tail and truncate back to the last valid block. `depth` bounds how far back the tail is
   * checked (a synced batch can only tear its own block, but a damaged disk could hit more).
   */
  async recover(check: BlockCheck, depth = 2, onTruncate?: (height: number, why: string) => void) {
    await this.load();
    const truncated: number[] = [];
    while (this.headCache !== undefined) {
      const h = this.headCache.height;
      const cur = await this.get(h);
      const prev = h > 0 ? await this.get(h - 1) : undefined;
      let why: string | undefined;
      if (!cur) why = 'block, certificate or hash missing';
      else if (toHex(cur.hash) !== toHex(this.headCache.hash))
        why = 'head pointer does not match stored hash';
      else if (h > 0 && !prev) why = 'predecessor missing';
      else {
        const verdict = check(cur, prev);
        if (!verdict.ok) why = verdict.error.message;
      }
      if (why === undefined) {
        // The head is good; check a few blocks below it too, without truncating good ones.
        let ok = true;
        for (let d = 1; d < depth && h - d >= this.base && ok; d++) {
          const e = await this.get(h - d);
          const p = h - d > this.base ? await this.get(h - d - 1) : undefined;
          if (!e || (h - d > this.base && !p) || !check(e, p).ok) ok = false;
        }
        if (ok) break;
        why = 'an earlier block in the tail fails verification';
      }
      onTruncate?.(h, why);
      truncated.push(h);
      const ops = this.deleteOps(h, cur?.hash);
      if (h === this.base || !prev) {
        ops.push({ type: 'del', key: this.k.head() });
        await this.db.write(ops);
        this.headCache = undefined;
      } else {
        const newHead = { height: h - 1, hash: prev.hash };
        ops.push({ type: 'put', key: this.k.head(), value: this.headBytes(newHead) });
        await this.db.write(ops);
        this.headCache = newHead;
      }
    }
    return { head: this.headCache, truncated } satisfies RecoverResult;
  }
}
