/**
 * Record retrieval end to end: a tag's index entries proven complete in the consortium state, each
 * entry's hospital block and transaction proven, the blob from any mirror hashed against both chains,
 * then decrypted and validated as FHIR (core/records/envelope.ts). What the user sees is either a
 * record with the list of checks it passed, or a named error saying which check failed.
 */
import type { IndexEntry } from '../core/chain/tx/index-batch.js';
import { CoreError } from '../core/errors.js';
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
 * Every record under `tag`, fetched and verified (not decrypted): a hospital's head is synced when a
 * record lies beyond it, then each node is asked for its share of the records in one request
 * (LightClient.records). When no node can be reached, what this device verified before is served
 * instead, each such record marked `cachedAsOf`.
 */
export async function fetchRecords(
  client: LightClient,
  tag: Uint8Array,
  access: BlobAccess
): Promise<FetchedRecord[]> {
  const index = await new LightQueries(client).provenIndexEntries(tag);
  const entries = index.value;
  const got = await client.records(tag, entries, access, true);
  const out: FetchedRecord[] = [];
  for (const [i, g] of got.entries()) {
    if (g instanceof CoreError) throw g;
    const { ref, blob, cached } = g;
    out.push({
      entry: entries[i]!,
      ref,
      blob,
      ...(cached || index.cached ? { cachedAsOf: index.height } : {})
    });
  }
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
