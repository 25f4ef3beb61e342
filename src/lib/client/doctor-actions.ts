/**
 * The doctor's side of consent and writing, as the app performs it with core: accept a scanned grant
 * (parsed and signature-checked by core, then checked to be for THIS doctor and current), keep the
 * patients who granted access in the encrypted cache, seal a visit record to the patient's record key,
 * and sign a break-glass request with a co-signer present at this device.
 */
import {
  grantCodec,
  grantId,
  openGrantCaps,
  parseQrLink,
  scopeCategories,
  verifyGrantFor,
  type Grant
} from '../core/consent/index.js';
import { deriveAccountKeys, fromHex, systemRng, toHex, x25519PublicKey } from '../core/crypto/index.js';
import { CoreError } from '../core/errors.js';
import { buildVisitBundle, type VisitInput } from '../core/records/visit.js';
import { sealRecord } from '../core/records/envelope.js';
import { checkConditionsCategory } from '../core/records/icd10.js';
import { indexTagFromCapability } from '../core/records/index-tag.js';
import { writeOpening } from '../core/chain/commit.js';
import { breakGlassCodec, createBreakGlass } from '../core/chain/tx/break-glass.js';
import type { RecordBundle } from '../core/records/fhir.js';
import type { CacheStore } from './cache-store.js';
import type { OutboxAction } from './outbox.js';

export interface ScannedPatient {
  grantId: string;
  /** Hex of the patient's signing key, as the grant names them. */
  patient: string;
  categories: readonly string[] | 'all';
  read: boolean;
  write: boolean;
  expiresAt: number;
  scannedAt: number;
  /** The grant itself (hex of its canonical bytes), needed to open its capabilities later. */
  grant: string;
  /** When this device learned the chain holds the grant revoked (markRevoked). */
  revokedAt?: number;
}

const PREFIX = 'patient:';

/** Parses scanned text as a grant and checks it is signed, for this doctor, and current. */
export function checkScannedGrant(text: string, doctorSigningPublic: Uint8Array, now: number): Grant {
  const { grant } = parseQrLink(text);
  // Checked for one category and mode the grant itself names: this catches another doctor's grant,
  // a bad signature, and one that has not started or has run out.
  const verdict = verifyGrantFor(grant, {
    doctor: doctorSigningPublic,
    category: scopeCategories(grant.scope)[0]!,
    mode: grant.scope.read ? 'read' : 'write',
    now,
    revocations: []
  });
  if (!verdict.ok) throw verdict.error;
  return grant;
}

export async function rememberGrant(cache: CacheStore, grant: Grant, now: number): Promise<ScannedPatient> {
  const entry: ScannedPatient = {
    grantId: toHex(grantId(grant)),
    patient: toHex(grant.patient),
    categories: grant.scope.categories,
    read: grant.scope.read,
    write: grant.scope.write,
    expiresAt: grant.expiry,
    scannedAt: now,
    grant: toHex(grantCodec.encode(grant))
  };
  await cache.put(PREFIX + entry.grantId, entry);
  return entry;
}

export async function scannedPatients(cache: CacheStore): Promise<ScannedPatient[]> {
  return (await cache.all<ScannedPatient>()).filter((e) => e.id.startsWith(PREFIX)).map((e) => e.value);
}

/** Remembers that the chain proved this grant revoked, so the doctor sees it ended, offline too. */
export async function markRevoked(cache: CacheStore, p: ScannedPatient, now: number): Promise<void> {
  await cache.put(PREFIX + p.grantId, { ...p, revokedAt: now });
}

export interface PreparedRecord {
  bundle: RecordBundle;
  /** The 'record' outbox action: the sealed blob plus what the hospital chain transaction needs. */
  action: OutboxAction;
}

/**
 * Builds the visit bundle, seals it to the patient's record key for `category` (from the grant's
 * capabilities), to the author and to the hospital's authority (break-glass), and computes the secure
 * index tag and the write opening. Storing
 * the blob on mirrors and signing the hospital-chain transaction with their attestations is the
 * network's step (CarechainNetwork.writeRecord), done when the outbox is flushed.
 */
export function prepareRecord(
  seed: Uint8Array,
  scanned: ScannedPatient,
  category: string,
  visit: Omit<VisitInput, 'rng' | 'patientRef'>,
  /** The doctor's hospital authority encryption key (CarechainNetwork.sealingKey): break-glass escrow. */
  hospitalEncryptionPublic: Uint8Array
): PreparedRecord {
  const grant = grantCodec.decode(fromHex(scanned.grant));
  if (!grant.scope.write || !scopeCategories(grant.scope).includes(category))
    throw new CoreError('consent/out-of-scope', { category });
  checkConditionsCategory(
    category,
    (visit.conditions ?? []).map((c) => c.code)
  );
  const keys = deriveAccountKeys(seed);
  const caps = openGrantCaps(grant, keys.encryptionSecret);
  const secret = caps.recordSecrets.get(category);
  const recordPublic = caps.recordPublics.get(category) ?? (secret ? x25519PublicKey(secret) : undefined);
  const search = caps.search.get(category);
  if (!recordPublic) throw new CoreError('record/no-key', { category });
  // A write-only grant carries no search capability, so the tag cannot be computed here.
  if (!search) throw new CoreError('consent/out-of-scope', { category, detail: 'grant has no read scope' });
  const bundle = buildVisitBundle({ ...visit, patientRef: scanned.patient.slice(0, 32), rng: systemRng });
  const { blob, mhrHash } = sealRecord({
    bundle,
    category,
    epoch: caps.epoch,
    patientRecordPublic: recordPublic,
    authorEncryptionPublic: keys.encryptionPublic,
    hospitalEncryptionPublic,
    rng: systemRng
  });
  return {
    bundle,
    action: {
      kind: 'record',
      bytes: blob,
      summary: {
        text: category,
        category,
        grant: scanned.grantId,
        mhrHash: toHex(mhrHash),
        tag: toHex(indexTagFromCapability(search)),
        opening: toHex(writeOpening(recordPublic))
      }
    }
  };
}

/** Break-glass: both doctors sign the same bytes; the co-signer's seed is used here and then dropped. */
export function breakGlassAction(
  doctorSeed: Uint8Array,
  cosignerSeed: Uint8Array,
  opts: { patient: string; reason: string; now: number; durationMs: number }
): OutboxAction {
  if (!/^[0-9a-f]{64}$/.test(opts.patient)) throw new CoreError('crypto/bad-key', { detail: 'patient key' });
  const doctor = deriveAccountKeys(doctorSeed);
  const cosigner = deriveAccountKeys(cosignerSeed);
  const tx = createBreakGlass(doctor.signingSeed, cosigner.signingSeed, {
    doctor: doctor.signingPublic,
    patient: fromHex(opts.patient),
    reason: opts.reason,
    cosigner: cosigner.signingPublic,
    time: opts.now,
    durationMs: opts.durationMs
  });
  return { kind: 'break-glass', bytes: breakGlassCodec.encode(tx), summary: { text: opts.reason } };
}
