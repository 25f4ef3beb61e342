/**
 * Grant-list figures for `npm run bench -- core` (src/lib/core/chain/rules/grant-lists.ts): what a
 * grant costs the consortium with the patient's list empty and with it one short of full, and how
 * large a full list is.
 */
import { CHAIN_LIMITS } from '../../src/lib/core/constants.js';
import {
  DAY,
  LIST_DOCTORS,
  PATIENT_2,
  T0,
  commitConsortiumTx,
  grantFor,
  withListDoctors,
  world
} from '../../src/lib/core/chain/fixtures.node.js';
import { grantTxCodec } from '../../src/lib/core/chain/tx/consent.js';
import { NS } from '../../src/lib/core/chain/store.js';
import { stateKey } from '../../src/lib/core/state/smt.js';
import { opsPerSecond } from './report.js';

export async function benchGrantLists(): Promise<Record<string, number>> {
  const start = withListDoctors(world().consortium);
  const max = CHAIN_LIMITS.maxPatientGrants;
  const grants = Array.from({ length: max }, (_, i) =>
    grantTxCodec.encode(
      grantFor(PATIENT_2, LIST_DOCTORS[i % LIST_DOCTORS.length]!, i + 1, undefined, {
        notBefore: T0,
        expiry: T0 + 90 * DAY
      })
    )
  );
  const almostFull = grants.slice(0, max - 1).reduce((s, tx) => commitConsortiumTx(s, tx), start);
  const full = commitConsortiumTx(almostFull, grants[max - 1]!);
  // State is immutable: the same grant is verified and applied to the same state each time.
  const commitMs = (ops: number) => +(1000 / ops).toFixed(3);
  return {
    grant_commit_list_empty_ms: commitMs(opsPerSecond(() => commitConsortiumTx(start, grants[0]!), 500)),
    grant_commit_list_63_ms: commitMs(
      opsPerSecond(() => commitConsortiumTx(almostFull, grants[max - 1]!), 500)
    ),
    patient_grant_list_full_bytes: full.get(stateKey(NS.patientGrants, PATIENT_2.keys.signingPublic))!.length
  };
}
