import { describe, expect, it } from 'vitest';
import { DOCTOR, HOSPITAL, NODES, world } from '../lib/core/chain/fixtures.node.js';
import { refreshMember } from '../lib/core/chain/rules/hospital-set.js';
import { toHex } from '../lib/core/crypto/index.js';
import { HeaderView, syncToPropose } from './follow.js';

describe('HeaderView', () => {
  it('answers for its own hospital at heights it holds, forgets beyond its window, never guesses', () => {
    const view = new HeaderView('H1', 3);
    for (let h = 1; h <= 5; h++) view.note(h, new Uint8Array(32).fill(h));
    expect(view.lookup('H1', 5)).toEqual(new Uint8Array(32).fill(5));
    expect(view.lookup('H1', 3)).toEqual(new Uint8Array(32).fill(3));
    expect(view.lookup('H1', 2)).toBeUndefined(); // forgotten: the rule falls back to the signature
    expect(view.lookup('H1', 6)).toBeUndefined(); // not reached yet
    expect(view.lookup('H2', 5)).toBeUndefined(); // another hospital's chain is not followed here
  });
});

describe('syncToPropose', () => {
  const W = world();
  // The fixture registers DOCTOR (a consultant of HOSPITAL) straight into state; refresh the
  // consortium's set for HOSPITAL as the registration rule would.
  const consortium = refreshMember(W.consortium, DOCTOR.keys.signingPublic);

  it('holds back a set that adds a doctor nobody said runs a validator', () => {
    expect(syncToPropose(W.consortium, W.hospitalState, HOSPITAL, 1, new Set())).toBeNull(); // in sync
    expect(syncToPropose(consortium, W.hospitalState, HOSPITAL, 1, new Set())).toBeNull();
  });

  it('proposes it once the doctor’s key is listed as running a validator', () => {
    const tx = syncToPropose(
      consortium,
      W.hospitalState,
      HOSPITAL,
      7,
      new Set([toHex(DOCTOR.keys.signingPublic)])
    );
    expect(tx).not.toBeNull();
    expect(tx!.consortiumHeight).toBe(7);
    const keys = tx!.set.validators.map((m) => toHex(m.key));
    expect(keys).toContain(toHex(DOCTOR.keys.signingPublic));
    for (const n of NODES[HOSPITAL]!) expect(keys).toContain(toHex(n.keys.signingPublic));
  });
});
