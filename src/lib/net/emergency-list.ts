/**
 * emergency-list: under break-glass, the records one hospital's chain holds for a patient. An emergency
 * doctor has no search capability, so the consortium index (tags only the patient's keys can compute)
 * cannot find anything for them; the hospital's node can, because each record names the grant it was
 * written under and the grant names the patient.
 *
 * The request is the blob protocol's signed authorisation (blob.ts) with the co-signed break-glass
 * statement in it and `hash` = SHA-256 of that statement: bound to one node, a time and a nonce. The
 * node answers only for a statement committed on the consortium, live, and naming the requester. The
 * list is a claim, not a proof: each record is then read with the record protocol and checked against
 * the certified hospital chain, and its grant against the proven consortium state, by the client.
 * A node that leaves records out is not caught here; the client asks every hospital.
 *
 * Paged: `before` names the last record of the previous answer, and the node lists what is older.
 * Each page is its own signed request (the authorisation's nonce is single-use).
 */
import { TAGS } from '../core/constants.js';
import { defineCodec } from '../core/encoding/codec.js';
import { hash32, header, id, list, uint, v } from '../core/encoding/schema.js';
import { blobAuthSchema, BLOB_LIMITS } from './blob.js';
import { type ProtocolLimits, type ServeContext, unaryProtocol } from './rpc.js';

export const EMERGENCY_LIST_PROTOCOL = '/carechain/emergency-list/2';

/**
 * Records listed per answer, newest first: an emergency needs the recent history. A patient with more
 * at one hospital gets `more: true`, and the client asks for the next page (up to
 * MAX_EMERGENCY_PAGES; past that the doctor's app says that hospital holds older records).
 */
export const MAX_EMERGENCY_RECORDS = 256;
/** Pages a client reads from one hospital: 2,048 records, the whole history of nearly any patient. */
export const MAX_EMERGENCY_PAGES = 8;

/** A listed record: 32 + 32 bytes of hashes, a short blob reference and two numbers, under 200 bytes. */
const MAX_ITEM_BYTES = 200;

export const EMERGENCY_LIST_LIMITS: ProtocolLimits = {
  maxRequestBytes: BLOB_LIMITS.maxRequestBytes + 64,
  maxResponseBytes: MAX_EMERGENCY_RECORDS * MAX_ITEM_BYTES + 64,
  maxResponseFrames: 1,
  timeoutMs: 10_000,
  /** One list per hospital per emergency. */
  maxInboundStreams: 2,
  maxOutboundStreams: 4
};

export const emergencyListRequestSchema = v.strictObject({
  ...header(TAGS.netEmergencyListRequest),
  /** Signed by the emergency doctor; `hash` is SHA-256 of `breakGlass`, which must not be null. */
  auth: blobAuthSchema,
  /** List records older than this one (the last of the previous page); null for the newest. */
  before: v.nullable(v.strictObject({ height: uint(), txIndex: uint() }))
});
export type EmergencyListRequest = v.InferOutput<typeof emergencyListRequestSchema>;
export const emergencyListRequestCodec = defineCodec(
  'net/emergency-list-request',
  emergencyListRequestSchema,
  EMERGENCY_LIST_LIMITS.maxRequestBytes
);
export type EmergencyCursor = NonNullable<EmergencyListRequest['before']>;

export const emergencyItemSchema = v.strictObject({
  height: uint(),
  txIndex: uint(),
  mhrHash: hash32,
  blobRef: id(),
  /** The record's index tag, as its transaction carries it: what the client checks the answer against. */
  tag: hash32
});
export type EmergencyItem = v.InferOutput<typeof emergencyItemSchema>;

export const emergencyListSchema = v.strictObject({
  ...header(TAGS.netEmergencyList),
  chainId: id(),
  records: list(emergencyItemSchema, MAX_EMERGENCY_RECORDS),
  /** Older records exist beyond this answer. */
  more: v.boolean()
});
export type EmergencyList = v.InferOutput<typeof emergencyListSchema>;
export const emergencyListCodec = defineCodec(
  'net/emergency-list',
  emergencyListSchema,
  EMERGENCY_LIST_LIMITS.maxResponseBytes
);

export interface EmergencyListService {
  /** The listing, or a CoreError naming the refusal (consent/*, node/break-glass-unknown …). */
  list(req: EmergencyListRequest, ctx: ServeContext): Promise<Omit<EmergencyList, 't' | 'v'>>;
}

const rpc = unaryProtocol(
  EMERGENCY_LIST_PROTOCOL,
  emergencyListRequestCodec,
  emergencyListCodec,
  EMERGENCY_LIST_LIMITS,
  TAGS.netEmergencyList
);

export const handleEmergencyList = rpc.handler((s: EmergencyListService, req, ctx) => s.list(req, ctx));

export const requestEmergencyList = rpc.request;
