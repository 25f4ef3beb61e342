/**
 * Typed reads and writes on the authenticated state (a persistent SparseMerkleTree). Every entry lives
 * under `stateKey(namespace, id)` and is the canonical CBOR of a schema-checked value, so a light
 * client that receives an entry with its SMT proof decodes it with the same codec the chain wrote it
 * with. The tree is immutable: every `put` returns a new state and the old one stays valid, which is
 * what lets `verifyBlock` apply a block to the current state without touching it.
 */
import { CoreError } from '../errors.js';
import type { Codec } from '../encoding/codec.js';
import { SparseMerkleTree, stateKey } from '../state/smt.js';
import { CHAIN_LIMITS } from '../constants.js';
import { concatBytes } from '../crypto/hash.js';
import { emptyPage, pageCodec, type Page } from './entries.js';

export type ChainState = SparseMerkleTree;

/** The namespaces of both chains' state; README.md documents each. */
export const NS = {
  account: 'account',
  hospital: 'hospital',
  meta: 'meta',
  grant: 'grant',
  consent: 'consent',
  revocation: 'revocation',
  index: 'index',
  checkpoint: 'checkpoint',
  record: 'record',
  nonce: 'nonce',
  evidence: 'evidence',
  validator: 'validator',
  hospitalSet: 'hospital-set',
  breakGlass: 'break-glass',
  access: 'access',
  roster: 'roster',
  patientGrants: 'patient-grants',
  doctorGrants: 'doctor-grants'
} as const;
export type Namespace = (typeof NS)[keyof typeof NS];

export function getEntry<T>(
  state: ChainState,
  ns: Namespace,
  id: Uint8Array | string,
  codec: Codec<T>
): T | null {
  const raw = state.get(stateKey(ns, id));
  return raw === undefined ? null : codec.decode(raw);
}

export function putEntry<T>(
  state: ChainState,
  ns: Namespace,
  id: Uint8Array | string,
  codec: Codec<T>,
  value: T
): ChainState {
  return state.set(stateKey(ns, id), codec.encode(value));
}

export function hasEntry(state: ChainState, ns: Namespace, id: Uint8Array | string): boolean {
  return state.has(stateKey(ns, id));
}

/** A 1-byte marker value for set-membership namespaces (nonce): presence is all that matters. */
const MARK = new Uint8Array([1]);
export function putMarker(state: ChainState, ns: Namespace, id: Uint8Array | string): ChainState {
  return putMarkerAt(state, stateKey(ns, id));
}

/** putMarker at a state key the caller already derived (a transaction's replay key, rules/context.ts). */
export function putMarkerAt(state: ChainState, key: Uint8Array): ChainState {
  return state.set(key, MARK);
}

/**
 * Paged lists. A list (e.g. every index entry for one tag) is stored as pages of at most
 * CHAIN_LIMITS.pageEntries under ids `listId ‖ u32be(page)`. Only the last page has `more: false`, so
 * proofs of pages 0..k ending in one with `more: false` show the list is complete — a hospital cannot
 * hide an entry by serving fewer pages. Appending touches at most two pages.
 */
export function pageId(listId: Uint8Array, page: number): Uint8Array {
  const n = new Uint8Array(4);
  new DataView(n.buffer).setUint32(0, page);
  return concatBytes(listId, n);
}

/**
 * The page a list ends on and that page's content (an empty page 0 for a new list). Pages are only
 * ever appended, so pages 0..n all exist and page n is the one with `more: false`: find n with
 * O(log n) presence checks (galloping, then bisection) and decode that page alone, instead of
 * decoding every page of a long list (one tag's index list grows by a page per 32 records).
 */
function lastPage(state: ChainState, ns: Namespace, listId: Uint8Array): { n: number; page: Page } {
  const exists = (k: number) => hasEntry(state, ns, pageId(listId, k));
  if (!exists(0)) return { n: 0, page: emptyPage() };
  let lo = 0; // exists
  let hi = 1; // first probe past lo
  while (hi < CHAIN_LIMITS.maxPages && exists(hi)) {
    lo = hi;
    hi *= 2;
  }
  hi = Math.min(hi, CHAIN_LIMITS.maxPages); // absent (or past the bound)
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (exists(mid)) lo = mid;
    else hi = mid;
  }
  const page = getEntry(state, ns, pageId(listId, lo), pageCodec)!;
  if (page.more) throw new CoreError('chain/bad-tx', { detail: 'list state is missing a page' });
  return { n: lo, page };
}

/** Whether `count` more entries fit in the list. */
export function listHasRoom(state: ChainState, ns: Namespace, listId: Uint8Array, count: number): boolean {
  const { n, page } = lastPage(state, ns, listId);
  const used = n * CHAIN_LIMITS.pageEntries + page.entries.length;
  return used + count <= CHAIN_LIMITS.pageEntries * CHAIN_LIMITS.maxPages;
}

/** Append already-encoded entries to a paged list; throws 'chain/list-full' (verify checks room first). */
export function appendToList(
  state: ChainState,
  ns: Namespace,
  listId: Uint8Array,
  items: Uint8Array[]
): ChainState {
  let { n, page } = lastPage(state, ns, listId);
  let s = state;
  let entries = [...page.entries];
  for (const item of items) {
    if (entries.length === CHAIN_LIMITS.pageEntries) {
      if (n + 1 >= CHAIN_LIMITS.maxPages) throw new CoreError('chain/list-full', { namespace: ns });
      s = putEntry(s, ns, pageId(listId, n), pageCodec, { ...page, entries, more: true });
      n++;
      entries = [];
      page = emptyPage();
    }
    entries.push(item as Page['entries'][number]);
  }
  return putEntry(s, ns, pageId(listId, n), pageCodec, { ...page, entries, more: false });
}

/** Every entry of a paged list, in append order. */
export function readList(state: ChainState, ns: Namespace, listId: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let n = 0; n < CHAIN_LIMITS.maxPages; n++) {
    const page = getEntry(state, ns, pageId(listId, n), pageCodec);
    if (page === null) break;
    out.push(...page.entries);
    if (!page.more) break;
  }
  return out;
}
