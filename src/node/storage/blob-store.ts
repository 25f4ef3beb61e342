/**
 * Encrypted record blobs on a storage mirror, keyed by their hash (the record's mhrHash). The store
 * checks the bytes against the key on the way in (the hash function is the records module's, passed
 * in) so a mirror can never hold, attest or serve bytes under a hash they do not have. `put` resolves
 * after fsync: a mirror signs its attestation only after that.
 */
import { CoreError } from '../../lib/core/errors.js';
import { LIMITS } from '../../lib/core/constants.js';
import { bytesEqual } from '../../lib/core/encoding/cbor.js';
import { fromHex, toHex } from '../../lib/core/crypto/index.js';
import type { NodeDb } from './db.js';

export type BlobHash = (blob: Uint8Array) => Uint8Array;

export class BlobStore {
  private readonly p = 'blob/';
  private count_ = 0;

  constructor(
    private readonly db: NodeDb,
    private readonly hashOf: BlobHash
  ) {}

  async load(): Promise<void> {
    let n = 0;
    for await (const _ of this.db.range(this.p)) n++;
    this.count_ = n;
  }

  get count(): number {
    return this.count_;
  }

  async put(hash: Uint8Array, blob: Uint8Array): Promise<void> {
    if (blob.length > LIMITS.maxBlobBytes)
      throw new CoreError('decode/too-large', { type: 'blob', size: blob.length });
    if (!bytesEqual(this.hashOf(blob), hash))
      throw new CoreError('record/hash-mismatch', { hash: toHex(hash) });
    const key = this.p + toHex(hash);
    if ((await this.db.get(key)) !== undefined) return;
    await this.db.write([{ type: 'put', key, value: blob }]);
    this.count_++;
  }

  /** The blob, re-checked against its hash (disk is untrusted too); undefined if absent. */
  async get(hash: Uint8Array): Promise<Uint8Array | undefined> {
    const blob = await this.db.get(this.p + toHex(hash));
    if (blob === undefined) return undefined;
    if (!bytesEqual(this.hashOf(blob), hash))
      throw new CoreError('node/storage-corrupt', { what: 'blob', hash: toHex(hash) });
    return blob;
  }

  async has(hash: Uint8Array): Promise<boolean> {
    return (await this.db.get(this.p + toHex(hash))) !== undefined;
  }

  async *list(): AsyncGenerator<Uint8Array> {
    for await (const [k] of this.db.range(this.p)) yield fromHex(k);
  }
}
