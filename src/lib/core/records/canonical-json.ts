/**
 * The plaintext of a record is canonical JSON (RFC 8785 style: object keys sorted by UTF-16 code
 * units, no whitespace, ECMAScript number and string serialisation), UTF-8 encoded. Why JSON and not
 * our canonical CBOR: FHIR carries decimals (an HbA1c of 7.2 %), which the CBOR profile forbids as
 * floats, and FHIR's own interchange form is JSON, so a patient's export is the plaintext as is.
 * Why canonical: the same bundle always seals to the same plaintext, and a decoder can insist on it.
 */
import { CoreError } from '../errors.js';

const utf8 = new TextEncoder();

function invalid(detail: string): never {
  throw new CoreError('record/invalid-fhir', { detail });
}

function canonical(value: unknown, depth: number): string {
  // Our FHIR subset nests 7 deep; 32 stops a hostile structure long before the stack would.
  if (depth > 32) invalid('nested too deeply');
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) invalid('numbers must be finite');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((x) => canonical(x, depth + 1)).join(',')}]`;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(obj[k], depth + 1)}`).join(',')}}`;
  }
  return invalid(`not a JSON value: ${typeof value}`);
}

export function canonicalJsonBytes(value: unknown): Uint8Array {
  return utf8.encode(canonical(value, 0));
}

/** Parse bytes that must be canonical JSON; anything else is `record/invalid-fhir`. */
export function parseCanonicalJson(bytes: Uint8Array): unknown {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    invalid('not UTF-8 JSON');
  }
  const again = canonicalJsonBytes(value);
  if (again.length !== bytes.length || again.some((b, i) => b !== bytes[i])) invalid('JSON is not canonical');
  return value;
}
