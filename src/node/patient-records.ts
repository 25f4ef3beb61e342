/**
 * Which records this hospital's chain holds for a patient: what a node lists to an emergency doctor
 * under break-glass (net/emergency-list.ts). Chain state is keyed by record hash and the index by tags
 * only the patient's keys can compute, so the node keeps its own map: each committed record names the
 * grant it was written under, and the consortium grant names the patient.
 *
 * Built lazily: nothing is read until the first emergency, then committed blocks are scanned from
 * where the last scan stopped. The map lives in memory only (a restart scans again) and keeps the
 * newest MAX_EMERGENCY_RECORDS per patient, so it grows with patients, not with their records.
 */
import { TAGS } from '../lib/core/constants.js';
import { blockCodec } from '../lib/core/chain/block.js';
import { grantEntry } from '../lib/core/chain/rules/lookup.js';
import type { ChainState } from '../lib/core/chain/store.js';
import { knownHospitalTx } from '../lib/core/chain/tx/known.js';
import { toHex } from '../lib/core/crypto/index.js';
import { MAX_EMERGENCY_RECORDS, type EmergencyItem } from '../lib/net/emergency-list.js';

export interface PatientRecordsDeps {
  /** Committed hospital chain head. */
  height(): number;
  block(height: number): Promise<{ block: Uint8Array } | undefined>;
  /** The consortium state this node follows: where grants say whose records are whose. */
  consortium(): ChainState;
}

export class PatientRecords {
  /** Patient (hex) → their newest records here, oldest first, and how many there are in all. */
  private readonly byPatient = new Map<string, { items: EmergencyItem[]; total: number }>();
  private scanned = 0;
  private scanning: Promise<void> | undefined;

  constructor(private readonly d: PatientRecordsDeps) {}

  /** The patient's records on this chain, newest first; `more` when older ones were left out. */
  async list(patient: Uint8Array): Promise<{ records: EmergencyItem[]; more: boolean }> {
    // One scan at a time: two emergencies at once share it rather than index blocks twice.
    while (this.scanned < this.d.height())
      await (this.scanning ??= this.scan().finally(() => (this.scanning = undefined)));
    const e = this.byPatient.get(toHex(patient));
    if (!e) return { records: [], more: false };
    return { records: [...e.items].reverse(), more: e.total > e.items.length };
  }

  private async scan(): Promise<void> {
    const to = this.d.height();
    for (let h = this.scanned + 1; h <= to; h++) {
      const stored = await this.d.block(h);
      if (!stored) throw new Error(`hospital block ${h} missing from the store`);
      const block = blockCodec.decode(stored.block);
      block.txs.forEach((bytes, txIndex) => {
        const tx = knownHospitalTx(bytes);
        if (tx.t !== TAGS.txAppendRecord && tx.t !== TAGS.amendment) return;
        // Committed records were checked against a live grant, so the grant is on the consortium.
        const grant = grantEntry(this.d.consortium(), tx.grant);
        if (!grant) return;
        const key = toHex(grant.patient);
        const e = this.byPatient.get(key) ?? { items: [], total: 0 };
        e.items.push({ height: h, txIndex, mhrHash: tx.mhrHash, blobRef: tx.blobRef, tag: tx.tag });
        if (e.items.length > MAX_EMERGENCY_RECORDS) e.items.shift();
        e.total++;
        this.byPatient.set(key, e);
      });
      this.scanned = h;
    }
  }
}
