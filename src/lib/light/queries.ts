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
import { doctorBucketId } from '../core/chain/rules/grant-lists.js';
import {
  accountEntryCodec,
  consentEntryCodec,
  grantEntryCodec,
  pageCodec,
  grantListEntryCodec,
  revocationEntryCodec,
  type AccountEntry,
  type GrantEntry,
  type ListedGrant
} from '../core/chain/entries.js';
import { indexEntryCodec, type IndexEntry } from '../core/chain/tx/index-batch.js';
import { stateKey } from '../core/state/smt.js';
import type { LightClient } from './client.js';
import type { Proven } from './answer-cache.js';

export interface GrantStatus {
  grant: GrantEntry;
  /** A revocation (of this grant, or of every grant to the doctor up to its seq) is proven present. */
  revoked: boolean;
}

/** Several proven parts as one answer: cached if any part was, as of the oldest part's height. */
function combined(parts: Proven<unknown>[]): { height: number; cached: boolean } {
  return {
    height: Math.min(...parts.map((p) => p.height)),
    cached: parts.some((p) => p.cached)
  };
}

/** Buckets of a doctor's grant list asked for at once (doctorGrants). */
const BUCKETS_AT_ONCE = 8;

export class LightQueries {
  constructor(
    private readonly client: LightClient,
    private readonly chainId: string = CONSORTIUM_CHAIN_ID
  ) {}

  /** A proven entry decoded with the codec the chain wrote it with; undecodable means not the chain's. */
  private async entry<T>(ns: Namespace, id: Uint8Array | string, codec: Codec<T>): Promise<T | null> {
    return (await this.provenEntry(ns, id, codec, false)).value;
  }

  private async provenEntry<T>(
    ns: Namespace,
    id: Uint8Array | string,
    codec: Codec<T>,
    offline: boolean
  ): Promise<Proven<T | null>> {
    const got = await this.client.provenState(this.chainId, stateKey(ns, id), offline);
    if (got.value === null) return { ...got, value: null };
    try {
      return { ...got, value: codec.decode(got.value) };
    } catch (e) {
      throw new CoreError('light/proof-invalid', { detail: `${ns} entry: ${(e as Error).message}` });
    }
  }

  account(key: Uint8Array): Promise<AccountEntry | null> {
    return this.entry(NS.account, key, accountEntryCodec);
  }

  /** A grant; with `offline`, the one last proven on this device when no node can be reached. */
  async grant(id: Uint8Array, offline = false): Promise<GrantEntry | null> {
    return (await this.provenEntry(NS.grant, id, grantEntryCodec, offline)).value;
  }

  /**
   * The patient's grant list (core/chain/rules/grant-lists.ts): every grant of theirs that no
   * revocation covers and that had not expired when the list last changed, proven as one entry — a
   * node can neither hide a grant that still gives a doctor access nor list one that was revoked.
   * `party` is the doctor.
   */
  async patientGrants(patient: Uint8Array): Promise<ListedGrant[]> {
    return (await this.entry(NS.patientGrants, patient, grantListEntryCodec))?.grants ?? [];
  }

  /**
   * The doctor's grant list, bucket by bucket, proven the same way; `party` is the patient. Buckets
   * are asked BUCKETS_AT_ONCE at a time, half of what a node serves one connection at once
   * (net/state-proof.ts maxInboundStreams), so the list never meets that limit.
   */
  async doctorGrants(doctor: Uint8Array): Promise<ListedGrant[]> {
    const out: ListedGrant[] = [];
    for (let first = 0; first < CHAIN_LIMITS.doctorGrantBuckets; first += BUCKETS_AT_ONCE) {
      const count = Math.min(BUCKETS_AT_ONCE, CHAIN_LIMITS.doctorGrantBuckets - first);
      const buckets = Array.from({ length: count }, (_, i) =>
        this.entry(NS.doctorGrants, doctorBucketId(doctor, first + i), grantListEntryCodec)
      );
      for (const e of await Promise.all(buckets)) out.push(...(e?.grants ?? []));
    }
    return out;
  }

  /**
   * The grant and whether it is revoked, by the chain's own rule (rules/lookup.ts grantRevoked): a
   * revocation naming the grant, or one of every grant to the doctor with a higher or equal seq.
   */
  async grantStatus(id: Uint8Array): Promise<GrantStatus | null> {
    return (await this.provenGrantStatus(id, false)).value;
  }

  /**
   * `grantStatus` with where it came from. With `offline` (the default here), when no node can be
   * reached, the status last proven on this device, marked cached as of its height.
   */
  async provenGrantStatus(id: Uint8Array, offline = true): Promise<Proven<GrantStatus | null>> {
    const g = await this.provenEntry(NS.grant, id, grantEntryCodec, offline);
    const grant = g.value;
    if (!grant) return { ...g, value: null };
    const [all, one] = await Promise.all([
      this.provenEntry(NS.consent, consentKey(grant.patient, grant.doctor), consentEntryCodec, offline),
      this.provenEntry(NS.revocation, grantRevocationKey(grant.patient, id), revocationEntryCodec, offline)
    ]);
    return {
      value: {
        grant,
        revoked: (all.value !== null && grant.seq < all.value.revokedBelow) || one.value !== null
      },
      ...combined([g, all, one])
    };
  }

  /** Every index entry under `tag`, in the order the chain appended them, proven complete. */
  async indexEntries(tag: Uint8Array): Promise<IndexEntry[]> {
    return (await this.provenIndexEntries(tag, false)).value;
  }

  /**
   * `indexEntries` with where they came from. With `offline` (the default here), when no node can be
   * reached, the pages last proven on this device, marked cached as of the oldest page's height.
   */
  async provenIndexEntries(tag: Uint8Array, offline = true): Promise<Proven<IndexEntry[]>> {
    const out: IndexEntry[] = [];
    const pages: Proven<unknown>[] = [];
    const done = () => ({ value: out, ...combined(pages) });
    for (let n = 0; n < CHAIN_LIMITS.maxPages; n++) {
      const proven = await this.provenEntry(NS.index, pageId(tag, n), pageCodec, offline);
      pages.push(proven);
      const page = proven.value;
      if (page === null) {
        // Proven absent: an empty list at page 0; after a page saying "more", the state contradicts itself.
        if (n === 0) return done();
        throw new CoreError('light/proof-invalid', { detail: 'index list ends without its last page' });
      }
      for (const raw of page.entries) {
        try {
          out.push(indexEntryCodec.decode(raw));
        } catch (e) {
          throw new CoreError('light/proof-invalid', { detail: `index entry: ${(e as Error).message}` });
        }
      }
      if (!page.more) return done();
    }
    throw new CoreError('light/proof-invalid', { detail: 'index list longer than the chain allows' });
  }
}
