/**
 * Writes tests/vectors/{encoding,crypto,tags}.json. Deterministic (seeded), so re-running produces
 * the same files. Invalid cases state the error they must produce by hand; valid cases record the
 * outputs of this implementation, then the runner holds Node and Chromium to them.
 * Run: npx tsx tests/vectors/generate.ts
 */
import { writeFileSync } from 'node:fs';
import { encodeCanonical } from '../../src/lib/core/encoding/cbor.js';
import { seededRng } from '../../src/lib/core/crypto/random.js';
import { toHex } from '../../src/lib/core/crypto/hash.js';
import { nobleEd25519 } from '../../src/lib/core/crypto/ed25519.js';
import { seal } from '../../src/lib/core/crypto/aead.js';
import { wrapTo, x25519PublicKey } from '../../src/lib/core/crypto/x25519.js';
import type { VectorCase } from './runner.js';
import { finish } from './generate-support.js';

const rng = seededRng(2026);
const hex = (b: Uint8Array) => toHex(b);

const cbor = (name: string, bytes: string, expect: Record<string, unknown> = {}): VectorCase => ({
  name,
  kind: 'cbor-decode',
  input: { bytes },
  expect
});

const encoding = finish('Canonical CBOR: what decodes, and the named error for what must not', [
  cbor('map with tag and version', hex(encodeCanonical({ t: 'cc/grant', v: 1 }))),
  cbor(
    'nested list and bytes',
    hex(encodeCanonical({ a: [1, 2, new Uint8Array([0xff])], b: null, c: true }))
  ),
  cbor('max safe integer', hex(encodeCanonical(Number.MAX_SAFE_INTEGER))),
  cbor('empty string and empty map', hex(encodeCanonical({ '': {} }))),
  cbor('trailing byte', '0100', { error: 'decode/malformed' }),
  cbor('integer 1 in two bytes', '1801', { error: 'decode/malformed' }),
  cbor('float 1.0', 'fb3ff0000000000000', { error: 'decode/non-canonical' }),
  cbor('indefinite-length array', '9f01ff', { error: 'decode/malformed' }),
  cbor('duplicate map key', 'a2616101616102', { error: 'decode/malformed' }),
  cbor('keys not in length-first order', 'a2626262016161' + '02', { error: 'decode/non-canonical' }),
  cbor('undefined', 'f7', { error: 'decode/malformed' }),
  cbor('tagged value (date)', 'c074323031332d30332d32315432303a30343a30305a', { error: 'decode/malformed' }),
  cbor('truncated byte string', '4401', { error: 'decode/malformed' }),
  cbor('integer beyond 2^53', '1b0020000000000000', { error: 'decode/malformed' })
]);

const seed = rng(32);
const pub = nobleEd25519.publicKey(seed);
const msg = rng(48);
const sig = nobleEd25519.sign(seed, msg);
const flipped = msg.slice();
flipped[0]! ^= 1;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
let S = 0n;
for (let i = 31; i >= 0; i--) S = (S << 8n) | BigInt(sig[32 + i]!);
const highS = sig.slice();
for (let i = 0; i < 32; i++) highS[32 + i] = Number(((S + L) >> BigInt(8 * i)) & 0xffn);
const key = rng(32);
const pt = rng(40);
const sealed = seal(key, pt, rng);
const tampered = sealed.slice();
tampered[30]! ^= 0x80;
const xs = rng(32);
const wrapped = wrapTo(x25519PublicKey(xs), pt, 'vector', rng);

const crypto = finish('Ed25519 (RFC 8032 strict), XChaCha20-Poly1305, X25519 wrapping, seed derivation', [
  {
    name: 'RFC 8032 test 1 signature',
    kind: 'ed25519-sign',
    input: { seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', msg: '' },
    expect: {
      sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'
    }
  },
  {
    name: 'RFC 8032 test 1 verifies',
    kind: 'ed25519-verify',
    input: {
      pub: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
      msg: '',
      sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'
    },
    expect: { valid: true }
  },
  { name: 'seeded signature', kind: 'ed25519-sign', input: { seed: hex(seed), msg: hex(msg) }, expect: {} },
  {
    name: 'seeded signature verifies',
    kind: 'ed25519-verify',
    input: { pub: hex(pub), msg: hex(msg), sig: hex(sig) },
    expect: { valid: true }
  },
  {
    name: 'flipped message bit fails',
    kind: 'ed25519-verify',
    input: { pub: hex(pub), msg: hex(flipped), sig: hex(sig) },
    expect: { valid: false }
  },
  {
    name: 'non-canonical S (S+L) fails',
    kind: 'ed25519-verify',
    input: { pub: hex(pub), msg: hex(msg), sig: hex(highS) },
    expect: { valid: false }
  },
  {
    name: 'small-order public key fails',
    kind: 'ed25519-verify',
    input: { pub: '01' + '00'.repeat(31), msg: hex(msg), sig: '00'.repeat(64) },
    expect: { valid: false }
  },
  {
    name: 'short signature fails',
    kind: 'ed25519-verify',
    input: { pub: hex(pub), msg: hex(msg), sig: hex(sig.subarray(0, 63)) },
    expect: { valid: false }
  },
  {
    name: 'AEAD opens',
    kind: 'aead-open',
    input: { key: hex(key), sealed: hex(sealed) },
    expect: { plaintext: hex(pt) }
  },
  {
    name: 'AEAD tampered ciphertext',
    kind: 'aead-open',
    input: { key: hex(key), sealed: hex(tampered) },
    expect: { error: 'crypto/decrypt-failed' }
  },
  {
    name: 'AEAD wrong key length',
    kind: 'aead-open',
    input: { key: hex(key.subarray(1)), sealed: hex(sealed) },
    expect: { error: 'crypto/bad-key' }
  },
  {
    name: 'X25519 unwrap',
    kind: 'x25519-unwrap',
    input: { secret: hex(xs), wrapped: hex(wrapped), context: 'vector' },
    expect: { plaintext: hex(pt) }
  },
  {
    name: 'X25519 unwrap with wrong context',
    kind: 'x25519-unwrap',
    input: { secret: hex(xs), wrapped: hex(wrapped), context: 'other' },
    expect: { error: 'crypto/decrypt-failed' }
  },
  { name: 'account keys from seed A', kind: 'account-keys', input: { seed: hex(rng(32)) }, expect: {} },
  { name: 'account keys from seed B', kind: 'account-keys', input: { seed: hex(rng(32)) }, expect: {} },
  {
    name: 'account seed too short',
    kind: 'account-keys',
    input: { seed: hex(rng(31)) },
    expect: { error: 'crypto/bad-key' }
  }
]);

const ik1 = rng(32);
const ik2 = rng(32);
const tags = finish('Secure index tags: keyed by patient index key and category', [
  {
    name: 'patient 1, diabetes chapter IV',
    kind: 'index-tag',
    input: { indexKey: hex(ik1), category: 'IV' },
    expect: {}
  },
  {
    name: 'patient 1, chapter V',
    kind: 'index-tag',
    input: { indexKey: hex(ik1), category: 'V' },
    expect: {}
  },
  {
    name: 'patient 2, chapter IV',
    kind: 'index-tag',
    input: { indexKey: hex(ik2), category: 'IV' },
    expect: {}
  },
  {
    name: 'unknown category',
    kind: 'index-tag',
    input: { indexKey: hex(ik1), category: 'diabetes' },
    expect: { error: 'record/unknown-category' }
  },
  {
    name: 'short index key',
    kind: 'index-tag',
    input: { indexKey: hex(ik1.subarray(2)), category: 'IV' },
    expect: { error: 'crypto/bad-key' }
  }
]);

const dir = new URL('.', import.meta.url);
for (const [name, file] of Object.entries({ encoding, crypto, tags }))
  writeFileSync(new URL(`${name}.json`, dir), JSON.stringify(file, null, 2) + '\n');
console.log('wrote', Object.keys({ encoding, crypto, tags }).join(', '));
