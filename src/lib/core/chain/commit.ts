/**
 * Write commitments: how a hospital validator checks that a grant covers a record's category without
 * learning the category.
 *
 * The patient, when granting write scope for categories C, signs in the grant the root
 * (consent/write-commits.ts writeRoot) of the sorted list
 *     commit_c = taggedHash('cc/write-commit', opening_c, tag_c)        for c in C
 * where tag_c is the secure index tag and opening_c = recordPublicKey(seed, c, epoch) — the record key
 * a write grant already hands the doctor (encrypted to the doctor, with tag_c). The doctor rebuilds
 * the list from the caps and submits it with the grant; validators check it against the root. To
 * write, the doctor reveals
 * opening_c on the hospital chain next to tag_c; validators recompute the commitment and look for it.
 *
 * Why this is sound and private: the doctor can only produce a listed commitment for a tag the patient
 * committed to (SHA-256 is binding), so a grant for "endocrine" cannot be used to file under
 * "mental health" or under another patient. A reader of the consortium sees commitments but not the
 * openings (they travel only encrypted and on the private hospital chain), so it cannot link the
 * public index tags to the grant's patient; the list is sorted, so which entry is opened says nothing
 * about which category it is. The hospital's own validators see the opening and the tag — they learn
 * only that this record belongs to the grant's patient, which the hospital knew from the visit.
 */
import { recordPublicKey } from '../crypto/keys.js';
import { indexTag } from '../records/index-tag.js';
import { deriveAccountKeys } from '../crypto/keys.js';
import { writeCommitment } from '../consent/write-commits.js';
import { compareBytes } from './bytes.js';

// One formula for the grant's signed root (consent/) and the validators' check (rules/hospital.ts).
export { writeCommitment };

/** What the patient publishes for a write grant over `categories` at record-key `epoch`. */
export function writeCommitsFor(
  seed: Uint8Array,
  categories: readonly string[],
  epoch: number
): Uint8Array[] {
  const { indexKey } = deriveAccountKeys(seed);
  return categories
    .map((c) => writeCommitment(recordPublicKey(seed, c, epoch), indexTag(indexKey, c)))
    .sort(compareBytes);
}

/** What the doctor reveals to write under `category` (given the grant's record public key). */
export function writeOpening(recordPublic: Uint8Array): Uint8Array {
  return recordPublic;
}
