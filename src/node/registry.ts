/**
 * The committed registrations, by account key. Consortium state keeps only each registration's hash
 * (an account's `request`) so that state stays small and a patient's request never sits in it; the
 * public facts a directory shows — a doctor's name, speciality, degree — are in the register
 * transactions themselves. This index lets a node hand them out; the light client believes one only
 * if it hashes to the `request` of the account it proved.
 *
 * It is built from the stored consortium blocks (from where it stopped, so a restart or a block sync
 * misses nothing) and then follows each commit; the scan position is written with the entries. The
 * same single pass tells the mailbox which waiting requests were decided.
 */
import { registrationCodec, type Registration } from '../lib/core/accounts/registration.js';
import { blockCodec } from '../lib/core/chain/block.js';
import { decodeConsortiumTx } from '../lib/core/chain/tx/decode.js';
import { settledSubject } from '../lib/core/chain/mail.js';
import { TAGS } from '../lib/core/constants.js';
import { toHex } from '../lib/core/crypto/index.js';
import type { ChainDriver } from './driver/chain-driver.js';
import type { Logger } from './log.js';
import type { NodeDb, Op } from './storage/db.js';

const REG = 'reg/';
const SCANNED = 'reg-scanned';
/** Blocks read per step while catching up: bounds the batch written and the memory held. */
const SCAN_STEP = 256;

export class Registry {
  private scanned = 0;
  private work: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: NodeDb,
    private readonly consortium: ChainDriver,
    private readonly log: Logger,
    /** Told, after each step is written, which registry requests the scanned blocks decided (hex subjects). */
    private readonly onSettled?: (subjects: string[]) => Promise<void>
  ) {}

  async start(): Promise<void> {
    const at = await this.db.get(SCANNED);
    this.scanned = at ? Number(new TextDecoder().decode(at)) : 0;
    this.consortium.onCommit(() => void this.catchUp());
    // In the background: a node that was away long must not start late for it.
    void this.catchUp();
  }

  /** One scan at a time, each from where the last stopped up to the current height. */
  private catchUp(): Promise<void> {
    this.work = this.work
      .then(() => this.scan())
      .catch((e) => this.log.warn('registry scan failed', { error: String(e) }));
    return this.work;
  }

  private async scan(): Promise<void> {
    while (this.scanned < this.consortium.height) {
      const ops: Op[] = [];
      const settled: string[] = [];
      let last = this.scanned;
      for await (const b of this.consortium.blocksFrom(this.scanned + 1, SCAN_STEP)) {
        for (const bytes of blockCodec.decode(b.block).txs) {
          const tx = decodeConsortiumTx(bytes); // committed, so it decodes
          const subject = settledSubject(tx);
          if (subject) settled.push(toHex(subject));
          if (tx.t !== TAGS.txRegister) continue;
          ops.push({
            type: 'put',
            key: REG + toHex(tx.request.signingPublic),
            value: registrationCodec.encode(tx.request)
          });
        }
        last = b.height;
      }
      if (last === this.scanned) return; // a damaged or missing block: block sync repairs it; try at the next commit
      ops.push({ type: 'put', key: SCANNED, value: new TextEncoder().encode(String(last)) });
      await this.db.write(ops);
      this.scanned = last;
      if (settled.length) await this.onSettled?.(settled);
    }
  }

  async get(keys: Uint8Array[]): Promise<Registration[]> {
    const found = await this.db.getMany(keys.map((k) => REG + toHex(k)));
    return found.flatMap((b) => (b ? [registrationCodec.decode(b)] : []));
  }
}
