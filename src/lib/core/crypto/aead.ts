/**
 * AEAD: XChaCha20-Poly1305 with a random 24-byte nonce (safe to pick at random, unlike 12-byte
 * nonces). Sealed form: nonce ‖ ciphertext ‖ tag. `open` fails with a named error on any change.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { CoreError } from '../errors.js';
import { concatBytes } from './hash.js';
import type { Rng } from './random.js';

export const NONCE_BYTES = 24;
export const TAG_BYTES = 16;
export const KEY_BYTES = 32;

export function seal(key: Uint8Array, plaintext: Uint8Array, rng: Rng, aad?: Uint8Array): Uint8Array {
  if (key.length !== KEY_BYTES)
    throw new CoreError('crypto/bad-key', { detail: 'AEAD key must be 32 bytes' });
  const nonce = rng(NONCE_BYTES);
  return concatBytes(nonce, xchacha20poly1305(key, nonce, aad).encrypt(plaintext));
}

export function open(key: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array {
  if (key.length !== KEY_BYTES)
    throw new CoreError('crypto/bad-key', { detail: 'AEAD key must be 32 bytes' });
  if (sealed.length < NONCE_BYTES + TAG_BYTES)
    throw new CoreError('crypto/decrypt-failed', { detail: 'too short' });
  try {
    return xchacha20poly1305(key, sealed.subarray(0, NONCE_BYTES), aad).decrypt(sealed.subarray(NONCE_BYTES));
  } catch {
    throw new CoreError('crypto/decrypt-failed');
  }
}
