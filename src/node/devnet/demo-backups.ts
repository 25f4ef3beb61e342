/**
 * The devnet's demo accounts as account backup files, so a person can sign in to the app as any of
 * them: Account → "Use my account on this device", choose the file, type `DEMO_PASSPHRASE`. These are
 * the same files the app writes for its own users (core `backupFile`), so importing one takes the
 * app's ordinary, tested path. Devnet only: the passphrase is printed on screen.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backupFile, type UserRole } from '../../lib/core/accounts/index.js';
import {
  deriveAccountKeys,
  fromHex,
  sealWithPassphrase,
  systemRng,
  type ScryptParams
} from '../../lib/core/crypto/index.js';

export interface DemoAccount {
  role: UserRole;
  name: string;
  hospital?: string;
  rank?: string;
  /** Hex account seed; devnet only. */
  seed: string;
  /** Patients: hex of the pseudonym they were registered with. */
  pseudonym?: string;
}

export const DEMO_PASSPHRASE = 'carechain demo';
/**
 * The lowest scrypt cost the app accepts. The passphrase is public, so a higher cost would protect
 * nothing; it would only add a second per account to the first start and to every unlock.
 */
const DEMO_SCRYPT: ScryptParams = { N: 2 ** 10, r: 8, p: 1 };

/** "Dr. Ayesha Rahman (H2)" → "doctor-dr-ayesha-rahman-h2.json". */
export function demoBackupName(a: Pick<DemoAccount, 'role' | 'name'>): string {
  const slug = a.name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return `${a.role}-${slug}.json`;
}

/** The account's backup file text, its seed sealed with `DEMO_PASSPHRASE`. */
export async function demoBackupText(a: DemoAccount): Promise<string> {
  const seed = fromHex(a.seed);
  const keys = deriveAccountKeys(seed);
  return backupFile({
    role: a.role,
    label: a.name,
    signingPublic: keys.signingPublic,
    encryptionPublic: keys.encryptionPublic,
    ...(a.pseudonym ? { pseudonym: fromHex(a.pseudonym) } : {}),
    box: await sealWithPassphrase(DEMO_PASSPHRASE, seed, systemRng, DEMO_SCRYPT),
    createdAt: Date.now()
  });
}

/** Writes each account's backup file into `dir` unless it is there already (a resumed devnet). */
export async function writeDemoBackups(dir: string, accounts: readonly DemoAccount[]): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const a of accounts) {
    const file = join(dir, demoBackupName(a));
    if (!existsSync(file)) writeFileSync(file, (await demoBackupText(a)) + '\n', { mode: 0o600 });
  }
}
