/**
 * The values stored in chain state, one schema each. Fields are never optional (empty string / zero
 * bytes stand for "none") so every entry has exactly one canonical encoding. Light clients decode
 * these with the same codecs after checking an SMT proof.
 */
import { CHAIN_LIMITS, LIMITS, PROTOCOL_VERSION, TAGS } from '../constants.js';
import { defineCodec } from '../encoding/codec.js';
import { bytesMax, hash32, header, id, list, publicKey, text, uint, v } from '../encoding/schema.js';

/**
 * Entries are small; 160 KiB bounds any one (a full page: 32 logged transactions of <= 4 KiB), and a
 * state-proof answer carries any one (net/state-proof.ts).
 */
export const ENTRY_MAX_BYTES = 160 * 1024;

export const ROLES = ['patient', 'doctor', 'manager', 'hospital', 'node'] as const;
export type Role = (typeof ROLES)[number];

export const accountEntrySchema = v.strictObject({
  ...header(TAGS.stAccount),
  key: publicKey,
  role: v.picklist(ROLES),
  encryptionKey: publicKey,
  /** 'rotated': a recovery moved the account to `rotatedTo`; the old key is refused from then on. */
  status: v.picklist(['active', 'rotated']),
  rotatedTo: publicKey,
  /** Doctors and nodes: the hospital they belong to; '' otherwise. */
  hospital: text(LIMITS.maxIdChars),
  /** Doctors: rank name from the rank table; '' otherwise. */
  rank: text(LIMITS.maxIdChars),
  /**
   * Doctors: stake set by rank (the hospital chain's permissioned proof of stake). Nodes: weight on
   * their hospital chain (genesis weight, or SERVER_NODE_STAKE for a registered validator). 0 otherwise.
   */
  stake: uint(),
  /** Nodes: 'validator' | 'mirror' | 'follower'; '' otherwise. */
  nodeRole: text(LIMITS.maxIdChars),
  /** Hash of the registration (or recovery) request that created this entry: the public profile. */
  request: hash32
});
export type AccountEntry = v.InferOutput<typeof accountEntrySchema>;
export const accountEntryCodec = defineCodec('account-entry', accountEntrySchema, ENTRY_MAX_BYTES);

export const validatorSchema = v.strictObject({ key: publicKey, weight: v.pipe(uint(), v.minValue(1)) });

export const hospitalEntrySchema = v.strictObject({
  ...header(TAGS.stHospital),
  id: id(),
  name: text(),
  /** The hospital's consortium authority key: signs its index batches and its consortium votes. */
  authority: publicKey,
  active: v.boolean()
});
export type HospitalEntry = v.InferOutput<typeof hospitalEntrySchema>;
export const hospitalEntryCodec = defineCodec('hospital-entry', hospitalEntrySchema, ENTRY_MAX_BYTES);

/** A validator set as stored in state (consortium: authorities; hospital chain: doctors and nodes). */
export const validatorsEntrySchema = v.strictObject({
  ...header(TAGS.stValidators),
  validators: list(validatorSchema, CHAIN_LIMITS.maxValidators)
});
export type ValidatorsEntry = v.InferOutput<typeof validatorsEntrySchema>;
export const validatorsEntryCodec = defineCodec('validators-entry', validatorsEntrySchema, ENTRY_MAX_BYTES);

/** The consortium's system managers (keys, sorted). */
export const managersEntrySchema = v.strictObject({
  ...header(TAGS.stMarker),
  managers: list(publicKey, CHAIN_LIMITS.maxValidators)
});
export type ManagersEntry = v.InferOutput<typeof managersEntrySchema>;
export const managersEntryCodec = defineCodec('managers-entry', managersEntrySchema, ENTRY_MAX_BYTES);

/**
 * A grant as the chain holds it: the patient-signed grant bytes (so anyone can re-check the signature)
 * plus the fields the rules read, and the write commitments (see writeCommitment in rules/commit.ts).
 * Whether it is live is not stored here: it follows from the consent and revocation entries, which
 * are order-independent maxima.
 */
export const grantEntrySchema = v.strictObject({
  ...header(TAGS.stGrant),
  grant: bytesMax(ENTRY_MAX_BYTES),
  patient: publicKey,
  doctor: publicKey,
  seq: uint(),
  notBefore: uint(),
  expiry: uint(),
  read: v.boolean(),
  write: v.boolean(),
  writeCommits: list(hash32, CHAIN_LIMITS.maxWriteCommits)
});
export type GrantEntry = v.InferOutput<typeof grantEntrySchema>;
export const grantEntryCodec = defineCodec('grant-entry', grantEntrySchema, ENTRY_MAX_BYTES);

/**
 * Per (patient, doctor): how far revocations of all grants to the doctor reach. A grant with seq g
 * is live only if g >= revokedBelow (ties go to the revocation). A maximum commutes, so the entry is
 * the same whatever order grants and revocations arrived in.
 */
export const consentEntrySchema = v.strictObject({
  ...header(TAGS.stConsent),
  /** One more than the highest seq of a revocation of all grants to this doctor (0 = none). */
  revokedBelow: uint()
});
export type ConsentEntry = v.InferOutput<typeof consentEntrySchema>;
export const consentEntryCodec = defineCodec('consent-entry', consentEntrySchema, ENTRY_MAX_BYTES);

/** A revocation of one grant by id, stored under (patient, grant id): the revocation's seq. */
export const revocationEntrySchema = v.strictObject({
  ...header(TAGS.stRevocation),
  seq: uint()
});
export type RevocationEntry = v.InferOutput<typeof revocationEntrySchema>;
export const revocationEntryCodec = defineCodec('revocation-entry', revocationEntrySchema, ENTRY_MAX_BYTES);

/** One grant as a grant list holds it (rules/grant-lists.ts): what unlisting and the clients read. */
export const listedGrantSchema = v.strictObject({
  id: hash32,
  /** The other side: the doctor, in a patient's list; the patient, in a doctor's. */
  party: publicKey,
  seq: uint(),
  expiry: uint()
});
export type ListedGrant = v.InferOutput<typeof listedGrantSchema>;

/** A patient's grant list, or one bucket of a doctor's: live grants sorted by id (rules/grant-lists.ts). */
export const grantListEntrySchema = v.strictObject({
  ...header(TAGS.stGrantList),
  grants: list(listedGrantSchema, Math.max(CHAIN_LIMITS.maxPatientGrants, CHAIN_LIMITS.maxDoctorBucketGrants))
});
export type GrantListEntry = v.InferOutput<typeof grantListEntrySchema>;
export const grantListEntryCodec = defineCodec('grant-list-entry', grantListEntrySchema, ENTRY_MAX_BYTES);

/** A page of a paged list; entries are encoded items (index entries, break-glass events). */
export const pageSchema = v.strictObject({
  ...header(TAGS.stPage),
  entries: list(bytesMax(4096), CHAIN_LIMITS.pageEntries),
  more: v.boolean()
});
export type Page = v.InferOutput<typeof pageSchema>;
export const pageCodec = defineCodec('page', pageSchema, ENTRY_MAX_BYTES);
export const emptyPage = (): Page => ({ t: TAGS.stPage, v: PROTOCOL_VERSION, entries: [], more: false });

/** Consortium: the last hospital header a hospital anchored (height and hash). */
export const checkpointEntrySchema = v.strictObject({
  ...header(TAGS.stCheckpoint),
  hospital: id(),
  height: uint(),
  headerHash: hash32
});
export type CheckpointEntry = v.InferOutput<typeof checkpointEntrySchema>;
export const checkpointEntryCodec = defineCodec('checkpoint-entry', checkpointEntrySchema, ENTRY_MAX_BYTES);

/** Hospital chain: one record (by record id = mhrHash). */
export const recordEntrySchema = v.strictObject({
  ...header(TAGS.stRecord),
  tag: hash32,
  mhrHash: hash32,
  blobRef: id(),
  author: publicKey,
  grant: hash32,
  height: uint(),
  txIndex: uint(),
  time: uint(),
  /** The record this one corrects (amendment), or zero bytes. */
  amends: hash32
});
export type RecordEntry = v.InferOutput<typeof recordEntrySchema>;
export const recordEntryCodec = defineCodec('record-entry', recordEntrySchema, ENTRY_MAX_BYTES);
