/**
 * Building the bundle for one visit from what a doctor enters. The output goes through
 * `parseRecordBundle` like any bundle from outside, so a builder bug or a bad form field fails here,
 * with the named error, instead of producing a record that another node would refuse.
 */
import { CoreError } from '../errors.js';
import type { Rng } from '../crypto/random.js';
import { toHex } from '../crypto/hash.js';
import { AMENDS_EXTENSION_URL } from './fhir-schema.js';
import { parseRecordBundle, type RecordBundle } from './fhir.js';
import { ICD10_SYSTEM } from './icd10.js';

export const LOINC_SYSTEM = 'http://loinc.org';
/** LOINC 882-1 "ABO and Rh group [Type] in Blood". */
export const BLOOD_GROUP_LOINC = '882-1';
export const BLOOD_GROUPS = ['A+', 'A-', 'B+', 'B-', 'AB+', 'AB-', 'O+', 'O-'] as const;
export type BloodGroup = (typeof BLOOD_GROUPS)[number];
/** The patient's pseudonym, as a FHIR identifier system, so the snapshot names no one. */
export const PSEUDONYM_SYSTEM = 'urn:carechain:pseudonym';
/** The author's Ed25519 signing public key (hex), which is what the chains know the doctor by. */
export const SIGNING_KEY_SYSTEM = 'urn:carechain:signing-key';
const ACT_CODE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const ENCOUNTER_CLASSES = { AMB: 'ambulatory', IMP: 'inpatient encounter', EMER: 'emergency' } as const;
const CONDITION_CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';

export interface ConditionInput {
  /** ICD-10 code, e.g. "E11". */
  code: string;
  display: string;
  status?: 'active' | 'recurrence' | 'relapse' | 'inactive' | 'remission' | 'resolved';
  note?: string;
}
export interface MedicationInput {
  display: string;
  code?: string;
  system?: string;
  dosage?: string;
}
export interface AllergyInput {
  display: string;
  code?: string;
  system?: string;
  criticality?: 'low' | 'high' | 'unable-to-assess';
  reaction?: string;
}
export type ObservationInput = { loinc: string; display: string } & (
  { quantity: { value: number; unit: string } } | { text: string }
);
export interface AuthorInput {
  name: string;
  /** Hex Ed25519 signing public key. */
  signingKey: string;
  qualification?: string;
}
export interface VisitInput {
  /** The patient's pseudonym (hex): the Patient snapshot holds no name. */
  patientRef: string;
  patient?: { gender?: 'male' | 'female' | 'other' | 'unknown'; birthDate?: string };
  encounter: { class?: keyof typeof ENCOUNTER_CLASSES; reason?: string; end?: number };
  conditions?: ConditionInput[];
  medications?: MedicationInput[];
  allergies?: AllergyInput[];
  observations?: ObservationInput[];
  author: AuthorInput;
  /** When the visit took place, ms since epoch (core reads no clock). */
  time: number;
  /** MHR hash of the record this one corrects. */
  amends?: Uint8Array;
  rng: Rng;
}

export function bloodGroupObservation(group: BloodGroup): ObservationInput {
  return { loinc: BLOOD_GROUP_LOINC, display: 'ABO and Rh group', text: group };
}

function iso(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > 253402300799999)
    throw new CoreError('record/invalid-fhir', { detail: 'time must be ms since epoch before year 10000' });
  return new Date(ms).toISOString();
}

function uuid(rng: Rng): string {
  const b = rng(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = toHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const concept = (display: string, code?: string, system?: string) => ({
  coding: [{ ...(system ? { system } : {}), ...(code ? { code } : {}), display }],
  text: display
});

export function buildVisitBundle(input: VisitInput): RecordBundle {
  const { rng } = input;
  const when = iso(input.time);
  const bundleId = uuid(rng);
  const entries: { fullUrl: string; resource: Record<string, unknown> }[] = [];
  const add = (resourceType: string, body: Record<string, unknown>) => {
    const id = uuid(rng);
    const fullUrl = `urn:uuid:${id}`;
    entries.push({ fullUrl, resource: { resourceType, id, ...body } });
    return { reference: fullUrl };
  };

  const patient = add('Patient', {
    identifier: [{ system: PSEUDONYM_SYSTEM, value: input.patientRef }],
    ...(input.patient?.gender ? { gender: input.patient.gender } : {}),
    ...(input.patient?.birthDate ? { birthDate: input.patient.birthDate } : {})
  });
  const author = add('Practitioner', {
    identifier: [{ system: SIGNING_KEY_SYSTEM, value: input.author.signingKey }],
    name: [{ text: input.author.name }],
    ...(input.author.qualification ? { qualification: [{ code: { text: input.author.qualification } }] } : {})
  });
  const cls = input.encounter.class ?? 'AMB';
  const encounter = add('Encounter', {
    status: 'finished',
    class: { system: ACT_CODE_SYSTEM, code: cls, display: ENCOUNTER_CLASSES[cls] },
    subject: patient,
    participant: [{ individual: author }],
    period: { start: when, ...(input.encounter.end !== undefined ? { end: iso(input.encounter.end) } : {}) },
    ...(input.encounter.reason ? { reasonCode: [{ text: input.encounter.reason }] } : {})
  });
  for (const c of input.conditions ?? [])
    add('Condition', {
      subject: patient,
      encounter,
      code: concept(c.display, c.code, ICD10_SYSTEM),
      clinicalStatus: { coding: [{ system: CONDITION_CLINICAL, code: c.status ?? 'active' }] },
      recordedDate: when,
      recorder: author,
      ...(c.note ? { note: [{ text: c.note }] } : {})
    });
  for (const m of input.medications ?? [])
    add('MedicationRequest', {
      status: 'active',
      intent: 'order',
      subject: patient,
      encounter,
      medicationCodeableConcept: concept(m.display, m.code, m.system),
      authoredOn: when,
      requester: author,
      ...(m.dosage ? { dosageInstruction: [{ text: m.dosage }] } : {})
    });
  for (const a of input.allergies ?? [])
    add('AllergyIntolerance', {
      patient,
      encounter,
      code: concept(a.display, a.code, a.system),
      ...(a.criticality ? { criticality: a.criticality } : {}),
      recordedDate: when,
      recorder: author,
      ...(a.reaction ? { reaction: [{ manifestation: [{ text: a.reaction }] }] } : {})
    });
  for (const o of input.observations ?? [])
    add('Observation', {
      status: 'final',
      code: concept(o.display, o.loinc, LOINC_SYSTEM),
      subject: patient,
      encounter,
      effectiveDateTime: when,
      performer: [author],
      ...('quantity' in o
        ? { valueQuantity: { value: o.quantity.value, unit: o.quantity.unit } }
        : { valueString: o.text })
    });

  return parseRecordBundle({
    resourceType: 'Bundle',
    type: 'collection',
    id: bundleId,
    timestamp: when,
    ...(input.amends ? { extension: [{ url: AMENDS_EXTENSION_URL, valueString: toHex(input.amends) }] } : {}),
    entry: entries
  });
}
