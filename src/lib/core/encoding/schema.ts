/**
 * Schema building blocks (valibot): every wire and disk type is a schema; its TypeScript type is
 * derived from the schema with `v.InferOutput`, so the type and the check can never drift apart.
 * Every string, byte string and list has a named upper bound.
 */
import * as v from 'valibot';
import { LIMITS, PROTOCOL_VERSION } from '../constants.js';

export { v };

// `Uint8Array` of any buffer: `v.instance` would narrow to Uint8Array<ArrayBuffer>, which libraries'
// outputs (Uint8Array<ArrayBufferLike>) do not satisfy under TypeScript 5.9.
const anyBytes = () => v.custom<Uint8Array>((x) => x instanceof Uint8Array, 'expected bytes');

export const bytes = (len: number) =>
  v.pipe(
    anyBytes(),
    v.check((b) => b.length === len, `expected ${len} bytes`)
  );

export const bytesMax = (max: number) =>
  v.pipe(
    anyBytes(),
    v.check((b) => b.length <= max, `at most ${max} bytes`)
  );

export const hash32 = bytes(32);
export const publicKey = bytes(32);
export const signature = bytes(64);

export const text = (max: number = LIMITS.maxTextChars) => v.pipe(v.string(), v.maxLength(max));
export const id = (max: number = LIMITS.maxIdChars) => v.pipe(v.string(), v.minLength(1), v.maxLength(max));

export const uint = () => v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
export const uintMax = (max: number) => v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(max));

export const list = <T extends v.GenericSchema>(item: T, max: number = LIMITS.maxListItems) =>
  v.pipe(v.array(item), v.maxLength(max));

/** The two header fields every encoded object carries: its type tag and the protocol version. */
export const header = <T extends string>(tag: T) => ({
  t: v.literal(tag),
  v: v.literal(PROTOCOL_VERSION)
});
