/**
 * A codec per type: canonical CBOR plus its schema. `decode` is the boundary where untrusted bytes
 * become a typed value — it either returns a value that passed the schema or throws a `CoreError`.
 */
import * as v from 'valibot';
import { CoreError } from '../errors.js';
import { LIMITS, PROTOCOL_VERSION } from '../constants.js';
import { decodeCanonical, encodeCanonical } from './cbor.js';

export interface Codec<T> {
  readonly name: string;
  readonly schema: v.GenericSchema<unknown, T>;
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
  /** Validate an already-decoded value (e.g. a field nested inside another message). */
  parse(value: unknown): T;
}

export function defineCodec<S extends v.GenericSchema>(
  name: string,
  schema: S,
  maxBytes: number = LIMITS.maxMessageBytes
): Codec<v.InferOutput<S>> {
  type T = v.InferOutput<S>;
  const parse = (value: unknown): T => {
    if (value !== null && typeof value === 'object' && 'v' in value && 't' in value) {
      const ver = (value as { v: unknown }).v;
      if (ver !== PROTOCOL_VERSION)
        throw new CoreError('decode/unknown-version', { type: name, version: ver });
    }
    const r = v.safeParse(schema, value);
    if (!r.success) {
      const issue = r.issues[0];
      const path = issue.path?.map((p: { key: unknown }) => String(p.key)).join('.') ?? '';
      throw new CoreError('decode/schema', {
        type: name,
        detail: `${path ? path + ': ' : ''}${issue.message}`
      });
    }
    return r.output as T;
  };
  return {
    name,
    schema: schema as unknown as v.GenericSchema<unknown, T>,
    parse,
    encode(value: T): Uint8Array {
      const bytes = encodeCanonical(parse(value));
      if (bytes.length > maxBytes)
        throw new CoreError('decode/too-large', { type: name, size: bytes.length });
      return bytes;
    },
    decode(bytes: Uint8Array): T {
      return parse(decodeCanonical(bytes, maxBytes));
    }
  };
}

/** The bytes a signature covers: the canonical encoding of the object without its `sig` field. */
export function signable<T extends { sig?: unknown }>(obj: T): Uint8Array {
  const rest: Record<string, unknown> = { ...obj };
  delete rest.sig;
  return encodeCanonical(rest);
}
