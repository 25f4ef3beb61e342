/**
 * Reading and removing the stored (sealed) account: kept apart from keystore.ts so the app's first
 * screen can tell whether an account exists without loading the crypto and schema code.
 */
import type { Db } from './db.js';
import type { StoredAccount } from './stored.js';

export const ACCOUNT_KEY = 'account';

export async function loadAccount(db: Db): Promise<StoredAccount | undefined> {
  return db.get('keys', ACCOUNT_KEY);
}

/** Removes the account from this device (after a recovery moved it, or on the user's request). */
export async function forgetAccount(db: Db): Promise<void> {
  await db.delete('keys', ACCOUNT_KEY);
}
