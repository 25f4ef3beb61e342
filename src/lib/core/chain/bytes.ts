/** Byte-string helpers the chain rules share. */
import { toHex } from '../crypto/hash.js';
import { signable } from '../encoding/codec.js';

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Strictly increasing (sorted and unique): the one canonical order of a set of byte strings. */
export function strictlySorted(xs: readonly Uint8Array[]): boolean {
  for (let i = 1; i < xs.length; i++) if (compareBytes(xs[i - 1]!, xs[i]!) >= 0) return false;
  return true;
}

export const hexKey = (b: Uint8Array): string => toHex(b);

/** The bytes a signature covers (see encoding/codec.ts signable): the object without its `sig`. */
export function signBytes(obj: object): Uint8Array {
  return signable(obj as { sig?: unknown });
}

/** Offset just past the CBOR item starting at `at` (well-formed, definite-length input). */
function skipItem(b: Uint8Array, at: number): number {
  const major = b[at]! >> 5;
  const info = b[at]! & 31;
  let p = at + 1;
  let arg = info;
  if (info === 24) {
    arg = b[p]!;
    p += 1;
  } else if (info === 25) {
    arg = (b[p]! << 8) | b[p + 1]!;
    p += 2;
  } else if (info === 26) {
    arg = new DataView(b.buffer, b.byteOffset + p, 4).getUint32(0);
    p += 4;
  } else if (info === 27) {
    // Only an integer or a float can be this long here (no item count or length is near 2^32).
    if (major === 0 || major === 1 || major === 7) return p + 8;
    throw new RangeError('CBOR length beyond 2^32');
  } else if (info > 27) throw new RangeError('indefinite or reserved CBOR item');
  switch (major) {
    case 2:
    case 3:
      return p + arg;
    case 4:
      for (let i = 0; i < arg; i++) p = skipItem(b, p);
      return p;
    case 5:
      for (let i = 0; i < 2 * arg; i++) p = skipItem(b, p);
      return p;
    case 6:
      return skipItem(b, p);
    default:
      return p;
  }
}

/** CBOR text "sig": the key every signed object's signature sits under. */
const SIG_KEY = [0x63, 0x73, 0x69, 0x67];

/**
 * The bytes a signature covers, cut straight from an object's canonical encoding: the same bytes as
 * `signBytes(decoded)` (canonical maps keep their order when one entry goes, and decodeCanonical
 * only accepts bytes that re-encode to themselves), without encoding the object again. Only for
 * bytes that decodeCanonical accepted; undefined if they are not a map with a top-level `sig`.
 */
export function signedPartOf(encoded: Uint8Array): Uint8Array | undefined {
  const head = encoded[0];
  if (head === undefined || head >> 5 !== 5) return undefined;
  const info = head & 31;
  let n: number;
  let start: number;
  if (info < 24) [n, start] = [info, 1];
  else if (info === 24) [n, start] = [encoded[1]!, 2];
  else return undefined; // more than 255 fields: no signed object of ours has that many
  let p = start;
  for (let i = 0; i < n; i++) {
    const keyAt = p;
    const valueAt = skipItem(encoded, keyAt);
    const end = skipItem(encoded, valueAt);
    if (valueAt - keyAt === 4 && SIG_KEY.every((x, k) => encoded[keyAt + k] === x)) {
      const m = n - 1;
      const newHead = m < 24 ? [0xa0 | m] : [0xb8, m];
      const out = new Uint8Array(newHead.length + encoded.length - start - (end - keyAt));
      out.set(newHead, 0);
      out.set(encoded.subarray(start, keyAt), newHead.length);
      out.set(encoded.subarray(end), newHead.length + keyAt - start);
      return out;
    }
    p = end;
  }
  return undefined;
}
