/**
 * Record retrieval end to end: a tag's index entries proven complete in the consortium state, each
 * entry's hospital block and transaction proven, the blob from any mirror hashed against both chains,
 * then decrypted and validated as FHIR (core/records/envelope.ts). What the user sees is either a
 * record with the list of checks it passed, or a named error saying which check failed.
 */
import { hospitalChainId } from '../core/chain/header.js';
import type { IndexEntry } from '../core/chain/tx/index-batch.js';
import { openRecord, type RecordKey } from '../core/records/envelope.js';
import type { RecordBundle } from '../core/records/fhir.js';
import type { BlobAccess, LightClient } from './client.js';
import { LightQueries } from './queries.js';
import type { VerifiedRecordRef } from './records.js';

export interface ReadRecord {
  entry: IndexEntry;
  bundle: RecordBundle;
  /** The checks passed, in order, for the "verified" badge. */
  checks: string[];
  /** As FetchedRecord: read back from this device, as of this consortium height. */
  cachedAsOf?: number;
}

/** Records fetched at once: within every protocol's per-connection stream limit (blob: 8). */
const CONCURRENCY = 8;

export interface FetchedRecord {
  entry: IndexEntry;
  ref: VerifiedRecordRef;
  /** The encrypted blob, its hash checked against both chains. */
  blob: Uint8Array;
  /**
   * Set when no node could be reached and the record, or the index that lists it, was read back from
   * what this device verified before: the consortium height the index was proven at. The app says so.
   */
  cachedAsOf?: number;
}

/**
 * Every record under `tag`, fetched and verified (not decrypted). The hospitals' heads are synced
 * once first, so the per-record work is one request (block proof and blob). When no node can be
 * reached, what this device verified before is served instead, each such record marked `cachedAsOf`.
 */
export async function fetchRecords(
  client: LightClient,
  tag: Uint8Array,
  access: BlobAccess
): Promise<FetchedRecord[]> {
  const index = await new LightQueries(client).provenIndexEntries(tag);
  const entries = index.value;
  const hospitals = [...new Set(entries.map((e) => e.hospital))];
  await Promise.all(hospitals.map((h) => client.sync(hospitalChainId(h))));
  const out: FetchedRecord[] = new Array(entries.length);
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      const i = next++;
      const entry = entries[i]!;
      const { ref, blob, cached } = await client.record(tag, entry, access, true);
      out[i] = { entry, ref, blob, ...(cached || index.cached ? { cachedAsOf: index.height } : {}) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, entries.length) }, worker));
  return out;
}

/** Decrypts a verified record and validates it as FHIR. */
export function openFetched(r: FetchedRecord, key: RecordKey): ReadRecord {
  return {
    entry: r.entry,
    bundle: openRecord(r.blob, key),
    checks: [...r.ref.checks, 'decrypted and validated as FHIR R4'],
    ...(r.cachedAsOf !== undefined ? { cachedAsOf: r.cachedAsOf } : {})
  };
}

/** Every record under `tag`, verified, decrypted and validated. */
export async function readRecords(
  client: LightClient,
  tag: Uint8Array,
  access: BlobAccess,
  key: RecordKey
): Promise<ReadRecord[]> {
  return (await fetchRecords(client, tag, access)).map((r) => openFetched(r, key));
}
