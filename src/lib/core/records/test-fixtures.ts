/**
 * Test-only fixtures for records: a realistic visit and a fast-check arbitrary of visits. Nothing
 * outside *.test.ts imports this.
 */
import fc from 'fast-check';
import { seededRng, toHex } from '../crypto/index.js';
import { BLOOD_GROUPS, bloodGroupObservation, buildVisitBundle, type VisitInput } from './visit.js';
import type { RecordBundle } from './fhir.js';

/** 2024-05-01T09:30:00Z */
export const VISIT_TIME = 1714555800000;

export function diabetesVisit(seed = 1, extra: Partial<VisitInput> = {}): RecordBundle {
  return buildVisitBundle({
    patientRef: toHex(seededRng(seed + 1000)(16)),
    patient: { gender: 'female', birthDate: '1979-03-14' },
    encounter: { class: 'AMB', reason: 'Thirst and tiredness' },
    conditions: [{ code: 'E11', display: 'Type 2 diabetes', note: 'Newly diagnosed' }],
    medications: [{ display: 'Metformin 500 mg tablet', dosage: '1 tablet twice daily with meals' }],
    allergies: [{ display: 'Penicillin', criticality: 'high', reaction: 'Hives' }],
    observations: [
      bloodGroupObservation('B+'),
      { loinc: '4548-4', display: 'Hemoglobin A1c', quantity: { value: 7.2, unit: '%' } }
    ],
    author: { name: 'Dr. Farhana Rahman', signingKey: 'ab'.repeat(32), qualification: 'MBBS, FCPS' },
    time: VISIT_TIME,
    rng: seededRng(seed),
    ...extra
  });
}

const line = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() === s && s.length > 0);

export const visitArb: fc.Arbitrary<RecordBundle> = fc
  .record({
    seed: fc.nat(),
    time: fc.integer({ min: 0, max: 4102444800000 }),
    conditions: fc.array(
      fc.record({ code: fc.constantFrom('E11', 'I10', 'J45.9', 'A90', 'F32'), display: line }),
      { maxLength: 3 }
    ),
    medications: fc.array(fc.record({ display: line, dosage: fc.option(line, { nil: undefined }) }), {
      maxLength: 3
    }),
    allergies: fc.array(
      fc.record({
        display: line,
        criticality: fc.option(fc.constantFrom('low' as const, 'high' as const), { nil: undefined })
      }),
      { maxLength: 2 }
    ),
    blood: fc.option(fc.constantFrom(...BLOOD_GROUPS), { nil: undefined }),
    hba1c: fc.option(fc.double({ min: 3, max: 20, noNaN: true }), { nil: undefined })
  })
  .map((x) =>
    buildVisitBundle({
      patientRef: toHex(seededRng(x.seed + 7)(16)),
      encounter: {},
      conditions: x.conditions,
      medications: x.medications.map((m) => (m.dosage ? m : { display: m.display })),
      allergies: x.allergies.map((a) => (a.criticality ? a : { display: a.display })),
      observations: [
        ...(x.blood ? [bloodGroupObservation(x.blood)] : []),
        ...(x.hba1c !== undefined
          ? [{ loinc: '4548-4', display: 'Hemoglobin A1c', quantity: { value: x.hba1c, unit: '%' } }]
          : [])
      ],
      author: { name: 'Dr. Test', signingKey: 'cd'.repeat(32) },
      time: x.time,
      rng: seededRng(x.seed)
    })
  );
