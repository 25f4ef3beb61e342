/**
 * A medical history for one demo patient, so that on first start the app shows what carechain is for:
 * records from two hospitals, each written by a doctor of that hospital under the patient's grant,
 * stored encrypted on the hospital's mirrors, committed on its chain and indexed on the consortium —
 * the same transactions the app sends (actors.ts). The grants are then revoked, so when a person
 * signs in as the patient nobody holds access: they see their verified history and its access log,
 * and give access themselves at the next checkup.
 */
import type { Libp2p } from 'libp2p';
import { CONSORTIUM_CHAIN_ID, hospitalChainId } from '../../lib/core/chain/header.js';
import { makeRevokeTx, revokeTxCodec } from '../../lib/core/chain/tx/consent.js';
import { createRevocation } from '../../lib/core/consent/revocation.js';
import { fromHex, recordPublicKey, systemRng, toHex } from '../../lib/core/crypto/index.js';
import { sealRecord } from '../../lib/core/records/envelope.js';
import { buildVisitBundle, type VisitInput } from '../../lib/core/records/visit.js';
import { grantTx, recordTx, storeOnMirrors, submitBatch, type Account, type GrantBundle } from './actors.js';
import type { DevnetLayout } from './layout.js';
import { waitConsortiumFollowed, waitFor } from './process.js';

const DAY = 86_400_000;
/** A committed transaction is answered within a few blocks; this is far beyond that. */
const COMMIT_WAIT_MS = 60_000;

interface DemoVisit {
  hospital: string;
  category: string;
  daysAgo: number;
  visit: Pick<VisitInput, 'encounter' | 'conditions' | 'medications' | 'observations'>;
}

export const DEMO_HISTORY_PATIENT = 'Fatema Begum';

const VISITS: DemoVisit[] = [
  {
    hospital: 'H1',
    category: 'IV',
    daysAgo: 120,
    visit: {
      encounter: { class: 'AMB', reason: 'Thirst and tiredness for two months' },
      conditions: [{ code: 'E11.9', display: 'Type 2 diabetes mellitus without complications' }],
      medications: [{ display: 'Metformin 500 mg tablet', dosage: '1 tablet twice daily with meals' }],
      observations: [{ loinc: '4548-4', display: 'Hemoglobin A1c', quantity: { value: 7.8, unit: '%' } }]
    }
  },
  {
    hospital: 'H2',
    category: 'IX',
    daysAgo: 30,
    visit: {
      encounter: { class: 'AMB', reason: 'Headaches and dizziness' },
      conditions: [{ code: 'I10', display: 'Essential (primary) hypertension' }],
      medications: [{ display: 'Amlodipine 5 mg tablet', dosage: '1 tablet every morning' }],
      observations: [
        { loinc: '8480-6', display: 'Systolic blood pressure', quantity: { value: 158, unit: 'mm[Hg]' } }
      ]
    }
  }
];

/** Submits `tx` to `addr` and waits until it is committed; throws the named refusal. */
async function commit(client: Libp2p, addr: string, chainId: string, tx: Uint8Array): Promise<void> {
  const [r] = await submitBatch(client, addr, chainId, [tx], true);
  if (!r?.accepted) throw new Error(`demo history: ${r?.code ?? 'no answer'}`);
  if (r.height === null) throw new Error('demo history: not committed in time');
}

export interface DemoHistory {
  records: number;
  /** The record-key epoch the grants carried and the records are sealed under. */
  epoch: number;
  /** Ids of the grants, all revoked by now. */
  grants: Uint8Array[];
}

/**
 * Writes the history of `patient` (registered, with their hex pseudonym): one visit at each of H1 and
 * H2 that `doctorAt` names a registered doctor for, each committed before the next step.
 */
export async function writeDemoHistory(
  client: Libp2p,
  layout: DevnetLayout,
  patient: Account & { pseudonym: string },
  doctorAt: ReadonlyMap<string, Account>
): Promise<DemoHistory> {
  const visits = VISITS.filter(
    (v) => doctorAt.has(v.hospital) && layout.hospitals.some((h) => h.id === v.hospital)
  );
  const consortiumNode = layout.hospitals[0]!.nodes[0]!;
  const now = Date.now();
  // Sequence numbers and the epoch follow the clock, as the app's do (client/consent-actions.ts).
  let seq = now;
  const epoch = now;
  const grants: GrantBundle[] = [];
  for (const v of visits) {
    const g = grantTx(
      patient,
      doctorAt.get(v.hospital)!,
      { categories: [v.category], read: true, write: true },
      { seq: seq++, notBefore: now - 60_000, expiry: now + 30 * DAY, epoch }
    );
    // The demo accounts were just submitted: until their registrations commit, grants are refused.
    await waitFor(
      'the demo registrations to commit',
      () =>
        commit(client, consortiumNode.addr, CONSORTIUM_CHAIN_ID, g.tx).then(
          () => true,
          (e: Error) => {
            if (e.message.includes('chain/not-registered')) return false;
            throw e;
          }
        ),
      COMMIT_WAIT_MS
    );
    grants.push(g);
  }
  // The first node is the one the grants went to: every validator must see them before the records.
  await waitConsortiumFollowed(
    layout.hospitals.flatMap((h) => h.nodes),
    COMMIT_WAIT_MS
  );

  for (const [i, v] of visits.entries()) {
    const doctor = doctorAt.get(v.hospital)!;
    const hospital = layout.hospitals.find((h) => h.id === v.hospital)!;
    const bundle = buildVisitBundle({
      ...v.visit,
      patientRef: patient.pseudonym,
      author: { name: doctor.name, signingKey: toHex(doctor.keys.signingPublic), qualification: 'MBBS' },
      time: now - v.daysAgo * DAY,
      rng: systemRng
    });
    const { blob } = sealRecord({
      bundle,
      category: v.category,
      epoch,
      patientRecordPublic: recordPublicKey(patient.seed, v.category, epoch),
      authorEncryptionPublic: doctor.keys.encryptionPublic,
      hospitalEncryptionPublic: fromHex(hospital.encryptionKey),
      rng: systemRng
    });
    const mirrors = hospital.nodes.filter((n) => n.roles.includes('mirror')).map((n) => n.addr);
    const attestations = await storeOnMirrors(client, mirrors, blob);
    const r = recordTx(doctor, patient, v.hospital, v.category, grants[i]!, blob, attestations);
    await commit(client, hospital.nodes[0]!.addr, hospitalChainId(v.hospital), r.tx);
  }

  // The records are committed: now nobody keeps access.
  for (const g of grants) {
    const rev = createRevocation({
      seed: patient.seed,
      target: { grant: g.id },
      seq: seq++,
      time: Date.now()
    });
    await commit(client, consortiumNode.addr, CONSORTIUM_CHAIN_ID, revokeTxCodec.encode(makeRevokeTx(rev)));
  }
  return { records: visits.length, epoch, grants: grants.map((g) => g.id) };
}
