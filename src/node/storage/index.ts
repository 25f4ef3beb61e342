/**
 * Everything a hospital node keeps on disk, in one LevelDB: per chain a block store (blocks +
 * certificates + head), a consensus WAL and pending evidence; on mirrors, the blob store.
 *
 * Blocks are the single source of truth. On start the driver rebuilds the in-memory sparse Merkle tree
 * from the newest state snapshot (a cache, accepted only if its root matches the state root of the
 * stored header at its height) and replays the blocks after it through the chain's apply functions,
 * checking each block's state root as it goes; without a usable snapshot it replays from genesis.
 */
import { mkdirSync } from 'node:fs';
import { BlobStore, type BlobHash } from './blob-store.js';
import { BlockStore } from './block-store.js';
import { NodeDb } from './db.js';
import { EvidenceStore } from './evidence-store.js';
import { ConsensusWal } from './wal.js';
import { StateSnapshots } from './state-snapshot.js';

export { BlobStore, BlockStore, ConsensusWal, EvidenceStore, NodeDb, StateSnapshots };
export type { SnapshotPointer } from './state-snapshot.js';
export type { StoredBlock, Head, BlockCheck, RecoverResult } from './block-store.js';
export type { Op } from './db.js';

export const CHAINS = ['hospital', 'consortium'] as const;
export type ChainName = (typeof CHAINS)[number];

export interface ChainStores {
  blocks: BlockStore;
  wal: ConsensusWal;
  evidence: EvidenceStore;
  /** State snapshots so a restart replays only the blocks after the newest one. */
  snapshots: StateSnapshots;
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
      evidence: new EvidenceStore(db, name),
      snapshots: new StateSnapshots(db, name)
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

  freeBytes(): number {
    return this.db.freeBytes();
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
