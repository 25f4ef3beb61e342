/**
 * Secure index tags (searchable encryption). For a patient's index key K and a category c:
 *   search capability  cap_c = HMAC(K, "cc/v1/cap/search" ‖ c)
 *   index tag          tag_c = HMAC(cap_c, "cc/v1/tag")
 * The patient computes both; a grant hands a doctor cap_c for the granted categories only, from which
 * the doctor computes tag_c but nothing about other categories (HMAC is a PRF). A reader of the chain
 * sees only tag_c — 32 pseudorandom bytes — and learns neither patient nor category. What it can see
 * is that two records share a tag (same patient and category): the price of deterministic search,
 * stated here so nobody assumes otherwise.
 */
import { KDF_LABELS } from '../constants.js';
import { CoreError } from '../errors.js';
import { concatBytes, hmac, utf8Bytes } from '../crypto/hash.js';
import { isCategoryCode } from './categories.js';

export function searchCapability(indexKey: Uint8Array, category: string): Uint8Array {
  if (!isCategoryCode(category)) throw new CoreError('record/unknown-category', { category });
  if (indexKey.length !== 32) throw new CoreError('crypto/bad-key', { detail: 'index key must be 32 bytes' });
  return hmac(
    indexKey,
    concatBytes(utf8Bytes(KDF_LABELS.searchCapability), new Uint8Array([0]), utf8Bytes(category))
  );
}

export function indexTagFromCapability(capability: Uint8Array): Uint8Array {
  if (capability.length !== 32)
    throw new CoreError('crypto/bad-key', { detail: 'capability must be 32 bytes' });
  return hmac(capability, utf8Bytes(KDF_LABELS.indexTag));
}

export function indexTag(indexKey: Uint8Array, category: string): Uint8Array {
  return indexTagFromCapability(searchCapability(indexKey, category));
}
