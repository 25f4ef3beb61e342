/**
 * Consortium index batches (scenario 3): the hospital's authority anchors its chain with a checkpoint
 * that must advance, and files each record's index entry under its secure tag in a paged list, so a
 * doctor searching a tag gets every entry with one proof per page (store.ts explains completeness).
 * What is and is not checked about the checkpoint: README.md "Index batches and checkpoints".
 */
import { TAGS } from '../../constants.js';
import { fail, OK, type Verdict } from '../../errors.js';
import { bytesEqual } from '../../encoding/cbor.js';
import { hexKey } from '../bytes.js';
import { checkpointEntryCodec, type CheckpointEntry } from '../entries.js';
import { appendToList, getEntry, listHasRoom, NS, putEntry, type ChainState } from '../store.js';
import { indexBatchSignatureValid, indexEntryCodec, type IndexBatch } from '../tx/index-batch.js';
import { hospital } from './lookup.js';
import type { TxContext } from './context.js';

export const checkpointOf = (s: ChainState, hospitalId: string): CheckpointEntry | null =>
  getEntry(s, NS.checkpoint, hospitalId, checkpointEntryCodec);

function byTag(tx: IndexBatch): Map<string, { tag: Uint8Array; items: Uint8Array[] }> {
  const groups = new Map<string, { tag: Uint8Array; items: Uint8Array[] }>();
  for (const { tag, entry } of tx.entries) {
    const k = hexKey(tag);
    const g = groups.get(k) ?? { tag, items: [] };
    g.items.push(indexEntryCodec.encode(entry));
    groups.set(k, g);
  }
  return groups;
}

export function verifyIndexBatch(state: ChainState, tx: IndexBatch, ctx: TxContext): Verdict {
  const h = hospital(state, tx.hospital);
  if (h === null || !h.active) return fail('chain/unknown-hospital', { hospital: tx.hospital });
  if (!bytesEqual(h.authority, tx.authority)) return fail('chain/not-authority', { hospital: tx.hospital });
  if (!indexBatchSignatureValid(tx)) return fail('crypto/bad-signature', { detail: 'index batch signature' });
  const prev = checkpointOf(state, tx.hospital);
  // Height 0 is the hospital genesis, derived from the consortium's own genesis: nothing to anchor.
  if (tx.checkpoint.height === 0) return fail('chain/bad-checkpoint', { height: 0 });
  if (prev !== null && tx.checkpoint.height <= prev.height)
    return fail('chain/bad-checkpoint', { height: tx.checkpoint.height, previous: prev.height });
  const after = prev?.height ?? 0;
  for (const [i, { entry }] of tx.entries.entries()) {
    if (entry.hospital !== tx.hospital)
      return fail('chain/bad-tx', { index: i, detail: 'entry of another hospital' });
    if (entry.height <= after || entry.height > tx.checkpoint.height)
      return fail('chain/bad-checkpoint', { index: i, detail: 'entry outside the checkpointed range' });
    // Entries in chain order, each (height, txIndex) once: no record is indexed twice in a batch.
    const p = i > 0 ? tx.entries[i - 1]!.entry : null;
    if (p !== null && (p.height > entry.height || (p.height === entry.height && p.txIndex >= entry.txIndex)))
      return fail('chain/bad-tx', { index: i, detail: 'entries not in chain order, or repeated' });
  }
  const view = ctx.config.kind === 'consortium' ? ctx.config.hospitalHeaders : undefined;
  if (view !== undefined && !ctx.certified) {
    const known = view(tx.hospital, tx.checkpoint.height);
    if (known !== undefined && !bytesEqual(known, tx.checkpoint.headerHash))
      return fail('chain/bad-checkpoint', {
        height: tx.checkpoint.height,
        detail: 'not the certified hospital header at that height'
      });
  }
  for (const { tag, items } of byTag(tx).values())
    if (!listHasRoom(state, NS.index, tag, items.length))
      return fail('chain/list-full', { tag: hexKey(tag) });
  return OK;
}

export function applyIndexBatch(state: ChainState, tx: IndexBatch): ChainState {
  let s = putEntry(state, NS.checkpoint, tx.hospital, checkpointEntryCodec, {
    t: TAGS.stCheckpoint,
    v: 1,
    hospital: tx.hospital,
    height: tx.checkpoint.height,
    headerHash: tx.checkpoint.headerHash
  });
  for (const { tag, items } of byTag(tx).values()) s = appendToList(s, NS.index, tag, items);
  return s;
}
