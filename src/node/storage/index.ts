/**
 * Everything a hospital node keeps on disk, in one LevelDB: per chain a block store (blocks +
 * certificates + head), a consensus WAL and pending evidence; on mirrors, the blob store.
 *
 * State is NOT snapshotted: on start the driver replays the stored blocks through the chain's apply
 * functions to rebuild the in-memory persistent sparse Merkle tree, checking each block's state root
 * as it goes. Blocks are the single source of truth, so there is no second structure that can
 * disagree with them after a crash; replay costs about one apply per block (see the bench).
 */
import { mkdirSync } from 'node:fs';
import { BlobStore, type BlobHash } from './blob-store.js';
import { BlockStore } from './block-store.js';
import { NodeDb } from './db.js';
import { EvidenceStore } from './evidence-store.js';
import { ConsensusWal } from './wal.js';

export { BlobStore, BlockStore, ConsensusWal, EvidenceStore, NodeDb };
export type { StoredBlock, Head, BlockCheck, RecoverResult } from './block-store.js';
export type { Op } from './db.js';

export const CHAINS = ['hospital', 'consortium'] as const;
export type ChainName = (typeof CHAINS)[number];

export interface ChainStores {
  blocks: BlockStore;
  wal: ConsensusWal;
  evidence: EvidenceStore;
}

export class NodeStorage {
  private constructor(
    readonly db: NodeDb,
    readonly chains: Record<ChainName, ChainStores>,
    readonly blobs: BlobStore
  ) {}

  /** `firstHeight`: 1 for real chains (height 0 is genesis); tests of the store alone use 0. */
  static async open(dir: string, blobHash: BlobHash, firstHeight = 1): Promise<NodeStorage> {
    mkdirSync(dir, { recursive: true });
    const db = await NodeDb.open(dir);
    const chain = (name: ChainName): ChainStores => ({
      blocks: new BlockStore(db, name, firstHeight),
      wal: new ConsensusWal(db, name),
      evidence: new EvidenceStore(db, name)
    });
    const s = new NodeStorage(
      db,
      { hospital: chain('hospital'), consortium: chain('consortium') },
      new BlobStore(db, blobHash)
    );
    await s.blobs.load();
    for (const c of CHAINS) await s.chains[c].blocks.load();
    return s;
  }

  diskBytes(): number {
    return this.db.diskBytes();
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
