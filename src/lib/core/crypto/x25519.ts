/**
 * X25519 key agreement and "wrap to a public key" (ECIES-style): an ephemeral key pair, the shared
 * secret through HKDF bound to both public keys, then AEAD. Used to wrap record data keys to the
 * patient's per-category record key and to the author, and to encrypt grant capabilities to a doctor.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { CoreError } from '../errors.js';
import { KDF_LABELS } from '../constants.js';
import { concatBytes, hkdf } from './hash.js';
import { open, seal } from './aead.js';
import type { Rng } from './random.js';

export function x25519PublicKey(secret: Uint8Array): Uint8Array {
  return x25519.getPublicKey(secret);
}

export function sharedSecret(secret: Uint8Array, peerPublic: Uint8Array): Uint8Array {
  if (peerPublic.length !== 32)
    throw new CoreError('crypto/bad-key', { detail: 'X25519 public key must be 32 bytes' });
  try {
    const s = x25519.getSharedSecret(secret, peerPublic);
    if (s.every((b) => b === 0)) throw new Error('all-zero shared secret');
    return s;
  } catch {
    throw new CoreError('crypto/bad-key', { detail: 'X25519 public key of small order' });
  }
}

/** Sealed form: ephemeral public key (32) ‖ AEAD(nonce ‖ ct ‖ tag). `context` binds the use. */
export function wrapTo(recipient: Uint8Array, plaintext: Uint8Array, context: string, rng: Rng): Uint8Array {
  const eph = rng(32);
  const ephPub = x25519PublicKey(eph);
  const key = hkdf(
    concatBytes(sharedSecret(eph, recipient), ephPub, recipient),
    `${KDF_LABELS.wrap}/${context}`
  );
  return concatBytes(ephPub, seal(key, plaintext, rng));
}

export function unwrapWith(secret: Uint8Array, wrapped: Uint8Array, context: string): Uint8Array {
  if (wrapped.length < 32) throw new CoreError('crypto/decrypt-failed', { detail: 'too short' });
  const ephPub = wrapped.subarray(0, 32);
  const recipient = x25519PublicKey(secret);
  const key = hkdf(
    concatBytes(sharedSecret(secret, ephPub), ephPub, recipient),
    `${KDF_LABELS.wrap}/${context}`
  );
  return open(key, wrapped.subarray(32));
}
