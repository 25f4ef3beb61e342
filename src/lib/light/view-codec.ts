/**
 * A chain's verified view (head + the validator sets in charge since genesis) as saved on the device,
 * so a reload resumes from what was verified instead of from genesis. The bytes are canonical CBOR
 * checked by a schema like everything else; the head's hash is recomputed on load, never stored.
 */
import { PROTOCOL_VERSION, TAGS } from '../core/constants.js';
import { defineCodec } from '../core/encoding/codec.js';
import { header, id, list, uint, v } from '../core/encoding/schema.js';
import { headerHash, headerSchema } from '../core/chain/header.js';
import { validatorSetSchema } from '../core/consensus/types.js';
import type { ChainView } from './client.js';

/** Sets kept per chain: one per validator-set change since genesis; 1,024 is years of rank changes. */
export const MAX_VIEW_SETS = 1024;

const viewSchema = v.strictObject({
  ...header(TAGS.lightView),
  chainId: id(),
  header: headerSchema,
  nextSet: validatorSetSchema,
  sets: list(v.strictObject({ from: uint(), set: validatorSetSchema }), MAX_VIEW_SETS)
});

/** 1,024 sets of up to 16 KiB (256 validators) plus the head. */
const viewCodec = defineCodec('light-view', viewSchema, MAX_VIEW_SETS * 16 * 1024 + 8 * 1024);

export function encodeView(view: ChainView): Uint8Array {
  // Oldest sets beyond the bound are dropped: records that old are checked through consortium anchors.
  const sets = view.sets.slice(-MAX_VIEW_SETS);
  return viewCodec.encode({
    t: TAGS.lightView,
    v: PROTOCOL_VERSION,
    chainId: view.head.chainId,
    header: view.head.header,
    nextSet: view.head.nextSet,
    sets
  });
}

export function decodeView(bytes: Uint8Array): ChainView {
  const d = viewCodec.decode(bytes);
  return {
    head: { chainId: d.chainId, header: d.header, hash: headerHash(d.header), nextSet: d.nextSet },
    sets: d.sets
  };
}
