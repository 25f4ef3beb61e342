/** Small user preferences kept in IndexedDB (language, last role), readable before unlock. */
import type { Db } from './db.js';

export type Lang = 'en' | 'bn';

export interface Settings {
  lang: Lang;
  role?: 'patient' | 'doctor' | 'manager';
}

export const DEFAULT_SETTINGS: Settings = { lang: 'en' };

export async function loadSettings(db: Db): Promise<Settings> {
  const stored = (await db.get('settings', 'prefs')) as Partial<Settings> | undefined;
  const lang = stored?.lang === 'bn' ? 'bn' : 'en';
  const role = stored?.role;
  return role === 'patient' || role === 'doctor' || role === 'manager' ? { lang, role } : { lang };
}

export async function saveSettings(db: Db, settings: Settings): Promise<void> {
  await db.put('settings', { ...settings }, 'prefs');
}
