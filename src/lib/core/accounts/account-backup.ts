/**
 * The account backup file: how a user's sealed account seed moves to another device (the app's
 * "Use my account on this device"), and how the devnet hands its demo accounts to a person. It is JSON
 * text a person can read and useless without the passphrase: the seed inside is the scrypt-sealed box
 * (`sealWithPassphrase`), beside the public keys the lock screen shows. Parsed once, strictly, here.
 */
import * as v from 'valibot';
import { CoreError } from '../errors.js';
import { fromHex, toHex } from '../crypto/hash.js';
import type { PassphraseBox } from '../crypto/passphrase.js';

/** The roles a person holds an account for on a device (hospitals and nodes keep key files instead). */
export const USER_ROLES = ['patient', 'doctor', 'manager'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export interface AccountBackup {
  role: UserRole;
  /** A name the user gave this device's account; shown on the lock screen, never sent anywhere. */
  label: string;
  signingPublic: Uint8Array;
  encryptionPublic: Uint8Array;
  /** Patients: the random pseudonym registered for them, their handle on both chains (not secret, not derivable). */
  pseudonym?: Uint8Array;
  box: PassphraseBox;
  createdAt: number;
}

/** A backup file is a few hundred bytes of JSON; anything past 16 KiB is not one. */
export const MAX_BACKUP_BYTES = 16 * 1024;
const BACKUP_FORMAT = 'carechain-account-backup';
/** Longer device names are cut to this when an account is created. */
export const MAX_LABEL_CHARS = 64;

const hexOf = (bytes: number) =>
  v.pipe(v.string(), v.length(bytes * 2), v.regex(/^[0-9a-f]*$/), v.transform(fromHex));
const hexMax = (max: number) =>
  v.pipe(v.string(), v.maxLength(max * 2), v.regex(/^([0-9a-f]{2})*$/), v.transform(fromHex));
const int = () => v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));

const BackupSchema = v.strictObject({
  format: v.literal(BACKUP_FORMAT),
  version: v.literal(1),
  role: v.picklist(USER_ROLES),
  label: v.pipe(v.string(), v.maxLength(MAX_LABEL_CHARS)),
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

export function backupFile(account: AccountBackup): string {
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
export function parseBackup(text: string): AccountBackup {
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
