import { beforeAll, describe, expect, it } from 'vitest';
import { setEd25519Backend } from '../core/crypto/ed25519.js';
import { nodeEd25519 } from '../core/crypto/ed25519.node.js';
import { isCoreError } from '../core/errors.js';
import { headerHash } from '../core/chain/header.js';
import { makeChangeProof } from '../core/chain/change-proof.js';
import { verifyHeaderUpdate } from './header-sync.js';
import { certify, makeTestChain, makeValidators } from './test-chain.node.js';

beforeAll(() => setEd25519Backend(nodeEd25519));

const chain = makeTestChain('consortium', 60, [10, 25, 40]);
const latest = chain.headers[60]!;
const update = { changes: chain.changes, latest, commit: chain.certs[60]! };

function expectCode(f: () => unknown, code: string) {
  try {
    f();
    expect.unreachable('accepted');
  } catch (e) {
    expect(isCoreError(e) ? e.code : e).toBe(code);
  }
}

describe('header skip verification', () => {
  it('walks set changes from genesis to the latest header, reporting progress', () => {
    const seen: number[] = [];
    const head = verifyHeaderUpdate(chain.genesis, update, (p) => seen.push(p.height));
    expect(head.header.height).toBe(60);
    expect(head.hash).toEqual(headerHash(latest));
    expect(seen).toEqual([10, 25, 40]);
  });

  it('resumes from an intermediate trusted head', () => {
    const mid = verifyHeaderUpdate(chain.genesis, {
      changes: chain.changes.slice(0, 2),
      latest: chain.headers[30]!,
      commit: chain.certs[30]!
    });
    const head = verifyHeaderUpdate(mid, {
      changes: chain.changes.slice(2),
      latest,
      commit: chain.certs[60]!
    });
    expect(head.header.height).toBe(60);
  });

  it('refuses a forged header signed by keys outside the set', () => {
    const forger = makeValidators(99, 4);
    expectCode(
      () => verifyHeaderUpdate(chain.genesis, { ...update, commit: certify(latest, forger) }),
      'light/header-unsigned'
    );
  });

  it('refuses a header signed by only 2/3 or less of the weight', () => {
    const vals = chain.valsAt[60]!;
    const few = vals.seeds.slice(0, 1);
    expectCode(
      () => verifyHeaderUpdate(chain.genesis, { ...update, commit: certify(latest, vals, few) }),
      'light/header-unsigned'
    );
  });

  it('detects a withheld validator-set change', () => {
    expectCode(
      () => verifyHeaderUpdate(chain.genesis, { ...update, changes: [chain.changes[0]!, chain.changes[2]!] }),
      'light/withheld'
    );
    expectCode(() => verifyHeaderUpdate(chain.genesis, { ...update, changes: [] }), 'light/withheld');
  });

  it('detects a change proof whose new set is not the one the header names', () => {
    const c = chain.changes[0]!;
    const other = makeValidators(77, 4).set;
    const bad = makeChangeProof(c.header, c.commit, other);
    expectCode(
      () => verifyHeaderUpdate(chain.genesis, { ...update, changes: [bad, ...chain.changes.slice(1)] }),
      'light/proof-invalid'
    );
  });

  it('treats an older head as stale', () => {
    const head = verifyHeaderUpdate(chain.genesis, update);
    expectCode(
      () => verifyHeaderUpdate(head, { changes: [], latest: chain.headers[45]!, commit: chain.certs[45]! }),
      'light/stale'
    );
  });

  it('refuses a different header at a height already verified', () => {
    const head = verifyHeaderUpdate(chain.genesis, update);
    const twin = { ...latest, time: latest.time + 1 };
    expectCode(
      () => verifyHeaderUpdate(head, { changes: [], latest: twin, commit: certify(twin, chain.valsAt[60]!) }),
      'light/header-unsigned'
    );
  });
});
