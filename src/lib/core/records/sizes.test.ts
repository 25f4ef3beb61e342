import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deriveAccountKeys, recordPublicKey, seededRng } from '../crypto/index.js';
import { canonicalJsonBytes } from './canonical-json.js';
import { sealRecord } from './envelope.js';
import { diabetesVisit, visitArb } from './test-fixtures.js';

const patientSeed = seededRng(41)(32);
const author = deriveAccountKeys(seededRng(42)(32));

const seal = (bundle: ReturnType<typeof diabetesVisit>) =>
  sealRecord({
    bundle,
    category: 'IV',
    epoch: 0,
    patientRecordPublic: recordPublicKey(patientSeed, 'IV', 0),
    authorEncryptionPublic: author.encryptionPublic,
    hospitalEncryptionPublic: deriveAccountKeys(seededRng(44)(32)).encryptionPublic,
    rng: seededRng(43)
  }).blob;

describe('record sizes (bytes per record, measured honestly)', () => {
  it('the envelope adds a fixed ~440 bytes to the plaintext bundle', () => {
    const b = diabetesVisit();
    const plain = canonicalJsonBytes(b).length;
    const blob = seal(b).length;
    // Three wrapped keys (3 x 104), nonce + tag (40), field names and CBOR framing.
    console.log(JSON.stringify({ visit_entries: b.entry.length, plaintext_bytes: plain, blob_bytes: blob }));
    expect(blob - plain).toBeLessThanOrEqual(440);
    fc.assert(
      fc.property(visitArb, (v) => {
        expect(seal(v).length - canonicalJsonBytes(v).length).toBeLessThanOrEqual(440);
      }),
      { numRuns: 200 }
    );
  });
});
