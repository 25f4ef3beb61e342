/**
 * The account key at rest. The 32-byte account seed never touches storage in clear: it is sealed with
 * a key scrypt derives from the user's passphrase (core `sealWithPassphrase`, OWASP parameters) and
 * only the sealed box, plus the public keys the screens show while locked, goes into IndexedDB. A
 * backup file is that same box, so importing on a second device needs the passphrase too.
 */
import * as v from 'valibot';
import { CoreError, isCoreError } from '../core/errors.js';
import {
  deriveAccountKeys,
  fromHex,
  openWithPassphrase,
  sealWithPassphrase,
  toHex,
  type Rng,
  type ScryptParams
} from '../core/crypto/index.js';
import { newPseudonym } from '../core/accounts/index.js';
import type { Db } from './db.js';

export type { Role, StoredAccount } from './stored.js';
export { ROLES } from './stored.js';
import { ROLES, type Role, type StoredAccount } from './stored.js';

import { ACCOUNT_KEY, loadAccount } from './account-store.js';
export { forgetAccount, loadAccount } from './account-store.js';
/** Short passphrases fall to offline guessing even through scrypt; 10 characters is a floor, not advice. */
export const MIN_PASSPHRASE_CHARS = 10;
/** A backup file is a few hundred bytes of JSON; anything past 16 KiB is not one. */
export const MAX_BACKUP_BYTES = 16 * 1024;
const BACKUP_FORMAT = 'carechain-account-backup';

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
    label: opts.label.slice(0, 64),
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

const hexOf = (bytes: number) =>
  v.pipe(v.string(), v.length(bytes * 2), v.regex(/^[0-9a-f]*$/), v.transform(fromHex));
const hexMax = (max: number) =>
  v.pipe(v.string(), v.maxLength(max * 2), v.regex(/^([0-9a-f]{2})*$/), v.transform(fromHex));
const int = () => v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));

const BackupSchema = v.strictObject({
  format: v.literal(BACKUP_FORMAT),
  version: v.literal(1),
  role: v.picklist(ROLES),
  label: v.pipe(v.string(), v.maxLength(64)),
  signingPublic: hexOf(32),
  encryptionPublic: hexOf(32),
  pseudonym: v.optional(hexOf(16)),
  createdAt: int(),
  box: v.strictObject({
    salt: hexOf(16),
    N: int(),
    r: int(),
    p: int(),
    // 32-byte seed + nonce + tag; a little slack for a future envelope.
    sealed: hexMax(256)
  })
});

/** The encrypted backup file: JSON text, readable by a person, useless without the passphrase. */
export function backupFile(account: StoredAccount): string {
  const { box } = account;
  return JSON.stringify(
    {
      format: BACKUP_FORMAT,
      version: 1,
      role: account.role,
      label: account.label,
      signingPublic: toHex(account.signingPublic),
      encryptionPublic: toHex(account.encryptionPublic),
      ...(account.pseudonym ? { pseudonym: toHex(account.pseudonym) } : {}),
      createdAt: account.createdAt,
      box: { salt: toHex(box.salt), N: box.N, r: box.r, p: box.p, sealed: toHex(box.sealed) }
    },
    null,
    1
  );
}

/** Parses an untrusted backup file strictly; throws `client/bad-backup` for anything else. */
export function parseBackup(text: string): StoredAccount {
  if (text.length > MAX_BACKUP_BYTES) throw new CoreError('client/bad-backup', { detail: 'file too large' });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CoreError('client/bad-backup', { detail: 'not JSON' });
  }
  const r = v.safeParse(BackupSchema, json);
  if (!r.success) throw new CoreError('client/bad-backup', { detail: r.issues[0].message });
  const b = r.output;
  return {
    role: b.role,
    label: b.label,
    signingPublic: b.signingPublic,
    encryptionPublic: b.encryptionPublic,
    ...(b.pseudonym ? { pseudonym: b.pseudonym } : {}),
    createdAt: b.createdAt,
    box: b.box
  };
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
