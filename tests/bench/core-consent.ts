/** Consent figures for `npm run bench -- core`: QR link size of a grant at checkup, grant sizes and speeds. */
import { setEd25519Backend } from '../../src/lib/core/crypto/ed25519.js';
import { nodeEd25519 } from '../../src/lib/core/crypto/ed25519.node.js';
import { deriveAccountKeys } from '../../src/lib/core/crypto/keys.js';
import { seededRng } from '../../src/lib/core/crypto/random.js';
import { toBase64url } from '../../src/lib/core/consent/base64url.js';
import { encodeCanonical } from '../../src/lib/core/encoding/cbor.js';
import {
  QR_PATH,
  consentState,
  createGrant,
  createRevocation,
  encodeQrLink,
  grantCodec,
  openGrantCaps,
  verifyGrantFor,
  type Grant,
  type ScopeInput
} from '../../src/lib/core/consent/index.js';
import { opsPerSecond } from './report.js';

const ORIGIN = 'https://carechain.example';
const T0 = 1_767_225_600_000;
const DAY = 86_400_000;

export async function benchConsent(): Promise<Record<string, number>> {
  setEd25519Backend(nodeEd25519);
  const rng = seededRng(11);
  const patientSeed = rng(32);
  const doctor = deriveAccountKeys(rng(32));
  // Same inputs as the assertion in src/lib/core/consent/qr.test.ts.
  const make = (scope: ScopeInput, seq = 123_456): Grant =>
    createGrant({
      seed: patientSeed,
      doctor,
      scope,
      notBefore: T0,
      expiry: T0 + 90 * DAY,
      seq,
      epoch: 3,
      rng: seededRng(1)
    });
  const five = make({ categories: ['I', 'IV', 'IX', 'X', 'XVIII'], read: true, write: true });
  const all = make({ categories: 'all', read: true, write: true });
  const allRead = make({ categories: 'all', read: true, write: false });
  // A write-only 'all' grant lists 22 public keys and tags; encodeQrLink refuses it, this is how long it would be.
  const allWriteOnly = make({ categories: 'all', read: false, write: true });
  const writeOnlyLink =
    ORIGIN + QR_PATH + toBase64url(encodeCanonical({ t: 'cc/qr-grant', v: 1, grant: allWriteOnly }));

  const revocations = [
    createRevocation({ seed: patientSeed, target: { doctor: rng(32) }, seq: 9, time: T0 })
  ];
  const use = {
    doctor: doctor.signingPublic,
    category: 'IV',
    mode: 'read' as const,
    now: T0 + DAY,
    revocations
  };
  const events = Array.from({ length: 200 }, (_, i) =>
    createRevocation({ seed: patientSeed, target: { doctor: rng(32) }, seq: i, time: T0 })
  );

  return {
    grant_qr_chars: encodeQrLink(ORIGIN, five).length,
    grant_5cat_bytes: grantCodec.encode(five).length,
    grant_all_qr_chars: encodeQrLink(ORIGIN, all).length,
    grant_all_read_qr_chars: encodeQrLink(ORIGIN, allRead).length,
    grant_all_bytes: grantCodec.encode(all).length,
    grant_all_writeonly_link_chars_refused: writeOnlyLink.length,
    grant_create_5cat_ops: opsPerSecond(
      () => make({ categories: ['I', 'IV', 'IX', 'X', 'XVIII'], read: true, write: true }),
      500
    ),
    grant_open_caps_ops: opsPerSecond(() => openGrantCaps(five, doctor.encryptionSecret), 500),
    grant_open_caps_all_ops: opsPerSecond(() => openGrantCaps(all, doctor.encryptionSecret), 200),
    grant_verify_for_node_ops: opsPerSecond(() => verifyGrantFor(five, use), 500),
    consent_state_200_events_ops: opsPerSecond(() => consentState(events), 500)
  };
}
