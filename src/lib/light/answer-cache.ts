/**
 * Verified answers kept on the device, so the app works offline on what it already verified: proven
 * state values (index pages, grants, revocations, accounts) with the consortium height they were
 * proven at, and records (block proof and encrypted blob) as a node sent them. They are served only
 * when no node can be reached, and always marked as cached with that height, never as fresh.
 *
 * A cached record is verified again when it is read back (certificate, inclusion, hashes), so the
 * store need not be trusted with it; a cached state value was checked against its proof when it was
 * written and is stored with the height, as the verified head itself is (view-codec.ts).
 *
 * A break-glass listing is kept too (the node's list and the keys released to this reader, which
 * only the reader's secret opens), so an emergency doctor can open again offline what they opened.
 */
import { LIMITS, PROTOCOL_VERSION, TAGS } from '../core/constants.js';
import { isCoreError } from '../core/errors.js';
import { defineCodec } from '../core/encoding/codec.js';
import { bytesMax, hash32, header, id, list, uint, v } from '../core/encoding/schema.js';
import { sha256, toHex } from '../core/crypto/hash.js';
import { WRAPPED_KEY_BYTES } from '../core/records/envelope.js';
import { ENTRY_MAX_BYTES } from '../core/chain/entries.js';
import {
  EMERGENCY_LIST_LIMITS,
  MAX_EMERGENCY_PAGES,
  MAX_EMERGENCY_RECORDS,
  emergencyListCodec,
  type EmergencyList
} from '../net/emergency-list.js';
import type { TxAnswer } from './records.js';

/** A record's block proof and blob, as kept (the client's RecordAnswer). */
type RecordAnswer = TxAnswer & { blob: Uint8Array };

/** What a store keeps for the client; implemented by the head stores (IndexedDB, file, memory). */
export interface AnswerStore {
  loadAnswer(key: string): Promise<Uint8Array | undefined>;
  saveAnswer(key: string, bytes: Uint8Array): Promise<void>;
}

/** An answer and where it came from: proven now, or read back from the device as of `height`. */
export interface Proven<T> {
  value: T;
  /** The verified height the answer was proven at (consortium, or the hospital block for a record). */
  height: number;
  cached: boolean;
}

/**
 * A failure that says no node could answer (down, unreachable, timed out), as opposed to one a node
 * gave: a lie, a stale head, or a refusal. Only an outage lets a cached answer be served.
 */
export function isOutage(e: unknown): boolean {
  if (!isCoreError(e)) return true;
  if (e.data['remote']) return false;
  return (
    e.code === 'light/no-peers' ||
    e.code === 'net/timeout' ||
    e.code === 'net/no-response' ||
    e.code === 'net/stream-reset' ||
    e.code === 'net/truncated' ||
    e.code === 'net/internal'
  );
}

/** A state value as large as the chain lets one be: a full page of entries (core/chain/entries.ts). */
const MAX_STATE_VALUE_BYTES = ENTRY_MAX_BYTES;

const stateAnswerSchema = v.strictObject({
  ...header(TAGS.lightAnswer),
  chainId: id(),
  height: uint(),
  value: v.nullable(bytesMax(MAX_STATE_VALUE_BYTES))
});
const stateAnswerCodec = defineCodec('light-answer', stateAnswerSchema, MAX_STATE_VALUE_BYTES + 1024);

const recordAnswerSchema = v.strictObject({
  ...header(TAGS.lightRecord),
  chainId: id(),
  height: uint(),
  header: bytesMax(4 * 1024),
  commit: bytesMax(32 * 1024),
  tx: bytesMax(64 * 1024),
  proof: bytesMax(2 * 1024),
  blob: bytesMax(LIMITS.maxBlobBytes)
});
/** One blob and its proof, as the record protocol bounds them. */
const recordAnswerCodec = defineCodec(
  'light-record',
  recordAnswerSchema,
  LIMITS.maxBlobBytes + 4 * 1024 + 32 * 1024 + 64 * 1024 + 2 * 1024 + 1024
);

const emergencyAnswerSchema = v.strictObject({
  ...header(TAGS.lightEmergency),
  /** The node's listing, page by page, as it was verified. */
  pages: list(bytesMax(EMERGENCY_LIST_LIMITS.maxResponseBytes), MAX_EMERGENCY_PAGES),
  /** The data keys released to this reader, by record. */
  keys: list(
    v.strictObject({ mhrHash: hash32, key: bytesMax(WRAPPED_KEY_BYTES) }),
    MAX_EMERGENCY_RECORDS * MAX_EMERGENCY_PAGES
  )
});
const emergencyAnswerCodec = defineCodec(
  'light-emergency',
  emergencyAnswerSchema,
  MAX_EMERGENCY_PAGES *
    (EMERGENCY_LIST_LIMITS.maxResponseBytes + MAX_EMERGENCY_RECORDS * (WRAPPED_KEY_BYTES + 64)) +
    1024
);

export const stateCacheKey = (chainId: string, key: Uint8Array) => `state:${chainId}:${toHex(key)}`;
export const emergencyCacheKey = (peerId: string, statement: Uint8Array) =>
  `emergency:${peerId}:${toHex(sha256(statement))}`;

export function encodeEmergencyAnswer(
  pages: EmergencyList[],
  keys: { mhrHash: Uint8Array; key: Uint8Array }[]
): Uint8Array {
  return emergencyAnswerCodec.encode({
    t: TAGS.lightEmergency,
    v: PROTOCOL_VERSION,
    pages: pages.map((p) => emergencyListCodec.encode(p)),
    keys
  });
}

/** The kept listing pages and keys; undefined when unreadable (as if absent). */
export function decodeEmergencyAnswer(
  bytes: Uint8Array
): { pages: EmergencyList[]; keys: Map<string, Uint8Array> } | undefined {
  try {
    const a = emergencyAnswerCodec.decode(bytes);
    if (a.pages.length === 0) return undefined;
    return {
      pages: a.pages.map((p) => emergencyListCodec.decode(p)),
      keys: new Map(a.keys.map((k) => [toHex(k.mhrHash), k.key]))
    };
  } catch {
    return undefined;
  }
}
export const recordCacheKey = (mhrHash: Uint8Array) => `record:${toHex(mhrHash)}`;

export function encodeStateAnswer(chainId: string, height: number, value: Uint8Array | null): Uint8Array {
  return stateAnswerCodec.encode({ t: TAGS.lightAnswer, v: PROTOCOL_VERSION, chainId, height, value });
}

/** Undefined for bytes that do not decode, or that were stored for another chain: as if absent. */
export function decodeStateAnswer(
  bytes: Uint8Array,
  chainId: string
): { height: number; value: Uint8Array | null } | undefined {
  try {
    const a = stateAnswerCodec.decode(bytes);
    return a.chainId === chainId ? { height: a.height, value: a.value } : undefined;
  } catch {
    return undefined;
  }
}

export function encodeRecordAnswer(chainId: string, height: number, a: RecordAnswer): Uint8Array {
  return recordAnswerCodec.encode({
    t: TAGS.lightRecord,
    v: PROTOCOL_VERSION,
    chainId,
    height,
    header: a.header,
    commit: a.commit,
    tx: a.tx,
    proof: a.proof,
    blob: a.blob
  });
}

/** The stored answer, to be verified again by the caller; undefined when unreadable. */
export function decodeRecordAnswer(bytes: Uint8Array): RecordAnswer | undefined {
  try {
    const a = recordAnswerCodec.decode(bytes);
    return { header: a.header, commit: a.commit, tx: a.tx, proof: a.proof, blob: a.blob };
  } catch {
    return undefined;
  }
}
