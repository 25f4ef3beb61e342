/**
 * Test support: a chain of real headers and real commit certificates signed by real Ed25519 keys,
 * with validator-set changes at chosen heights. Only headers matter to the light client, so the
 * transactions and state roots are stand-ins; signatures and hashes are genuine.
 */
import { PROTOCOL_VERSION, TAGS } from '../core/constants.js';
import { sign, signingPublicKey } from '../core/crypto/ed25519.js';
import { seededRng } from '../core/crypto/random.js';
import { headerHash, ZERO_HASH, type Header } from '../core/chain/header.js';
import { makeChangeProof, type ChangeProof } from '../core/chain/change-proof.js';
import {
  makeCommitCertificate,
  makeValidatorSet,
  signVote,
  validatorSetHash,
  type CommitCertificate,
  type ValidatorSet
} from '../core/consensus/types.js';
import type { TrustedHead } from './header-sync.js';

export interface TestValidators {
  seeds: Uint8Array[];
  set: ValidatorSet;
}

export function makeValidators(
  seedBase: number,
  n: number,
  weight = (i: number) => 1 + (i % 3)
): TestValidators {
  const rng = seededRng(seedBase);
  const seeds = Array.from({ length: n }, () => rng(32));
  const set = makeValidatorSet(seeds.map((s, i) => ({ key: signingPublicKey(s), weight: weight(i) })));
  return { seeds, set };
}

export function certify(h: Header, vals: TestValidators, signers = vals.seeds): CommitCertificate {
  const blockId = headerHash(h);
  const votes = signers.map((seed) =>
    signVote(
      {
        t: TAGS.vote,
        v: PROTOCOL_VERSION,
        chainId: h.chainId,
        type: 'precommit',
        height: h.height,
        round: 0,
        blockId: blockId as Header['parent'],
        validator: signingPublicKey(seed) as Header['parent']
      },
      { publicKey: signingPublicKey(seed), sign: (b) => sign(seed, b) }
    )
  );
  return makeCommitCertificate(votes);
}

export interface TestChain {
  chainId: string;
  genesis: TrustedHead;
  headers: Header[];
  certs: CommitCertificate[];
  /** Validators in charge of each height (index = height). */
  valsAt: TestValidators[];
  changes: ChangeProof[];
}

/** Heights 1..length; the signing set changes after each height listed in `changeAt`. */
export function makeTestChain(
  chainId: string,
  length: number,
  changeAt: number[] = [],
  stateRootAt: (height: number) => Uint8Array = (height) => seededRng(height)(32)
): TestChain {
  let vals = makeValidators(1, 4);
  const genesisHeader: Header = {
    t: TAGS.header,
    v: PROTOCOL_VERSION,
    chainId,
    height: 0,
    time: 1_700_000_000_000,
    parent: ZERO_HASH as Header['parent'],
    txRoot: ZERO_HASH as Header['parent'],
    stateRoot: ZERO_HASH as Header['parent'],
    validatorsHash: validatorSetHash(vals.set) as Header['parent'],
    nextValidatorsHash: validatorSetHash(vals.set) as Header['parent'],
    proposer: ZERO_HASH as Header['parent']
  };
  const headers = [genesisHeader];
  const certs: CommitCertificate[] = [certify(genesisHeader, vals)];
  const valsAt = [vals];
  const changes: ChangeProof[] = [];
  for (let height = 1; height <= length; height++) {
    const prev = headers[height - 1]!;
    const next = changeAt.includes(height) ? makeValidators(1000 + height, 4 + (height % 3)) : vals;
    const h: Header = {
      ...prev,
      height,
      time: prev.time + 1000,
      parent: headerHash(prev) as Header['parent'],
      stateRoot: stateRootAt(height) as Header['parent'],
      validatorsHash: validatorSetHash(vals.set) as Header['parent'],
      nextValidatorsHash: validatorSetHash(next.set) as Header['parent'],
      proposer: vals.set.validators[0]!.key
    };
    const cert = certify(h, vals);
    headers.push(h);
    certs.push(cert);
    valsAt.push(vals);
    if (next !== vals) changes.push(makeChangeProof(h, cert, next.set));
    vals = next;
  }
  return {
    chainId,
    genesis: { chainId, header: genesisHeader, hash: headerHash(genesisHeader), nextSet: valsAt[0]!.set },
    headers,
    certs,
    valsAt,
    changes
  };
}
