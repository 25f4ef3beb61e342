/**
 * The running app's session: which account is on this device, whether it is unlocked, the outbox
 * badge count, the network connection and its sync progress. The unlocked seed lives only here, in
 * memory, for this page's life; logout zeroes it and drops the non-extractable cache key.
 */
import type { AccountKeys } from '../core/crypto/index.js';
import { appDb, type Db } from './db.js';
import type { CacheStore } from './cache-store.js';
import { forgetAccount, loadAccount } from './account-store.js';
import type { Role, StoredAccount } from './stored.js';
import { Outbox, type FlushResult, type OutboxAction } from './outbox.js';
import {
  currentNetwork,
  onNetworkChange,
  type AccountContext,
  type CarechainNetwork,
  type SyncProgress
} from './network.js';
import { onlineState } from './online.svelte.js';
import { onOutboxSync, requestOutboxSync } from './pwa.js';

/** How often waiting outbox entries are offered to the network again. */
const OUTBOX_RETRY_MS = 15_000;

class Session {
  ready = $state(false);
  account = $state<StoredAccount | undefined>(undefined);
  unlocked = $state(false);
  pending = $state(0);
  network = $state.raw<CarechainNetwork | undefined>(undefined);
  sync = $state<SyncProgress>({ phase: 'idle', done: 0, total: 0, peers: 0 });

  #db: Db | undefined;
  #seed: Uint8Array | undefined;
  #keys: AccountKeys | undefined;
  #cache: CacheStore | undefined;
  #outbox: Outbox | undefined;
  #stopSync: (() => void) | undefined;

  async init(): Promise<void> {
    if (this.ready) return;
    onlineState.start();
    this.#db = await appDb();
    this.#outbox = new Outbox(this.#db);
    this.#outbox.onChange(() => void this.refreshPending());
    this.account = await loadAccount(this.#db);
    await this.refreshPending();
    this.useNetwork(currentNetwork());
    onNetworkChange((n) => this.useNetwork(n));
    // Back online: send what waited. `online` fires on the window when the interface returns.
    window.addEventListener('online', () => void this.flush());
    onOutboxSync(() => void this.flush());
    // What a busy or unreachable node could not take yet is tried again, without waiting for an event.
    setInterval(() => {
      if (this.pending > 0) void this.flush();
    }, OUTBOX_RETRY_MS);
    this.ready = true;
  }

  get db(): Db {
    if (!this.#db) throw new Error('session not initialised');
    return this.#db;
  }

  get outbox(): Outbox {
    if (!this.#outbox) throw new Error('session not initialised');
    return this.#outbox;
  }

  /** The in-memory keys; undefined while locked. */
  get keys(): AccountKeys | undefined {
    return this.#keys;
  }

  get cache(): CacheStore | undefined {
    return this.#cache;
  }

  get context(): AccountContext | undefined {
    if (!this.#seed || !this.account) return undefined;
    return { role: this.account.role, seed: this.#seed, signingPublic: this.account.signingPublic };
  }

  private useNetwork(n: CarechainNetwork | undefined) {
    this.#stopSync?.();
    this.network = n;
    this.#stopSync = n?.onSyncProgress((p) => (this.sync = p));
    if (n) void this.flush();
  }

  async refreshPending(): Promise<void> {
    if (!this.#outbox) return;
    this.pending = await this.#outbox.pendingCount();
    if (this.pending > 0) void requestOutboxSync();
  }

  // Key handling (scrypt, Ed25519, schemas) loads on first use, not with the first screen.
  private async begin(account: StoredAccount, seed: Uint8Array) {
    const [{ deriveAccountKeys }, { CacheStore, importCacheKey }] = await Promise.all([
      import('../core/crypto/keys.js'),
      import('./cache-store.js')
    ]);
    this.account = account;
    this.#seed = seed;
    this.#keys = deriveAccountKeys(seed);
    this.#cache = new CacheStore(this.db, await importCacheKey(seed));
    this.unlocked = true;
  }

  async create(role: Role, label: string, passphrase: string): Promise<void> {
    const [{ createAccount }, { systemRng }] = await Promise.all([
      import('./keystore.js'),
      import('../core/crypto/random.js')
    ]);
    const now = Date.now();
    const { account, seed } = await createAccount(this.db, { role, label, passphrase, now, rng: systemRng });
    await this.begin(account, seed);
  }

  async unlock(passphrase: string): Promise<void> {
    const { unlockAccount } = await import('./keystore.js');
    const { account, seed } = await unlockAccount(this.db, passphrase);
    await this.begin(account, seed);
  }

  async importBackup(text: string, passphrase: string): Promise<void> {
    const keystore = await import('./keystore.js');
    const { account, seed } = await keystore.importBackup(this.db, text, passphrase);
    await this.begin(account, seed);
  }

  /** Forgets the unlocked keys and everything derived from them; the sealed account stays on the device. */
  logout(): void {
    this.#seed?.fill(0);
    this.#keys?.signingSeed.fill(0);
    this.#keys?.encryptionSecret.fill(0);
    this.#keys?.indexKey.fill(0);
    this.#seed = undefined;
    this.#keys = undefined;
    this.#cache = undefined;
    this.unlocked = false;
    try {
      sessionStorage.clear();
    } catch {
      // storage may be unavailable (private mode); nothing of ours is lost by skipping it.
    }
  }

  /** Logs out and removes the account and its cached data from this device. */
  async removeFromDevice(): Promise<void> {
    this.logout();
    await forgetAccount(this.db);
    await this.db.clear('records');
    this.account = undefined;
  }

  async flush(): Promise<FlushResult | undefined> {
    const n = this.network;
    if (!n || !this.#outbox || !onlineState.online) return undefined;
    const send = async (a: OutboxAction) => {
      if (a.kind !== 'record') return n.send(a);
      const ctx = this.context;
      // Not an error the network made: leave the record pending until the author unlocks.
      if (!ctx) throw new Error('locked');
      await n.writeRecord(ctx, a);
    };
    return this.#outbox.flush(send, () => Date.now());
  }
}

export const session = new Session();
