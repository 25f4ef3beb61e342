/**
 * Everything a user holds derives from one 32-byte account seed (HKDF with distinct labels), so a
 * backup is one secret: the Ed25519 signing key, the X25519 encryption key, the patient's index key
 * (root of the secure index tags), and per-category, per-epoch X25519 record keys. A new epoch (after
 * a revocation) gives record keys a revoked doctor never held.
 */
import { KDF_LABELS } from '../constants.js';
import { CoreError } from '../errors.js';
import { signingPublicKey } from './ed25519.js';
import { hkdf } from './hash.js';
import { x25519PublicKey } from './x25519.js';

export interface AccountKeys {
  signingSeed: Uint8Array;
  signingPublic: Uint8Array;
  encryptionSecret: Uint8Array;
  encryptionPublic: Uint8Array;
  indexKey: Uint8Array;
}

function checkSeed(seed: Uint8Array) {
  if (!(seed instanceof Uint8Array) || seed.length !== 32)
    throw new CoreError('crypto/bad-key', { detail: 'account seed must be 32 bytes' });
}

export function deriveAccountKeys(seed: Uint8Array): AccountKeys {
  checkSeed(seed);
  const signingSeed = hkdf(seed, KDF_LABELS.signing);
  const encryptionSecret = hkdf(seed, KDF_LABELS.encryption);
  return {
    signingSeed,
    signingPublic: signingPublicKey(signingSeed),
    encryptionSecret,
    encryptionPublic: x25519PublicKey(encryptionSecret),
    indexKey: hkdf(seed, KDF_LABELS.index)
  };
}

/**
 * The root of one epoch's record keys. Every per-category record secret of that epoch derives from
 * it, so an 'all'-category read grant can carry this one key instead of 22 secrets (and fit in one QR
 * code) while still giving nothing for other epochs: a revocation bumps the epoch, and a new root
 * comes from the seed, which never leaves the patient.
 */
export function recordEpochRoot(seed: Uint8Array, epoch: number): Uint8Array {
  checkSeed(seed);
  // "epoch" can never be a category code (those are Roman numerals), so no info string is shared.
  return hkdf(seed, `${KDF_LABELS.record}/epoch/${epoch}`);
}

/** The X25519 secret for one category under an epoch root (what a doctor holding the root derives). */
export function recordSecretFromRoot(root: Uint8Array, category: string): Uint8Array {
  if (!(root instanceof Uint8Array) || root.length !== 32)
    throw new CoreError('crypto/bad-key', { detail: 'epoch root must be 32 bytes' });
  return hkdf(root, `${KDF_LABELS.record}/${category}`);
}

/** The X25519 secret for one (category, epoch); its public half is what a write-scope grant carries. */
export function recordSecret(seed: Uint8Array, category: string, epoch: number): Uint8Array {
  return recordSecretFromRoot(recordEpochRoot(seed, epoch), category);
}

export function recordPublicKey(seed: Uint8Array, category: string, epoch: number): Uint8Array {
  return x25519PublicKey(recordSecret(seed, category, epoch));
}
