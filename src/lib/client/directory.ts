/**
 * The doctor directory, cached in IndexedDB so a patient can find a doctor with no network. The entries
 * are public registry facts (name, speciality, degree, hospital, keys) as the light client verified
 * them; searching is local and tolerant of case, order and partial words.
 */
import type { Db } from './db.js';

export type { DirectoryEntry } from './stored.js';
import type { DirectoryEntry } from './stored.js';

export async function cachedDirectory(db: Db): Promise<DirectoryEntry[]> {
  return db.getAll('directory');
}

/** Replaces the cached directory with a fresh verified copy in one transaction (never half old, half new). */
export async function replaceDirectory(db: Db, entries: readonly DirectoryEntry[]): Promise<void> {
  const tx = db.transaction('directory', 'readwrite');
  await tx.store.clear();
  for (const e of entries) await tx.store.put(e);
  await tx.done;
}

const fold = (s: string) => s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();

/** Every word of the query must appear in the name, speciality, degree or hospital. */
export function searchDirectory(entries: readonly DirectoryEntry[], query: string): DirectoryEntry[] {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...entries];
  return entries.filter((e) => {
    const hay = fold(`${e.name} ${e.speciality} ${e.degree} ${e.hospitalName}`);
    return words.every((w) => hay.includes(w));
  });
}
