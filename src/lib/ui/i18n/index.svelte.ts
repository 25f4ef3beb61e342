/**
 * The app's language: a typed dictionary per language (en.ts, bn.ts) and a reactive current language
 * that persists in IndexedDB settings and sets `<html lang>` so screen readers switch voice.
 */
import { en, type MessageKey } from './en.js';
import { bn } from './bn.js';
import type { Lang } from '../../client/settings.js';

export type { MessageKey, Lang };

const dictionaries = { en, bn } as const;

class I18n {
  lang = $state<Lang>('en');

  set(lang: Lang) {
    this.lang = lang;
    if (typeof document !== 'undefined') document.documentElement.lang = lang;
  }
}

export const i18n = new I18n();

/** Translates `key` into the current language, filling `{name}` placeholders from `params`. */
export function t(key: MessageKey, params?: Record<string, string | number>): string {
  const text: string = dictionaries[i18n.lang][key] ?? en[key];
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? formatValue(params[name]!) : m));
}

function formatValue(v: string | number): string {
  return typeof v === 'number' ? v.toLocaleString(i18n.lang === 'bn' ? 'bn-BD' : 'en') : v;
}

/** A date in the current language, e.g. for grant expiry and the access log. */
export function formatDate(ms: number, withTime = false): string {
  return new Intl.DateTimeFormat(i18n.lang === 'bn' ? 'bn-BD' : 'en-GB', {
    dateStyle: 'medium',
    ...(withTime ? { timeStyle: 'short' } : {})
  }).format(ms);
}

export function pick<T>(values: { en: T; bn: T }): T {
  return values[i18n.lang];
}
