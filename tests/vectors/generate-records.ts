/**
 * Writes tests/vectors/records.json: record-key derivation, envelopes opened by the patient's record
 * secret, by the author and through a break-glass release by the writing hospital, tampered and wrongly-keyed envelopes, the MHR hash check, and FHIR bundle
 * validation. Deterministic (seeded); invalid cases state their error by hand.
 * Run: npx tsx tests/vectors/generate-records.ts
 */
import { encodeCanonical } from '../../src/lib/core/encoding/cbor.js';
import { seededRng } from '../../src/lib/core/crypto/random.js';
import { sha256, toHex } from '../../src/lib/core/crypto/hash.js';
import { deriveAccountKeys, recordPublicKey, recordSecret } from '../../src/lib/core/crypto/keys.js';
import { envelopeCodec, sealRecord } from '../../src/lib/core/records/envelope.js';
import { bloodGroupObservation, buildVisitBundle } from '../../src/lib/core/records/visit.js';
import { canonicalJsonBytes } from '../../src/lib/core/records/canonical-json.js';
import type { VectorCase } from './runner.js';
import { finish, writeVectors } from './generate-support.js';

const rng = seededRng(7301);
const hex = (b: Uint8Array) => toHex(b);

const patientSeed = rng(32);
const author = deriveAccountKeys(rng(32));
const CATEGORY = 'IV'; // endocrine, nutritional and metabolic diseases
const EPOCH = 2;
// The writing hospital's authority encryption keys and an emergency doctor: their own rng, so the older
// vectors' keys stay as they were.
const extra = seededRng(7302);
const hospital = deriveAccountKeys(extra(32));
const emergencyDoctor = deriveAccountKeys(extra(32));

// A visit as a doctor writes it: pseudonymous Patient snapshot, Encounter, Condition, prescription,
// allergy, blood group and HbA1c; every time is given (2024-05-01T09:30:00Z), no clock is read.
const bundle = buildVisitBundle({
  patientRef: hex(rng(16)),
  patient: { gender: 'female', birthDate: '1979-03-14' },
  encounter: { class: 'AMB', reason: 'Thirst and tiredness' },
  conditions: [{ code: 'E11', display: 'Type 2 diabetes', note: 'Newly diagnosed' }],
  medications: [{ display: 'Metformin 500 mg tablet', dosage: '1 tablet twice daily with meals' }],
  allergies: [{ display: 'Penicillin', criticality: 'high', reaction: 'Hives' }],
  observations: [
    bloodGroupObservation('B+'),
    { loinc: '4548-4', display: 'Hemoglobin A1c', quantity: { value: 7.2, unit: '%' } }
  ],
  author: { name: 'Dr. Farhana Rahman', signingKey: hex(author.signingPublic), qualification: 'MBBS, FCPS' },
  time: 1714555800000,
  rng
});
const bundleDigest = hex(sha256(canonicalJsonBytes(bundle)));

const { blob, mhrHash } = sealRecord({
  bundle,
  category: CATEGORY,
  epoch: EPOCH,
  patientRecordPublic: recordPublicKey(patientSeed, CATEGORY, EPOCH),
  authorEncryptionPublic: author.encryptionPublic,
  hospitalEncryptionPublic: hospital.encryptionPublic,
  rng
});
const env = envelopeCodec.decode(blob);
const secret = hex(recordSecret(patientSeed, CATEGORY, EPOCH));
const flipLast = (b: Uint8Array) => {
  const c = b.slice();
  c[c.length - 1]! ^= 0x01;
  return c;
};
const opened = { category: CATEGORY, epoch: EPOCH, bundle: bundleDigest };

const open = (name: string, input: Record<string, unknown>, expect: Record<string, unknown>): VectorCase => ({
  name,
  kind: 'envelope-open',
  input,
  expect
});
const fhir = (name: string, b: unknown, expect: Record<string, unknown> = {}): VectorCase => ({
  name,
  kind: 'fhir-validate',
  input: { bundle: b },
  expect
});

type Entry = { fullUrl: string; resource: Record<string, unknown> };
const entries = bundle.entry as unknown as Entry[];
const withEntries = (e: Entry[]) => ({ ...bundle, entry: e });
const patientUrl = entries.find((e) => e.resource.resourceType === 'Patient')!.fullUrl;

const records = finish('Records: record keys, encryption envelopes, MHR hash, FHIR bundle validation', [
  {
    name: 'record keys: epoch root and category secret from a seed',
    kind: 'record-keys',
    input: { seed: hex(patientSeed), category: CATEGORY, epoch: EPOCH },
    expect: {}
  },
  {
    name: 'record keys: another category, epoch 0',
    kind: 'record-keys',
    input: { seed: hex(patientSeed), category: 'XXII', epoch: 0 },
    expect: {}
  },
  open('envelope opens with the patient record secret', { blob: hex(blob), recordSecret: secret }, opened),
  open(
    'envelope opens with the author encryption secret',
    { blob: hex(blob), authorSecret: hex(author.encryptionSecret) },
    opened
  ),
  {
    name: 'break-glass: the writing hospital releases the data key to an emergency doctor',
    kind: 'envelope-release',
    input: {
      blob: hex(blob),
      hospitalSecret: hex(hospital.encryptionSecret),
      readerSecret: hex(emergencyDoctor.encryptionSecret)
    },
    expect: opened
  },
  {
    name: 'break-glass: another hospital’s authority cannot release it',
    kind: 'envelope-release',
    input: {
      blob: hex(blob),
      hospitalSecret: hex(deriveAccountKeys(extra(32)).encryptionSecret),
      readerSecret: hex(emergencyDoctor.encryptionSecret)
    },
    expect: { error: 'record/no-key' }
  },
  open(
    'envelope with one ciphertext bit flipped',
    { blob: hex(envelopeCodec.encode({ ...env, ct: flipLast(env.ct) })), recordSecret: secret },
    { error: 'crypto/decrypt-failed' }
  ),
  open(
    'envelope with the patient key altered, opened by the author (the altered part is associated data)',
    {
      blob: hex(envelopeCodec.encode({ ...env, patientKey: flipLast(env.patientKey) })),
      authorSecret: hex(author.encryptionSecret)
    },
    { error: 'crypto/decrypt-failed' }
  ),
  open(
    'envelope opened with another category’s record secret',
    { blob: hex(blob), recordSecret: hex(recordSecret(patientSeed, 'IX', EPOCH)) },
    { error: 'record/no-key' }
  ),
  open(
    'envelope opened with the previous epoch’s record secret',
    { blob: hex(blob), recordSecret: hex(recordSecret(patientSeed, CATEGORY, EPOCH - 1)) },
    { error: 'record/no-key' }
  ),
  open(
    'envelope whose epoch was rewritten',
    { blob: hex(envelopeCodec.encode({ ...env, epoch: EPOCH + 1 })), recordSecret: secret },
    { error: 'record/no-key' }
  ),
  open(
    'envelope with a trailing byte',
    { blob: hex(blob) + '00', recordSecret: secret },
    { error: 'decode/malformed' }
  ),
  open(
    'envelope with an unknown category',
    { blob: hex(encodeCanonical({ ...env, category: 'XXIII' })), recordSecret: secret },
    { error: 'decode/schema' }
  ),
  {
    name: 'MHR hash is SHA-256 of the stored blob',
    kind: 'mhr-hash',
    input: { blob: hex(blob), expected: hex(mhrHash) },
    expect: { valid: true }
  },
  {
    name: 'MHR hash of a blob altered by one bit',
    kind: 'mhr-hash',
    input: { blob: hex(flipLast(blob)), expected: hex(mhrHash) },
    expect: { error: 'record/hash-mismatch' }
  },
  fhir('FHIR visit bundle is valid', bundle, {
    valid: true,
    entries: entries.length,
    bundle: bundleDigest
  }),
  fhir(
    'FHIR bundle without its Patient',
    withEntries(entries.filter((e) => e.resource.resourceType !== 'Patient')),
    { error: 'record/invalid-fhir' }
  ),
  fhir(
    'FHIR bundle with a reference outside the bundle',
    withEntries(
      entries.map((e) =>
        e.fullUrl === patientUrl
          ? { ...e, fullUrl: 'urn:uuid:' + '0'.repeat(8) + '-0000-4000-8000-' + '0'.repeat(12) }
          : e
      )
    ),
    { error: 'record/invalid-fhir' }
  ),
  fhir('FHIR bundle of type document', { ...bundle, type: 'document' }, { error: 'record/invalid-fhir' }),
  fhir(
    'FHIR bundle with an unsupported resource type',
    withEntries([
      ...entries,
      { fullUrl: entries[0]!.fullUrl.slice(0, -1) + 'f', resource: { resourceType: 'Claim', id: 'x' } }
    ]),
    { error: 'record/invalid-fhir' }
  ),
  fhir('not a FHIR bundle at all', [1, 2, 3], { error: 'record/invalid-fhir' })
]);

writeVectors('records', records);
