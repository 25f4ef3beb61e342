import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { multiaddr } from '@multiformats/multiaddr';
import { setEd25519Backend } from '../core/crypto/ed25519.js';
import { nodeEd25519 } from '../core/crypto/ed25519.node.js';
import { TAGS } from '../core/constants.js';
import { encodeCanonical } from '../core/encoding/cbor.js';
import { blockCodec, makeBlock } from '../core/chain/block.js';
import { changeProofCodec } from '../core/chain/change-proof.js';
import { commitCertificateCodec, validatorSetCodec, validatorSetHash } from '../core/consensus/types.js';
import { toHex } from '../core/crypto/hash.js';
import { FUZZ_RUNS } from '../core/test-support.js';
import { isCoreError } from '../core/errors.js';
import { decodeChange } from './peer.js';
import { decodeView, encodeView } from './view-codec.js';
import { isPrivateAddress, parseAddrs } from './addresses.js';
import { makeTestChain } from './test-chain.node.js';
import type { ChainView } from './client.js';

beforeAll(() => setEd25519Backend(nodeEd25519));

const chain = makeTestChain('hospital:h', 12, [4, 9]);

describe('change proofs from a node', () => {
  it('decodes a ChangeProof and the node’s block-based form to the same proof', () => {
    const c = chain.changes[0]!;
    expect(decodeChange(changeProofCodec.encode(c))).toEqual(c);
    const legacy = encodeCanonical({
      t: TAGS.validatorSet,
      block: blockCodec.encode(makeBlock(c.header, [])),
      cert: commitCertificateCodec.encode(c.commit),
      validators: validatorSetCodec.encode(c.nextSet)
    });
    const d = decodeChange(legacy);
    expect(toHex(validatorSetHash(d.nextSet))).toBe(toHex(c.header.nextValidatorsHash));
    expect(d.header).toEqual(c.header);
  });

  it('names a change without its new set as withheld, and anything else malformed as a lie', () => {
    const c = chain.changes[0]!;
    const noSet = encodeCanonical({
      t: TAGS.validatorSet,
      block: blockCodec.encode(makeBlock(c.header, [])),
      cert: commitCertificateCodec.encode(c.commit),
      validators: new Uint8Array(0)
    });
    expect(() => decodeChange(noSet)).toThrow(/light\/withheld/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          decodeChange(bytes);
          return false;
        } catch (e) {
          return isCoreError(e) && (e.code === 'light/proof-invalid' || e.code === 'light/withheld');
        }
      }),
      { numRuns: FUZZ_RUNS }
    );
  });
});

describe('saved views', () => {
  it('round-trip, recomputing the head hash', () => {
    const view: ChainView = {
      head: {
        ...chain.genesis,
        header: chain.headers[12]!,
        hash: new Uint8Array(32),
        nextSet: chain.valsAt[12]!.set
      },
      sets: [
        { from: 1, set: chain.valsAt[1]!.set },
        { from: 5, set: chain.valsAt[5]!.set },
        { from: 10, set: chain.valsAt[10]!.set }
      ]
    };
    const back = decodeView(encodeView(view));
    expect(back.sets).toEqual(view.sets);
    expect(back.head.header).toEqual(view.head.header);
    expect(toHex(back.head.hash)).not.toBe(toHex(view.head.hash));
    expect(toHex(back.head.hash)).toBe(toHex(chain.certs[12]!.blockId));
  });

  it('refuse corrupted bytes by name', () => {
    const bytes = encodeView({ head: chain.genesis, sets: [] });
    const bad = Uint8Array.from(bytes);
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
    expect(() => decodeView(bad)).toThrow(/decode\//);
  });
});

describe('node addresses', () => {
  const pid = '12D3KooWDmn4d9sFdJ5mYUBdgERyoJJzpKmoKURa2YWaPZUX8ifY';
  const addrs = [
    `/ip4/127.0.0.1/tcp/1/p2p/${pid}`,
    `/ip4/127.0.0.1/tcp/2/ws/p2p/${pid}`,
    `/ip4/203.0.113.7/tcp/3/ws/p2p/${pid}`,
    `/ip4/192.168.1.4/udp/4/webrtc-direct/p2p/${pid}`,
    `/ip4/203.0.113.7/tcp/5`,
    'not a multiaddr'
  ];

  it('keep dialable addresses with a peer id, preferred transport first, private ones only in a devnet', () => {
    expect(parseAddrs({ addrs }, ['ws', 'webrtc-direct'], true).map(String)).toEqual([
      addrs[1],
      addrs[2],
      addrs[3]
    ]);
    expect(parseAddrs({ addrs }, ['ws', 'webrtc-direct'], false).map(String)).toEqual([addrs[2]]);
    expect(parseAddrs({ addrs }, ['tcp'], true).map(String)).toEqual([addrs[0]]);
    expect(() => parseAddrs({ addrs: 'x' }, ['tcp'], true)).toThrow(/decode\/schema/);
  });

  it('class loopback, LAN, CGNAT, link-local and ULA as private', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.0.1', '100.64.0.1', '169.254.1.1'])
      expect(isPrivateAddress(multiaddr(`/ip4/${a}/tcp/1`))).toBe(true);
    for (const a of ['::1', 'fd00::1', 'fe80::1', '::ffff:10.0.0.1'])
      expect(isPrivateAddress(multiaddr(`/ip6/${a}/tcp/1`))).toBe(true);
    for (const a of ['8.8.8.8', '172.32.0.1', '100.128.0.1'])
      expect(isPrivateAddress(multiaddr(`/ip4/${a}/tcp/1`))).toBe(false);
    expect(isPrivateAddress(multiaddr('/ip6/2001:db8::1/tcp/1'))).toBe(false);
  });
});
