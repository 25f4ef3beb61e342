/**
 * Strict base64url (RFC 4648 §5, no padding) for the QR link payload. Strict means one string per
 * byte string: only the 64 URL-safe characters, no padding, no whitespace, no length of the form
 * 4n+1, and zero unused bits in the last character — so a payload cannot be re-spelled into a
 * different string that decodes to the same bytes. Hand-written because core has no Buffer/atob and
 * the codec is a dozen lines.
 */
import { CoreError } from '../errors.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUE = new Map([...ALPHABET].map((c, i) => [c, i]));

export function toBase64url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let k = 0; k < chars; k++) out += ALPHABET[(n >> (18 - 6 * k)) & 63];
  }
  return out;
}

export function fromBase64url(text: string): Uint8Array {
  if (text.length % 4 === 1) throw new CoreError('consent/malformed', { detail: 'base64url length' });
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (const c of text) {
    const x = VALUE.get(c);
    if (x === undefined) throw new CoreError('consent/malformed', { detail: 'not base64url' });
    acc = ((acc << 6) | x) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0)
    throw new CoreError('consent/malformed', { detail: 'base64url has non-zero trailing bits' });
  return out;
}
