/**
 * HeadStore for the light client in the browser: each chain's verified view in IndexedDB (through
 * `idb`), encoded with the light view codec, so the verified head survives a reload and the app
 * resumes syncing from it. Its own small database, so the light client's storage can be cleared or
 * migrated without touching the account keys or the outbox. An unreadable entry counts as absent:
 * the client then re-syncs from the pinned genesis, never from unverified data.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { ChainView, HeadStore } from '../light/client.js';
import { decodeView, encodeView } from '../light/view-codec.js';

export const LIGHT_DB_NAME = 'carechain-light';
const LIGHT_DB_VERSION = 1;

interface LightDb extends DBSchema {
  views: { key: string; value: Uint8Array };
}

export class IdbHeadStore implements HeadStore {
  private db: Promise<IDBPDatabase<LightDb>> | undefined;

  constructor(private readonly name: string = LIGHT_DB_NAME) {}

  private open(): Promise<IDBPDatabase<LightDb>> {
    this.db ??= openDB<LightDb>(this.name, LIGHT_DB_VERSION, {
      upgrade(db) {
        db.createObjectStore('views');
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

  close(): void {
    void this.db?.then((d) => d.close());
    this.db = undefined;
  }
}
