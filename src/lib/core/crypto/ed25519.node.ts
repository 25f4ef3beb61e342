/** Ed25519 through node:crypto (OpenSSL): same bytes as noble, much faster verification in Node. */
import {
  createPrivateKey,
  createPublicKey,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject
} from 'node:crypto';
import type { Ed25519Backend } from './ed25519.js';

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

// KeyObject construction dominates a single verify; keep recently used keys.
const pubCache = new Map<string, KeyObject>();
const PUB_CACHE_MAX = 10_000;

// A node signs every vote with the same key: keep its KeyObject (a handful of keys at most).
const privCache = new Map<string, KeyObject>();
const PRIV_CACHE_MAX = 64;

function privateKey(seed: Uint8Array): KeyObject {
  const k = Buffer.from(seed).toString('latin1');
  let obj = privCache.get(k);
  if (!obj) {
    obj = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    if (privCache.size >= PRIV_CACHE_MAX) privCache.clear();
    privCache.set(k, obj);
  }
  return obj;
}

function publicKeyObject(pub: Uint8Array): KeyObject {
  const k = Buffer.from(pub).toString('latin1');
  let obj = pubCache.get(k);
  if (!obj) {
    obj = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: 'der', type: 'spki' });
    if (pubCache.size >= PUB_CACHE_MAX) pubCache.clear();
    pubCache.set(k, obj);
  }
  return obj;
}

export const nodeEd25519: Ed25519Backend = {
  name: 'node:crypto',
  publicKey(seed) {
    const der = createPublicKey(privateKey(seed)).export({ format: 'der', type: 'spki' });
    return new Uint8Array(der.subarray(SPKI_PREFIX.length));
  },
  sign(seed, message) {
    return new Uint8Array(nodeSign(null, message, privateKey(seed)));
  },
  verify(pub, message, sig) {
    try {
      return nodeVerify(null, message, publicKeyObject(pub), sig);
    } catch {
      return false;
    }
  }
};
