/**
 * Consortium consent rules. Grants and revocations reduce to order-independent state: a grant entry
 * per grant id, a per-(patient, doctor) maximum for revocations of all grants to a doctor, and a
 * per-(patient, grant) marker for revocations of one grant — so a revocation that reaches the chain
 * before the lower-numbered grant it covers still wins (consent/precedence.ts states the rule), and
 * the state root is the same whatever order the events were committed in. The patients' and doctors'
 * lists of unrevoked grants (grant-lists.ts) keep that property.
 */
import { CHAIN_LIMITS, TAGS } from '../../constants.js';
import { fail, OK, type Verdict } from '../../errors.js';
import { concatBytes } from '../../crypto/hash.js';
import { grantCodec, grantId, scopeCategories } from '../../consent/grant.js';
import { verifyGrant, verifyRevocation } from '../../consent/verify.js';
import { strictlySorted } from '../bytes.js';
import { consentEntryCodec, grantEntryCodec, revocationEntryCodec, type GrantEntry } from '../entries.js';
import { getEntry, hasEntry, NS, putEntry, putMarker, type ChainState } from '../store.js';
import type { GrantTx, RevokeTx } from '../tx/consent.js';
import { writeRoot } from '../../consent/write-commits.js';
import { bytesEqual } from '../../encoding/cbor.js';
import { activeAccount, consentKey, grantRevocationKey } from './lookup.js';
import { grantListsHaveRoom, listGrant, unlistRevoked } from './grant-lists.js';

/** Per-patient sequence numbers already used: a grant or revocation reusing one is a replay. */
function seqKey(patient: Uint8Array, seq: number): Uint8Array {
  const n = new Uint8Array(8);
  new DataView(n.buffer).setBigUint64(0, BigInt(seq));
  return concatBytes(new TextEncoder().encode('seq'), patient, n);
}

/** `time` is the block's: it decides which listed grants have expired (grant-lists.ts). */
export function verifyGrantTx(state: ChainState, tx: GrantTx, time: number): Verdict {
  const g = tx.grant;
  const v = verifyGrant(g);
  if (!v.ok) return v;
  const patient = activeAccount(state, g.patient, ['patient']);
  if (!patient.ok) return patient.verdict;
  const doctor = activeAccount(state, g.doctor, ['doctor']);
  if (!doctor.ok) return doctor.verdict;
  if (hasEntry(state, NS.nonce, seqKey(g.patient, g.seq))) return fail('consent/replayed', { seq: g.seq });
  const room = grantListsHaveRoom(state, grantId(g), g, time);
  if (!room.ok) return room;
  const commits = tx.writeCommits;
  if (!g.scope.write)
    return commits.length === 0
      ? OK
      : fail('consent/malformed', { detail: 'write commitments on a grant without write scope' });
  if (!strictlySorted(commits)) return fail('consent/malformed', { detail: 'write commitments not sorted' });
  if (commits.length !== Math.min(scopeCategories(g.scope).length, CHAIN_LIMITS.maxWriteCommits))
    return fail('consent/malformed', { detail: 'one write commitment per granted category' });
  // The patient signed the root: only the patient's own list has it.
  if (g.writeRoot === undefined || !bytesEqual(writeRoot(commits), g.writeRoot))
    return fail('consent/malformed', { detail: "write commitments do not match the grant's signed root" });
  return OK;
}

export function applyGrantTx(state: ChainState, tx: GrantTx, time: number): ChainState {
  const g = tx.grant;
  const id = grantId(g);
  const entry: GrantEntry = {
    t: TAGS.stGrant,
    v: 1,
    grant: grantCodec.encode(g),
    patient: g.patient,
    doctor: g.doctor,
    seq: g.seq,
    notBefore: g.notBefore,
    expiry: g.expiry,
    read: g.scope.read,
    write: g.scope.write,
    writeCommits: tx.writeCommits
  };
  const s = putEntry(
    putMarker(state, NS.nonce, seqKey(g.patient, g.seq)),
    NS.grant,
    id,
    grantEntryCodec,
    entry
  );
  return listGrant(s, id, entry, time);
}

export function verifyRevokeTx(state: ChainState, tx: RevokeTx): Verdict {
  const r = tx.revocation;
  const v = verifyRevocation(r);
  if (!v.ok) return v;
  const patient = activeAccount(state, r.patient, ['patient']);
  if (!patient.ok) return patient.verdict;
  if (hasEntry(state, NS.nonce, seqKey(r.patient, r.seq))) return fail('consent/replayed', { seq: r.seq });
  return OK;
}

export function applyRevokeTx(state: ChainState, tx: RevokeTx): ChainState {
  const r = tx.revocation;
  const s = unlistRevoked(putMarker(state, NS.nonce, seqKey(r.patient, r.seq)), r);
  if (r.by === 'grant') {
    const key = grantRevocationKey(r.patient, r.target);
    const prev = getEntry(s, NS.revocation, key, revocationEntryCodec);
    const seq = Math.max(prev?.seq ?? 0, r.seq);
    return putEntry(s, NS.revocation, key, revocationEntryCodec, { t: TAGS.stRevocation, v: 1, seq });
  }
  const key = consentKey(r.patient, r.target);
  const prev = getEntry(s, NS.consent, key, consentEntryCodec);
  const revokedBelow = Math.max(prev?.revokedBelow ?? 0, r.seq + 1);
  return putEntry(s, NS.consent, key, consentEntryCodec, { t: TAGS.stConsent, v: 1, revokedBelow });
}
