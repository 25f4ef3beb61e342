/**
 * Test-only world for the chain tests (a *.node.ts file so it may install the node:crypto Ed25519
 * backend): a consortium genesis with three managers and two hospitals (four nodes each, two of them
 * mirrors), real doctor and patient accounts, real signed grants, and builders for valid hospital
 * transactions that a test then breaks one way at a time.
 */
import { CHAIN_LIMITS, PROTOCOL_VERSION, TAGS } from '../constants.js';
import { setEd25519Backend } from '../crypto/ed25519.js';
import { nodeEd25519 } from '../crypto/ed25519.node.js';
import { deriveAccountKeys, recordPublicKey, type AccountKeys } from '../crypto/keys.js';
import { seededRng, type Rng } from '../crypto/random.js';
import { sha256 } from '../crypto/hash.js';
import { createGrant, grantId, openGrantCaps, type Grant, type ScopeInput } from '../consent/grant.js';
import { indexTag } from '../records/index-tag.js';
import { accountEntryCodec, type AccountEntry } from './entries.js';
import {
  consortiumGenesisState,
  genesisHeader,
  hospitalGenesisFrom,
  type ConsortiumGenesis
} from './genesis.js';
import { CONSORTIUM_CHAIN_ID, hospitalChainId, type Header } from './header.js';
import { NS, putEntry, type ChainState } from './store.js';
import { createAttestation, type Attestation } from './tx/attestation.js';
import { createAppendRecord, type AppendRecord } from './tx/append-record.js';
import { makeGrantTx, type GrantTx } from './tx/consent.js';
import { applyTx, verifyTx, type ChainParams } from './rules/block.js';
import type { TxContext } from './rules/context.js';
import { approve, type Approval } from '../accounts/approval.js';
import { applyGrantTx, verifyGrantTx } from './rules/consent.js';

setEd25519Backend(nodeEd25519);

export const DAY = 86_400_000;
export const T0 = 1_767_225_600_000;

export interface Actor {
  seed: Uint8Array;
  keys: AccountKeys;
}

export function actor(label: string): Actor {
  const seed = seededRng(new TextEncoder().encode(label))(32);
  return { seed, keys: deriveAccountKeys(seed) };
}

export const MANAGERS = [actor('manager-1'), actor('manager-2'), actor('manager-3')].sort((a, b) =>
  Buffer.compare(Buffer.from(a.keys.signingPublic), Buffer.from(b.keys.signingPublic))
);
export const HOSPITALS = ['dhaka-medical', 'chittagong-general'] as const;
export const AUTHORITY = Object.fromEntries(HOSPITALS.map((h) => [h, actor(`authority-${h}`)]));
export const NODES = Object.fromEntries(
  HOSPITALS.map((h) => [h, [0, 1, 2, 3].map((i) => actor(`node-${h}-${i}`))])
);
/** Nodes 0 and 1 of each hospital are mirrors. */
export const MIRRORS = Object.fromEntries(HOSPITALS.map((h) => [h, NODES[h]!.slice(0, 2)]));

export const GENESIS: ConsortiumGenesis = {
  t: TAGS.genesis,
  v: PROTOCOL_VERSION,
  kind: 'consortium',
  chainId: CONSORTIUM_CHAIN_ID,
  time: T0,
  managers: MANAGERS.map((m) => ({ key: m.keys.signingPublic, encryptionKey: m.keys.encryptionPublic })),
  hospitals: HOSPITALS.map((h) => ({
    id: h,
    name: `Hospital ${h}`,
    authority: AUTHORITY[h]!.keys.signingPublic,
    authorityEncryption: AUTHORITY[h]!.keys.encryptionPublic,
    nodes: NODES[h]!.map((n, i) => ({
      key: n.keys.signingPublic,
      encryptionKey: n.keys.encryptionPublic,
      mirror: i < 2,
      weight: 1 + i
    }))
  })) as ConsortiumGenesis['hospitals']
};

export const HOSPITAL: string = HOSPITALS[0];
export const OTHER_HOSPITAL: string = HOSPITALS[1];

export function account(a: Actor, fields: Partial<AccountEntry> & Pick<AccountEntry, 'role'>): AccountEntry {
  return {
    t: TAGS.stAccount,
    v: PROTOCOL_VERSION,
    key: a.keys.signingPublic,
    encryptionKey: a.keys.encryptionPublic,
    status: 'active',
    rotatedTo: new Uint8Array(32),
    hospital: '',
    rank: '',
    stake: 0,
    nodeRole: '',
    request: new Uint8Array(32),
    ...fields
  } as AccountEntry;
}

/** A consortium transaction's place: block 1, a day after T0. */
export const CONSORTIUM_CTX: TxContext = {
  chainId: CONSORTIUM_CHAIN_ID,
  config: { kind: 'consortium' },
  height: 1,
  time: T0 + DAY,
  txIndex: 0
};

/** Verifies `tx` as the consortium would at CONSORTIUM_CTX (or `time`) and applies it; throws its refusal. */
export function commitConsortiumTx(s: ChainState, tx: Uint8Array, time = CONSORTIUM_CTX.time): ChainState {
  const ctx = { ...CONSORTIUM_CTX, time };
  const v = verifyTx(s, tx, ctx);
  if (!v.ok) throw v.error;
  return applyTx(s, tx, ctx);
}

/** Approvals of `subject` by `who`: by default a majority (2 of 3) of the genesis managers. */
export const managerApprovals = (subject: Uint8Array, who: Actor[] = MANAGERS.slice(0, 2)): Approval[] =>
  who.map((m) => approve(m.keys.signingSeed, subject));

/** Put an account straight into state (hospital-chain tests; registration has its own tests). */
export function withAccount(s: ChainState, e: AccountEntry): ChainState {
  return putEntry(s, NS.account, e.key, accountEntryCodec, e);
}

export const DOCTOR = actor('doctor-consultant');
export const LOW_DOCTOR = actor('doctor-low-stake');
export const OTHER_DOCTOR = actor('doctor-other-hospital');
export const PATIENT = actor('patient-1');
export const PATIENT_2 = actor('patient-2');

/** As many doctors as one patient's full grant list needs under the cap of grants to one doctor. */
export const LIST_DOCTORS: Actor[] = [
  DOCTOR,
  OTHER_DOCTOR,
  ...Array.from({ length: CHAIN_LIMITS.maxPatientGrants / CHAIN_LIMITS.maxGrantsPerDoctor - 2 }, (_, i) =>
    actor(`doctor-list-${i}`)
  )
];

/** `s` with LIST_DOCTORS all registered (world() registers the first two). */
export const withListDoctors = (s: ChainState): ChainState =>
  LIST_DOCTORS.slice(2).reduce(
    (st, d) =>
      withAccount(st, account(d, { role: 'doctor', hospital: HOSPITAL, rank: 'consultant', stake: 5 })),
    s
  );

export const WRITE_CATEGORIES = ['IV', 'IX'];
export const EPOCH = 0;

export function grantFor(
  patient: Actor,
  doctor: Actor,
  seq: number,
  scope: ScopeInput = { categories: WRITE_CATEGORIES, read: true, write: true },
  window = { notBefore: T0, expiry: T0 + 90 * DAY },
  rng: Rng = seededRng(seq)
): GrantTx {
  const grant: Grant = createGrant({
    seed: patient.seed,
    doctor: { signingPublic: doctor.keys.signingPublic, encryptionPublic: doctor.keys.encryptionPublic },
    scope,
    ...window,
    seq,
    epoch: EPOCH,
    rng
  });
  // What the doctor does after scanning the QR: rebuild the commitments from the caps and submit.
  return makeGrantTx(grant, openGrantCaps(grant, doctor.keys.encryptionSecret).writeCommits);
}

/** Consortium state with doctors and patients registered and a live write grant PATIENT → DOCTOR. */
export function world(): {
  consortium: ChainState;
  grant: GrantTx;
  grantId: Uint8Array;
  hospitalHeader: Header;
  hospitalState: ChainState;
  params: ChainParams;
} {
  let c = consortiumGenesisState(GENESIS);
  c = withAccount(c, account(DOCTOR, { role: 'doctor', hospital: HOSPITAL, rank: 'consultant', stake: 5 }));
  c = withAccount(c, account(LOW_DOCTOR, { role: 'doctor', hospital: HOSPITAL, rank: 'intern', stake: 0 }));
  c = withAccount(
    c,
    account(OTHER_DOCTOR, { role: 'doctor', hospital: OTHER_HOSPITAL, rank: 'consultant', stake: 5 })
  );
  c = withAccount(c, account(PATIENT, { role: 'patient' }));
  c = withAccount(c, account(PATIENT_2, { role: 'patient' }));
  const grant = grantFor(PATIENT, DOCTOR, 1);
  const v = verifyGrantTx(c, grant, T0);
  if (!v.ok) throw v.error;
  c = applyGrantTx(c, grant, T0);
  const g = genesisHeader(hospitalGenesisFrom(GENESIS, HOSPITAL));
  return {
    consortium: c,
    grant,
    grantId: grantId(grant.grant),
    hospitalHeader: g.header,
    hospitalState: g.state,
    params: {
      chainId: hospitalChainId(HOSPITAL),
      config: { kind: 'hospital', hospitalId: HOSPITAL, consortium: c }
    }
  };
}

export function attest(
  mirror: Actor,
  mhrHash: Uint8Array,
  hospital: string = HOSPITAL,
  time = T0 + DAY
): Attestation {
  return createAttestation(mirror.keys.signingSeed, mirror.keys.signingPublic, {
    hospital,
    mhrHash,
    size: 1000,
    time
  });
}

let blobCounter = 0;

export interface RecordOpts {
  author?: Actor;
  patient?: Actor;
  category?: string;
  grant?: Uint8Array;
  time?: number;
  hospital?: string;
  mirrors?: Actor[];
  blob?: Uint8Array;
}

/** A valid append-record of PATIENT's category IV by DOCTOR at HOSPITAL, unless opts break it. */
export function record(grant: Uint8Array, opts: RecordOpts = {}): AppendRecord {
  const patient = opts.patient ?? PATIENT;
  const category = opts.category ?? 'IV';
  const hospital = opts.hospital ?? HOSPITAL;
  const mhrHash = sha256(opts.blob ?? new TextEncoder().encode(`blob:${blobCounter++}`));
  const author = opts.author ?? DOCTOR;
  return createAppendRecord(author.keys.signingSeed, author.keys.signingPublic, {
    hospital,
    tag: indexTag(patient.keys.indexKey, category),
    blobRef: `sha256:${Buffer.from(mhrHash).toString('hex')}`,
    mhrHash,
    grant: opts.grant ?? grant,
    opening: recordPublicKey(patient.seed, category, EPOCH),
    time: opts.time ?? T0 + DAY,
    attestations: (opts.mirrors ?? MIRRORS[hospital]!).map((m) => attest(m, mhrHash, hospital))
  });
}
