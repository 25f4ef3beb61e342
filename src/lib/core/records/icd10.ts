/**
 * ICD-10 code → index category (chapter). The doctor types the diagnosis code the hospital already
 * uses ("E11.9"); the record's index category follows from it, so a doctor cannot file diabetes
 * under "skin" by mistake, and the app can suggest the category instead of asking for it.
 */
import { CoreError } from '../errors.js';
import { CATEGORIES } from './categories.js';

export const ICD10_SYSTEM = 'http://hl7.org/fhir/sid/icd-10';

/** An ICD-10 code: letter, two digits, optional dot and up to four more characters. */
const ICD10 = /^[A-Z]\d{2}(\.[0-9A-Z]{1,4})?$/;

const RANGES = CATEGORIES.map((c) => {
  const [from, to] = c.range.split('–');
  return { code: c.code, from: from!, to: to! };
});

/** The category (chapter code) an ICD-10 code falls in, or undefined if it is not a code in any chapter. */
export function categoryForIcd10(code: string): string | undefined {
  if (!ICD10.test(code)) return undefined;
  // Letter + two digits compare correctly as strings: fixed width, and 'A' < 'B' like 0 < 1.
  const head = code.slice(0, 3);
  return RANGES.find((r) => r.from <= head && head <= r.to)?.code;
}

/**
 * Refuses a record whose diagnosis codes fall in another category than the one it is filed (and
 * indexed) under: a doctor cannot file diabetes (E11) under "skin" by mistake, where a search for
 * the patient's endocrine history would never find it. Codes that are not ICD-10 are left alone.
 */
export function checkConditionsCategory(category: string, codes: readonly (string | undefined)[]): void {
  for (const code of codes) {
    const chapter = code ? categoryForIcd10(code.trim().toUpperCase()) : undefined;
    if (chapter && chapter !== category)
      throw new CoreError('record/category-mismatch', { code, chapter, category });
  }
}
