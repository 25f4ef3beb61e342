/**
 * Write commitments for a write-scope grant (the scheme is explained in chain/commit.ts, which uses
 * the same formula): per granted category c, commit_c = taggedHash('cc/write-commit', recordPublic_c,
 * tag_c). The grant carries only their root — one 32-byte hash over the sorted list, signed with the
 * grant — instead of the list itself, so the grant still fits one QR code. The doctor rebuilds the
 * list from the capabilities (openGrantCaps does, and checks it against the root) and submits it with
 * the grant; validators check that its root equals the signed `writeRoot`.
 */
import { TAGS } from '../constants.js';
import { taggedHash } from '../crypto/hash.js';

export function writeCommitment(recordPublic: Uint8Array, tag: Uint8Array): Uint8Array {
  return taggedHash(TAGS.writeCommit, recordPublic, tag);
}

function compare(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** The commitments in their one canonical order (sorted bytes: the order says nothing of categories). */
export function sortCommits(commits: readonly Uint8Array[]): Uint8Array[] {
  return [...commits].sort(compare);
}

/** Root of a commitment list; the list is sorted first, so any order of the same set gives one root. */
export function writeRoot(commits: readonly Uint8Array[]): Uint8Array {
  return taggedHash(TAGS.writeRoot, ...sortCommits(commits));
}
