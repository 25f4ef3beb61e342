/**
 * Revocation precedence on the consortium chain. For any set of grants and revocations between one
 * patient and one doctor, committed in any order (fast-check draws the set and two orders):
 *  - the state root is the same for both orders;
 *  - which grants are live agrees with the consent module's own reducer;
 *  - the state says what the highest sequence number decided: if it is a revocation of the doctor,
 *    no grant is live; if it is a grant, that grant is live (unless revoked by its id);
 *  - the patient's and the doctor's grant lists (rules/grant-lists.ts) hold exactly the live grants;
 *  - applying the same block to the two states gives the same root.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { activeGrants, consentState, grantId, type ConsentEvent } from '../consent/index.js';
import { createRevocation } from '../consent/revocation.js';
import { DOCTOR, PATIENT, T0, grantFor, world } from './fixtures.node.js';
import { grantTxCodec, makeRevokeTx, revokeTxCodec, type GrantTx } from './tx/consent.js';
import { applyTx, buildBlock, verifyTx, applyBlock, type ChainParams } from './rules/block.js';
import { grantEntry, grantRevoked } from './rules/lookup.js';
import { doctorGrants, patientGrants } from './rules/grant-lists.js';
import type { ListedGrant } from './entries.js';
import { toHex } from '../crypto/hash.js';
import { CHAIN_LIMITS } from '../constants.js';
import { CONSORTIUM_CHAIN_ID } from './header.js';
import { genesisHeader } from './genesis.js';
import { GENESIS } from './fixtures.node.js';
import type { ChainState } from './store.js';

const W = world();
const PARAMS: ChainParams = { chainId: CONSORTIUM_CHAIN_ID, config: { kind: 'consortium' } };
// With the world's grant, every drawn grant can be live at once and none meets the cap of grants
// one patient holds to one doctor (a refusal there would depend on the order, which is the point).
const MAX_SEQ = CHAIN_LIMITS.maxGrantsPerDoctor - 1;
/** Revocation by id of seq i names the grant drawn at index (i * STRIDE) % MAX_SEQ (coprime: all). */
const STRIDE = 7;
// The world already used seq 1 for its grant; these events use 100 + i.
const SEQ = (i: number) => 100 + i;

const GRANTS: GrantTx[] = Array.from({ length: MAX_SEQ }, (_, i) => grantFor(PATIENT, DOCTOR, SEQ(i)));
const GRANT_BYTES = GRANTS.map((g) => grantTxCodec.encode(g));
const REV_DOCTOR = Array.from({ length: MAX_SEQ }, (_, i) =>
  makeRevokeTx(
    createRevocation({
      seed: PATIENT.seed,
      target: { doctor: DOCTOR.keys.signingPublic },
      seq: SEQ(i),
      time: T0
    })
  )
);
const REV_GRANT = Array.from({ length: MAX_SEQ }, (_, i) =>
  makeRevokeTx(
    createRevocation({
      seed: PATIENT.seed,
      target: { grant: grantId(GRANTS[(i * STRIDE) % MAX_SEQ]!.grant) },
      seq: SEQ(i),
      time: T0
    })
  )
);

const G_HEADER = genesisHeader(GENESIS).header;
const EXTRA = [grantTxCodec.encode(grantFor(PATIENT, DOCTOR, 999))];
const PROPOSER = GENESIS.hospitals[0]!.authority;

type Kind = 'none' | 'grant' | 'rev-doctor' | 'rev-grant';

function events(kinds: Kind[]): { bytes: Uint8Array; event: ConsentEvent; seq: number; kind: Kind }[] {
  const out = [];
  for (const [i, k] of kinds.entries()) {
    if (k === 'grant') out.push({ bytes: GRANT_BYTES[i]!, event: GRANTS[i]!.grant, seq: SEQ(i), kind: k });
    if (k === 'rev-doctor')
      out.push({
        bytes: revokeTxCodec.encode(REV_DOCTOR[i]!),
        event: REV_DOCTOR[i]!.revocation,
        seq: SEQ(i),
        kind: k
      });
    if (k === 'rev-grant')
      out.push({
        bytes: revokeTxCodec.encode(REV_GRANT[i]!),
        event: REV_GRANT[i]!.revocation,
        seq: SEQ(i),
        kind: k
      });
  }
  return out;
}

function commit(start: ChainState, txs: Uint8Array[]): ChainState {
  let s = start;
  for (const [i, tx] of txs.entries()) {
    const ctx = { ...PARAMS, height: 1, time: T0 + 1000, txIndex: i };
    const v = verifyTx(s, tx, ctx);
    if (!v.ok) throw v.error;
    s = applyTx(s, tx, ctx);
  }
  return s;
}

const live = (s: ChainState, g: GrantTx) => {
  const id = grantId(g.grant);
  const e = grantEntry(s, id);
  return e !== null && !grantRevoked(s, id, e);
};

describe('revocation precedence on the consortium chain', () => {
  it('any interleaving: same root, same live grants as the consent reducer, highest seq decides', () => {
    const kind = fc.constantFrom<Kind>('none', 'grant', 'grant', 'rev-doctor', 'rev-grant');
    fc.assert(
      fc.property(
        fc.array(kind, { minLength: MAX_SEQ, maxLength: MAX_SEQ }).chain((kinds) => {
          const n = events(kinds).length;
          const perm = fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n });
          return fc.tuple(fc.constant(kinds), perm, perm);
        }),
        ([kinds, p1, p2]) => {
          const evs = events(kinds);
          const a = commit(
            W.consortium,
            p1.map((i) => evs[i]!.bytes)
          );
          const b = commit(
            W.consortium,
            p2.map((i) => evs[i]!.bytes)
          );
          expect(a.root()).toEqual(b.root());

          const reducer = consentState(evs.map((e) => e.event));
          const expected = new Set(
            activeGrants(reducer, { patient: PATIENT.keys.signingPublic }).map((g) => g.seq)
          );
          for (const [i, k] of kinds.entries()) {
            if (k !== 'grant') continue;
            expect(live(a, GRANTS[i]!)).toBe(expected.has(SEQ(i)));
          }
          const top = evs.reduce<(typeof evs)[number] | undefined>(
            (m, e) => (m && m.seq > e.seq ? m : e),
            undefined
          );
          if (top?.kind === 'rev-doctor') for (const g of GRANTS) expect(live(a, g)).toBe(false);
          if (top?.kind === 'grant') {
            const i = top.seq - 100;
            const revokedById = evs.some(
              (e) => e.kind === 'rev-grant' && ((e.seq - 100) * STRIDE) % MAX_SEQ === i
            );
            expect(live(a, GRANTS[i]!)).toBe(!revokedById);
          }
          // What the patient's and the doctor's devices list is what the chain holds live (the world's
          // own grant too).
          const liveIds = [W.grant, ...GRANTS].filter((g) => live(a, g)).map((g) => toHex(grantId(g.grant)));
          const ids = (l: ListedGrant[]) => l.map((g) => toHex(g.id)).sort();
          expect(ids(patientGrants(a, PATIENT.keys.signingPublic))).toEqual(liveIds.sort());
          expect(ids(doctorGrants(a, DOCTOR.keys.signingPublic))).toEqual(liveIds.sort());

          // The same next block on both states gives the same root.
          const prev = { ...G_HEADER, stateRoot: a.root() as typeof G_HEADER.stateRoot };
          const built = buildBlock(prev, a, EXTRA, T0 + 5000, PROPOSER, PARAMS);
          expect(built.dropped).toEqual([]);
          const ra = applyBlock(prev, a, built.block, PARAMS).state.root();
          const rb = applyBlock(prev, b, built.block, PARAMS).state.root();
          expect(ra).toEqual(rb);
        }
      ),
      // Each run commits up to 15 signed events twice (~40 ms on these machines): 300 runs keep it ~15 s.
      { numRuns: 300 }
    );
  });

  it('a grant never restores access that a later-numbered revocation removed, whichever arrives first', () => {
    const rev = revokeTxCodec.encode(REV_DOCTOR[10]!);
    for (const order of [
      [GRANT_BYTES[3]!, rev],
      [rev, GRANT_BYTES[3]!]
    ]) {
      const s = commit(W.consortium, order);
      expect(live(s, GRANTS[3]!)).toBe(false);
    }
    // ...while a grant numbered after the revocation is a new, valid grant.
    const s = commit(W.consortium, [GRANT_BYTES[12]!, rev]);
    expect(live(s, GRANTS[12]!)).toBe(true);
  });

  it('a reused sequence number → consent/replayed; a replayed grant transaction → chain/replayed-tx', () => {
    const s = commit(W.consortium, [GRANT_BYTES[2]!]);
    const ctx = { ...PARAMS, height: 1, time: T0 + 1000, txIndex: 0 };
    const v1 = verifyTx(s, revokeTxCodec.encode(REV_DOCTOR[2]!), ctx);
    expect(v1.ok ? 'ok' : v1.error.code).toBe('consent/replayed');
    const v2 = verifyTx(s, GRANT_BYTES[2]!, ctx);
    expect(v2.ok ? 'ok' : v2.error.code).toBe('chain/replayed-tx');
  });
});
