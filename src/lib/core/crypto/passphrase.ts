/**
 * Passphrase protection for keys at rest: scrypt at OWASP parameters (N=2^17, r=8, p=1) derives a
 * wrapping key; the secret is sealed with AEAD. The salt and parameters travel with the ciphertext so
 * a later, stronger setting can still open old backups.
 */
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { SCRYPT_PARAMS } from '../constants.js';
import { CoreError } from '../errors.js';
import { open, seal } from './aead.js';
import { utf8Bytes } from './hash.js';
import type { Rng } from './random.js';

export interface PassphraseBox {
  salt: Uint8Array;
  N: number;
  r: number;
  p: number;
  sealed: Uint8Array;
}

export type ScryptParams = { N: number; r: number; p: number };

export async function deriveWrappingKey(
  passphrase: string,
  salt: Uint8Array,
  params: ScryptParams = SCRYPT_PARAMS
) {
  // Parameters come from stored data: bound them so a hostile file cannot demand gigabytes.
  if (params.N > 2 ** 20 || params.r > 16 || params.p > 4 || params.N < 2 ** 10)
    throw new CoreError('crypto/bad-key', { detail: 'scrypt parameters out of range' });
  return scryptAsync(utf8Bytes(passphrase.normalize('NFKC')), salt, { ...params, dkLen: 32 });
}

export async function sealWithPassphrase(
  passphrase: string,
  secret: Uint8Array,
  rng: Rng,
  params: ScryptParams = SCRYPT_PARAMS
): Promise<PassphraseBox> {
  const salt = rng(16);
  const key = await deriveWrappingKey(passphrase, salt, params);
  return { salt, ...params, sealed: seal(key, secret, rng) };
}

export async function openWithPassphrase(passphrase: string, box: PassphraseBox): Promise<Uint8Array> {
  const key = await deriveWrappingKey(passphrase, box.salt, box);
  return open(key, box.sealed);
}
