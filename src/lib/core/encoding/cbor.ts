/**
 * Deterministic CBOR: the one place raw bytes become values. `encodeCanonical` produces the single
 * canonical form (RFC 8949 core deterministic: shortest integers and lengths, definite lengths,
 * length-first sorted map keys, no floats or undefined). `decodeCanonical` accepts exactly that form:
 * it decodes strictly, then re-encodes and demands identical bytes, which rejects every non-canonical
 * encoding, duplicate key, trailing byte and key ordering that an honest signer would never produce.
 */
import { decode, encode } from 'cborg';
import { CoreError } from '../errors.js';
import { LIMITS } from '../constants.js';

const DECODE_OPTIONS = {
  strict: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: false,
  rejectDuplicateMapKeys: true,
  // Tags (dates, bignums, CIDs) are never part of our wire format.
  tags: [] as never[]
};

export function encodeCanonical(value: unknown): Uint8Array {
  try {
    const out = encode(value, { float64: false });
    // In Node, cborg's output is a view into Node's shared Buffer pool: `.buffer` exposes unrelated
    // memory and a Buffer's `.slice()` is a view. Callers get a plain Uint8Array owning its memory.
    const owned =
      Object.getPrototypeOf(out) === Uint8Array.prototype && out.byteLength === out.buffer.byteLength;
    return owned ? out : new Uint8Array(out);
  } catch (e) {
    throw new CoreError('decode/schema', { detail: `cannot encode: ${(e as Error).message}` });
  }
}

export function decodeCanonical(bytes: Uint8Array, maxBytes: number = LIMITS.maxMessageBytes): unknown {
  if (!(bytes instanceof Uint8Array)) throw new CoreError('decode/malformed', { detail: 'not bytes' });
  if (bytes.length > maxBytes)
    throw new CoreError('decode/too-large', { size: bytes.length, limit: maxBytes });
  let value: unknown;
  try {
    value = decode(bytes, DECODE_OPTIONS);
  } catch (e) {
    throw new CoreError('decode/malformed', { detail: (e as Error).message });
  }
  if (containsFloat(value)) throw new CoreError('decode/non-canonical', { detail: 'floats are not allowed' });
  let again: Uint8Array;
  try {
    again = encode(value, { float64: false });
  } catch (e) {
    throw new CoreError('decode/non-canonical', { detail: (e as Error).message });
  }
  if (!sameBytes(again, bytes)) throw new CoreError('decode/non-canonical');
  return value;
}

// Plain loops, no Object.values arrays or closures: this runs over every value every node decodes.
function containsFloat(v: unknown, depth = 0): boolean {
  if (depth > 64) return true; // deeper than any of our types: treat as hostile
  if (typeof v === 'number') return !Number.isSafeInteger(v);
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (containsFloat(v[i], depth + 1)) return true;
    return false;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return true;
  const o = v as Record<string, unknown>;
  for (const k in o) if (containsFloat(o[k], depth + 1)) return true;
  return false;
}

/**
 * Equality for public bytes (the canonical re-encoding against what arrived): four bytes at a time,
 * stopping at the first difference. Not for secrets; `bytesEqual` below does not stop early.
 */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  const da = new DataView(a.buffer, a.byteOffset, n);
  const db = new DataView(b.buffer, b.byteOffset, n);
  let i = 0;
  for (; i + 4 <= n; i += 4) if (da.getUint32(i) !== db.getUint32(i)) return false;
  for (; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
