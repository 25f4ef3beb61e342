/**
 * Vector kinds for consent: may this doctor use this grant now (verifyGrantFor), what a grant's
 * capabilities open to, the QR link (decode, and the length of an encoded one), and the precedence
 * rule's outcome for a set of events in the order given. Grants and revocations travel as hex of
 * their canonical CBOR and are handed over as plain decoded values, so shape errors surface as the
 * verifier's own 'consent/malformed'. Isomorphic like runner.ts; wired in through kinds.ts.
 */
import { decodeCanonical } from '../../src/lib/core/encoding/cbor.js';
import { concatBytes, fromHex, sha256, toHex, utf8Bytes } from '../../src/lib/core/crypto/hash.js';
import { grantCodec, grantId, openGrantCaps } from '../../src/lib/core/consent/grant.js';
import { revocationCodec } from '../../src/lib/core/consent/revocation.js';
import { verifyGrantFor } from '../../src/lib/core/consent/verify.js';
import { encodeQrLink, parseQrLink } from '../../src/lib/core/consent/qr.js';
import { activeGrants, consentState, type ConsentEvent } from '../../src/lib/core/consent/precedence.js';
import { TAGS } from '../../src/lib/core/constants.js';
import type { Verdict } from '../../src/lib/core/errors.js';

type Kind = (input: Record<string, unknown>) => Record<string, unknown>;

const h = (x: unknown) => fromHex(String(x));
const verdict = (r: Verdict) => (r.ok ? { valid: true } : { error: r.error.code });

/** A consent event from its bytes, by its type tag. */
function event(hex: unknown): ConsentEvent {
  const raw = decodeCanonical(h(hex)) as { t?: unknown };
  return raw.t === TAGS.grant ? grantCodec.parse(raw) : revocationCodec.parse(raw);
}

/** One digest over a map's entries in order: compact, and any changed key or category shows. */
function mapDigest(m: Map<string, Uint8Array>): string {
  const parts = [...m].flatMap(([c, k]) => [utf8Bytes(c), k]);
  return toHex(sha256(concatBytes(...parts)));
}

export const consentKinds: Record<string, Kind> = {
  'grant-verify-for': (i) =>
    verdict(
      verifyGrantFor(decodeCanonical(h(i.grant)), {
        doctor: h(i.doctor),
        category: String(i.category),
        mode: i.mode as 'read' | 'write',
        now: Number(i.now),
        revocations: (i.revocations as string[]).map((r) => decodeCanonical(h(r))),
        ...(i.seenSeqs ? { seenSeqs: new Set(i.seenSeqs as number[]) } : {})
      })
    ),
  'grant-open-caps': (i) => {
    const caps = openGrantCaps(grantCodec.decode(h(i.grant)), h(i.doctorSecret));
    return {
      epoch: caps.epoch,
      categories: [...caps.tags.keys()],
      search: mapDigest(caps.search),
      recordSecrets: mapDigest(caps.recordSecrets),
      recordPublics: mapDigest(caps.recordPublics),
      tags: mapDigest(caps.tags),
      writeCommits: caps.writeCommits.map(toHex)
    };
  },
  'qr-decode': (i) => {
    const { origin, grant } = parseQrLink(i.text);
    return { origin, grantId: toHex(grantId(grant)) };
  },
  'qr-encode': (i) => ({ chars: encodeQrLink(String(i.origin), grantCodec.decode(h(i.grant))).length }),
  'consent-precedence': (i) => {
    const state = consentState((i.events as string[]).map(event));
    return {
      active: activeGrants(state, { now: Number(i.now) }).map((g) => toHex(grantId(g)))
    };
  }
};
