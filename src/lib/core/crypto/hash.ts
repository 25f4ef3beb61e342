/** SHA-256, HMAC-SHA-256, HKDF-SHA-256 and domain-separated hashing. */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';

const utf8 = new TextEncoder();

export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

export function hmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  return nobleHmac(nobleSha256, key, data);
}

export function hkdf(ikm: Uint8Array, info: string, length = 32, salt?: Uint8Array): Uint8Array {
  return nobleHkdf(nobleSha256, ikm, salt, utf8.encode(info), length);
}

/**
 * Hash with a domain tag: SHA-256(len(tag) ‖ tag ‖ data). The length prefix keeps any two
 * (tag, data) pairs from colliding by shifting bytes between the tag and the data.
 */
export function taggedHash(tag: string, ...parts: Uint8Array[]): Uint8Array {
  const t = utf8.encode(tag);
  const h = nobleSha256.create();
  h.update(new Uint8Array([t.length]));
  h.update(t);
  for (const p of parts) h.update(p);
  return h.digest();
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
