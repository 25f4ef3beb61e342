/**
 * Plain-language lines for a record, in English or Bangla, for patients who should not have to read
 * FHIR. The labels are translated; what the doctor wrote (diagnosis names, drugs) is shown as written.
 */
import type { RecordBundle, RecordResource } from './fhir.js';
import { amendedRecord, resourcesOf } from './fhir.js';
import { BLOOD_GROUP_LOINC, LOINC_SYSTEM } from './visit.js';

export type Lang = 'en' | 'bn';

const LABELS = {
  en: {
    visit: 'Visit',
    diagnosis: 'Diagnosis',
    medication: 'Medication',
    allergy: 'Allergy',
    bloodGroup: 'Blood group',
    test: 'Test',
    amends: 'Corrects record',
    by: 'by',
    high: 'high risk',
    low: 'low risk'
  },
  bn: {
    visit: 'ভিজিট',
    diagnosis: 'রোগনির্ণয়',
    medication: 'ওষুধ',
    allergy: 'অ্যালার্জি',
    bloodGroup: 'রক্তের গ্রুপ',
    test: 'পরীক্ষা',
    amends: 'সংশোধিত রেকর্ড',
    by: 'চিকিৎসক',
    high: 'উচ্চ ঝুঁকি',
    low: 'কম ঝুঁকি'
  }
} as const;

type Concept = { coding?: { code?: string; display?: string; system?: string }[]; text?: string };

function name(c: Concept): string {
  return c.text ?? c.coding?.find((x) => x.display)?.display ?? c.coding?.[0]?.code ?? '?';
}

function withCode(c: Concept): string {
  const n = name(c);
  const code = c.coding?.find((x) => x.code)?.code;
  return code && code !== n ? `${n} (${code})` : n;
}

function isBloodGroup(c: Concept): boolean {
  return !!c.coding?.some((x) => x.system === LOINC_SYSTEM && x.code === BLOOD_GROUP_LOINC);
}

function practitionerName(bundle: RecordBundle, ref: string | undefined): string | undefined {
  const e = bundle.entry.find((x) => x.fullUrl === ref);
  const r: RecordResource | undefined = e?.resource;
  if (r?.resourceType !== 'Practitioner') return undefined;
  const n = r.name?.[0];
  return n?.text ?? [...(n?.given ?? []), n?.family].filter(Boolean).join(' ');
}

export function summarizeBundle(bundle: RecordBundle, lang: Lang): string[] {
  const L = LABELS[lang];
  const lines: string[] = [];
  const amends = amendedRecord(bundle);
  if (amends) lines.push(`${L.amends}: ${amends.slice(0, 12)}…`);
  for (const e of resourcesOf(bundle, 'Encounter')) {
    const parts = [e.period?.start?.slice(0, 10), e.class.display ?? e.class.code];
    const by = practitionerName(bundle, e.participant?.[0]?.individual.reference);
    if (by) parts.push(`${L.by} ${by}`);
    if (e.reasonCode?.[0]) parts.push(name(e.reasonCode[0]));
    lines.push(`${L.visit}: ${parts.filter(Boolean).join(' · ')}`);
  }
  for (const c of resourcesOf(bundle, 'Condition')) lines.push(`${L.diagnosis}: ${withCode(c.code)}`);
  for (const m of resourcesOf(bundle, 'MedicationRequest')) {
    const dose = m.dosageInstruction?.map((d) => d.text).join('; ');
    lines.push(`${L.medication}: ${name(m.medicationCodeableConcept)}${dose ? ` — ${dose}` : ''}`);
  }
  for (const a of resourcesOf(bundle, 'AllergyIntolerance')) {
    const risk = a.criticality === 'high' ? L.high : a.criticality === 'low' ? L.low : undefined;
    lines.push(`${L.allergy}: ${name(a.code)}${risk ? ` (${risk})` : ''}`);
  }
  for (const o of resourcesOf(bundle, 'Observation')) {
    const value =
      o.valueString ??
      (o.valueQuantity
        ? `${o.valueQuantity.value}${o.valueQuantity.unit ? ' ' + o.valueQuantity.unit : ''}`
        : undefined) ??
      (o.valueCodeableConcept ? name(o.valueCodeableConcept) : undefined);
    lines.push(
      isBloodGroup(o.code)
        ? `${L.bloodGroup}: ${value ?? '?'}`
        : `${L.test}: ${name(o.code)}${value !== undefined ? `: ${value}` : ''}`
    );
  }
  return lines;
}
