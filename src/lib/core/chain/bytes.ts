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
