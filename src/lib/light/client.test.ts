import { beforeAll, describe, expect, it } from 'vitest';
import { setEd25519Backend } from '../core/crypto/ed25519.js';
import { nodeEd25519 } from '../core/crypto/ed25519.node.js';
import { CoreError, isCoreError } from '../core/errors.js';
import { SparseMerkleTree, stateKey } from '../core/state/smt.js';
import { PROTOCOL_VERSION, TAGS } from '../core/constants.js';
import { hospitalEntryCodec } from '../core/chain/entries.js';
import { hospitalChainId } from '../core/chain/header.js';
import { NS } from '../core/chain/store.js';
import { smtProofCodec } from '../core/state/smt.js';
import { LightClient, MemoryHeadStore, type LightPeer } from './client.js';
import { certify, makeTestChain, makeValidators, type TestChain } from './test-chain.node.js';

beforeAll(() => setEd25519Backend(nodeEd25519));

// A small real state: the revocation a dishonest node would like to hide.
const revoked = stateKey('revocation', 'grant-1');
const other = stateKey('revocation', 'grant-2');
// A hospital the managers added after genesis: its entry is all a client needs to start its chain.
const addedAuthority = new Uint8Array(32).fill(7);
const state = SparseMerkleTree.empty()
  .set(revoked, new Uint8Array([1]))
  .set(stateKey('account', 'a'), new Uint8Array([2]))
  .set(
    stateKey(NS.hospital, 'H4'),
    hospitalEntryCodec.encode({
      t: TAGS.stHospital,
      v: PROTOCOL_VERSION,
      id: 'H4',
      name: 'Added later',
      authority: addedAuthority as never,
      active: true
    })
  );
const chain = makeTestChain('consortium', 30, [8, 20], (h) => (h >= 5 ? state.root() : new Uint8Array(32)));

type Behaviour = 'honest' | 'forge' | 'stale' | 'withhold' | 'down' | 'hide-revocation';

function peer(id: string, c: TestChain, how: Behaviour): LightPeer {
  const top = how === 'stale' ? 12 : c.headers.length - 1;
  return {
    id,
    async header(_chainId, trusted) {
      if (how === 'down') throw new Error('connection refused');
      const latest = c.headers[top]!;
      const commit = how === 'forge' ? certify(latest, makeValidators(66, 4)) : c.certs[top]!;
      const changes = c.changes.filter((x) => x.header.height > trusted && x.header.height <= top);
      return { latest, commit, changes: how === 'withhold' ? changes.slice(1) : changes };
    },
    async state(_chainId, key, height) {
      if (how === 'down') throw new Error('connection refused');
      const answerFrom = how === 'stale' ? 12 : height;
      if (how === 'hide-revocation') {
        // Claims absence, but can only show the real tree's proof, which proves presence.
        return {
          height,
          root: state.root(),
          key,
          value: null,
          proof: smtProofCodec.encode(state.prove(key))
        };
      }
      return {
        height: answerFrom,
        root: state.root(),
        key,
        value: state.get(key) ?? null,
        proof: smtProofCodec.encode(state.prove(key))
      };
    },
    async txProof() {
      throw new CoreError('net/internal');
    },
    async blob() {
      throw new CoreError('net/internal');
    }
  };
}

function client(peers: LightPeer[]) {
  const events: string[] = [];
  const c = new LightClient({
    genesis: new Map([['consortium', chain.genesis]]),
    peers,
    store: new MemoryHeadStore(),
    onEvent: (e) =>
      events.push(e.type === 'progress' ? `progress:${e.progress.height}` : `${e.type}:${e.peer}`)
  });
  return { c, events };
}

describe('light client over several peers', () => {
  it('cold-syncs from genesis and reports progress', async () => {
    const { c, events } = client([peer('a', chain, 'honest')]);
    expect((await c.sync('consortium')).header.height).toBe(30);
    expect(events).toEqual(['progress:8', 'progress:20']);
  });

  it('drops a forging, a withholding and a stale node and still gets the right head from an honest one', async () => {
    const { c, events } = client([
      peer('forger', chain, 'forge'),
      peer('withholder', chain, 'withhold'),
      peer('down', chain, 'down'),
      peer('honest', chain, 'honest'),
      peer('stale', chain, 'stale')
    ]);
    expect((await c.sync('consortium')).header.height).toBe(30);
    expect([...c.dropped.keys()].sort()).toEqual(['forger', 'withholder']);
    expect(c.dropped.get('forger')!.code).toBe('light/header-unsigned');
    expect(c.dropped.get('withholder')!.code).toBe('light/withheld');
    expect(events).toContain('peer-unreachable:down');
    expect(c.livePeers.map((p) => p.id)).toEqual(['down', 'honest', 'stale']);
  });

  it('proves presence and absence, and catches a node hiding a revocation', async () => {
    const { c } = client([peer('liar', chain, 'hide-revocation'), peer('honest', chain, 'honest')]);
    await c.sync('consortium');
    expect(await c.state('consortium', revoked)).toEqual(new Uint8Array([1]));
    expect(c.dropped.get('liar')?.code).toBe('light/withheld');
    expect(await c.state('consortium', other)).toBeNull();
  });

  it('starts an added hospital’s chain from its proven entry, and only from one', async () => {
    const seen: string[] = [];
    const c = new LightClient({
      genesis: new Map([['consortium', chain.genesis]]),
      addedHospital: (entry) => {
        seen.push(`${entry.id}:${entry.authority[0]}`);
        return { ...chain.genesis, chainId: hospitalChainId(entry.id) };
      },
      peers: [peer('honest', chain, 'honest')],
      store: new MemoryHeadStore()
    });
    expect((await c.view(hospitalChainId('H4'))).head.chainId).toBe('hospital:H4');
    expect(seen).toEqual(['H4:7']);
    // A hospital the consortium does not hold has no chain, whatever a node says.
    await expect(c.view(hospitalChainId('H5'))).rejects.toSatisfy((e) =>
      isCoreError(e, 'chain/unknown-hospital')
    );
    const founding = client([peer('honest', chain, 'honest')]).c;
    await expect(founding.view(hospitalChainId('H4'))).rejects.toSatisfy((e) =>
      isCoreError(e, 'light/proof-invalid')
    );
  });

  it('fails with light/no-peers when nobody honest is left', async () => {
    const { c } = client([peer('forger', chain, 'forge')]);
    await expect(c.sync('consortium')).rejects.toSatisfy((e) => isCoreError(e, 'light/no-peers'));
  });

  it('resumes from the persisted head without re-walking old set changes', async () => {
    const store = new MemoryHeadStore();
    const first = new LightClient({
      genesis: new Map([['consortium', chain.genesis]]),
      peers: [peer('a', chain, 'honest')],
      store
    });
    await first.sync('consortium');
    const seen: number[] = [];
    const second = new LightClient({
      genesis: new Map([['consortium', chain.genesis]]),
      peers: [peer('a', chain, 'honest')],
      store,
      onEvent: (e) => e.type === 'progress' && seen.push(e.progress.height)
    });
    expect((await second.sync('consortium')).header.height).toBe(30);
    expect(seen).toEqual([]);
    expect((await second.setAt('consortium', 10)).validators.length).toBe(
      chain.valsAt[10]!.set.validators.length
    );
  });
});
