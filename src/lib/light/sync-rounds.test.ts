import { beforeAll, expect, it } from 'vitest';
import { setEd25519Backend } from '../core/crypto/ed25519.js';
import { nodeEd25519 } from '../core/crypto/ed25519.node.js';
import { MAX_VALIDATOR_CHANGES } from '../net/header.js';
import { LightClient, MemoryHeadStore, type LightEvent, type LightPeer } from './client.js';
import { makeTestChain } from './test-chain.node.js';

beforeAll(() => setEd25519Backend(nodeEd25519));

it('follows more set changes than one answer holds, asking again from the last one walked', async () => {
  const changeAt = Array.from({ length: 110 }, (_, i) => i + 5);
  const chain = makeTestChain('consortium', 130, changeAt);
  const asked: number[] = [];
  const top = chain.headers.length - 1;
  const peer: LightPeer = {
    id: 'node',
    async header(_c, trusted) {
      asked.push(trusted);
      const changes = chain.changes.filter((c) => c.header.height > trusted).slice(0, MAX_VALIDATOR_CHANGES);
      return { latest: chain.headers[top]!, commit: chain.certs[top]!, changes };
    },
    state: () => Promise.reject(new Error('unused')),
    txProof: () => Promise.reject(new Error('unused')),
    blob: () => Promise.reject(new Error('unused'))
  };
  const events: LightEvent[] = [];
  const client = new LightClient({
    genesis: new Map([['consortium', chain.genesis]]),
    peers: [peer],
    store: new MemoryHeadStore(),
    onEvent: (e) => events.push(e)
  });
  expect((await client.sync('consortium')).header.height).toBe(top);
  expect(asked).toEqual([0, changeAt[47]!, changeAt[95]!]);
  expect(events.filter((e) => e.type === 'progress')).toHaveLength(110);
  expect(client.dropped.size).toBe(0);
  // The set history covers every change, so an old block is checked against the set of its day.
  expect((await client.setAt('consortium', 50)).validators).toEqual(chain.valsAt[50]!.set.validators);
});
