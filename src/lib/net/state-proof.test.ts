/**
 * A state-proof answer carries one state value, so the largest values the chain writes must fit in
 * one answer with the largest proof: a page of break-glass statements whose reasons are long and in
 * Bangla (three bytes a letter), and full grant lists (core/chain/rules/grant-lists.ts) with the
 * largest numbers a grant can carry. A value that did not fit could never be read by a light client.
 */
import { describe, expect, it } from 'vitest';
import { CHAIN_LIMITS, LIMITS, PROTOCOL_VERSION, TAGS } from '../core/constants.js';
import { grantListEntryCodec, pageCodec } from '../core/chain/entries.js';
import { breakGlassCodec, createBreakGlass } from '../core/chain/tx/break-glass.js';
import { DOCTOR, PATIENT, T0, actor } from '../core/chain/fixtures.node.js';
import { stateResponseCodec } from './state-proof.js';

/** A state-proof answer for `value` with a proof of every one of the 256 siblings. */
const answer = (value: Uint8Array) =>
  stateResponseCodec.encode({
    t: TAGS.netStateResponse,
    v: PROTOCOL_VERSION,
    height: Number.MAX_SAFE_INTEGER,
    root: new Uint8Array(32),
    key: new Uint8Array(32),
    value,
    proof: new Uint8Array(9 * 1024)
  });

const fullList = (n: number) =>
  grantListEntryCodec.encode({
    t: TAGS.stGrantList,
    v: PROTOCOL_VERSION,
    grants: Array.from({ length: n }, (_, i) => ({
      id: new Uint8Array(32).fill(i),
      party: new Uint8Array(32).fill(255),
      seq: Number.MAX_SAFE_INTEGER,
      expiry: Number.MAX_SAFE_INTEGER
    }))
  });

describe('a state-proof answer holds the largest values the chain writes', () => {
  it('a full page of break-glass statements with the longest reasons in Bangla', () => {
    const cosigner = actor('state-proof-cosigner');
    const statement = breakGlassCodec.encode(
      createBreakGlass(DOCTOR.keys.signingSeed, cosigner.keys.signingSeed, {
        doctor: DOCTOR.keys.signingPublic,
        patient: PATIENT.keys.signingPublic,
        reason: 'অ'.repeat(LIMITS.maxTextChars),
        cosigner: cosigner.keys.signingPublic,
        time: T0,
        durationMs: CHAIN_LIMITS.maxBreakGlassMs
      })
    );
    const page = pageCodec.encode({
      t: TAGS.stPage,
      v: PROTOCOL_VERSION,
      entries: Array.from({ length: CHAIN_LIMITS.pageEntries }, () => statement),
      more: true
    });
    expect(page.length).toBeGreaterThan(16 * 1024); // what the limit was before
    expect(() => answer(page)).not.toThrow();
  });

  it("a patient's grant list and a doctor's bucket, full", () => {
    expect(() => answer(fullList(CHAIN_LIMITS.maxPatientGrants))).not.toThrow();
    expect(() => answer(fullList(CHAIN_LIMITS.maxDoctorBucketGrants))).not.toThrow();
  });
});
