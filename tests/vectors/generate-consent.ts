/**
 * Writes tests/vectors/consent.json: every verifyGrantFor outcome (valid and each consent/* error),
 * what a grant's capabilities open to (including the short root form of an 'all' read grant), QR
 * links (decode: valid, malformed, too large, forged; encode: lengths and the refusal), and the
 * precedence rule's outcome for small event sets in different orders. Deterministic (seeded); every
 * time is in the vector (`now`), none from the clock; invalid cases state their error by hand.
 * Run: npx tsx tests/vectors/generate-consent.ts
 */
import { encodeCanonical } from '../../src/lib/core/encoding/cbor.js';
import { seededRng } from '../../src/lib/core/crypto/random.js';
import { toHex } from '../../src/lib/core/crypto/hash.js';
import { deriveAccountKeys } from '../../src/lib/core/crypto/keys.js';
import {
  createGrant,
  grantCodec,
  grantId,
  type Grant,
  type ScopeInput
} from '../../src/lib/core/consent/grant.js';
import { createRevocation, revocationCodec } from '../../src/lib/core/consent/revocation.js';
import { QR_PATH, encodeQrLink, qrGrantCodec } from '../../src/lib/core/consent/qr.js';
import { toBase64url } from '../../src/lib/core/consent/base64url.js';
import { LIMITS, PROTOCOL_VERSION, TAGS } from '../../src/lib/core/constants.js';
import type { VectorCase } from './runner.js';
import { finish, writeVectors } from './generate-support.js';

const rng = seededRng(4411);
const hex = (b: Uint8Array) => toHex(b);

const DAY = 86_400_000;
const T0 = 1_767_225_600_000; // 2026-01-01
const ORIGIN = 'https://carechain.example';
const patientSeed = rng(32);
const otherPatientSeed = rng(32);
const D = deriveAccountKeys(rng(32));
const E = deriveAccountKeys(rng(32));
const FIVE = ['I', 'IV', 'IX', 'X', 'XVIII'];

const make = (doctor: typeof D, seq: number, scope: ScopeInput, seed = patientSeed): Grant =>
  createGrant({
    seed,
    doctor,
    scope,
    notBefore: T0,
    expiry: T0 + 90 * DAY,
    seq,
    epoch: 3,
    rng: seededRng(50_000 + seq)
  });

const g5 = make(D, 10, { categories: FIVE, read: true, write: true });
const gAll = make(D, 11, { categories: 'all', read: true, write: true });
const gAllWriteOnly = make(D, 12, { categories: 'all', read: false, write: true });
const gReadIV = make(D, 13, { categories: ['IV'], read: true, write: false });
const g5Bytes = grantCodec.encode(g5);
const { sig: _sig, ...unsignedG5 } = g5;

const revoke = (target: { doctor: Uint8Array } | { grant: Uint8Array }, seq: number, seed = patientSeed) =>
  hex(revocationCodec.encode(createRevocation({ seed, target, seq, time: T0 + seq })));

const use = {
  grant: hex(g5Bytes),
  doctor: hex(D.signingPublic),
  category: 'IV',
  mode: 'read',
  now: T0 + DAY,
  revocations: [] as string[]
};
const forUse = (
  name: string,
  over: Partial<typeof use> & { seenSeqs?: number[] },
  expect: Record<string, unknown>
): VectorCase => ({ name, kind: 'grant-verify-for', input: { ...use, ...over }, expect });

const VALID = { valid: true };
const err = (code: string) => ({ error: code });

// A link whose payload carries a grant with one signature bit flipped: well-formed, not signed.
const forgedSig = g5.sig.slice();
forgedSig[0]! ^= 1;
const forgedLink =
  ORIGIN +
  QR_PATH +
  toBase64url(
    qrGrantCodec.encode({ t: TAGS.qrGrant, v: PROTOCOL_VERSION, grant: { ...g5, sig: forgedSig } })
  );
const link5 = encodeQrLink(ORIGIN, g5);
const linkAll = encodeQrLink(ORIGIN, gAll);
const qrDecode = (name: string, text: string, expect: Record<string, unknown> = {}): VectorCase => ({
  name,
  kind: 'qr-decode',
  input: { text },
  expect
});

// Precedence: grant A to D (seq 1), grant B to E (seq 2), D revoked by doctor (seq 3), new grant C to
// D (seq 4), then C revoked by its id (seq 5). What stays active depends on the sequence numbers only.
const gA = make(D, 1, { categories: ['IV'], read: true, write: false });
const gB = make(E, 2, { categories: ['IV'], read: true, write: false });
const gC = make(D, 4, { categories: ['IV', 'IX'], read: true, write: false });
const revD = revoke({ doctor: D.signingPublic }, 3);
const revC = revoke({ grant: grantId(gC) }, 5);
const enc = (g: Grant) => hex(grantCodec.encode(g));
const ids = (...gs: Grant[]) => gs.map((g) => hex(grantId(g))).sort();
const precedence = (name: string, events: string[], active: Grant[]): VectorCase => ({
  name,
  kind: 'consent-precedence',
  input: { events, now: T0 + DAY },
  expect: { active: ids(...active) }
});

const cases: VectorCase[] = [
  forUse('grant: read of a granted category', {}, VALID),
  forUse('grant: write of a granted category', { mode: 'write', category: 'XVIII' }, VALID),
  forUse('grant for all categories: read of any chapter', { grant: enc(gAll), category: 'XXI' }, VALID),
  forUse(
    'grant with an altered expiry (signature no longer matches)',
    { grant: hex(encodeCanonical({ ...g5, expiry: g5.expiry + DAY })) },
    err('consent/bad-signature')
  ),
  forUse('grant used by another doctor', { doctor: hex(E.signingPublic) }, err('consent/wrong-doctor')),
  forUse('grant whose sequence number was already used', { seenSeqs: [9, 10] }, err('consent/replayed')),
  forUse(
    'grant revoked by doctor with a higher sequence number',
    { revocations: [revoke({ doctor: D.signingPublic }, 20)] },
    err('consent/revoked')
  ),
  forUse(
    'grant revoked by doctor with the same sequence number (ties go to the revocation)',
    { revocations: [revoke({ doctor: D.signingPublic }, 10)] },
    err('consent/revoked')
  ),
  forUse(
    'grant revoked by its id (whatever the numbers)',
    { revocations: [revoke({ grant: grantId(g5) }, 5)] },
    err('consent/revoked')
  ),
  forUse(
    'grant newer than a revocation by doctor stays valid',
    { revocations: [revoke({ doctor: D.signingPublic }, 9)] },
    VALID
  ),
  forUse(
    'revocation signed by another patient is ignored',
    { revocations: [revoke({ doctor: D.signingPublic }, 20, otherPatientSeed)] },
    VALID
  ),
  forUse('grant used one millisecond before notBefore', { now: T0 - 1 }, err('consent/not-yet-valid')),
  forUse('grant used at its expiry', { now: T0 + 90 * DAY }, err('consent/expired')),
  forUse('grant used for a category it does not cover', { category: 'II' }, err('consent/out-of-scope')),
  forUse(
    'read-only grant used to write',
    { grant: enc(gReadIV), mode: 'write' },
    err('consent/out-of-scope')
  ),
  forUse(
    'grant without its signature field',
    { grant: hex(encodeCanonical(unsignedG5)) },
    err('consent/malformed')
  ),
  forUse(
    'grant with an unknown category code',
    { grant: hex(encodeCanonical({ ...g5, scope: { ...g5.scope, categories: ['IV', 'XXIII'] } })) },
    err('consent/malformed')
  ),
  {
    name: 'caps of a 5-category read+write grant',
    kind: 'grant-open-caps',
    input: { grant: hex(g5Bytes), doctorSecret: hex(D.encryptionSecret) },
    expect: {}
  },
  {
    name: "caps of an 'all' read+write grant (index key + epoch root, expanded)",
    kind: 'grant-open-caps',
    input: { grant: enc(gAll), doctorSecret: hex(D.encryptionSecret) },
    expect: {}
  },
  {
    name: "caps of an 'all' write-only grant (public keys and tags only)",
    kind: 'grant-open-caps',
    input: { grant: enc(gAllWriteOnly), doctorSecret: hex(D.encryptionSecret) },
    expect: {}
  },
  {
    name: 'caps opened by a doctor they were not encrypted to',
    kind: 'grant-open-caps',
    input: { grant: hex(g5Bytes), doctorSecret: hex(E.encryptionSecret) },
    expect: err('crypto/decrypt-failed')
  },
  qrDecode('QR link of a 5-category grant', link5, { origin: ORIGIN, grantId: hex(grantId(g5)) }),
  qrDecode("QR link of an 'all' grant", linkAll, { origin: ORIGIN, grantId: hex(grantId(gAll)) }),
  qrDecode(
    'QR text that is not a carechain link',
    'https://example.org/#/other/' + link5.slice(-40),
    err('consent/malformed')
  ),
  qrDecode('QR link with a character outside base64url', link5.slice(0, -1) + '+', err('consent/malformed')),
  qrDecode('QR link cut short', link5.slice(0, -10), err('consent/malformed')),
  qrDecode(
    'QR text over the 1,100-character limit',
    ORIGIN + QR_PATH + 'A'.repeat(LIMITS.maxQrChars - ORIGIN.length - QR_PATH.length + 1),
    err('consent/too-large')
  ),
  qrDecode('QR link of a grant with a forged signature', forgedLink, err('consent/bad-signature')),
  {
    name: 'QR link length of a 5-category read+write grant',
    kind: 'qr-encode',
    input: { origin: ORIGIN, grant: hex(g5Bytes) },
    expect: { chars: link5.length }
  },
  {
    name: "QR link length of an 'all' read+write grant",
    kind: 'qr-encode',
    input: { origin: ORIGIN, grant: enc(gAll) },
    expect: { chars: linkAll.length }
  },
  {
    name: "QR link of an 'all' write-only grant is refused as too large",
    kind: 'qr-encode',
    input: { origin: ORIGIN, grant: enc(gAllWriteOnly) },
    expect: err('consent/too-large')
  },
  precedence(
    'precedence: revocation by doctor withdraws the older grant only',
    [enc(gA), enc(gB), revD, enc(gC)],
    [gB, gC]
  ),
  precedence(
    'precedence: same events, revocation first, late old grant',
    [revD, enc(gC), enc(gB), enc(gA)],
    [gB, gC]
  ),
  precedence(
    'precedence: revocation by id withdraws the newer grant too',
    [revC, enc(gA), revD, enc(gB), enc(gC)],
    [gB]
  )
];

// Guards on the data itself: the limits these vectors exist to show.
if (linkAll.length > LIMITS.maxQrChars || link5.length > LIMITS.maxQrChars)
  throw new Error(`QR links over ${LIMITS.maxQrChars}: 5 → ${link5.length}, all → ${linkAll.length}`);

writeVectors(
  'consent',
  finish('Consent: grant checks, capabilities, QR links, revocation precedence', cases)
);
