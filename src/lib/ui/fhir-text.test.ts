import { describe, expect, it } from 'vitest';
import type { Bundle } from '@medplum/fhirtypes';
import { bundleLines } from './fhir-text.js';

describe('FHIR in plain language', () => {
  it('renders a visit bundle as one line per resource', () => {
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        {
          resource: {
            resourceType: 'Condition',
            subject: { reference: 'Patient/p' },
            code: {
              coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'E11', display: 'Type 2 diabetes' }]
            },
            onsetDateTime: '2026-02-03'
          }
        },
        {
          resource: {
            resourceType: 'MedicationRequest',
            status: 'active',
            intent: 'order',
            subject: { reference: 'Patient/p' },
            medicationCodeableConcept: { text: 'Metformin 500 mg' },
            dosageInstruction: [{ text: 'twice daily after meals' }]
          }
        },
        {
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: { coding: [{ system: 'http://loinc.org', code: '883-9' }] },
            valueCodeableConcept: { text: 'B+' }
          }
        },
        { resource: { resourceType: 'Patient' } }
      ]
    };
    expect(bundleLines(bundle)).toEqual([
      { kind: 'rec.condition', text: 'Type 2 diabetes (E11)', detail: '2026-02-03' },
      { kind: 'rec.medication', text: 'Metformin 500 mg', detail: 'twice daily after meals' },
      { kind: 'rec.bloodGroup', text: 'B+' },
      { kind: 'rec.unknown', text: 'Patient' }
    ]);
  });
});
