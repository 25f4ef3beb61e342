/**
 * Turns a FHIR R4 Bundle into plain lines for a person to read: "Diagnosis: Type 2 diabetes (E11),
 * since 3 Feb 2026". Only display — the bundle was parsed and verified before it got here.
 */
import type {
  AllergyIntolerance,
  Bundle,
  CodeableConcept,
  Condition,
  Encounter,
  MedicationRequest,
  Observation,
  Resource
} from '@medplum/fhirtypes';
import type { MessageKey } from './i18n/en.js';

export interface PlainLine {
  kind: MessageKey;
  text: string;
  detail?: string;
}

/** LOINC 883-9 is "ABO group", 10331-7 "Rh type": together the blood group. */
const BLOOD_GROUP_CODES = new Set(['883-9', '10331-7', '882-1']);

export function conceptText(c: CodeableConcept | undefined): string {
  if (!c) return '';
  const coding = c.coding?.[0];
  const name = c.text ?? coding?.display ?? coding?.code ?? '';
  return coding?.code && name !== coding.code ? `${name} (${coding.code})` : name;
}

function observationValue(o: Observation): string {
  if (o.valueQuantity) return `${o.valueQuantity.value ?? ''} ${o.valueQuantity.unit ?? ''}`.trim();
  if (o.valueCodeableConcept) return conceptText(o.valueCodeableConcept);
  if (o.valueString !== undefined) return o.valueString;
  if (o.valueBoolean !== undefined) return String(o.valueBoolean);
  if (o.valueInteger !== undefined) return String(o.valueInteger);
  return '';
}

export function resourceLine(r: Resource): PlainLine {
  switch (r.resourceType) {
    case 'Condition': {
      const c = r as Condition;
      return { kind: 'rec.condition', text: conceptText(c.code), detail: c.onsetDateTime ?? c.recordedDate };
    }
    case 'MedicationRequest': {
      const m = r as MedicationRequest;
      const dose = m.dosageInstruction
        ?.map((d) => d.text)
        .filter(Boolean)
        .join('; ');
      return {
        kind: 'rec.medication',
        text: conceptText(m.medicationCodeableConcept),
        detail: dose || undefined
      };
    }
    case 'AllergyIntolerance': {
      const a = r as AllergyIntolerance;
      const reaction = a.reaction?.flatMap((x) => x.manifestation?.map(conceptText) ?? []).join(', ');
      return { kind: 'rec.allergy', text: conceptText(a.code), detail: reaction || undefined };
    }
    case 'Observation': {
      const o = r as Observation;
      const blood = o.code?.coding?.some((c) => c.code && BLOOD_GROUP_CODES.has(c.code));
      return blood
        ? { kind: 'rec.bloodGroup', text: observationValue(o) }
        : { kind: 'rec.observation', text: `${conceptText(o.code)}: ${observationValue(o)}` };
    }
    case 'Encounter': {
      const e = r as Encounter;
      return {
        kind: 'rec.encounter',
        text: e.type?.map(conceptText).join(', ') || e.status || '',
        detail: e.period?.start
      };
    }
    default:
      return { kind: 'rec.unknown', text: r.resourceType };
  }
}

export function bundleLines(bundle: Bundle): PlainLine[] {
  return (bundle.entry ?? []).flatMap((e) => (e.resource ? [resourceLine(e.resource)] : []));
}
