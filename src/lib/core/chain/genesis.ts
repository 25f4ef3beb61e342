/**
 * Genesis documents. The consortium's names the system managers, the member hospitals (id, name,
 * authority key) and each hospital's initial nodes (storage mirrors and validators with their stake);
 * each hospital chain's genesis follows from it. A light client is configured with the consortium
 * genesis hash only: everything else is derived — the initial state, and the height-0 header whose
 * hash is the parent of block 1. A hospital added later has a chain too: its genesis follows from the
 * consortium genesis and the hospital's proven entry (hospitalGenesisOf).
 */
import { CHAIN_LIMITS, LIMITS, PROTOCOL_VERSION, TAGS } from '../constants.js';
import { CoreError } from '../errors.js';
import { taggedHash } from '../crypto/hash.js';
import { defineCodec } from '../encoding/codec.js';
import { hash32, header, id, list, publicKey, text, uint, v } from '../encoding/schema.js';
import { makeValidatorSet, validatorSetHash, type ValidatorSet } from '../consensus/types.js';
import { SparseMerkleTree } from '../state/smt.js';
import { TX_EMPTY_ROOT } from '../state/tx-merkle.js';
import { compareBytes, strictlySorted } from './bytes.js';
import {
  accountEntryCodec,
  hospitalEntryCodec,
  managersEntryCodec,
  validatorsEntryCodec,
  type AccountEntry,
  type HospitalEntry
} from './entries.js';
import { CONSORTIUM_CHAIN_ID, hospitalChainId, ZERO_HASH, type Header } from './header.js';
import { NS, putEntry, type ChainState } from './store.js';
import { putHospitalSet } from './rules/hospital-set.js';

const genesisNodeSchema = v.strictObject({
  key: publicKey,
  encryptionKey: publicKey,
  /** A storage mirror: its attestations count towards the two a record needs. */
  mirror: v.boolean(),
  /** Stake on the hospital chain; 0 = not a validator. */
  weight: uint()
});

const genesisHospitalSchema = v.strictObject({
  id: id(),
  name: text(),
  authority: publicKey,
  authorityEncryption: publicKey,
  nodes: list(genesisNodeSchema, CHAIN_LIMITS.maxValidators)
});
export type GenesisHospital = v.InferOutput<typeof genesisHospitalSchema>;

export const consortiumGenesisSchema = v.strictObject({
  ...header(TAGS.genesis),
  kind: v.literal('consortium'),
  chainId: v.literal(CONSORTIUM_CHAIN_ID),
  time: uint(),
  managers: list(v.strictObject({ key: publicKey, encryptionKey: publicKey }), CHAIN_LIMITS.maxValidators),
  hospitals: list(genesisHospitalSchema, CHAIN_LIMITS.maxValidators)
});
export type ConsortiumGenesis = v.InferOutput<typeof consortiumGenesisSchema>;

export const hospitalGenesisSchema = v.strictObject({
  ...header(TAGS.genesis),
  kind: v.literal('hospital'),
  chainId: id(),
  hospital: id(),
  time: uint(),
  /** The consortium genesis this hospital chain belongs to. */
  consortium: hash32,
  validators: list(v.strictObject({ key: publicKey, weight: uint() }), CHAIN_LIMITS.maxValidators)
});
export type HospitalGenesis = v.InferOutput<typeof hospitalGenesisSchema>;

/** 256 hospitals x 256 nodes would be 8 MiB; real consortia are tens of hospitals: 1 MiB bounds it. */
export const consortiumGenesisCodec = defineCodec(
  'consortium-genesis',
  consortiumGenesisSchema,
  LIMITS.maxBlobBytes
);
export const hospitalGenesisCodec = defineCodec('hospital-genesis', hospitalGenesisSchema, 64 * 1024);

export function genesisHash(doc: ConsortiumGenesis | HospitalGenesis): Uint8Array {
  const bytes =
    doc.kind === 'consortium' ? consortiumGenesisCodec.encode(doc) : hospitalGenesisCodec.encode(doc);
  return taggedHash(TAGS.genesis, bytes);
}

function checkConsortium(doc: ConsortiumGenesis): void {
  const bad = (detail: string) => new CoreError('decode/schema', { type: 'consortium-genesis', detail });
  if (doc.managers.length === 0) throw bad('at least one manager');
  if (doc.hospitals.length === 0) throw bad('at least one hospital');
  if (!strictlySorted(doc.managers.map((m) => m.key))) throw bad('managers sorted by key, no duplicates');
  const ids = new Set(doc.hospitals.map((h) => h.id));
  if (ids.size !== doc.hospitals.length) throw bad('hospital ids are unique');
  const keys = [
    ...doc.managers.map((m) => m.key),
    ...doc.hospitals.flatMap((h) => [h.authority, ...h.nodes.map((n) => n.key)])
  ].sort(compareBytes);
  if (!strictlySorted(keys)) throw bad('every key appears once');
  for (const h of doc.hospitals)
    if (!h.nodes.some((n) => n.weight > 0)) throw bad(`hospital ${h.id} has no validator`);
}

const ZERO_REQUEST = new Uint8Array(32) as AccountEntry['request'];

function accountEntry(
  fields: Partial<AccountEntry> & Pick<AccountEntry, 'key' | 'role' | 'encryptionKey'>
): AccountEntry {
  return {
    t: TAGS.stAccount,
    v: PROTOCOL_VERSION,
    status: 'active',
    rotatedTo: new Uint8Array(32) as AccountEntry['rotatedTo'],
    hospital: '',
    rank: '',
    stake: 0,
    nodeRole: '',
    request: ZERO_REQUEST,
    ...fields
  };
}

/** The consortium authority set: every active hospital's authority key, equal weight (proof of authority). */
export function authoritySet(authorities: Uint8Array[]): ValidatorSet {
  return makeValidatorSet(authorities.map((key) => ({ key, weight: 1 })));
}

export function consortiumGenesisState(input: ConsortiumGenesis): ChainState {
  const doc = consortiumGenesisCodec.parse(input);
  checkConsortium(doc);
  let s: ChainState = SparseMerkleTree.empty();
  s = putEntry(s, NS.meta, 'managers', managersEntryCodec, {
    t: TAGS.stMarker,
    v: PROTOCOL_VERSION,
    managers: doc.managers.map((m) => m.key)
  });
  for (const m of doc.managers)
    s = putEntry(
      s,
      NS.account,
      m.key,
      accountEntryCodec,
      accountEntry({ key: m.key, role: 'manager', encryptionKey: m.encryptionKey })
    );
  for (const h of doc.hospitals) {
    s = putEntry(s, NS.hospital, h.id, hospitalEntryCodec, {
      t: TAGS.stHospital,
      v: PROTOCOL_VERSION,
      id: h.id,
      name: h.name,
      authority: h.authority,
      active: true
    });
    s = putEntry(
      s,
      NS.account,
      h.authority,
      accountEntryCodec,
      accountEntry({
        key: h.authority,
        role: 'hospital',
        encryptionKey: h.authorityEncryption,
        hospital: h.id
      })
    );
    for (const n of h.nodes)
      s = putEntry(
        s,
        NS.account,
        n.key,
        accountEntryCodec,
        accountEntry({
          key: n.key,
          role: 'node',
          encryptionKey: n.encryptionKey,
          hospital: h.id,
          nodeRole: n.mirror ? 'mirror' : n.weight > 0 ? 'validator' : 'follower',
          // The node's weight on its hospital chain: kept by recovery, read by hospital-set.ts.
          stake: n.weight
        })
      );
    s = putHospitalSet(
      s,
      h.id,
      h.nodes.filter((n) => n.weight > 0).map((n) => ({ key: n.key, weight: n.weight }))
    );
  }
  const set = authoritySet(doc.hospitals.map((h) => h.authority));
  return putEntry(s, NS.validator, 'current', validatorsEntryCodec, {
    t: TAGS.stValidators,
    v: PROTOCOL_VERSION,
    validators: set.validators
  });
}

export function hospitalGenesisFrom(consortium: ConsortiumGenesis, hospitalId: string): HospitalGenesis {
  const h = consortium.hospitals.find((x) => x.id === hospitalId);
  if (!h) throw new CoreError('chain/unknown-hospital', { hospital: hospitalId });
  const set = makeValidatorSet(
    h.nodes.filter((n) => n.weight > 0).map((n) => ({ key: n.key, weight: n.weight }))
  );
  return {
    t: TAGS.genesis,
    v: PROTOCOL_VERSION,
    kind: 'hospital',
    chainId: hospitalChainId(hospitalId),
    hospital: hospitalId,
    time: consortium.time,
    consortium: genesisHash(consortium) as HospitalGenesis['consortium'],
    validators: set.validators
  };
}

/**
 * A hospital chain's genesis, for any hospital the consortium holds. A founding hospital's follows
 * from the genesis document (hospitalGenesisFrom). One the managers added later (`hospital-change`)
 * starts with its authority key as the only validator, weight 1, until the chain adopts the set of the
 * nodes registered for it (`sync-validators`); it holds only what the hospital's entry on the
 * consortium fixes for good (a hospital id is never reused, its authority never changes), so a node and
 * a light client holding a proof of that entry derive the same chain.
 */
export function hospitalGenesisOf(
  consortium: ConsortiumGenesis,
  entry: Pick<HospitalEntry, 'id' | 'authority'>
): HospitalGenesis {
  if (consortium.hospitals.some((h) => h.id === entry.id)) return hospitalGenesisFrom(consortium, entry.id);
  return {
    t: TAGS.genesis,
    v: PROTOCOL_VERSION,
    kind: 'hospital',
    chainId: hospitalChainId(entry.id),
    hospital: entry.id,
    time: consortium.time,
    consortium: genesisHash(consortium) as HospitalGenesis['consortium'],
    validators: [{ key: entry.authority, weight: 1 }]
  };
}

export function hospitalGenesisState(input: HospitalGenesis): ChainState {
  const doc = hospitalGenesisCodec.parse(input);
  if (doc.chainId !== hospitalChainId(doc.hospital))
    throw new CoreError('chain/wrong-chain', { chainId: doc.chainId, hospital: doc.hospital });
  const set = makeValidatorSet(doc.validators);
  return putEntry(SparseMerkleTree.empty(), NS.validator, 'current', validatorsEntryCodec, {
    t: TAGS.stValidators,
    v: PROTOCOL_VERSION,
    validators: set.validators
  });
}

/** The height-0 header: not signed by anyone, trusted because the genesis document is. */
export function genesisHeader(doc: ConsortiumGenesis | HospitalGenesis): {
  header: Header;
  state: ChainState;
} {
  const state = doc.kind === 'consortium' ? consortiumGenesisState(doc) : hospitalGenesisState(doc);
  const vh = validatorSetHash(
    makeValidatorSet(
      doc.kind === 'consortium' ? doc.hospitals.map((h) => ({ key: h.authority, weight: 1 })) : doc.validators
    )
  );
  const header: Header = {
    t: TAGS.header,
    v: PROTOCOL_VERSION,
    chainId: doc.chainId,
    height: 0,
    time: doc.time,
    parent: ZERO_HASH as Header['parent'],
    txRoot: TX_EMPTY_ROOT as Header['txRoot'],
    stateRoot: state.root() as Header['stateRoot'],
    validatorsHash: vh as Header['validatorsHash'],
    nextValidatorsHash: vh as Header['nextValidatorsHash'],
    proposer: ZERO_HASH as Header['proposer']
  };
  return { header, state };
}
