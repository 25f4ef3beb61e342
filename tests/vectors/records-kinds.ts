/**
 * Vector kinds for records: record-key derivation (seed → epoch root → category secret), opening an
 * encryption envelope with the patient's record secret or the author's secret, the MHR hash check,
 * and FHIR bundle validation. Isomorphic like runner.ts; wired into the dispatcher through kinds.ts.
 */
import { fromHex, sha256, toHex } from '../../src/lib/core/crypto/hash.js';
import { x25519PublicKey } from '../../src/lib/core/crypto/x25519.js';
import { recordEpochRoot, recordSecret, recordSecretFromRoot } from '../../src/lib/core/crypto/keys.js';
import {
  checkRecordHash,
  openRecord,
  readEnvelopeHeader,
  releaseRecordKey
} from '../../src/lib/core/records/envelope.js';
import { seededRng } from '../../src/lib/core/crypto/random.js';
import { parseRecordBundle } from '../../src/lib/core/records/fhir.js';
import { canonicalJsonBytes } from '../../src/lib/core/records/canonical-json.js';
import type { Verdict } from '../../src/lib/core/errors.js';

type Kind = (input: Record<string, unknown>) => Record<string, unknown>;

const h = (x: unknown) => fromHex(String(x));
const verdict = (r: Verdict) => (r.ok ? { valid: true } : { error: r.error.code });

/** A bundle is named by the SHA-256 of its canonical JSON: equal digests, equal records. */
const bundleDigest = (bundle: unknown) => toHex(sha256(canonicalJsonBytes(bundle)));

export const recordsKinds: Record<string, Kind> = {
  'record-keys': (i) => {
    const seed = h(i.seed);
    const epoch = Number(i.epoch);
    const category = String(i.category);
    const root = recordEpochRoot(seed, epoch);
    const secret = recordSecretFromRoot(root, category);
    return {
      epochRoot: toHex(root),
      // The two derivations must agree: the one the patient uses and the one an 'all' grant allows.
      sameAsFromSeed: toHex(recordSecret(seed, category, epoch)) === toHex(secret),
      recordPublic: toHex(x25519PublicKey(secret))
    };
  },
  'envelope-open': (i) => {
    const blob = h(i.blob);
    const bundle =
      i.recordSecret !== undefined
        ? openRecord(blob, { recordSecret: h(i.recordSecret) })
        : openRecord(blob, { authorSecret: h(i.authorSecret) });
    return { ...readEnvelopeHeader(blob), bundle: bundleDigest(bundle) };
  },
  /**
   * Break-glass: the writing hospital's authority encryption secret releases the data key to a reader's
   * encryption key (a fresh wrap, so the released bytes differ by rng; what must agree is the record it
   * opens).
   */
  'envelope-release': (i) => {
    const blob = h(i.blob);
    const released = releaseRecordKey(
      blob,
      h(i.hospitalSecret),
      x25519PublicKey(h(i.readerSecret)),
      seededRng(1)
    );
    const bundle = openRecord(blob, { released, readerSecret: h(i.readerSecret) });
    return { ...readEnvelopeHeader(blob), bundle: bundleDigest(bundle) };
  },
  /** The MHR hash published on both chains is plain SHA-256 of the stored blob. */
  'mhr-hash': (i) => verdict(checkRecordHash(h(i.blob), h(i.expected))),
  'fhir-validate': (i) => {
    const bundle = parseRecordBundle(i.bundle);
    return { valid: true, entries: bundle.entry.length, bundle: bundleDigest(bundle) };
  }
};
