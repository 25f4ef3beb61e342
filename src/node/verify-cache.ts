/**
 * A node checks each transaction's signatures when it admits it to the mempool, then again when it
 * validates the proposal holding it, then again when it applies the committed block. The Ed25519
 * backend below remembers successful verifications (keyed by a hash of key, message and signature),
 * so those second and third checks are a hash and a map lookup. Failures are never cached. Bounded:
 * the oldest entries go first.
 */
import { hash } from 'node:crypto';
import type { Ed25519Backend } from '../lib/core/crypto/ed25519.js';

/** Entries kept: a few full blocks' worth of signatures plus the mempool's. */
export const VERIFY_CACHE_ENTRIES = 200_000;

export function cachingBackend(inner: Ed25519Backend, max = VERIFY_CACHE_ENTRIES): Ed25519Backend {
  const ok = new Set<string>();
  return {
    name: `${inner.name}+cache`,
    publicKey: (seed) => inner.publicKey(seed),
    sign: (seed, message) => inner.sign(seed, message),
    verify(publicKey, message, sig) {
      // Key and signature have fixed lengths (core checks them before any backend is asked; anything
      // else is passed through uncached), so their concatenation with the message is unambiguous.
      // One-shot hashing of one buffer is cheaper than createHash + update × 3.
      if (publicKey.length !== 32 || sig.length !== 64) return inner.verify(publicKey, message, sig);
      const key = hash('sha256', Buffer.concat([publicKey, sig, message]), 'base64');
      if (ok.has(key)) return true;
      const good = inner.verify(publicKey, message, sig);
      if (good) {
        if (ok.size >= max) ok.delete(ok.values().next().value!);
        ok.add(key);
      }
      return good;
    }
  };
}
