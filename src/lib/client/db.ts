/**
 * The app's one IndexedDB database. Each store holds one kind of thing so a store can be cleared or
 * migrated on its own: the wrapped account key, verified chain headers, the outbox of signed actions,
 * record-cache metadata (encrypted), the doctor directory (public data, searchable offline) and settings.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { DirectoryEntry, OutboxEntry, SealedCacheEntry, StoredAccount } from './stored.js';

export const DB_NAME = 'carechain';
/** Bump with a migration step in `upgrade` whenever a store or index changes. */
export const DB_VERSION = 1;

export interface VerifiedHeader {
  /** Which chain: 'consortium' or a hospital id. */
  chain: string;
  height: number;
  /** Canonical encoded header bytes as the light client verified them. */
  bytes: Uint8Array;
  verifiedAt: number;
}

export interface CarechainDB extends DBSchema {
  keys: { key: string; value: StoredAccount };
  headers: { key: [string, number]; value: VerifiedHeader; indexes: { byChain: string } };
  outbox: { key: number; value: OutboxEntry; indexes: { byStatus: string } };
  records: { key: string; value: SealedCacheEntry };
  directory: { key: string; value: DirectoryEntry };
  settings: { key: string; value: unknown };
}

export type Db = IDBPDatabase<CarechainDB>;

export function openCarechainDb(name: string = DB_NAME): Promise<Db> {
  return openDB<CarechainDB>(name, DB_VERSION, {
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        db.createObjectStore('keys');
        const headers = db.createObjectStore('headers', { keyPath: ['chain', 'height'] });
        headers.createIndex('byChain', 'chain');
        // autoIncrement keys give the outbox its order: actions are sent in the order they were made.
        const outbox = db.createObjectStore('outbox', { keyPath: 'id', autoIncrement: true });
        outbox.createIndex('byStatus', 'status');
        db.createObjectStore('records');
        db.createObjectStore('directory', { keyPath: 'id' });
        db.createObjectStore('settings');
      }
    }
  });
}

let shared: Promise<Db> | undefined;

/** The database the running app uses; opened once per page. */
export function appDb(): Promise<Db> {
  shared ??= openCarechainDb();
  return shared;
}
