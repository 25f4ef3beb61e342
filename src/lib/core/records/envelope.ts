/**
 * The encryption envelope: what mirrors store and what both chains hash. A fresh random 32-byte data
 * key encrypts the canonical JSON of the bundle (XChaCha20-Poly1305, with every other envelope field —
 * tag, version, category, epoch, the three wrapped keys — as associated data, so no byte of the blob can
 * change unnoticed by any reader, even in the part that reader does not use). The data key is wrapped
 * (X25519, crypto/x25519.ts) three times:
 * - to the patient's record key for exactly this (category, epoch): the key a read grant hands a doctor;
 * - to the author's encryption key, so the author can reread what they wrote;
 * - to the writing hospital's registered authority encryption key, so that in an emergency the
 *   hospital's authority node can release it to a doctor who presents a co-signed break-glass statement
 *   committed on the consortium: the thesis's "medical institutions can [read] in an emergency", and
 *   only then, in the open (the patient's app lists every break-glass and every read it led to).
 * The MHR hash is plain SHA-256 of the stored blob bytes, the value both chains carry.
 */
import * as v from 'valibot';
import { LIMITS, TAGS, PROTOCOL_VERSION } from '../constants.js';
import { CoreError, fail, isCoreError, OK, type Verdict } from '../errors.js';
import { bytesEqual, encodeCanonical } from '../encoding/cbor.js';
import { defineCodec } from '../encoding/codec.js';
import { bytes, bytesMax, header, uint } from '../encoding/schema.js';
import { open, seal, NONCE_BYTES, TAG_BYTES, KEY_BYTES } from '../crypto/aead.js';
import { sha256, toHex } from '../crypto/hash.js';
import type { Rng } from '../crypto/random.js';
import { unwrapWith, wrapTo } from '../crypto/x25519.js';
import { isCategoryCode } from './categories.js';
import { canonicalJsonBytes, parseCanonicalJson } from './canonical-json.js';
import { parseRecordBundle, type RecordBundle } from './fhir.js';

/** A wrapped data key: ephemeral X25519 public key ‖ nonce ‖ encrypted key ‖ tag. */
export const WRAPPED_KEY_BYTES = 32 + NONCE_BYTES + KEY_BYTES + TAG_BYTES;

export const EnvelopeSchema = v.strictObject({
  ...header(TAGS.envelope),
  category: v.pipe(
    v.string(),
    v.check((c) => isCategoryCode(c), 'unknown category')
  ),
  epoch: uint(),
  /** The data key wrapped to the patient's record public key for (category, epoch). */
  patientKey: bytes(WRAPPED_KEY_BYTES),
  /** The data key wrapped to the author's encryption public key. */
  authorKey: bytes(WRAPPED_KEY_BYTES),
  /** The data key wrapped to the writing hospital's authority encryption key (break-glass escrow). */
  hospitalKey: bytes(WRAPPED_KEY_BYTES),
  /** nonce ‖ AEAD ciphertext ‖ tag of the canonical JSON bundle. */
  ct: bytesMax(LIMITS.maxBlobBytes)
});
export type Envelope = v.InferOutput<typeof EnvelopeSchema>;

/** Schema byte fields are Uint8Array<ArrayBuffer>; crypto hands back any Uint8Array. */
const asBytes = (b: Uint8Array) => b as Envelope['ct'];

export const envelopeCodec = defineCodec('envelope', EnvelopeSchema, LIMITS.maxBlobBytes);

const patientContext = (category: string, epoch: number) => `record/patient/${category}/${epoch}`;
const AUTHOR_CONTEXT = 'record/author';
const HOSPITAL_CONTEXT = 'record/emergency';
/** A released key is bound to one blob: it opens that record and no other. */
const releasedContext = (blob: Uint8Array) => `record/released/${toHex(sha256(blob))}`;

/** Everything in the envelope but the ciphertext: altering any byte of the blob fails AEAD for every reader. */
function associatedData(env: Omit<Envelope, 'ct'>): Uint8Array {
  return encodeCanonical({
    t: env.t,
    v: env.v,
    category: env.category,
    epoch: env.epoch,
    patientKey: env.patientKey,
    authorKey: env.authorKey,
    hospitalKey: env.hospitalKey
  });
}

export interface SealInput {
  bundle: RecordBundle;
  category: string;
  epoch: number;
  patientRecordPublic: Uint8Array;
  authorEncryptionPublic: Uint8Array;
  /** The writing hospital's authority encryption key, as registered on the consortium. */
  hospitalEncryptionPublic: Uint8Array;
  rng: Rng;
}

export function sealRecord(input: SealInput): { blob: Uint8Array; mhrHash: Uint8Array } {
  const { category, epoch, rng } = input;
  if (!isCategoryCode(category)) throw new CoreError('record/unknown-category', { category });
  if (!Number.isSafeInteger(epoch) || epoch < 0)
    throw new CoreError('decode/schema', {
      type: 'envelope',
      detail: 'epoch must be a non-negative integer'
    });
  // Re-validate: whatever the caller built, only a bundle every reader will accept gets sealed.
  const plaintext = canonicalJsonBytes(parseRecordBundle(input.bundle));
  const dataKey = rng(KEY_BYTES);
  const head: Omit<Envelope, 'ct'> = {
    t: TAGS.envelope,
    v: PROTOCOL_VERSION,
    category,
    epoch,
    patientKey: asBytes(wrapTo(input.patientRecordPublic, dataKey, patientContext(category, epoch), rng)),
    authorKey: asBytes(wrapTo(input.authorEncryptionPublic, dataKey, AUTHOR_CONTEXT, rng)),
    hospitalKey: asBytes(wrapTo(input.hospitalEncryptionPublic, dataKey, HOSPITAL_CONTEXT, rng))
  };
  const blob = envelopeCodec.encode({
    ...head,
    ct: asBytes(seal(dataKey, plaintext, rng, associatedData(head)))
  });
  return { blob, mhrHash: sha256(blob) };
}

/** The envelope's category and epoch, so a patient knows which record key to derive before opening. */
export function readEnvelopeHeader(blob: Uint8Array): { category: string; epoch: number } {
  const { category, epoch } = envelopeCodec.decode(blob);
  return { category, epoch };
}

/**
 * Break-glass: the hospital's authority node opens the emergency wrap of this blob and wraps the data
 * key again to the reader's encryption key, bound to this blob's hash. The node never sees the record:
 * it handles the data key only, and the reader opens and checks the record itself.
 */
export function releaseRecordKey(
  blob: Uint8Array,
  hospitalEncryptionSecret: Uint8Array,
  readerEncryptionPublic: Uint8Array,
  rng: Rng
): Uint8Array {
  const env = envelopeCodec.decode(blob);
  let dataKey: Uint8Array;
  try {
    dataKey = unwrapWith(hospitalEncryptionSecret, env.hospitalKey, HOSPITAL_CONTEXT);
  } catch (e) {
    if (isCoreError(e, 'crypto/decrypt-failed') || isCoreError(e, 'crypto/bad-key'))
      throw new CoreError('record/no-key', { category: env.category, detail: 'sealed for another hospital' });
    throw e;
  }
  return wrapTo(readerEncryptionPublic, dataKey, releasedContext(blob), rng);
}

export type RecordKey =
  | { recordSecret: Uint8Array }
  | { authorSecret: Uint8Array }
  /** A key released for break-glass (`releaseRecordKey`) and the reader's encryption secret. */
  | { released: Uint8Array; readerSecret: Uint8Array };

function unwrapDataKey(blob: Uint8Array, env: Envelope, key: RecordKey): Uint8Array {
  if ('recordSecret' in key)
    return unwrapWith(key.recordSecret, env.patientKey, patientContext(env.category, env.epoch));
  if ('authorSecret' in key) return unwrapWith(key.authorSecret, env.authorKey, AUTHOR_CONTEXT);
  return unwrapWith(key.readerSecret, key.released, releasedContext(blob));
}

export function openRecord(blob: Uint8Array, key: RecordKey): RecordBundle {
  const env = envelopeCodec.decode(blob);
  let dataKey: Uint8Array;
  try {
    dataKey = unwrapDataKey(blob, env, key);
  } catch (e) {
    if (isCoreError(e, 'crypto/decrypt-failed') || isCoreError(e, 'crypto/bad-key'))
      throw new CoreError('record/no-key', { category: env.category, epoch: env.epoch });
    throw e;
  }
  const plaintext = open(dataKey, env.ct, associatedData(env));
  return parseRecordBundle(parseCanonicalJson(plaintext));
}

/** Do these bytes hash to the MHR hash published on the chains? */
export function checkRecordHash(blob: Uint8Array, expected: Uint8Array): Verdict {
  const actual = sha256(blob);
  if (!bytesEqual(actual, expected))
    return fail('record/hash-mismatch', { expected: toHex(expected), actual: toHex(actual) });
  return OK;
}
