import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isCoreError, type CoreError } from '../errors.js';
import { seededRng, toHex } from '../crypto/index.js';
import { FUZZ_RUNS } from '../test-support.js';
import { bytesEqual } from '../encoding/cbor.js';
import { amendedRecord, parseRecordBundle, resourcesOf } from './fhir.js';
import { canonicalJsonBytes, parseCanonicalJson } from './canonical-json.js';
import { summarizeBundle } from './summary.js';
import { buildVisitBundle } from './visit.js';
import { categoryForIcd10, checkConditionsCategory } from './icd10.js';
import { diabetesVisit, visitArb } from './test-fixtures.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Slot = { parent: Json[] | { [k: string]: Json }; key: string | number };

function slots(value: Json, out: Slot[] = []): Slot[] {
  if (Array.isArray(value))
    value.forEach((x, i) => {
      out.push({ parent: value, key: i });
      slots(x, out);
    });
  else if (value !== null && typeof value === 'object')
    for (const [k, x] of Object.entries(value)) {
      out.push({ parent: value, key: k });
      slots(x, out);
    }
  return out;
}

function objects(value: Json, out: { [k: string]: Json }[] = []): { [k: string]: Json }[] {
  if (Array.isArray(value)) value.forEach((x) => objects(x, out));
  else if (value !== null && typeof value === 'object') {
    out.push(value);
    Object.values(value).forEach((x) => objects(x, out));
  }
  return out;
}

const clone = (b: unknown): Json => JSON.parse(JSON.stringify(b)) as Json;

function expectInvalid(f: () => unknown) {
  try {
    f();
  } catch (e) {
    expect(isCoreError(e, 'record/invalid-fhir'), String(e)).toBe(true);
    return;
  }
  throw new Error('expected record/invalid-fhir');
}

describe('FHIR record bundle', () => {
  it('builds a valid visit bundle with every resource type and summarises it in both languages', () => {
    const b = diabetesVisit();
    expect(b.type).toBe('collection');
    expect(b.entry.map((e) => e.resource.resourceType).sort()).toEqual(
      [
        'AllergyIntolerance',
        'Condition',
        'Encounter',
        'MedicationRequest',
        'Observation',
        'Observation',
        'Patient',
        'Practitioner'
      ].sort()
    );
    // The Patient snapshot names no one: only the pseudonym.
    const [patient] = resourcesOf(b, 'Patient');
    expect(patient?.name).toBeUndefined();
    const en = summarizeBundle(b, 'en');
    expect(en).toContain('Diagnosis: Type 2 diabetes (E11)');
    expect(en).toContain('Blood group: B+');
    expect(en).toContain('Medication: Metformin 500 mg tablet — 1 tablet twice daily with meals');
    expect(en).toContain('Allergy: Penicillin (high risk)');
    expect(en).toContain('Test: Hemoglobin A1c: 7.2 %');
    expect(en[0]).toBe('Visit: 2024-05-01 · ambulatory · by Dr. Farhana Rahman · Thirst and tiredness');
    const bn = summarizeBundle(b, 'bn');
    expect(bn).toContain('রোগনির্ণয়: Type 2 diabetes (E11)');
    expect(bn).toContain('রক্তের গ্রুপ: B+');
  });

  it('an amendment names the MHR hash of the record it corrects', () => {
    const hash = seededRng(9)(32);
    const b = diabetesVisit(2, { amends: hash });
    expect(amendedRecord(b)).toBe(toHex(hash));
    expect(amendedRecord(diabetesVisit(2))).toBeUndefined();
    expect(summarizeBundle(b, 'en')[0]).toBe(`Corrects record: ${toHex(hash).slice(0, 12)}…`);
    expectInvalid(() => diabetesVisit(2, { amends: new Uint8Array(31) }));
  });

  it('builder input errors are named errors', () => {
    expectInvalid(() => diabetesVisit(3, { time: -1 }));
    expectInvalid(() => diabetesVisit(3, { conditions: [{ code: 'E11', display: '' }] }));
    expectInvalid(() =>
      diabetesVisit(3, { observations: [{ loinc: '1', display: 'x', quantity: { value: NaN, unit: '%' } }] })
    );
  });

  it('canonical JSON round-trips and rejects non-canonical forms', () => {
    fc.assert(
      fc.property(visitArb, (b) => {
        const bytes = canonicalJsonBytes(b);
        const again = parseRecordBundle(parseCanonicalJson(bytes));
        expect(bytesEqual(canonicalJsonBytes(again), bytes)).toBe(true);
      }),
      { numRuns: 1000 }
    );
    const bytes = canonicalJsonBytes(diabetesVisit());
    const pretty = new TextEncoder().encode(
      JSON.stringify(JSON.parse(new TextDecoder().decode(bytes)), null, 1)
    );
    expectInvalid(() => parseCanonicalJson(pretty));
    expectInvalid(() => parseCanonicalJson(new TextEncoder().encode('{"b":1,"a":2}')));
    expectInvalid(() => parseCanonicalJson(new TextEncoder().encode('{"a":1,"a":1}')));
    expectInvalid(() => parseCanonicalJson(new Uint8Array([0x22, 0xff, 0x22])));
  });

  it('rejects arbitrary JSON with the named error only', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (j) => expectInvalid(() => parseRecordBundle(j))),
      { numRuns: FUZZ_RUNS }
    );
  });

  it('mutated bundles either still validate or fail with record/invalid-fhir', () => {
    fc.assert(
      fc.property(visitArb, fc.nat(), fc.jsonValue(), fc.boolean(), (b, pick, value, del) => {
        const j = clone(b);
        const all = slots(j);
        const s = all[pick % all.length]!;
        if (del && !Array.isArray(s.parent)) delete s.parent[s.key as string];
        else (s.parent as Record<string | number, Json>)[s.key] = value as Json;
        try {
          const out = parseRecordBundle(j);
          // If it passed, it is a bundle every reader accepts, down to its canonical bytes.
          expect(parseRecordBundle(parseCanonicalJson(canonicalJsonBytes(out)))).toEqual(out);
        } catch (e) {
          expect(isCoreError(e, 'record/invalid-fhir'), String(e)).toBe(true);
        }
      }),
      { numRuns: 1000 }
    );
  });

  it('rejects every unknown field, foreign resource type and dangling reference', () => {
    fc.assert(
      fc.property(visitArb, fc.nat(), fc.string({ minLength: 1, maxLength: 10 }), (b, pick, key) => {
        const j = clone(b);
        const objs = objects(j);
        const o = objs[pick % objs.length]!;
        if (key in o) return;
        o[key] = 'x';
        expectInvalid(() => parseRecordBundle(j));
      }),
      { numRuns: 1000 }
    );
    fc.assert(
      fc.property(visitArb, fc.nat(), fc.uuid({ version: 4 }), (b, pick, id) => {
        const j = clone(b);
        const refs = objects(j).filter((o) => typeof o.reference === 'string');
        refs[pick % refs.length]!.reference = `urn:uuid:${id}`;
        expectInvalid(() => parseRecordBundle(j));
      }),
      { numRuns: 1000 }
    );
    const j = clone(diabetesVisit()) as { entry: { resource: { resourceType: string } }[] };
    j.entry[3]!.resource.resourceType = 'Procedure';
    expectInvalid(() => parseRecordBundle(j));
  });

  it('references must point to the right resource type, and there is exactly one Patient', () => {
    const b = diabetesVisit();
    const practitioner = b.entry.find((e) => e.resource.resourceType === 'Practitioner')!.fullUrl;
    const patient = b.entry.find((e) => e.resource.resourceType === 'Patient')!;
    const j = clone(b) as { entry: { resource: Record<string, Json> }[] };
    const cond = j.entry.find((e) => e.resource.resourceType === 'Condition')!;
    cond.resource.subject = { reference: practitioner };
    expectInvalid(() => parseRecordBundle(j));
    const k = clone(b) as { entry: unknown[] };
    k.entry.push({
      fullUrl: 'urn:uuid:00000000-0000-4000-8000-000000000000',
      resource: { ...patient.resource, id: 'second' }
    });
    expect(() => parseRecordBundle(k)).toThrowError(/exactly one Patient/);
    expectInvalid(() => parseRecordBundle(k));
    const none = clone(b) as { entry: { resource: { resourceType: string } }[] };
    none.entry = none.entry.filter((e) => e.resource.resourceType !== 'Patient');
    expectInvalid(() => parseRecordBundle(none));
  });

  it('maps ICD-10 codes to their chapter', () => {
    expect(categoryForIcd10('E11')).toBe('IV');
    expect(categoryForIcd10('E11.9')).toBe('IV');
    expect(categoryForIcd10('A90')).toBe('I');
    expect(categoryForIcd10('D50')).toBe('III');
    expect(categoryForIcd10('D48')).toBe('II');
    expect(categoryForIcd10('H65')).toBe('VIII');
    expect(categoryForIcd10('T14')).toBe('XIX');
    expect(categoryForIcd10('U07.1')).toBe('XXII');
    expect(categoryForIcd10('D49')).toBeUndefined();
    expect(categoryForIcd10('e11')).toBeUndefined();
    expect(categoryForIcd10('E1')).toBeUndefined();
  });

  it('refuses a record filed under another chapter than its diagnosis codes, naming both', () => {
    expect(() => checkConditionsCategory('IV', ['E11', ' e11.9 ', undefined, '', 'not-icd'])).not.toThrow();
    let thrown: unknown;
    try {
      checkConditionsCategory('XII', ['L20', 'E11']);
    } catch (e) {
      thrown = e;
    }
    expect(isCoreError(thrown, 'record/category-mismatch')).toBe(true);
    expect((thrown as CoreError).data).toMatchObject({ code: 'E11', chapter: 'IV', category: 'XII' });
  });

  it('builds bundles deterministically from the same rng', () => {
    const input = {
      patientRef: 'ff'.repeat(16),
      encounter: {},
      author: { name: 'Dr. A', signingKey: '00'.repeat(32) },
      time: 0
    };
    expect(buildVisitBundle({ ...input, rng: seededRng(1) })).toEqual(
      buildVisitBundle({ ...input, rng: seededRng(1) })
    );
  });
});
