/**
 * Deterministic CBOR: the one place raw bytes become values. `encodeCanonical` produces the single
 * canonical form (RFC 8949 core deterministic: shortest integers and lengths, definite lengths,
 * length-first sorted map keys, no floats or undefined). `decodeCanonical` accepts exactly that form,
 * so every value has one encoding (one transaction hash, one signed message).
 *
 * cborg's strict decoder already refuses non-minimal integers and lengths, indefinite lengths,
 * undefined, tags, duplicate keys and trailing bytes. What it leaves to us is checked token by token
 * while it decodes (CanonicalTokenizer): floats, integers beyond 2^53, key order, strings whose UTF-8
 * would not re-encode to the same bytes, and nesting. That is what re-encoding the value and comparing
 * bytes used to check, at half the cost of the decode (a 1 MB block is decoded by every validator);
 * the tests hold the two to the same verdicts over random and mutated inputs.
 */
import { decode, encode, Tokenizer, Type, type Token } from 'cborg';
import { CoreError } from '../errors.js';
import { LIMITS } from '../constants.js';

/** cborg's strict decoding (exported for the tests' decode-then-re-encode oracle). */
export const DECODE_OPTIONS = {
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

/** Containers nested deeper than this are refused: none of our types comes near it. */
export const CBOR_MAX_DEPTH = 64;

/** Thrown inside cborg's decode by the tokenizer; turned into decode/non-canonical. */
class NotCanonical extends Error {}

/** An open array or map: items still to come (a map counts keys and values), and the last key. */
interface Frame {
  left: number;
  map: boolean;
  keyStart: number;
  keyEnd: number;
}

const utf8 = new TextEncoder();

/**
 * cborg's tokenizer with the canonical-form checks it does not make. It sees every token with its
 * byte span, so key order is checked on the encoded keys (length first, then bytewise, as the encoder
 * sorts them) — not on the decoded object, whose integer-like keys JavaScript would reorder.
 */
class CanonicalTokenizer {
  private readonly inner: InstanceType<typeof Tokenizer>;
  private readonly stack: Frame[] = [];

  constructor(private readonly data: Uint8Array) {
    this.inner = new Tokenizer(data, DECODE_OPTIONS);
  }

  done(): boolean {
    return this.inner.done();
  }

  pos(): number {
    return this.inner.pos();
  }

  next(): Token {
    const start = this.inner.pos();
    const token = this.inner.next();
    const end = this.inner.pos();
    const stack = this.stack;
    while (stack.length > 0 && stack[stack.length - 1]!.left === 0) stack.pop();
    if (stack.length > CBOR_MAX_DEPTH) throw new NotCanonical('nested deeper than any of our types');
    const parent = stack[stack.length - 1];
    if (parent) {
      // In a map of n entries `left` runs 2n, 2n-1, …: an even count means a key comes next.
      if (parent.map && parent.left % 2 === 0) {
        // An equal key is left to cborg, which refuses it as a duplicate.
        if (parent.keyEnd > 0 && compareSpans(this.data, parent.keyStart, parent.keyEnd, start, end) > 0)
          throw new NotCanonical('map keys out of order');
        parent.keyStart = start;
        parent.keyEnd = end;
      }
      parent.left--;
    }
    const major = token.type.major;
    if (major === Type.uint.major || major === Type.negint.major) {
      if (!Number.isSafeInteger(token.value)) throw new NotCanonical('integer beyond 2^53');
    } else if (major === Type.string.major) {
      this.checkString(token.value as string, start, end);
    } else if (Type.equals(token.type, Type.float)) {
      throw new NotCanonical('floats are not allowed');
    } else if ((major === Type.array.major || major === Type.map.major) && (token.value as number) > 0) {
      const n = token.value as number;
      stack.push({
        left: major === Type.map.major ? 2 * n : n,
        map: major === Type.map.major,
        keyStart: 0,
        keyEnd: 0
      });
    }
    return token;
  }

  /** ASCII decodes to itself; anything else must re-encode to the very bytes it came from. */
  private checkString(value: string, start: number, end: number): void {
    const minor = this.data[start]! & 31;
    const from = start + (minor < 24 ? 1 : minor === 24 ? 2 : minor === 25 ? 3 : minor === 26 ? 5 : 9);
    for (let i = from; i < end; i++) {
      if (this.data[i]! < 0x80) continue;
      if (!sameBytes(utf8.encode(value), this.data.subarray(from, end)))
        throw new NotCanonical('string is not well-formed UTF-8');
      return;
    }
  }
}

/** Order of two encoded keys in the same map: shorter first, then bytewise. */
function compareSpans(d: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  const la = aEnd - aStart;
  const lb = bEnd - bStart;
  if (la !== lb) return la - lb;
  for (let i = 0; i < la; i++) {
    const x = d[aStart + i]! - d[bStart + i]!;
    if (x !== 0) return x;
  }
  return 0;
}

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
  // A plain view, as cborg makes itself: byte strings are sliced out of it, and a Buffer's slice would
  // be a view into the caller's memory instead of a copy.
  const data =
    Object.getPrototypeOf(bytes) === Uint8Array.prototype
      ? bytes
      : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    return decode(data, { ...DECODE_OPTIONS, tokenizer: new CanonicalTokenizer(data) });
  } catch (e) {
    if (e instanceof NotCanonical) throw new CoreError('decode/non-canonical', { detail: e.message });
    throw new CoreError('decode/malformed', { detail: (e as Error).message });
  }
}

/**
 * Equality for public bytes (a string's UTF-8 re-encoding against what arrived): four bytes at a time,
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
