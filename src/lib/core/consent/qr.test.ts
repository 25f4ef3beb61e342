import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DAY, DOCTORS, FIVE, PATIENTS, T0, doctorOf, grant } from './fixtures.node.js';
import { createGrant } from './grant.js';
import { QR_PATH, decodeQrLink, encodeQrLink, parseQrLink, qrGrantCodec } from './qr.js';
import { fromBase64url, toBase64url } from './base64url.js';
import { CATEGORY_CODES } from '../records/categories.js';
import { LIMITS } from '../constants.js';
import { seededRng } from '../crypto/random.js';
import { isCoreError } from '../errors.js';
import { FUZZ_RUNS } from '../test-support.js';

const [P] = PATIENTS as [(typeof PATIENTS)[0]];
const [D] = DOCTORS as [(typeof DOCTORS)[0]];
const ORIGIN = 'https://carechain.example';
const QR_CODES = ['consent/malformed', 'consent/too-large', 'consent/bad-signature'];

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return isCoreError(e) ? e.code : `untyped: ${String(e)}`;
  }
  return 'none';
};

describe('QR grant link', () => {
  it('round-trips a grant through the link and opens with the app origin', () => {
    const g = grant(P, D, 42);
    const link = encodeQrLink(ORIGIN, g);
    expect(link.startsWith(ORIGIN + QR_PATH)).toBe(true);
    expect(decodeQrLink(link)).toEqual(g);
    expect(parseQrLink(link).origin).toBe(ORIGIN);
    expect(decodeQrLink(encodeQrLink('http://127.0.0.1:5173', g))).toEqual(g);
    expect(decodeQrLink(encodeQrLink('http://[::1]:5173', g))).toEqual(g);
  });

  it(`fits in ${LIMITS.maxQrChars} characters for any 5 categories with read and write`, () => {
    fc.assert(
      fc.property(
        fc.subarray([...CATEGORY_CODES], { minLength: 5, maxLength: 5 }),
        fc.maxSafeNat(),
        fc.maxSafeNat(),
        fc.integer({ min: T0, max: T0 + 100 * 365 * DAY }),
        (categories, seq, epoch, notBefore) => {
          const g = createGrant({
            seed: P.seed,
            doctor: doctorOf(D),
            scope: { categories, read: true, write: true },
            notBefore,
            expiry: notBefore + 365 * DAY,
            seq,
            epoch,
            rng: seededRng(seq)
          });
          expect(encodeQrLink(ORIGIN, g).length).toBeLessThanOrEqual(LIMITS.maxQrChars);
        }
      ),
      { numRuns: 1000 }
    );
    // The figure reported as grant_qr_chars by `npm run bench -- core` (same inputs as there).
    const typical = createGrant({
      seed: P.seed,
      doctor: doctorOf(D),
      scope: { categories: FIVE, read: true, write: true },
      notBefore: T0,
      expiry: T0 + 90 * DAY,
      seq: 123_456,
      epoch: 3,
      rng: seededRng(1)
    });
    expect(encodeQrLink(ORIGIN, typical).length).toBe(1052);
  });

  it(`fits a read grant for 'all' categories in ${LIMITS.maxQrChars} characters (index key + epoch root)`, () => {
    for (const write of [true, false]) {
      const all = createGrant({
        seed: P.seed,
        doctor: doctorOf(D),
        scope: { categories: 'all', read: true, write },
        notBefore: T0,
        expiry: T0 + 365 * DAY,
        seq: Number.MAX_SAFE_INTEGER, // the largest a seq can encode to
        epoch: Number.MAX_SAFE_INTEGER,
        rng: seededRng(7)
      });
      const link = encodeQrLink(ORIGIN, all);
      expect(link.length).toBeLessThanOrEqual(LIMITS.maxQrChars);
      expect(decodeQrLink(link)).toEqual(all);
    }
  });

  it('refuses a grant too large for one code instead of emitting an unscannable one', () => {
    // Write-only 'all' must carry 22 record public keys and tags (an epoch root would let it read).
    const all = grant(P, D, 1, { categories: 'all', read: false, write: true });
    expect(codeOf(() => encodeQrLink(ORIGIN, all))).toBe('consent/too-large');
  });

  it('rejects bad origins, prefixes, base64url, sizes and signatures with named errors', () => {
    const g = grant(P, D, 42);
    const link = encodeQrLink(ORIGIN, g);
    const payload = link.slice((ORIGIN + QR_PATH).length);
    expect(codeOf(() => encodeQrLink('carechain.example', g))).toBe('consent/malformed');
    expect(codeOf(() => encodeQrLink('https://carechain.example/app', g))).toBe('consent/malformed');
    expect(codeOf(() => decodeQrLink(42))).toBe('consent/malformed');
    expect(codeOf(() => decodeQrLink(payload))).toBe('consent/malformed');
    expect(codeOf(() => decodeQrLink(`${ORIGIN}/#/grant/${payload}`))).toBe('consent/malformed');
    expect(codeOf(() => decodeQrLink(`javascript:alert(1)//${QR_PATH}${payload}`))).toBe('consent/malformed');
    expect(codeOf(() => decodeQrLink(`${ORIGIN}${QR_PATH}${payload}=`))).toBe('consent/malformed');
    expect(codeOf(() => decodeQrLink(`${ORIGIN}${QR_PATH}${payload.slice(0, -1)}+`))).toBe(
      'consent/malformed'
    );
    expect(codeOf(() => decodeQrLink(`${ORIGIN}${QR_PATH}${payload.slice(0, -4)}`))).toBe(
      'consent/malformed'
    );
    expect(codeOf(() => decodeQrLink(link + 'A'.repeat(LIMITS.maxQrChars)))).toBe('consent/too-large');
    const tampered = qrGrantCodec.encode({ t: 'cc/qr-grant', v: 1, grant: { ...g, seq: 43 } });
    expect(codeOf(() => decodeQrLink(`${ORIGIN}${QR_PATH}${toBase64url(tampered)}`))).toBe(
      'consent/bad-signature'
    );
  });

  it('decoding arbitrary text fails only with named errors', () => {
    const b64 = fc.string({
      unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')
    });
    const text = fc.oneof(
      fc.string({ maxLength: 1200 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      b64.map((p) => ORIGIN + QR_PATH + p),
      fc.uint8Array({ maxLength: 820 }).map((b) => ORIGIN + QR_PATH + toBase64url(b))
    );
    fc.assert(
      fc.property(text, (t) => {
        expect(QR_CODES).toContain(codeOf(() => decodeQrLink(t)));
      }),
      { numRuns: FUZZ_RUNS }
    );
  });

  it('changing any character of a real link makes it fail with a named error', () => {
    const link = encodeQrLink(ORIGIN, grant(P, D, 42));
    const start = (ORIGIN + QR_PATH).length;
    fc.assert(
      fc.property(fc.integer({ min: start, max: link.length - 1 }), fc.nat(63), (at, k) => {
        const c = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[k]!;
        fc.pre(c !== link[at]);
        const changed = link.slice(0, at) + c + link.slice(at + 1);
        expect(QR_CODES).toContain(codeOf(() => decodeQrLink(changed)));
      }),
      { numRuns: 1000 }
    );
  });
});

describe('base64url', () => {
  it('round-trips any bytes and has exactly one spelling per byte string', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        const s = toBase64url(b);
        expect(s).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(s.length).toBe(Math.ceil((b.length * 8) / 6));
        expect(fromBase64url(s)).toEqual(b);
      }),
      { numRuns: 1000 }
    );
    expect(toBase64url(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
    expect(codeOf(() => fromBase64url('-_9'))).toBe('consent/malformed'); // non-zero trailing bits
    expect(codeOf(() => fromBase64url('A'))).toBe('consent/malformed');
  });
});
