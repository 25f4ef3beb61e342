/**
 * Pure checks for grants and revocations, returning a Verdict with a named 'consent/*' error. They
 * take plain values (possibly from an untrusted peer) and re-parse them, so a caller cannot skip the
 * shape check by handing in an object that merely looks like a Grant.
 *
 * Check order for verifyGrantFor: malformed → bad-signature → wrong-doctor → replayed → revoked →
 * not-yet-valid → expired → out-of-scope. Revocation is checked before time so that a revoked grant
 * reports "revoked" even when it has also run out.
 */
import { CoreError, OK, fail, type Verdict } from '../errors.js';
import { signable } from '../encoding/codec.js';
import { bytesEqual } from '../encoding/cbor.js';
import { verifySignature } from '../crypto/ed25519.js';
import { grantCodec, grantId, scopeCategories, type Grant } from './grant.js';
import { revocationCodec } from './revocation.js';
import { revocationCovers } from './precedence.js';

type Parsed<T> = { ok: true; value: T } | { ok: false; verdict: Verdict };

function parseWith<T>(parse: (x: unknown) => T, x: unknown): Parsed<T> {
  try {
    return { ok: true, value: parse(x) };
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    const cause = e instanceof CoreError ? e.code : undefined;
    return { ok: false, verdict: fail('consent/malformed', { detail, cause }) };
  }
}

export interface GrantCheckOptions {
  /** Reject a grant that is past its expiry at this time (ms since epoch). */
  now?: number;
  /** Sequence numbers this patient already used (see usedSeqs); a grant reusing one is a replay. */
  seenSeqs?: ReadonlySet<number>;
}

/** Shape, signature and (optionally) freshness: what the chain checks before accepting a grant. */
export function verifyGrant(grant: unknown, opts: GrantCheckOptions = {}): Verdict {
  const p = parseWith(grantCodec.parse, grant);
  if (!p.ok) return p.verdict;
  const g = p.value;
  if (!verifySignature(g.patient, signable(g), g.sig)) return fail('consent/bad-signature', { seq: g.seq });
  if (opts.seenSeqs?.has(g.seq)) return fail('consent/replayed', { seq: g.seq });
  if (opts.now !== undefined && opts.now >= g.expiry)
    return fail('consent/expired', { expiry: g.expiry, now: opts.now });
  return OK;
}

/** Shape, signature and (optionally) replay for a revocation. */
export function verifyRevocation(rev: unknown, opts: { seenSeqs?: ReadonlySet<number> } = {}): Verdict {
  const p = parseWith(revocationCodec.parse, rev);
  if (!p.ok) return p.verdict;
  const r = p.value;
  if (!verifySignature(r.patient, signable(r), r.sig)) return fail('consent/bad-signature', { seq: r.seq });
  if (opts.seenSeqs?.has(r.seq)) return fail('consent/replayed', { seq: r.seq });
  return OK;
}

export interface GrantUse {
  /** The doctor's signing public key: who is asking. */
  doctor: Uint8Array;
  /** The ICD-10 chapter code of the record to read or write. */
  category: string;
  mode: 'read' | 'write';
  now: number;
  /** Revocations known (each is re-parsed; other patients', malformed and unsigned ones are ignored). */
  revocations: Iterable<unknown>;
  /** Only when admitting the grant as new: sequence numbers the patient already used. */
  seenSeqs?: ReadonlySet<number>;
}

/** May `use.doctor` read or write a record of `use.category` now, under `grant`? */
export function verifyGrantFor(grant: unknown, use: GrantUse): Verdict {
  const p = parseWith(grantCodec.parse, grant);
  if (!p.ok) return p.verdict;
  const g: Grant = p.value;
  if (!verifySignature(g.patient, signable(g), g.sig)) return fail('consent/bad-signature', { seq: g.seq });
  if (!(use.doctor instanceof Uint8Array) || !bytesEqual(g.doctor, use.doctor))
    return fail('consent/wrong-doctor');
  if (use.seenSeqs?.has(g.seq)) return fail('consent/replayed', { seq: g.seq });
  const id = grantId(g);
  for (const raw of use.revocations) {
    const r = parseWith(revocationCodec.parse, raw);
    // A forged revocation could only deny service, but only the patient's own signed word counts.
    if (r.ok && revocationCovers(r.value, g, id) && verifyRevocation(r.value).ok)
      return fail('consent/revoked', { by: r.value.by, revocationSeq: r.value.seq, grantSeq: g.seq });
  }
  if (use.now < g.notBefore) return fail('consent/not-yet-valid', { notBefore: g.notBefore, now: use.now });
  if (use.now >= g.expiry) return fail('consent/expired', { expiry: g.expiry, now: use.now });
  if (!g.scope[use.mode]) return fail('consent/out-of-scope', { mode: use.mode });
  if (!scopeCategories(g.scope).includes(use.category))
    return fail('consent/out-of-scope', { category: use.category });
  return OK;
}
