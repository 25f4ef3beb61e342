/**
 * Byte-string schemas for account objects. Unlike encoding/schema.ts's `bytes`, whose output type is
 * `Uint8Array<ArrayBuffer>`, these output plain `Uint8Array`, so keys and signatures straight from
 * the crypto functions can be put into objects without casts. The runtime check is the same.
 */
import * as v from 'valibot';

const anyBytes = v.custom<Uint8Array>((x) => x instanceof Uint8Array, 'expected bytes');

export const fixedBytes = (len: number) =>
  v.pipe(
    anyBytes,
    v.check((b) => b.length === len, `expected ${len} bytes`)
  );

export const key32 = fixedBytes(32);
export const hash32 = fixedBytes(32);
export const sig64 = fixedBytes(64);
