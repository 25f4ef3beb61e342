/**
 * A deterministic carechain world for the light-client tests and benchmark, made entirely by the real
 * core code: a consortium genesis of N hospitals, registered accounts, a live grant and a revoked one,
 * sealed FHIR record blobs, hospital blocks holding the signed record transactions and certified by
 * the hospitals' genesis validators, the consortium index of every record, and consortium headers
 * certified by the hospitals' authorities — with M authority-set changes spread over a long chain.
 *
 * Only the headers a light client is ever sent exist (each set change and the head): skip verification
 * never looks at the others, which is the point of it. Every process that builds the world with the
 * same options gets the same bytes, so a server process and the test agree without talking.
 */
import { PROTOCOL_VERSION, TAGS } from '../../src/lib/core/constants.js';
import {
  account,
  actor,
  grantFor,
  record,
  withAccount,
  type Actor
} from '../../src/lib/core/chain/fixtures.node.js';
import {
  authoritySet,
  consortiumGenesisState,
  genesisHash,
  type ConsortiumGenesis
} from '../../src/lib/core/chain/genesis.js';
import {
  CONSORTIUM_CHAIN_ID,
  hospitalChainId,
  headerHash,
  ZERO_HASH,
  type Header
} from '../../src/lib/core/chain/header.js';
import { makeChangeProof, type ChangeProof } from '../../src/lib/core/chain/change-proof.js';
import { appendToList, NS, putEntry, type ChainState } from '../../src/lib/core/chain/store.js';
import { applyGrantTx } from '../../src/lib/core/chain/rules/consent.js';
import { grantRevocationKey } from '../../src/lib/core/chain/rules/lookup.js';
import { revocationEntryCodec } from '../../src/lib/core/chain/entries.js';
import { appendRecordCodec } from '../../src/lib/core/chain/tx/append-record.js';
import { indexEntryCodec, type IndexEntry } from '../../src/lib/core/chain/tx/index-batch.js';
import { grantId } from '../../src/lib/core/consent/grant.js';
import {
  makeValidatorSet,
  validatorSetHash,
  type CommitCertificate
} from '../../src/lib/core/consensus/types.js';
import { recordPublicKey, seededRng, toHex } from '../../src/lib/core/crypto/index.js';
import { searchCapability, indexTag } from '../../src/lib/core/records/index-tag.js';
import { sealRecord } from '../../src/lib/core/records/envelope.js';
import { diabetesVisit } from '../../src/lib/core/records/test-fixtures.js';
import { txRoot } from '../../src/lib/core/state/tx-merkle.js';
import { certify, makeValidators, type TestValidators } from '../../src/lib/light/test-chain.node.js';

export interface WorldOptions {
  hospitals: number;
  /** Records of the patient's category IV at each hospital. */
  recordsPerHospital: number;
  /** If set, this many records in all, spread over the hospitals (overrides recordsPerHospital). */
  totalRecords?: number;
  /** Height of the consortium head. */
  consortiumHeight: number;
  /** Authority-set changes between genesis and the head. */
  setChanges: number;
}

export const SMALL_WORLD: WorldOptions = {
  hospitals: 3,
  recordsPerHospital: 3,
  consortiumHeight: 1_000,
  setChanges: 3
};

export interface Certified {
  header: Header;
  cert: CommitCertificate;
}

export interface HospitalChain {
  id: string;
  chainId: string;
  vals: TestValidators;
  /** Index = height - 1. */
  blocks: (Certified & { txs: Uint8Array[] })[];
}

export interface WorldRecord {
  tag: Uint8Array;
  category: string;
  entry: IndexEntry;
  blob: Uint8Array;
}

export interface World {
  options: WorldOptions;
  genesis: ConsortiumGenesis;
  genesisHash: string;
  patient: Actor;
  doctor: Actor;
  grantId: Uint8Array;
  revokedGrantId: Uint8Array;
  consortium: {
    head: Certified;
    /** One block behind the head, before the revocation: what a stale node serves. */
    stale: Certified;
    changes: ChangeProof[];
    /** The set that signs after the last change, and its keys (a forger lacks them). */
    finalVals: TestValidators;
    state: ChainState;
    staleState: ChainState;
  };
  hospitals: HospitalChain[];
  records: WorldRecord[];
  blobs: Map<string, Uint8Array>;
}

const T0 = 1_767_225_600_000;
export const CATEGORY = 'IV';

function consortiumHeader(
  height: number,
  state: Uint8Array,
  signing: TestValidators,
  next: TestValidators
): Header {
  return {
    t: TAGS.header,
    v: PROTOCOL_VERSION,
    chainId: CONSORTIUM_CHAIN_ID,
    height,
    time: T0 + height * 1000,
    parent: ZERO_HASH as Header['parent'],
    txRoot: ZERO_HASH as Header['txRoot'],
    stateRoot: state as Header['stateRoot'],
    validatorsHash: validatorSetHash(signing.set) as Header['validatorsHash'],
    nextValidatorsHash: validatorSetHash(next.set) as Header['nextValidatorsHash'],
    proposer: signing.set.validators[0]!.key
  };
}

export function buildWorld(o: WorldOptions): World {
  const ids = Array.from({ length: o.hospitals }, (_, i) => `hospital-${i + 1}`);
  const managers = [0, 1, 2].map((i) => actor(`lw-manager-${i}`));
  managers.sort((a, b) =>
    Buffer.compare(Buffer.from(a.keys.signingPublic), Buffer.from(b.keys.signingPublic))
  );
  const authorities = ids.map((id) => actor(`lw-authority-${id}`));
  const nodes = ids.map((id) => [0, 1, 2, 3].map((i) => actor(`lw-node-${id}-${i}`)));
  const genesis: ConsortiumGenesis = {
    t: TAGS.genesis,
    v: PROTOCOL_VERSION,
    kind: 'consortium',
    chainId: CONSORTIUM_CHAIN_ID,
    time: T0,
    managers: managers.map((m) => ({ key: m.keys.signingPublic, encryptionKey: m.keys.encryptionPublic })),
    hospitals: ids.map((id, hi) => ({
      id,
      name: `Hospital ${hi + 1}`,
      authority: authorities[hi]!.keys.signingPublic,
      authorityEncryption: authorities[hi]!.keys.encryptionPublic,
      nodes: nodes[hi]!.map((n, i) => ({
        key: n.keys.signingPublic,
        encryptionKey: n.keys.encryptionPublic,
        mirror: i < 2,
        weight: 1 + i
      }))
    })) as ConsortiumGenesis['hospitals']
  };

  const patient = actor('lw-patient');
  const doctor = actor('lw-doctor');
  let state = consortiumGenesisState(genesis);
  state = withAccount(
    state,
    account(doctor, { role: 'doctor', hospital: ids[0]!, rank: 'consultant', stake: 5 })
  );
  state = withAccount(state, account(patient, { role: 'patient' }));
  const live = grantFor(patient, doctor, 1, { categories: [CATEGORY], read: true, write: true });
  const revoked = grantFor(patient, doctor, 2, { categories: [CATEGORY], read: true, write: false });
  state = applyGrantTx(applyGrantTx(state, live, T0), revoked, T0);

  const tag = indexTag(patient.keys.indexKey, CATEGORY);
  const hospitals: HospitalChain[] = [];
  const records: WorldRecord[] = [];
  const blobs = new Map<string, Uint8Array>();
  let seed = 1;
  ids.forEach((id, hi) => {
    const vals: TestValidators = {
      seeds: nodes[hi]!.map((n) => n.keys.signingSeed),
      set: makeValidatorSet(nodes[hi]!.map((n, i) => ({ key: n.keys.signingPublic, weight: 1 + i })))
    };
    const mirrors = nodes[hi]!.slice(0, 2);
    const chain: HospitalChain = { id, chainId: hospitalChainId(id), vals, blocks: [] };
    // Two records per block: blocks hold several transactions, as real ones do.
    const count =
      o.totalRecords === undefined
        ? o.recordsPerHospital
        : Math.floor(o.totalRecords / o.hospitals) + (hi < o.totalRecords % o.hospitals ? 1 : 0);
    for (let r = 0; r < count; r += 2) {
      const height = chain.blocks.length + 1;
      const txs: Uint8Array[] = [];
      for (let k = r; k < Math.min(r + 2, count); k++) {
        const { blob, mhrHash } = sealRecord({
          bundle: diabetesVisit(seed),
          category: CATEGORY,
          epoch: 0,
          patientRecordPublic: recordPublicKey(patient.seed, CATEGORY, 0),
          authorEncryptionPublic: doctor.keys.encryptionPublic,
          hospitalEncryptionPublic: authorities[hi]!.keys.encryptionPublic,
          rng: seededRng(seed++)
        });
        const tx = record(grantId(live.grant), {
          patient,
          author: doctor,
          category: CATEGORY,
          hospital: id,
          blob,
          mirrors
        });
        txs.push(appendRecordCodec.encode(tx));
        const entry: IndexEntry = {
          hospital: id,
          height,
          txIndex: txs.length - 1,
          mhrHash,
          blobRef: tx.blobRef
        };
        records.push({ tag, category: CATEGORY, entry, blob });
        blobs.set(toHex(mhrHash), blob);
      }
      const prev = chain.blocks.at(-1)?.header;
      const header: Header = {
        t: TAGS.header,
        v: PROTOCOL_VERSION,
        chainId: chain.chainId,
        height,
        time: T0 + height * 1000,
        parent: (prev ? headerHash(prev) : ZERO_HASH) as Header['parent'],
        txRoot: txRoot(txs) as Header['txRoot'],
        stateRoot: ZERO_HASH as Header['stateRoot'],
        validatorsHash: validatorSetHash(vals.set) as Header['validatorsHash'],
        nextValidatorsHash: validatorSetHash(vals.set) as Header['nextValidatorsHash'],
        proposer: vals.set.validators[0]!.key
      };
      chain.blocks.push({ header, cert: certify(header, vals), txs });
    }
    hospitals.push(chain);
  });
  for (const r of records) state = appendToList(state, NS.index, r.tag, [indexEntryCodec.encode(r.entry)]);

  const staleState = state;
  state = putEntry(
    state,
    NS.revocation,
    grantRevocationKey(patient.keys.signingPublic, grantId(revoked.grant)),
    revocationEntryCodec,
    { t: TAGS.stRevocation, v: PROTOCOL_VERSION, seq: 3 }
  );

  // The consortium: authority-set changes evenly spread, then the stale block and the head.
  let vals: TestValidators = {
    seeds: authorities.map((a) => a.keys.signingSeed),
    set: authoritySet(authorities.map((a) => a.keys.signingPublic))
  };
  if (!(o.consortiumHeight > o.setChanges + 2)) throw new Error('consortium too short for its set changes');
  const step = Math.floor((o.consortiumHeight - 2) / (o.setChanges + 1));
  const changes: ChangeProof[] = [];
  for (let i = 1; i <= o.setChanges; i++) {
    const next = makeValidators(7000 + i, 3 + (i % 4));
    const h = consortiumHeader(i * step, seededRng(i)(32), vals, next);
    changes.push(makeChangeProof(h, certify(h, vals), next.set));
    vals = next;
  }
  const staleHeader = consortiumHeader(o.consortiumHeight - 1, staleState.root(), vals, vals);
  const headHeader = consortiumHeader(o.consortiumHeight, state.root(), vals, vals);
  return {
    options: o,
    genesis,
    genesisHash: toHex(genesisHash(genesis)),
    patient,
    doctor,
    grantId: grantId(live.grant),
    revokedGrantId: grantId(revoked.grant),
    consortium: {
      head: { header: headHeader, cert: certify(headHeader, vals) },
      stale: { header: staleHeader, cert: certify(staleHeader, vals) },
      changes,
      finalVals: vals,
      state,
      staleState
    },
    hospitals,
    records,
    blobs
  };
}

/** What the patient presents to read their own records of the category. */
export function patientAccess(w: World) {
  return { capability: searchCapability(w.patient.keys.indexKey, CATEGORY), grantId: null };
}
