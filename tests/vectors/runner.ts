/**
 * Runs the JSON test vectors. Isomorphic on purpose: the same code runs under vitest in Node and,
 * bundled, inside Chromium (tests/e2e/vectors.test.ts); both must report the same results.
 * A case passes when the outcome (value or named error code) equals the expectation.
 */
import { isCoreError } from '../../src/lib/core/errors.js';
import { decodeCanonical, encodeCanonical } from '../../src/lib/core/encoding/cbor.js';
import { fromHex, toHex } from '../../src/lib/core/crypto/hash.js';
import { sign, verifySignature } from '../../src/lib/core/crypto/ed25519.js';
import { open } from '../../src/lib/core/crypto/aead.js';
import { unwrapWith } from '../../src/lib/core/crypto/x25519.js';
import { deriveAccountKeys } from '../../src/lib/core/crypto/keys.js';
import { indexTag } from '../../src/lib/core/records/index-tag.js';
import { extraKinds } from './kinds.js';

export interface VectorCase {
  name: string;
  kind: string;
  input: Record<string, unknown>;
  /** Either the expected output (hex strings / booleans) or { error: code }. */
  expect: Record<string, unknown>;
}

export interface VectorFile {
  description: string;
  cases: VectorCase[];
}

export interface CaseResult {
  file: string;
  name: string;
  pass: boolean;
  got: unknown;
}

type Kind = (input: Record<string, unknown>) => Record<string, unknown>;

const h = (x: unknown) => fromHex(String(x));

const kinds: Record<string, Kind> = {
  'cbor-decode': (i) => ({ reencoded: toHex(encodeCanonical(decodeCanonical(h(i.bytes)))) }),
  'ed25519-sign': (i) => ({ sig: toHex(sign(h(i.seed), h(i.msg))) }),
  'ed25519-verify': (i) => ({ valid: verifySignature(h(i.pub), h(i.msg), h(i.sig)) }),
  'aead-open': (i) => ({ plaintext: toHex(open(h(i.key), h(i.sealed))) }),
  'x25519-unwrap': (i) => ({ plaintext: toHex(unwrapWith(h(i.secret), h(i.wrapped), String(i.context))) }),
  'account-keys': (i) => {
    const k = deriveAccountKeys(h(i.seed));
    return { signingPublic: toHex(k.signingPublic), encryptionPublic: toHex(k.encryptionPublic) };
  },
  'index-tag': (i) => ({ tag: toHex(indexTag(h(i.indexKey), String(i.category))) }),
  ...extraKinds
};

export function runCase(c: VectorCase): unknown {
  const kind = kinds[c.kind];
  if (!kind) return { error: `unknown kind ${c.kind}` };
  try {
    return kind(c.input);
  } catch (e) {
    return { error: isCoreError(e) ? e.code : `untyped: ${(e as Error).message}` };
  }
}

export function runVectorFiles(files: Record<string, VectorFile>): CaseResult[] {
  const out: CaseResult[] = [];
  for (const [file, vf] of Object.entries(files)) {
    for (const c of vf.cases) {
      const got = runCase(c);
      out.push({ file, name: c.name, pass: JSON.stringify(got) === JSON.stringify(c.expect), got });
    }
  }
  return out;
}
