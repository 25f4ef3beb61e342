/**
 * HeadStore for the light client in the browser: each chain's verified view in IndexedDB (through
 * `idb`), encoded with the light view codec, so the verified head survives a reload and the app
 * resumes syncing from it. Its own small database, so the light client's storage can be cleared or
 * migrated without touching the account keys or the outbox. An unreadable entry counts as absent:
 * the client then re-syncs from the pinned genesis, never from unverified data. The same database
 * keeps the verified answers the client serves, marked cached, when no node can be reached
 * (light/answer-cache.ts): proven state values with their height, and records with their proofs.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { ChainView, HeadStore } from '../light/client.js';
import { decodeView, encodeView } from '../light/view-codec.js';

export const LIGHT_DB_NAME = 'carechain-light';
/** 2: verified answers kept for offline use (light/answer-cache.ts). */
const LIGHT_DB_VERSION = 2;

interface LightDb extends DBSchema {
  views: { key: string; value: Uint8Array };
  answers: { key: string; value: Uint8Array };
}

export class IdbHeadStore implements HeadStore {
  private db: Promise<IDBPDatabase<LightDb>> | undefined;

  constructor(private readonly name: string = LIGHT_DB_NAME) {}

  private open(): Promise<IDBPDatabase<LightDb>> {
    this.db ??= openDB<LightDb>(this.name, LIGHT_DB_VERSION, {
      upgrade(db, oldVersion) {
        if (oldVersion < 1) db.createObjectStore('views');
        if (oldVersion < 2) db.createObjectStore('answers');
      }
    });
    return this.db;
  }

  async load(chainId: string): Promise<ChainView | undefined> {
    const bytes = await (await this.open()).get('views', chainId);
    if (!(bytes instanceof Uint8Array)) return undefined;
    try {
      const view = decodeView(bytes);
      return view.head.chainId === chainId ? view : undefined;
    } catch {
      return undefined;
    }
  }

  async save(chainId: string, view: ChainView): Promise<void> {
    await (await this.open()).put('views', encodeView(view), chainId);
  }

  async loadAnswer(key: string): Promise<Uint8Array | undefined> {
    const bytes = await (await this.open()).get('answers', key);
    return bytes instanceof Uint8Array ? bytes : undefined;
  }

  async saveAnswer(key: string, bytes: Uint8Array): Promise<void> {
    await (await this.open()).put('answers', bytes, key);
  }

  close(): void {
    void this.db?.then((d) => d.close());
    this.db = undefined;
  }
}
