/**
 * Who may read what: the decision behind every blob, record and emergency-list request. The request is
 * a signed `BlobAuth` (net/blob.ts); it must be addressed to this node, fresh, never seen before and
 * from an active account. Then a patient reads their own records with the capability for the record's
 * tag; a doctor reads under a live read grant with the capability that matches the record's tag; or,
 * in an emergency, under a co-signed break-glass statement committed on the consortium.
 */
import { recordOf } from '../lib/core/chain/rules/hospital.js';
import { account, grantEntry, grantRevoked } from '../lib/core/chain/rules/lookup.js';
import { breakGlassCodec, type BreakGlass } from '../lib/core/chain/tx/break-glass.js';
import { NS, readList, type ChainState } from '../lib/core/chain/store.js';
import { LIMITS } from '../lib/core/constants.js';
import { toHex } from '../lib/core/crypto/index.js';
import { bytesEqual } from '../lib/core/encoding/cbor.js';
import { CoreError, isCoreError } from '../lib/core/errors.js';
import { indexTagFromCapability } from '../lib/core/records/index-tag.js';
import { verifyBlobAuthSignature, type BlobAuth } from '../lib/net/blob.js';

/** A request's clock may differ from ours by this much: phones drift; replays need a window. */
export const BLOB_AUTH_WINDOW_MS = 5 * 60_000;
/** Nonces remembered for replay refusal: the window's worth at a busy node's read rate. */
const MAX_NONCES = 200_000;

export interface ReadAuthorityDeps {
  /** This node's peer id: a request for another node is refused. */
  peerId: string;
  consortium(): ChainState;
  hospital(): ChainState;
  now(): number;
}

export function createReadAuthority(d: ReadAuthorityDeps) {
  const nonces = new Map<string, number>();
  /**
   * What every signed read request must pass before anything is decided: the requester's signature,
   * this node as the addressee, a fresh time and an unused nonce, an active account. Returns the
   * account and the time the decision is made at.
   */
  function checkRequest(auth: BlobAuth) {
    const t = d.now();
    if (!verifyBlobAuthSignature(auth))
      throw new CoreError('crypto/bad-signature', { detail: 'blob request' });
    if (auth.node !== d.peerId)
      throw new CoreError('node/not-permitted', { detail: 'request is for another node' });
    if (Math.abs(t - auth.time) > BLOB_AUTH_WINDOW_MS)
      throw new CoreError('node/stale-request', { time: auth.time });
    const nk = toHex(auth.nonce);
    if (nonces.has(nk)) throw new CoreError('consent/replayed', { detail: 'nonce already used' });
    for (const [k, at] of nonces) {
      if (nonces.size < MAX_NONCES && t - at < BLOB_AUTH_WINDOW_MS) break;
      nonces.delete(k);
    }
    nonces.set(nk, t);
    const reader = account(d.consortium(), auth.requester);
    if (!reader) throw new CoreError('account/unknown', {});
    if (reader.status !== 'active') throw new CoreError('account/revoked', {});
    return { reader, t };
  }

  /**
   * A break-glass statement presented by `auth.requester`: co-signed, committed on the consortium — in
   * the patient's break-glass list, byte for byte — so the patient's app shows it whether or not anyone
   * reads, naming this doctor, and live now.
   */
  function checkBreakGlass(bytes: Uint8Array, auth: BlobAuth, role: string, t: number): BreakGlass {
    if (role !== 'doctor') throw new CoreError('account/wrong-role', { role });
    let bg: BreakGlass;
    try {
      bg = breakGlassCodec.decode(bytes);
    } catch (e) {
      // Answered, not reset: the request itself was well-formed; the statement inside it is not.
      throw new CoreError('consent/malformed', {
        detail: `break-glass statement: ${isCoreError(e) ? e.code : 'unreadable'}`
      });
    }
    if (!bytesEqual(bg.doctor, auth.requester))
      throw new CoreError('consent/wrong-doctor', { detail: 'break-glass statement names another doctor' });
    if (!readList(d.consortium(), NS.breakGlass, bg.patient).some((b) => bytesEqual(b, bytes)))
      throw new CoreError('node/break-glass-unknown', {}, 'ignore');
    if (t + BLOB_AUTH_WINDOW_MS < bg.time)
      throw new CoreError('consent/not-yet-valid', { notBefore: bg.time });
    if (t > bg.time + bg.durationMs)
      throw new CoreError('consent/expired', { expiry: bg.time + bg.durationMs });
    return bg;
  }

  /**
   * Emergency read: a live, committed break-glass statement from the reader (checkBreakGlass), for a
   * record of that patient (the grant it was written under is from them, which the node checks without
   * the search capability an emergency doctor does not hold). Logged like any other read, with a
   * purpose that starts with "break-glass" and carries the reason.
   */
  function authoriseBreakGlass(
    bytes: Uint8Array,
    auth: BlobAuth,
    role: string,
    record: NonNullable<ReturnType<typeof recordOf>>,
    t: number
  ): string {
    const bg = checkBreakGlass(bytes, auth, role, t);
    const g = grantEntry(d.consortium(), record.grant);
    if (!g || !bytesEqual(g.patient, bg.patient))
      throw new CoreError('consent/out-of-scope', { detail: 'the record is not this patient’s' });
    return `break-glass: ${bg.reason}`.slice(0, LIMITS.maxTextChars);
  }

  /** Who may read: the patient (capability for the record's tag), or a doctor with a live read grant. */
  function authorise(auth: BlobAuth): string {
    const { reader, t } = checkRequest(auth);
    const record = recordOf(d.hospital(), auth.hash);
    if (!record) throw new CoreError('chain/unknown-record', { hash: toHex(auth.hash) }, 'ignore');
    const cs = d.consortium();
    if (auth.breakGlass !== null) return authoriseBreakGlass(auth.breakGlass, auth, reader.role, record, t);
    if (!auth.capability) throw new CoreError('consent/out-of-scope', { detail: 'no search capability' });
    const capabilityMatches = bytesEqual(indexTagFromCapability(auth.capability), record.tag);
    if (reader.role === 'patient' && auth.grantId === null) {
      if (!capabilityMatches)
        throw new CoreError('consent/out-of-scope', { detail: 'not this patient’s record' });
      return 'patient';
    }
    if (reader.role !== 'doctor') throw new CoreError('account/wrong-role', { role: reader.role });
    if (auth.grantId === null) throw new CoreError('node/no-grant', {});
    const g = grantEntry(cs, auth.grantId);
    if (!g) throw new CoreError('node/no-grant', { detail: 'grant not on the consortium chain' });
    if (!bytesEqual(g.doctor, auth.requester)) throw new CoreError('consent/wrong-doctor', {});
    if (grantRevoked(cs, auth.grantId, g)) throw new CoreError('consent/revoked', {});
    if (t < g.notBefore) throw new CoreError('consent/not-yet-valid', { notBefore: g.notBefore });
    if (t > g.expiry) throw new CoreError('consent/expired', { expiry: g.expiry });
    if (!g.read) throw new CoreError('consent/out-of-scope', { detail: 'grant is write-only' });
    if (!capabilityMatches)
      throw new CoreError('consent/out-of-scope', { detail: 'capability is for another category' });
    return `grant:${toHex(auth.grantId)}`;
  }

  return { checkRequest, checkBreakGlass, authorise };
}
