/**
 * What a hospital node knows from following its own hospital chain that the consortium rules can use.
 *
 * `HeaderView`: the block ids of the hospital's recent certified headers, so this node's consortium
 * authority checks an index batch's checkpoint against the header it verified itself (core/chain
 * README, "Index batches and checkpoints"). Other hospitals, and heights it never held or has
 * forgotten, answer undefined: the rule then falls back to the authority's signature, as it must —
 * a validator never refuses for lack of information.
 *
 * `syncToPropose`: the `sync-validators` transaction this hospital's chain should adopt, but only when
 * every member it adds is known to run a validator. The consortium puts every doctor of validator rank
 * in the hospital's set; a doctor who does not run a node with their key would hold weight without
 * voting, and enough of them stop the chain. So a set that adds anyone else waits until the operator
 * lists their key in the config (`validatorKeys`).
 */
import {
  hospitalGenesisFrom,
  hospitalGenesisOf,
  type ConsortiumGenesis,
  type HospitalGenesis
} from '../lib/core/chain/genesis.js';
import { validatorSyncFor } from '../lib/core/chain/rules/hospital-set.js';
import type { HospitalHeaderView } from '../lib/core/chain/rules/context.js';
import { hospital, validatorSetOf } from '../lib/core/chain/rules/lookup.js';
import type { ChainState } from '../lib/core/chain/store.js';
import type { SyncValidators } from '../lib/core/chain/tx/sync-validators.js';
import { createAuthorityJoin, type AuthorityJoin } from '../lib/core/chain/tx/authority-join.js';
import { toHex } from '../lib/core/crypto/index.js';
import { bytesEqual } from '../lib/core/encoding/cbor.js';
import type { NodeKey } from './keys.js';
import type { Logger } from './log.js';

/** Heights remembered: index batches checkpoint the hospital head every few seconds, so an hour's worth. */
export const HEADER_VIEW_HEIGHTS = 4096;

export class HeaderView {
  private readonly hashes = new Map<number, Uint8Array>();

  constructor(
    readonly hospitalId: string,
    private readonly keep = HEADER_VIEW_HEIGHTS
  ) {}

  /** A block of this hospital's chain committed (or replayed) with this id. */
  note(height: number, hash: Uint8Array): void {
    this.hashes.set(height, hash);
    this.hashes.delete(height - this.keep);
  }

  readonly lookup: HospitalHeaderView = (hospitalId, height) =>
    hospitalId === this.hospitalId ? this.hashes.get(height) : undefined;
}

/**
 * The sync transaction to propose now, or null: none needed, or it would add a member not known to
 * run a validator (`running`: the current set's keys count as running, plus the configured ones).
 */
export function syncToPropose(
  consortium: ChainState,
  hospitalState: ChainState,
  hospitalId: string,
  consortiumHeight: number,
  extraRunning: ReadonlySet<string>
): SyncValidators | null {
  const tx = validatorSyncFor(consortium, hospitalState, hospitalId, consortiumHeight);
  if (!tx) return null;
  const current = new Set(validatorSetOf(hospitalState).validators.map((m) => toHex(m.key)));
  const unknown = tx.set.validators.filter(
    (m) => !current.has(toHex(m.key)) && !extraRunning.has(toHex(m.key))
  );
  return unknown.length === 0 ? tx : null;
}

/** A node of a hospital not yet on the consortium looks again this often, and says so this often. */
const ADDED_POLL_MS = 1_000;
const ADDED_LOG_MS = 30_000;

/**
 * This node's hospital chain genesis. A founding hospital's comes from the genesis document. One the
 * managers added later has a chain once its entry is on the consortium (hospitalGenesisOf): until
 * this node's consortium driver has applied the managers' change, it waits, saying so every
 * ADDED_LOG_MS; meanwhile that driver follows the consortium, and on the authority it votes.
 */
export async function hospitalGenesisWhenAdded(
  doc: ConsortiumGenesis,
  hospitalId: string,
  consortium: { readonly state: ChainState; readonly height: number },
  log: Logger
): Promise<HospitalGenesis> {
  if (doc.hospitals.some((h) => h.id === hospitalId)) return hospitalGenesisFrom(doc, hospitalId);
  for (let waited = 0; ; waited += ADDED_POLL_MS) {
    const entry = hospital(consortium.state, hospitalId);
    if (entry) return hospitalGenesisOf(doc, entry);
    if (waited % ADDED_LOG_MS === 0)
      log.info('waiting for the managers to add this hospital on the consortium', {
        hospital: hospitalId,
        consortiumHeight: consortium.height
      });
    await new Promise((r) => setTimeout(r, ADDED_POLL_MS));
  }
}

/**
 * The authority-join this node's authority should submit: its hospital is active with this authority
 * and does not vote on the consortium yet — a hospital added after genesis whose node now runs
 * (core/chain/tx/authority-join.ts). Null otherwise, founding hospitals included.
 */
export function authorityJoinToSubmit(
  consortium: ChainState,
  hospitalId: string,
  authority: NodeKey
): AuthorityJoin | null {
  const h = hospital(consortium, hospitalId);
  if (!h?.active || !bytesEqual(h.authority, authority.publicKey)) return null;
  if (validatorSetOf(consortium).validators.some((x) => bytesEqual(x.key, authority.publicKey))) return null;
  return createAuthorityJoin(authority.seed, hospitalId);
}
