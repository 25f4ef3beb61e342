import { describe, expect, it } from 'vitest';
import { isCoreError } from '../core/errors.js';
import { parseNetworkFile } from './network-config.js';

const PIN = 'ab'.repeat(32);
const ORIGIN = 'http://127.0.0.1:17003';

describe('carechain-network.json', () => {
  it('names the pin, the nodes and whether devnet addresses may be dialled', () => {
    expect(
      parseNetworkFile(
        { genesisHash: PIN, nodes: ['http://127.0.0.1:1', 'https://h2.example'], devnet: true },
        ORIGIN
      )
    ).toEqual({
      pinnedGenesisHash: PIN,
      nodeUrls: ['http://127.0.0.1:1', 'https://h2.example'],
      allowPrivateAddresses: true
    });
  });

  it('starts from the node that served the app when it lists none, and never dials private addresses unasked', () => {
    expect(parseNetworkFile({ genesisHash: PIN }, ORIGIN)).toEqual({
      pinnedGenesisHash: PIN,
      nodeUrls: [ORIGIN],
      allowPrivateAddresses: false
    });
  });

  it.each([
    ['no pin', { nodes: [] }],
    ['a short pin', { genesisHash: 'ab' }],
    ['an upper-case pin', { genesisHash: PIN.toUpperCase() }],
    ['a non-http node', { genesisHash: PIN, nodes: ['javascript:alert(1)'] }],
    ['too many nodes', { genesisHash: PIN, nodes: Array.from({ length: 65 }, (_, i) => `http://n${i}`) }],
    ['not an object', 'genesis'],
    ['devnet as text', { genesisHash: PIN, devnet: 'yes' }]
  ])('refuses %s with a named error', (_what, json) => {
    let err: unknown;
    try {
      parseNetworkFile(json, ORIGIN);
    } catch (e) {
      err = e;
    }
    expect(isCoreError(err, 'decode/schema')).toBe(true);
  });
});
