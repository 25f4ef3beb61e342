/**
 * The people of a devnet, as a real client would act for them over libp2p: managers approving
 * registrations, patients granting and revoking, doctors storing an encrypted blob on two mirrors and
 * writing the record. Used by `carechain devnet` (demo accounts) and by the integration tests and the
 * benchmark, so all three exercise exactly the transactions the app sends.
 */
import { createLibp2p, type Libp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import { multiaddr } from '@multiformats/multiaddr';
import { approve } from '../../lib/core/accounts/approval.js';
import {
  registrationSubject,
  signRegistration,
  type Registration,
  type RegistrationFields
} from '../../lib/core/accounts/registration.js';
import type { Rank } from '../../lib/core/accounts/rank.js';
import { CONSORTIUM_CHAIN_ID, hospitalChainId } from '../../lib/core/chain/header.js';
import { makeRegisterTx, registerTxCodec } from '../../lib/core/chain/tx/accounts.js';
import { createAppendRecord, appendRecordCodec } from '../../lib/core/chain/tx/append-record.js';
import { attestationCodec, type Attestation } from '../../lib/core/chain/tx/attestation.js';
import { breakGlassCodec, createBreakGlass } from '../../lib/core/chain/tx/break-glass.js';
import { grantTxCodec, makeGrantTx } from '../../lib/core/chain/tx/consent.js';
import { writeCommitsFor } from '../../lib/core/chain/commit.js';
import { TAGS } from '../../lib/core/constants.js';
import { createGrant, grantId, type Grant, type ScopeInput } from '../../lib/core/consent/grant.js';
import {
  deriveAccountKeys,
  fromHex,
  recordPublicKey,
  sha256,
  systemRng,
  toHex,
  type AccountKeys,
  type Rng
} from '../../lib/core/crypto/index.js';
import { indexTag, searchCapability } from '../../lib/core/records/index-tag.js';
import { requestBlob, signBlobAuth, type BlobAuth } from '../../lib/net/blob.js';
import {
  requestEmergencyList,
  type EmergencyCursor,
  type EmergencyList
} from '../../lib/net/emergency-list.js';
import { requestRecords, type RecordAnswer } from '../../lib/net/record-fetch.js';
import { requestMirror } from '../../lib/net/mirror.js';
import { requestTxSubmit, type TxResult } from '../../lib/net/tx-submit.js';
import { requestStateProof } from '../../lib/net/state-proof.js';
import { pageCodec } from '../../lib/core/chain/entries.js';
import { NS, pageId } from '../../lib/core/chain/store.js';
import { stateKey } from '../../lib/core/state/smt.js';
import { requestTxBatch, type TxBatchResult } from '../../lib/net/tx-batch.js';

export interface Account {
  name: string;
  seed: Uint8Array;
  keys: AccountKeys;
}

export function account(name: string, seed: Uint8Array): Account {
  return { name, seed, keys: deriveAccountKeys(seed) };
}

/** A bare libp2p client (TCP only), as a doctor's desktop app or a test harness would be. */
export async function createClient(): Promise<Libp2p> {
  return createLibp2p({
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
    connectionGater: { denyDialMultiaddr: () => false }
  });
}

export async function submit(
  client: Libp2p,
  addr: string,
  chainId: string,
  tx: Uint8Array
): Promise<TxResult> {
  return requestTxSubmit(client, multiaddr(addr), { t: TAGS.netTxSubmit, v: 1, chainId, tx: tx as never });
}

/** Submit many on one stream; one verdict each. `wait`: answer once they are committed. */
export async function submitBatch(
  client: Libp2p,
  addr: string,
  chainId: string,
  txs: Uint8Array[],
  wait = true
): Promise<TxBatchResult['results']> {
  const r = await requestTxBatch(client, multiaddr(addr), {
    t: TAGS.netTxBatch,
    v: 1,
    chainId,
    wait,
    txs: txs as never
  });
  return r.results;
}

/** Submit and throw the named refusal if rejected. */
export async function submitOk(
  client: Libp2p,
  addr: string,
  chainId: string,
  tx: Uint8Array
): Promise<Uint8Array> {
  const r = await submit(client, addr, chainId, tx);
  if (!r.accepted) throw new Error(`${r.code}: ${r.message}`);
  return r.txHash;
}

/** A registration approved by a majority of `managers`, ready to submit to the consortium. */
export function registerTx(
  who: Account,
  fields: Omit<RegistrationFields, 'signingPublic' | 'encryptionPublic' | 'created'>,
  managers: Account[],
  created = Date.now()
): Uint8Array {
  const req = signRegistration(
    {
      ...fields,
      signingPublic: who.keys.signingPublic,
      encryptionPublic: who.keys.encryptionPublic,
      created
    } as RegistrationFields,
    who.keys.signingSeed
  );
  return approvedRegistration(req, managers);
}

/** A signed request (the app's, or `carechain request`'s) approved by a majority of `managers`. */
export function approvedRegistration(req: Registration, managers: Account[]): Uint8Array {
  const majority = Math.floor(managers.length / 2) + 1;
  const approvals = managers
    .slice(0, majority)
    .map((m) => approve(m.keys.signingSeed, registrationSubject(req)));
  return registerTxCodec.encode(makeRegisterTx(req, approvals));
}

export const patientFields = (rng: Rng = systemRng) => ({ role: 'patient' as const, pseudonym: rng(16) });

export const doctorFields = (
  name: string,
  hospitalId: string,
  rank: Rank,
  speciality = 'General medicine'
) => ({
  role: 'doctor' as const,
  profile: { name, speciality, degree: 'MBBS', hospitalId, rank }
});

export interface GrantBundle {
  grant: Grant;
  id: Uint8Array;
  tx: Uint8Array;
  epoch: number;
  categories: readonly string[];
}

export function grantTx(
  patient: Account,
  doctor: Account,
  scope: ScopeInput & { categories: readonly string[] },
  o: { seq: number; notBefore: number; expiry: number; epoch?: number; rng?: Rng }
): GrantBundle {
  const epoch = o.epoch ?? 0;
  const grant = createGrant({
    seed: patient.seed,
    doctor: { signingPublic: doctor.keys.signingPublic, encryptionPublic: doctor.keys.encryptionPublic },
    scope,
    notBefore: o.notBefore,
    expiry: o.expiry,
    seq: o.seq,
    epoch,
    rng: o.rng ?? systemRng
  });
  const commits = scope.write ? writeCommitsFor(patient.seed, scope.categories, epoch) : [];
  const tx = grantTxCodec.encode(makeGrantTx(grant, commits));
  return { grant, id: grantId(grant), tx, epoch, categories: scope.categories };
}

/** Store on one mirror over the mirror protocol; throws its named refusal (node/disk-full …). */
export async function storeOnMirror(client: Libp2p, mirror: string, blob: Uint8Array): Promise<Attestation> {
  const r = await requestMirror(client, multiaddr(mirror), {
    t: TAGS.netMirrorRequest,
    v: 1,
    op: 'store',
    hash: sha256(blob) as never,
    blob: blob as never
  });
  if (r.op !== 'attestation') throw new Error(`mirror answered ${r.op} to a store`);
  return attestationCodec.decode(r.attestation);
}

/** Store on mirrors over the mirror protocol; returns the first `min` attestations. */
export async function storeOnMirrors(
  client: Libp2p,
  mirrors: string[],
  blob: Uint8Array,
  min = 2
): Promise<Attestation[]> {
  const got: Attestation[] = [];
  const errors: string[] = [];
  await Promise.all(
    mirrors.map(async (m) => {
      try {
        got.push(await storeOnMirror(client, m, blob));
      } catch (e) {
        errors.push((e as Error).message);
      }
    })
  );
  if (got.length < min) throw new Error(`only ${got.length} mirrors stored the blob: ${errors.join('; ')}`);
  return got.slice(0, Math.max(min, got.length));
}

/** The doctor's record transaction for `patient`'s `category`, under `grant` (write scope). */
export function recordTx(
  doctor: Account,
  patient: Account,
  hospital: string,
  category: string,
  grant: GrantBundle,
  blob: Uint8Array,
  attestations: Attestation[],
  time = Date.now()
): { tx: Uint8Array; mhrHash: Uint8Array; tag: Uint8Array } {
  const mhrHash = sha256(blob);
  const tag = indexTag(patient.keys.indexKey, category);
  const tx = createAppendRecord(doctor.keys.signingSeed, doctor.keys.signingPublic, {
    hospital,
    tag,
    blobRef: toHex(mhrHash),
    mhrHash,
    grant: grant.id,
    opening: recordPublicKey(patient.seed, category, grant.epoch),
    time,
    attestations
  } as never);
  return { tx: appendRecordCodec.encode(tx), mhrHash, tag };
}

/** A doctor's (or patient's) consent-checked read of one blob from one node. */
interface ReadAccess {
  grantId: Uint8Array | null;
  capability: Uint8Array | null;
  /** An encoded break-glass statement committed on the consortium (emergency read). */
  breakGlass?: Uint8Array | null;
  time?: number;
  rng?: Rng;
}

/** A read authorisation signed by `reader` for `hash` at `node` (net/blob.ts). */
function readAuth(node: { peerId: string }, reader: Account, hash: Uint8Array, o: ReadAccess): BlobAuth {
  return signBlobAuth(
    {
      t: TAGS.netBlobAuth,
      v: 1,
      hash: hash as never,
      node: node.peerId,
      requester: reader.keys.signingPublic as never,
      grantId: o.grantId as never,
      capability: o.capability as never,
      breakGlass: (o.breakGlass ?? null) as never,
      time: o.time ?? Date.now(),
      nonce: (o.rng ?? systemRng)(16) as never
    },
    reader.keys.signingSeed
  );
}

export async function readBlob(
  client: Libp2p,
  node: { addr: string; peerId: string },
  reader: Account,
  hash: Uint8Array,
  o: ReadAccess
): Promise<Uint8Array> {
  return requestBlob(client, multiaddr(node.addr), readAuth(node, reader, hash, o));
}

/** Records by their place on a hospital chain (net/record-fetch.ts): proof, blob, and a released key. */
export async function readRecords(
  client: Libp2p,
  node: { addr: string; peerId: string },
  reader: Account,
  items: { chainId: string; height: number; txIndex: number; mhrHash: Uint8Array }[],
  o: ReadAccess
): Promise<(RecordAnswer | Error)[]> {
  return requestRecords(
    client,
    multiaddr(node.addr),
    items.map((i) => ({
      chainId: i.chainId,
      height: i.height,
      txIndex: i.txIndex,
      auth: readAuth(node, reader, i.mhrHash, o)
    }))
  );
}

/** Break-glass: the records `node`'s hospital chain holds for the patient a committed statement names. */
export async function listEmergency(
  client: Libp2p,
  node: { addr: string; peerId: string },
  doctor: Account,
  statement: Uint8Array,
  before: EmergencyCursor | null = null
): Promise<EmergencyList> {
  const auth = readAuth(node, doctor, sha256(statement), {
    grantId: null,
    capability: null,
    breakGlass: statement
  });
  return requestEmergencyList(client, multiaddr(node.addr), {
    t: TAGS.netEmergencyListRequest,
    v: 1,
    auth,
    before
  });
}

/** A break-glass statement by `doctor`, co-signed by `cosigner`, about `patient`: consortium tx bytes. */
export function breakGlassTx(
  doctor: Account,
  cosigner: Account,
  patient: Account,
  reason: string,
  o: { time?: number; durationMs?: number } = {}
): Uint8Array {
  return breakGlassCodec.encode(
    createBreakGlass(doctor.keys.signingSeed, cosigner.keys.signingSeed, {
      doctor: doctor.keys.signingPublic,
      patient: patient.keys.signingPublic,
      reason,
      cosigner: cosigner.keys.signingPublic,
      time: o.time ?? Date.now(),
      durationMs: o.durationMs ?? 3_600_000
    } as never)
  );
}

export const capabilityFor = (patient: Account, category: string) =>
  searchCapability(patient.keys.indexKey, category);

export { CONSORTIUM_CHAIN_ID, hospitalChainId, fromHex };

/** How many index entries the consortium holds under `tag` (its first page), as the node at `addr` proves. */
export async function indexedCount(client: Libp2p, addr: string, tag: Uint8Array): Promise<number> {
  const s = await requestStateProof(client, multiaddr(addr), {
    t: TAGS.netStateRequest,
    v: 1,
    chainId: CONSORTIUM_CHAIN_ID,
    key: stateKey(NS.index, pageId(tag, 0)) as never,
    height: null
  });
  return s.value === null ? 0 : pageCodec.decode(s.value).entries.length;
}
