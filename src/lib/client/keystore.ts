/**
 * The account key at rest. The 32-byte account seed never touches storage in clear: it is sealed with
 * a key scrypt derives from the user's passphrase (core `sealWithPassphrase`, OWASP parameters) and
 * only the sealed box, plus the public keys the screens show while locked, goes into IndexedDB. A
 * backup file is that same box, so importing on a second device needs the passphrase too.
 */
import { CoreError, isCoreError } from '../core/errors.js';
import {
  deriveAccountKeys,
  openWithPassphrase,
  sealWithPassphrase,
  toHex,
  type Rng,
  type ScryptParams
} from '../core/crypto/index.js';
import { MAX_LABEL_CHARS, newPseudonym, parseBackup } from '../core/accounts/index.js';
import type { Db } from './db.js';

export type { Role, StoredAccount } from './stored.js';
export { ROLES } from './stored.js';
import type { Role, StoredAccount } from './stored.js';
export { MAX_BACKUP_BYTES, backupFile, parseBackup } from '../core/accounts/index.js';

import { ACCOUNT_KEY, loadAccount } from './account-store.js';
export { forgetAccount, loadAccount } from './account-store.js';

/** Short passphrases fall to offline guessing even through scrypt; 10 characters is a floor, not advice. */
export const MIN_PASSPHRASE_CHARS = 10;

export function checkPassphrase(passphrase: string): void {
  if ([...passphrase].length < MIN_PASSPHRASE_CHARS)
    throw new CoreError('client/weak-passphrase', { min: MIN_PASSPHRASE_CHARS });
}

/** Creates a fresh account seed on this device, stores it sealed, and returns the seed for the session. */
export async function createAccount(
  db: Db,
  opts: { role: Role; label: string; passphrase: string; now: number; rng: Rng; scrypt?: ScryptParams }
): Promise<{ account: StoredAccount; seed: Uint8Array }> {
  checkPassphrase(opts.passphrase);
  const seed = opts.rng(32);
  const keys = deriveAccountKeys(seed);
  const box = await sealWithPassphrase(opts.passphrase, seed, opts.rng, opts.scrypt);
  const account: StoredAccount = {
    role: opts.role,
    label: opts.label.slice(0, MAX_LABEL_CHARS),
    signingPublic: keys.signingPublic,
    encryptionPublic: keys.encryptionPublic,
    ...(opts.role === 'patient' ? { pseudonym: newPseudonym(opts.rng) } : {}),
    box,
    createdAt: opts.now
  };
  await db.put('keys', account, ACCOUNT_KEY);
  return { account, seed };
}

/** Opens the stored seed with the passphrase; a wrong passphrase is a named error, not a crash. */
export async function unlockAccount(
  db: Db,
  passphrase: string
): Promise<{ account: StoredAccount; seed: Uint8Array }> {
  const account = await loadAccount(db);
  if (!account) throw new CoreError('client/no-account');
  return { account, seed: await openBox(account, passphrase) };
}

async function openBox(account: StoredAccount, passphrase: string): Promise<Uint8Array> {
  let seed: Uint8Array;
  try {
    seed = await openWithPassphrase(passphrase, account.box);
  } catch (e) {
    if (isCoreError(e, 'crypto/decrypt-failed')) throw new CoreError('client/wrong-passphrase');
    throw e;
  }
  // The public key stored beside the box must be the one the seed derives: a swapped box is refused.
  const keys = deriveAccountKeys(seed);
  if (toHex(keys.signingPublic) !== toHex(account.signingPublic))
    throw new CoreError('client/bad-backup', { detail: 'sealed seed does not match the stored public key' });
  return seed;
}

/** Imports a backup on another device: the passphrase is checked before anything is stored. */
export async function importBackup(
  db: Db,
  text: string,
  passphrase: string
): Promise<{ account: StoredAccount; seed: Uint8Array }> {
  const account = parseBackup(text);
  const seed = await openBox(account, passphrase);
  await db.put('keys', account, ACCOUNT_KEY);
  return { account, seed };
}
