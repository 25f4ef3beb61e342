/**
 * The index extractor, run by a hospital's consortium authority: turns records committed on the
 * hospital chain into consortium index batches. Each batch carries the hospital header hash and height
 * it was taken up to (the checkpoint), so a hospital that later rewrites its chain contradicts what its
 * own authority signed on the consortium.
 *
 * Progress lives on the consortium chain, not in a local file: on start the cursor is the consortium's
 * checkpoint for this hospital, so a crash can neither skip nor double-index a block. One batch is in
 * flight at a time; the next is cut `intervalMs` after the previous one committed (or failed), which
 * batches records arriving in bursts into one consortium transaction.
 */
import { CHAIN_LIMITS, TAGS } from '../lib/core/constants.js';
import type { Block } from '../lib/core/chain/block.js';
import type { HospitalTx } from '../lib/core/chain/tx/decode.js';
import { knownHospitalTx } from '../lib/core/chain/tx/known.js';
import { createIndexBatch, indexBatchCodec, type IndexBatch } from '../lib/core/chain/tx/index-batch.js';
import type { NodeKey } from './keys.js';
import type { Logger } from './log.js';

export type IndexItem = IndexBatch['entries'][number];

/** The index entries of one committed hospital block, in transaction order. */
export function extractEntries(hospital: string, block: Block): IndexItem[] {
  const out: IndexItem[] = [];
  block.txs.forEach((bytes, txIndex) => {
    let tx: HospitalTx;
    try {
      // Usually a memo hit: this node decoded the same bytes when it validated the block.
      tx = knownHospitalTx(bytes);
    } catch {
      return; // committed blocks were verified; an undecodable tx here is not a record
    }
    if (tx.t !== TAGS.txAppendRecord && tx.t !== TAGS.amendment) return;
    out.push({
      tag: tx.tag,
      entry: { hospital, height: block.header.height, txIndex, mhrHash: tx.mhrHash, blobRef: tx.blobRef }
    });
  });
  return out;
}

export interface IndexerDeps {
  hospital: string;
  key: NodeKey;
  /** Wait after a batch settles before cutting the next: the thesis's "short interval". */
  intervalMs: number;
  /** The consortium's checkpoint height for this hospital (-1 if none yet). */
  checkpointHeight(): number;
  /** Committed hospital chain head (-1 if empty). */
  hospitalHeight(): number;
  hospitalBlock(height: number): Promise<{ block: Block; hash: Uint8Array } | undefined>;
  /** Submit to the consortium; resolves once committed, rejects with the refusal. */
  submit(tx: Uint8Array): Promise<unknown>;
  log: Logger;
}

export interface Cut {
  entries: IndexItem[];
  checkpoint: { height: number; headerHash: Uint8Array };
}

/**
 * Cut the next batch after hospital height `after`: whole blocks until the next would overflow the
 * entry limit. Blocks without records still advance the checkpoint. The consortium rule wants the
 * checkpoint to advance strictly with every batch, so a block is never split: honest hospital proposers
 * cap a block's records at maxIndexEntries (see the driver). A block over the cap (a faulty proposer)
 * is indexed up to the cap and the surplus reported through `onOverflow`.
 */
export async function cutBatch(
  deps: Pick<IndexerDeps, 'hospital' | 'hospitalHeight' | 'hospitalBlock'>,
  after: number,
  maxEntries: number = CHAIN_LIMITS.maxIndexEntries,
  onOverflow?: (height: number, dropped: number) => void
): Promise<Cut | undefined> {
  const head = deps.hospitalHeight();
  const entries: IndexItem[] = [];
  let checkpoint: Cut['checkpoint'] | undefined;
  for (let h = after + 1; h <= head; h++) {
    const b = await deps.hospitalBlock(h);
    if (!b) break;
    const e = extractEntries(deps.hospital, b.block);
    if (entries.length + e.length > maxEntries && checkpoint) break;
    if (e.length > maxEntries) onOverflow?.(h, e.length - maxEntries);
    entries.push(...e.slice(0, maxEntries));
    checkpoint = { height: h, headerHash: b.hash };
  }
  return checkpoint ? { entries, checkpoint } : undefined;
}

export class Indexer {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private busy = false;
  batches = 0;

  constructor(private readonly deps: IndexerDeps) {}

  start() {
    this.stopped = false;
    this.schedule(this.deps.intervalMs);
  }

  stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** A hospital block committed: make sure a cut is scheduled. */
  poke() {
    if (!this.timer && !this.busy && !this.stopped) this.schedule(this.deps.intervalMs);
  }

  private schedule(ms: number) {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick();
    }, ms);
  }

  private async tick() {
    if (this.busy || this.stopped) return;
    // The consortium's checkpoint is the cursor: nothing local can disagree with it after a crash.
    const after = this.deps.checkpointHeight();
    if (this.deps.hospitalHeight() <= after) return; // nothing new; poke() wakes us
    this.busy = true;
    try {
      const cut = await cutBatch(this.deps, after, CHAIN_LIMITS.maxIndexEntries, (height, dropped) =>
        this.deps.log.error('hospital block holds more records than an index batch; surplus not indexed', {
          height,
          dropped
        })
      );
      if (!cut) return;
      const batch = createIndexBatch(this.deps.key.seed, this.deps.key.publicKey, {
        hospital: this.deps.hospital,
        checkpoint: cut.checkpoint as IndexBatch['checkpoint'],
        entries: cut.entries
      });
      await this.deps.submit(indexBatchCodec.encode(batch));
      this.batches++;
      this.deps.log.info('index batch committed', {
        entries: cut.entries.length,
        checkpoint: cut.checkpoint.height
      });
    } catch (e) {
      this.deps.log.warn('index batch not committed; will retry', { error: (e as Error).message });
    } finally {
      this.busy = false;
      if (this.deps.hospitalHeight() > this.deps.checkpointHeight()) this.schedule(this.deps.intervalMs);
    }
  }
}
