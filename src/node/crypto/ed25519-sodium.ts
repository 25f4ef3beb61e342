/**
 * Ed25519 through libsodium (sodium-native) for hospital nodes. Every validator checks every
 * transaction's author signature, the largest single cost per record; libsodium verifies in ~36 µs
 * here against ~81 µs for node:crypto (OpenSSL), with the same bytes out of `sign`.
 *
 * Acceptance is the same as every other backend's: core's `verifySignature` applies the strict
 * checks (lengths, canonical S, canonical key not of small order, R not of small order) before any
 * backend is asked, which is exactly what libsodium itself refuses on top of the signature equation.
 */
import sodium from 'sodium-native';
import type { Ed25519Backend } from '../../lib/core/crypto/ed25519.js';

// A node signs votes and attestations with one or two keys: keep their expanded secret keys.
const secretKeys = new Map<string, { pub: Uint8Array; secret: Uint8Array }>();
const SECRET_KEYS_MAX = 64;

function keyPair(seed: Uint8Array): { pub: Uint8Array; secret: Uint8Array } {
  if (seed.length !== 32) throw new RangeError('an Ed25519 seed is 32 bytes');
  const k = Buffer.from(seed).toString('latin1');
  let pair = secretKeys.get(k);
  if (!pair) {
    pair = { pub: new Uint8Array(32), secret: new Uint8Array(64) };
    sodium.crypto_sign_seed_keypair(pair.pub, pair.secret, seed);
    if (secretKeys.size >= SECRET_KEYS_MAX) secretKeys.clear();
    secretKeys.set(k, pair);
  }
  return pair;
}

export const sodiumEd25519: Ed25519Backend = {
  name: 'libsodium',
  publicKey: (seed) => keyPair(seed).pub.slice(),
  sign(seed, message) {
    const sig = new Uint8Array(64);
    sodium.crypto_sign_detached(sig, message, keyPair(seed).secret);
    return sig;
  },
  verify(pub, message, sig) {
    // verifySignature already checked the lengths; libsodium throws on wrong ones, so guard anyway.
    if (pub.length !== 32 || sig.length !== 64) return false;
    return sodium.crypto_sign_verify_detached(sig, message, pub);
  }
};
