/**
 * Encrypted cache of what the app learned about the user's records (metadata: category, hospital,
 * verification result, author, time — and, only if the user opened it, the decrypted summary). Each
 * entry is AES-GCM sealed under a WebCrypto key imported NON-EXTRACTABLE from the account seed at
 * unlock: script can use it for this session but can never read its bytes, and it vanishes on logout.
 * The Cache API never holds any of this (the service worker caches only the app shell).
 */
import { hkdf, utf8Bytes } from '../core/crypto/index.js';
import { CoreError } from '../core/errors.js';
import type { Db } from './db.js';

/** Label for the cache key, distinct from every protocol label so it can never collide with one. */
const CACHE_KEY_LABEL = 'cc/v1/client/cache';

export type { SealedCacheEntry } from './stored.js';
import type { SealedCacheEntry } from './stored.js';

export async function importCacheKey(seed: Uint8Array): Promise<CryptoKey> {
  const raw = hkdf(seed, CACHE_KEY_LABEL);
  try {
    return await crypto.subtle.importKey('raw', raw as BufferSource, { name: 'AES-GCM' }, false, [
      'encrypt',
      'decrypt'
    ]);
  } finally {
    raw.fill(0);
  }
}

export class CacheStore {
  constructor(
    private readonly db: Db,
    private readonly key: CryptoKey
  ) {}

  async put(id: string, value: unknown): Promise<void> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    // The id is bound as associated data so an entry cannot be moved under another id unnoticed.
    const data = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: utf8Bytes(id) as BufferSource },
      this.key,
      utf8Bytes(JSON.stringify(value)) as BufferSource
    );
    await this.db.put('records', { iv, data }, id);
  }

  async get<T>(id: string): Promise<T | undefined> {
    const entry = await this.db.get('records', id);
    if (!entry) return undefined;
    return this.open<T>(id, entry);
  }

  async all<T>(): Promise<{ id: string; value: T }[]> {
    const tx = this.db.transaction('records');
    const out: { id: string; entry: SealedCacheEntry }[] = [];
    for await (const cursor of tx.store) out.push({ id: String(cursor.key), entry: cursor.value });
    return Promise.all(out.map(async ({ id, entry }) => ({ id, value: await this.open<T>(id, entry) })));
  }

  private async open<T>(id: string, entry: SealedCacheEntry): Promise<T> {
    try {
      const plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: entry.iv as BufferSource, additionalData: utf8Bytes(id) as BufferSource },
        this.key,
        entry.data
      );
      return JSON.parse(new TextDecoder().decode(plain)) as T;
    } catch {
      throw new CoreError('crypto/decrypt-failed', { detail: `cache entry ${id}` });
    }
  }

  async clear(): Promise<void> {
    await this.db.clear('records');
  }
}
