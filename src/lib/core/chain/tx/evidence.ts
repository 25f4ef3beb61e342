/**
 * Both chains: evidence of equivocation (two conflicting signed votes from one validator), committed
 * so the misbehaviour is on record for ever. Anyone may submit it; the votes carry the signatures.
 */
import { PROTOCOL_VERSION, TAGS } from '../../constants.js';
import { defineCodec } from '../../encoding/codec.js';
import { header, v } from '../../encoding/schema.js';
import { evidenceSchema, type Evidence } from '../../consensus/types.js';

export const evidenceTxSchema = v.strictObject({ ...header(TAGS.txEvidence), evidence: evidenceSchema });
export type EvidenceTx = v.InferOutput<typeof evidenceTxSchema>;
export const evidenceTxCodec = defineCodec('evidence-tx', evidenceTxSchema, 2 * 1024);

export function makeEvidenceTx(evidence: Evidence): EvidenceTx {
  return evidenceTxCodec.parse({ t: TAGS.txEvidence, v: PROTOCOL_VERSION, evidence });
}
