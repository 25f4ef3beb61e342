/**
 * The medical health record: a FHIR R4 Bundle of type "collection" holding one visit — a Patient
 * snapshot, the Encounter, and its Conditions, MedicationRequests, AllergyIntolerances and
 * Observations (plus the authoring Practitioner). `parseRecordBundle` is the one way untrusted JSON
 * becomes a `RecordBundle`: the schema (fhir-schema.ts), then the rules a schema cannot state —
 * unique entries, exactly one Patient, and every reference resolving inside the bundle to a resource
 * of the right type. Anything else is `record/invalid-fhir`.
 */
import * as v from 'valibot';
import type { Bundle } from '@medplum/fhirtypes';
import { CoreError } from '../errors.js';
import { AMENDS_EXTENSION_URL, BundleSchema, ResourceSchema } from './fhir-schema.js';

export type RecordBundle = v.InferOutput<typeof BundleSchema>;
export type RecordResource = v.InferOutput<typeof ResourceSchema>;
export type ResourceType = RecordResource['resourceType'];
export type ResourceOf<T extends ResourceType> = Extract<RecordResource, { resourceType: T }>;

// Compile-time proof that what we accept is a FHIR R4 Bundle as the maintained definitions describe it.
const asFhirBundle = (b: RecordBundle): Bundle => b;
void asFhirBundle;

function invalid(detail: string): never {
  throw new CoreError('record/invalid-fhir', { detail });
}

type Ref = { reference: string } | undefined;

/** The references each resource holds, with the resource types each may point to. */
function referencesOf(r: RecordResource): [string, Ref, readonly ResourceType[]][] {
  const patient = ['Patient'] as const;
  const enc = ['Encounter'] as const;
  const person = ['Practitioner', 'Patient'] as const;
  switch (r.resourceType) {
    case 'Patient':
    case 'Practitioner':
      return [];
    case 'Encounter':
      return [
        ['subject', r.subject, patient],
        ...(r.participant ?? []).map((p, i): [string, Ref, readonly ResourceType[]] => [
          `participant.${i}`,
          p.individual,
          ['Practitioner']
        ])
      ];
    case 'Condition':
      return [
        ['subject', r.subject, patient],
        ['encounter', r.encounter, enc],
        ['recorder', r.recorder, person]
      ];
    case 'MedicationRequest':
      return [
        ['subject', r.subject, patient],
        ['encounter', r.encounter, enc],
        ['requester', r.requester, ['Practitioner']]
      ];
    case 'AllergyIntolerance':
      return [
        ['patient', r.patient, patient],
        ['encounter', r.encounter, enc],
        ['recorder', r.recorder, person]
      ];
    case 'Observation':
      return [
        ['subject', r.subject, patient],
        ['encounter', r.encounter, enc],
        ...(r.performer ?? []).map((p, i): [string, Ref, readonly ResourceType[]] => [
          `performer.${i}`,
          p,
          person
        ])
      ];
  }
}

export function parseRecordBundle(json: unknown): RecordBundle {
  const r = v.safeParse(BundleSchema, json);
  if (!r.success) {
    const issue = r.issues[0];
    const path = issue.path?.map((p: { key: unknown }) => String(p.key)).join('.') ?? '';
    invalid(`${path ? path + ': ' : ''}${issue.message}`);
  }
  const bundle = r.output;
  const byUrl = new Map<string, ResourceType>();
  const ids = new Set<string>();
  let patients = 0;
  for (const e of bundle.entry) {
    if (byUrl.has(e.fullUrl)) invalid(`duplicate fullUrl ${e.fullUrl}`);
    byUrl.set(e.fullUrl, e.resource.resourceType);
    const key = `${e.resource.resourceType}/${e.resource.id}`;
    if (ids.has(key)) invalid(`duplicate resource ${key}`);
    ids.add(key);
    if (e.resource.resourceType === 'Patient') patients++;
  }
  if (patients !== 1) invalid(`a record holds exactly one Patient, found ${patients}`);
  for (const [i, e] of bundle.entry.entries()) {
    for (const [field, ref, types] of referencesOf(e.resource)) {
      if (ref === undefined) continue;
      const target = byUrl.get(ref.reference);
      if (target === undefined)
        invalid(`entry.${i}.resource.${field}: ${ref.reference} is not in the bundle`);
      if (!types.includes(target))
        invalid(`entry.${i}.resource.${field}: points to a ${target}, expected ${types.join(' or ')}`);
    }
  }
  return bundle;
}

/** Resources of one type, in bundle order. */
export function resourcesOf<T extends ResourceType>(bundle: RecordBundle, type: T): ResourceOf<T>[] {
  return bundle.entry.map((e) => e.resource).filter((r): r is ResourceOf<T> => r.resourceType === type);
}

/** The hex MHR hash of the record this one amends, if it is an amendment. */
export function amendedRecord(bundle: RecordBundle): string | undefined {
  return bundle.extension?.find((x) => x.url === AMENDS_EXTENSION_URL)?.valueString;
}
