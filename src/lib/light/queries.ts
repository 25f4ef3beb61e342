/**
 * Proven queries on the consortium state: accounts, grants with their revocation status, and the
 * index entries under a tag. Each value comes with a membership or non-membership proof against the
 * verified state root (LightClient.state), so "not found" is as proven as "found": a node cannot hide
 * a revocation, and cannot drop an index entry, because the paged list is read until a page proven to
 * be the last one (`more: false`), which is how the chain stores it (core/chain/store.ts).
 */
import { CHAIN_LIMITS } from '../core/constants.js';
import { CoreError } from '../core/errors.js';
import type { Codec } from '../core/encoding/codec.js';
import { CONSORTIUM_CHAIN_ID } from '../core/chain/header.js';
import { NS, pageId, type Namespace } from '../core/chain/store.js';
import { consentKey, grantRevocationKey } from '../core/chain/rules/lookup.js';
import {
  accountEntryCodec,
  consentEntryCodec,
  grantEntryCodec,
  pageCodec,
  revocationEntryCodec,
  type AccountEntry,
  type GrantEntry
} from '../core/chain/entries.js';
import { indexEntryCodec, type IndexEntry } from '../core/chain/tx/index-batch.js';
import { stateKey } from '../core/state/smt.js';
import type { LightClient } from './client.js';

export interface GrantStatus {
  grant: GrantEntry;
  /** A revocation (of this grant, or of every grant to the doctor up to its seq) is proven present. */
  revoked: boolean;
}

export class LightQueries {
  constructor(
    private readonly client: LightClient,
    private readonly chainId: string = CONSORTIUM_CHAIN_ID
  ) {}

  /** A proven entry decoded with the codec the chain wrote it with; undecodable means not the chain's. */
  private async entry<T>(ns: Namespace, id: Uint8Array | string, codec: Codec<T>): Promise<T | null> {
    const raw = await this.client.state(this.chainId, stateKey(ns, id));
    if (raw === null) return null;
    try {
      return codec.decode(raw);
    } catch (e) {
      throw new CoreError('light/proof-invalid', { detail: `${ns} entry: ${(e as Error).message}` });
    }
  }

  account(key: Uint8Array): Promise<AccountEntry | null> {
    return this.entry(NS.account, key, accountEntryCodec);
  }

  grant(id: Uint8Array): Promise<GrantEntry | null> {
    return this.entry(NS.grant, id, grantEntryCodec);
  }

  /**
   * The grant and whether it is revoked, by the chain's own rule (rules/lookup.ts grantRevoked): a
   * revocation naming the grant, or one of every grant to the doctor with a higher or equal seq.
   */
  async grantStatus(id: Uint8Array): Promise<GrantStatus | null> {
    const grant = await this.grant(id);
    if (!grant) return null;
    const [all, one] = await Promise.all([
      this.entry(NS.consent, consentKey(grant.patient, grant.doctor), consentEntryCodec),
      this.entry(NS.revocation, grantRevocationKey(grant.patient, id), revocationEntryCodec)
    ]);
    return { grant, revoked: (all !== null && grant.seq < all.revokedBelow) || one !== null };
  }

  /** Every index entry under `tag`, in the order the chain appended them, proven complete. */
  async indexEntries(tag: Uint8Array): Promise<IndexEntry[]> {
    const out: IndexEntry[] = [];
    for (let n = 0; n < CHAIN_LIMITS.maxPages; n++) {
      const page = await this.entry(NS.index, pageId(tag, n), pageCodec);
      if (page === null) {
        // Proven absent: an empty list at page 0; after a page saying "more", the state contradicts itself.
        if (n === 0) return out;
        throw new CoreError('light/proof-invalid', { detail: 'index list ends without its last page' });
      }
      for (const raw of page.entries) {
        try {
          out.push(indexEntryCodec.decode(raw));
        } catch (e) {
          throw new CoreError('light/proof-invalid', { detail: `index entry: ${(e as Error).message}` });
        }
      }
      if (!page.more) return out;
    }
    throw new CoreError('light/proof-invalid', { detail: 'index list longer than the chain allows' });
  }
}
