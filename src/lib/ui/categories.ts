/** Category names in the current language, from core's ICD-10 chapter table. */
import { CATEGORIES, findCategories, type Category } from '../core/records/categories.js';
import { categoryForIcd10 } from '../core/records/icd10.js';
import { i18n } from './i18n/index.svelte.js';

export function categoryName(code: string): string {
  const c = CATEGORIES.find((x) => x.code === code);
  if (!c) return code;
  return `${i18n.lang === 'bn' ? c.bn : c.en} (${c.code})`;
}

/** The chapter of an ICD-10 code as typed ("e11.9" too), or undefined if it is not one. */
export function chapterOfCode(code: string): string | undefined {
  return categoryForIcd10(code.trim().toUpperCase());
}

/** What a doctor types to find a chapter: an ICD-10 code ("E11.9") names its own; else everyday words. */
export function lookUpCategories(query: string): Category[] {
  const chapter = chapterOfCode(query);
  return chapter ? CATEGORIES.filter((c) => c.code === chapter) : findCategories(query);
}

export { CATEGORIES };
