/**
 * Which records this hospital's chain holds for a patient: what a node lists to an emergency doctor
 * under break-glass (net/emergency-list.ts). Chain state is keyed by record hash and the index by tags
 * only the patient's keys can compute, so the node keeps its own index: each committed record names
 * the grant it was written under, and the consortium grant names the patient.
 *
 * Kept in the node's LevelDB under `pr/<patient>/<height><txIndex>`, so a listing is one bounded
 * reverse range read, memory does not grow with patients, and a restart does not scan again. Blocks
 * are indexed from where the last call stopped, 64 at a time in one batch with the height reached
 * (crash-safe: a block is indexed wholly or not at all, and what a crash loses is indexed again). The hospital's authority node, which light
 * clients ask in an emergency, catches up after each commit so a listing never waits on a long scan;
 * other nodes index on their first emergency.
 */
import { TAGS } from '../lib/core/constants.js';
import { blockCodec } from '../lib/core/chain/block.js';
import { grantEntry } from '../lib/core/chain/rules/lookup.js';
import type { ChainState } from '../lib/core/chain/store.js';
import { knownHospitalTx } from '../lib/core/chain/tx/known.js';
import { encodeCanonical, decodeCanonical } from '../lib/core/encoding/cbor.js';
import { toHex } from '../lib/core/crypto/index.js';
import {
  MAX_EMERGENCY_RECORDS,
  type EmergencyCursor,
  type EmergencyItem
} from '../lib/net/emergency-list.js';
import { heightKey, type NodeDb, type Op } from './storage/db.js';

const PREFIX = 'pr/';
/** The hospital height indexed so far. */
const SCANNED = 'pr-scanned';
/** Blocks indexed per batch write: bounds one catch-up step's memory and its fsync count. */
const BLOCKS_PER_WRITE = 64;

export interface PatientRecordsDeps {
  db: Pick<NodeDb, 'get' | 'write' | 'range'>;
  /** Committed hospital chain head. */
  height(): number;
  block(height: number): Promise<{ block: Uint8Array } | undefined>;
  /** The consortium state this node follows: where grants say whose records are whose. */
  consortium(): ChainState;
}

/** A record's place in the chain as a key suffix that sorts in chain order. */
const positionKey = (height: number, txIndex: number) =>
  `${heightKey(height)}${txIndex.toString(16).padStart(8, '0')}`;

export class PatientRecords {
  private scanned: number | undefined;
  private scanning: Promise<void> | undefined;

  constructor(private readonly d: PatientRecordsDeps) {}

  /** Indexes every block committed since the last call; concurrent calls share one pass. */
  async catchUp(): Promise<void> {
    while ((this.scanned ??= await this.loadScanned()) < this.d.height())
      await (this.scanning ??= this.scan().finally(() => (this.scanning = undefined)));
  }

  /**
   * The patient's records on this chain, newest first, older than `before` when given; `more` when
   * older ones were left out.
   */
  async list(
    patient: Uint8Array,
    before?: EmergencyCursor
  ): Promise<{ records: EmergencyItem[]; more: boolean }> {
    await this.catchUp();
    const records: EmergencyItem[] = [];
    for await (const [k, value] of this.d.db.range(`${PREFIX}${toHex(patient)}/`, {
      reverse: true,
      limit: MAX_EMERGENCY_RECORDS + 1,
      ...(before ? { to: positionKey(before.height, before.txIndex) } : {})
    })) {
      const v = decodeCanonical(value) as Pick<EmergencyItem, 'mhrHash' | 'blobRef' | 'tag'>;
      records.push({
        height: parseInt(k.slice(0, 16), 16),
        txIndex: parseInt(k.slice(16), 16),
        mhrHash: v.mhrHash,
        blobRef: v.blobRef,
        tag: v.tag
      });
    }
    const more = records.length > MAX_EMERGENCY_RECORDS;
    return { records: more ? records.slice(0, MAX_EMERGENCY_RECORDS) : records, more };
  }

  private async loadScanned(): Promise<number> {
    const v = await this.d.db.get(SCANNED);
    return v ? (decodeCanonical(v) as number) : 0;
  }

  private async scan(): Promise<void> {
    const to = this.d.height();
    while (this.scanned! < to) {
      const last = Math.min(to, this.scanned! + BLOCKS_PER_WRITE);
      const ops: Op[] = [];
      for (let h = this.scanned! + 1; h <= last; h++) ops.push(...(await this.indexBlock(h)));
      ops.push({ type: 'put', key: SCANNED, value: encodeCanonical(last) });
      // Not fsynced: the index is rebuilt from the chain, and the batch carries its own height, so a
      // crash loses whole batches at most. Keeps an fsync per commit off the authority node's disk.
      await this.d.db.write(ops, { durable: false });
      this.scanned = last;
    }
  }

  private async indexBlock(h: number): Promise<Op[]> {
    const stored = await this.d.block(h);
    if (!stored) throw new Error(`hospital block ${h} missing from the store`);
    const ops: Op[] = [];
    blockCodec.decode(stored.block).txs.forEach((bytes, txIndex) => {
      const tx = knownHospitalTx(bytes);
      if (tx.t !== TAGS.txAppendRecord && tx.t !== TAGS.amendment) return;
      // Committed records were checked against a live grant, so the grant is on the consortium.
      const grant = grantEntry(this.d.consortium(), tx.grant);
      if (!grant) return;
      ops.push({
        type: 'put',
        key: `${PREFIX}${toHex(grant.patient)}/${positionKey(h, txIndex)}`,
        value: encodeCanonical({ mhrHash: tx.mhrHash, blobRef: tx.blobRef, tag: tx.tag })
      });
    });
    return ops;
  }
}
