/** Category names in the current language, from core's ICD-10 chapter table. */
import { CATEGORIES, findCategories } from '../core/records/categories.js';
import { i18n } from './i18n/index.svelte.js';

export function categoryName(code: string): string {
  const c = CATEGORIES.find((x) => x.code === code);
  if (!c) return code;
  return `${i18n.lang === 'bn' ? c.bn : c.en} (${c.code})`;
}

export { CATEGORIES, findCategories };
