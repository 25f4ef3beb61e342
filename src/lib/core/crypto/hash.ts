/**
 * SHA-256, HMAC-SHA-256, HKDF-SHA-256 and domain-separated hashing. SHA-256 sits behind a backend,
 * like Ed25519 (ed25519.ts): the browser uses @noble/hashes; a node installs node:crypto
 * (hash.node.ts), 2–4× faster on the short inputs a validator hashes for every transaction (ids,
 * tagged hashes, state keys). Both compute the same function, so which one ran never shows.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';

const utf8 = new TextEncoder();

export interface Sha256Backend {
  readonly name: string;
  /** SHA-256 of the concatenation of `parts`. */
  digest(parts: readonly Uint8Array[]): Uint8Array;
}

export const nobleSha256Backend: Sha256Backend = {
  name: 'noble',
  digest(parts) {
    if (parts.length === 1) return nobleSha256(parts[0]!);
    const h = nobleSha256.create();
    for (const p of parts) h.update(p);
    return h.digest();
  }
};

let backend: Sha256Backend = nobleSha256Backend;

/** Node entry points install the node:crypto backend once at start-up. */
export function setSha256Backend(b: Sha256Backend): void {
  backend = b;
}

export function sha256(data: Uint8Array): Uint8Array {
  return backend.digest([data]);
}

// HMAC and HKDF run a handful of times per key derivation, never per transaction: noble throughout.
export function hmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  return nobleHmac(nobleSha256, key, data);
}

export function hkdf(ikm: Uint8Array, info: string, length = 32, salt?: Uint8Array): Uint8Array {
  return nobleHkdf(nobleSha256, ikm, salt, utf8.encode(info), length);
}

/** Encoded tag prefixes (length byte ‖ UTF-8), kept: the tags are a few dozen constants. */
const tagPrefixes = new Map<string, Uint8Array>();
const TAG_PREFIXES_MAX = 256;

function tagPrefix(tag: string): Uint8Array {
  let p = tagPrefixes.get(tag);
  if (!p) {
    const t = utf8.encode(tag);
    p = new Uint8Array(1 + t.length);
    p[0] = t.length;
    p.set(t, 1);
    if (tagPrefixes.size < TAG_PREFIXES_MAX) tagPrefixes.set(tag, p);
  }
  return p;
}

/**
 * Hash with a domain tag: SHA-256(len(tag) ‖ tag ‖ data). The length prefix keeps any two
 * (tag, data) pairs from colliding by shifting bytes between the tag and the data.
 */
export function taggedHash(tag: string, ...parts: Uint8Array[]): Uint8Array {
  return backend.digest([tagPrefix(tag), ...parts]);
}

export function utf8Bytes(s: string): Uint8Array {
  return utf8.encode(s);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += HEX[x];
  return s;
}

export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-f]*$/.test(s)) throw new TypeError('bad hex');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}
