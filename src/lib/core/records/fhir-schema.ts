/**
 * The FHIR R4 subset a carechain record may hold, as valibot schemas. Objects are strict: a field we
 * do not model is rejected rather than carried along unread, because a record is shown to doctors as
 * verified and nothing in it may escape validation. Every string, list and number is bounded.
 * Types are derived from these schemas and checked against `@medplum/fhirtypes` in fhir.ts.
 */
import * as v from 'valibot';
import { LIMITS, RECORD_LIMITS } from '../constants.js';

/** FHIR `string`: never empty (FHIR forbids ""), one human line. */
const str = v.pipe(v.string(), v.minLength(1), v.maxLength(LIMITS.maxTextChars));
/** Clinician free text: notes and dosage instructions. */
const noteText = v.pipe(v.string(), v.minLength(1), v.maxLength(RECORD_LIMITS.maxNoteChars));
const uri = v.pipe(v.string(), v.minLength(1), v.maxLength(LIMITS.maxIdChars), v.regex(/^\S+$/));
/** FHIR `code`: no leading/trailing or double whitespace; 64 chars covers ICD-10, LOINC, SNOMED, RxNorm. */
const code = v.pipe(v.string(), v.maxLength(64), v.regex(/^[^\s]+( [^\s]+)*$/));
/** FHIR `id`. */
const fhirId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9\-.]{1,64}$/));
const date = v.pipe(v.string(), v.regex(/^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$/));
const dateTime = v.pipe(
  v.string(),
  v.regex(
    /^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00)))?)?)?$/
  )
);
/** FHIR `instant`: a dateTime with seconds and a zone, always. */
const instant = v.pipe(
  v.string(),
  v.regex(
    /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))$/
  )
);
/** Bundle-local references: every reference is to an entry's fullUrl in the same bundle. */
export const URN_UUID = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const urnUuid = v.pipe(v.string(), v.regex(URN_UUID));

const few = <T extends v.GenericSchema>(item: T, max: number = RECORD_LIMITS.maxCodings) =>
  v.pipe(v.array(item), v.minLength(1), v.maxLength(max));

export const CodingSchema = v.pipe(
  v.strictObject({ system: v.optional(uri), code: v.optional(code), display: v.optional(str) }),
  v.check((c) => c.code !== undefined || c.display !== undefined, 'a coding needs a code or a display')
);

export const CodeableConceptSchema = v.pipe(
  v.strictObject({ coding: v.optional(few(CodingSchema)), text: v.optional(str) }),
  v.check((c) => c.coding !== undefined || c.text !== undefined, 'a concept needs a coding or a text')
);

export const ReferenceSchema = v.strictObject({ reference: urnUuid, display: v.optional(str) });
const IdentifierSchema = v.strictObject({ system: v.optional(uri), value: str });
const HumanNameSchema = v.strictObject({
  text: v.optional(str),
  family: v.optional(str),
  given: v.optional(few(str))
});
const AnnotationSchema = v.strictObject({ text: noteText, time: v.optional(dateTime) });
const QuantitySchema = v.strictObject({
  value: v.pipe(v.number(), v.finite()),
  unit: v.optional(str),
  system: v.optional(uri),
  code: v.optional(code)
});
const PeriodSchema = v.strictObject({ start: v.optional(dateTime), end: v.optional(dateTime) });
const notes = v.optional(few(AnnotationSchema, RECORD_LIMITS.maxNotes));

const base = <T extends string>(type: T) => ({ resourceType: v.literal(type), id: fhirId });

export const PatientSchema = v.strictObject({
  ...base('Patient'),
  identifier: v.optional(few(IdentifierSchema)),
  name: v.optional(few(HumanNameSchema)),
  gender: v.optional(v.picklist(['male', 'female', 'other', 'unknown'])),
  birthDate: v.optional(date)
});

export const PractitionerSchema = v.strictObject({
  ...base('Practitioner'),
  identifier: v.optional(few(IdentifierSchema)),
  name: v.optional(few(HumanNameSchema)),
  qualification: v.optional(few(v.strictObject({ code: CodeableConceptSchema })))
});

export const EncounterSchema = v.strictObject({
  ...base('Encounter'),
  status: v.picklist([
    'planned',
    'arrived',
    'triaged',
    'in-progress',
    'onleave',
    'finished',
    'cancelled',
    'entered-in-error',
    'unknown'
  ]),
  class: CodingSchema,
  subject: ReferenceSchema,
  participant: v.optional(few(v.strictObject({ individual: ReferenceSchema }))),
  period: v.optional(PeriodSchema),
  reasonCode: v.optional(few(CodeableConceptSchema))
});

export const ConditionSchema = v.strictObject({
  ...base('Condition'),
  subject: ReferenceSchema,
  code: CodeableConceptSchema,
  clinicalStatus: v.optional(CodeableConceptSchema),
  verificationStatus: v.optional(CodeableConceptSchema),
  category: v.optional(few(CodeableConceptSchema)),
  encounter: v.optional(ReferenceSchema),
  onsetDateTime: v.optional(dateTime),
  recordedDate: v.optional(dateTime),
  recorder: v.optional(ReferenceSchema),
  note: notes
});

export const MedicationRequestSchema = v.strictObject({
  ...base('MedicationRequest'),
  status: v.picklist([
    'active',
    'on-hold',
    'cancelled',
    'completed',
    'entered-in-error',
    'stopped',
    'draft',
    'unknown'
  ]),
  intent: v.picklist([
    'proposal',
    'plan',
    'order',
    'original-order',
    'reflex-order',
    'filler-order',
    'instance-order',
    'option'
  ]),
  subject: ReferenceSchema,
  medicationCodeableConcept: CodeableConceptSchema,
  encounter: v.optional(ReferenceSchema),
  authoredOn: v.optional(dateTime),
  requester: v.optional(ReferenceSchema),
  dosageInstruction: v.optional(few(v.strictObject({ text: noteText }), RECORD_LIMITS.maxNotes)),
  note: notes
});

export const AllergyIntoleranceSchema = v.strictObject({
  ...base('AllergyIntolerance'),
  patient: ReferenceSchema,
  code: CodeableConceptSchema,
  clinicalStatus: v.optional(CodeableConceptSchema),
  verificationStatus: v.optional(CodeableConceptSchema),
  type: v.optional(v.picklist(['allergy', 'intolerance'])),
  category: v.optional(few(v.picklist(['food', 'medication', 'environment', 'biologic']), 4)),
  criticality: v.optional(v.picklist(['low', 'high', 'unable-to-assess'])),
  encounter: v.optional(ReferenceSchema),
  recordedDate: v.optional(dateTime),
  recorder: v.optional(ReferenceSchema),
  reaction: v.optional(
    few(
      v.strictObject({
        manifestation: few(CodeableConceptSchema),
        severity: v.optional(v.picklist(['mild', 'moderate', 'severe']))
      }),
      RECORD_LIMITS.maxNotes
    )
  ),
  note: notes
});

export const ObservationSchema = v.pipe(
  v.strictObject({
    ...base('Observation'),
    status: v.picklist([
      'registered',
      'preliminary',
      'final',
      'amended',
      'corrected',
      'cancelled',
      'entered-in-error',
      'unknown'
    ]),
    code: CodeableConceptSchema,
    subject: ReferenceSchema,
    category: v.optional(few(CodeableConceptSchema)),
    encounter: v.optional(ReferenceSchema),
    effectiveDateTime: v.optional(dateTime),
    issued: v.optional(instant),
    performer: v.optional(few(ReferenceSchema)),
    valueQuantity: v.optional(QuantitySchema),
    valueCodeableConcept: v.optional(CodeableConceptSchema),
    valueString: v.optional(noteText),
    note: notes
  }),
  v.check(
    (o) =>
      [o.valueQuantity, o.valueCodeableConcept, o.valueString].filter((x) => x !== undefined).length <= 1,
    'an observation has at most one value[x]'
  )
);

export const RESOURCE_TYPES = [
  'Patient',
  'Practitioner',
  'Encounter',
  'Condition',
  'MedicationRequest',
  'AllergyIntolerance',
  'Observation'
] as const;

export const ResourceSchema = v.variant('resourceType', [
  PatientSchema,
  PractitionerSchema,
  EncounterSchema,
  ConditionSchema,
  MedicationRequestSchema,
  AllergyIntoleranceSchema,
  ObservationSchema
]);

/**
 * How a correction names the record it corrects: records are never edited, so an amendment is a new
 * record whose bundle carries this one extension, valued with the hex MHR hash (SHA-256 of the stored
 * blob) of the record it amends — the same hash both chains hold, so the link is checkable.
 */
export const AMENDS_EXTENSION_URL = 'https://carechain.example/fhir/StructureDefinition/amends';

const AmendsExtensionSchema = v.strictObject({
  url: v.literal(AMENDS_EXTENSION_URL),
  valueString: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/))
});

export const BundleSchema = v.strictObject({
  resourceType: v.literal('Bundle'),
  type: v.literal('collection'),
  id: v.optional(fhirId),
  identifier: v.optional(IdentifierSchema),
  timestamp: v.optional(instant),
  extension: v.optional(few(AmendsExtensionSchema, 1)),
  entry: few(v.strictObject({ fullUrl: urnUuid, resource: ResourceSchema }), RECORD_LIMITS.maxBundleEntries)
});
