/**
 * A local network on one machine, written to a directory: per hospital an authority key and N node
 * directories (node key, libp2p identity, config), the consortium genesis naming them all, managers'
 * and demo users' account seeds. Nothing here runs anything; `devnet/index.ts` and the integration
 * tests start processes from it. Written once; a second start reuses it (data survives).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import type { ConsortiumGenesis } from '../../lib/core/chain/genesis.js';
import { CONSORTIUM_CHAIN_ID } from '../../lib/core/chain/header.js';
import { PROTOCOL_VERSION, TAGS } from '../../lib/core/constants.js';
import { compareBytes } from '../../lib/core/consensus/types.js';
import {
  deriveAccountKeys,
  toHex,
  utf8Bytes,
  seededRng,
  systemRng,
  type Rng
} from '../../lib/core/crypto/index.js';
import { writeGenesisFile } from '../genesis-file.js';
import { generateNodeKey, type NodeKey } from '../keys.js';
import { loadOrCreatePeerKey } from '../p2p/identity.js';
import type { Role } from '../config.js';

export interface DevnetNode {
  hospital: string;
  name: string;
  dir: string;
  configFile: string;
  roles: Role[];
  authority: boolean;
  publicKey: string;
  peerId: string;
  ports: { tcp: number; ws: number; webrtcDirect: number; http: number };
  /** TCP multiaddr with /p2p/, for peers. */
  addr: string;
  httpUrl: string;
}

export interface DevnetLayout {
  dir: string;
  genesisFile: string;
  consortiumHash: string;
  /**
   * `authorityKey`, `encryptionKey`: hex of the authority's signing and encryption keys (what managers
   * register when they add a hospital; record writers seal the emergency wrap to the second).
   * `added`: laid out but not in the genesis document — the managers add it later (`hospital-change`).
   */
  hospitals: {
    id: string;
    name: string;
    authorityKey: string;
    encryptionKey: string;
    added: boolean;
    nodes: DevnetNode[];
  }[];
  /** Account seeds (hex) of the system managers: devnet only, printed for the demo. */
  managers: { name: string; seed: string }[];
}

export interface LayoutOptions {
  hospitals: number;
  /**
   * Hospitals laid out (keys, configs) but left out of the genesis, for the managers to add later. Their
   * nodes register as accounts, one role each: the first `mirrors` are mirrors (the first also the
   * authority), the rest validators; every config lists the validators' keys (`validatorKeys`).
   */
  addedHospitals?: number;
  nodesPerHospital?: number;
  /** How many of each hospital's nodes are storage mirrors (the first ones). */
  mirrors?: number;
  managers?: number;
  /** First port; each node takes 4 consecutive ports. */
  basePort?: number;
  staticDir?: string;
  timeouts?: { proposeMs?: number; prevoteMs?: number; precommitMs?: number; roundDeltaMs?: number };
  indexIntervalMs?: number;
  /** Deterministic keys (tests); default: fresh random keys. */
  seed?: string;
}

const HOSPITAL_NAMES = [
  'Dhaka Medical College Hospital',
  'Chittagong General Hospital',
  'Rajshahi Medical Centre',
  'Sylhet Women’s Hospital',
  'Khulna City Hospital',
  'Barisal Children’s Hospital',
  'Rangpur District Hospital',
  'Mymensingh Community Clinic'
];

export async function createLayout(dir: string, o: LayoutOptions): Promise<DevnetLayout> {
  const rng: Rng = o.seed ? seededRng(utf8Bytes(o.seed)) : systemRng;
  const perHospital = o.nodesPerHospital ?? 4;
  const mirrors = o.mirrors ?? 2;
  const basePort = o.basePort ?? 17000;
  mkdirSync(dir, { recursive: true });

  const managers = Array.from({ length: o.managers ?? 3 }, (_, i) => ({
    name: `Manager ${i + 1}`,
    seed: rng(32)
  }));
  const hospitals: DevnetLayout['hospitals'] = [];
  const genesisHospitals: ConsortiumGenesis['hospitals'] = [];
  let port = basePort;
  for (let hi = 0; hi < o.hospitals + (o.addedHospitals ?? 0); hi++) {
    const added = hi >= o.hospitals;
    const id = `H${hi + 1}`;
    const hdir = join(dir, id);
    const authority = keyAt(join(hdir, 'authority.json'), rng);
    const nodes: DevnetNode[] = [];
    const gnodes: ConsortiumGenesis['hospitals'][number]['nodes'] = [];
    for (let ni = 0; ni < perHospital; ni++) {
      const name = `node${ni + 1}`;
      const ndir = join(hdir, name);
      const key = keyAt(join(ndir, 'keys', 'node.json'), rng);
      const peerKey = await loadOrCreatePeerKey(join(ndir, 'keys', 'libp2p'));
      const peerId = peerIdFromPrivateKey(peerKey).toString();
      const ports = { tcp: port, ws: port + 1, webrtcDirect: port + 2, http: port + 3 };
      port += 4;
      const roles: Role[] = ni < mirrors ? (added ? ['mirror'] : ['validator', 'mirror']) : ['validator'];
      nodes.push({
        hospital: id,
        name,
        dir: ndir,
        configFile: join(ndir, 'config.json'),
        roles,
        authority: ni === 0,
        publicKey: toHex(key.publicKey),
        peerId,
        ports,
        addr: `/ip4/127.0.0.1/tcp/${ports.tcp}/p2p/${peerId}`,
        httpUrl: `http://127.0.0.1:${ports.http}`
      });
      gnodes.push({
        key: key.publicKey,
        encryptionKey: deriveAccountKeys(key.seed).encryptionPublic,
        mirror: ni < mirrors,
        weight: 1
      } as never);
    }
    const authorityEncryption = deriveAccountKeys(authority.seed).encryptionPublic;
    hospitals.push({
      id,
      name: HOSPITAL_NAMES[hi % HOSPITAL_NAMES.length]!,
      authorityKey: toHex(authority.publicKey),
      encryptionKey: toHex(authorityEncryption),
      added,
      nodes
    });
    if (!added)
      genesisHospitals.push({
        id,
        name: HOSPITAL_NAMES[hi % HOSPITAL_NAMES.length]!,
        authority: authority.publicKey,
        authorityEncryption,
        nodes: gnodes
      } as never);
  }

  const doc = {
    t: TAGS.genesis,
    v: PROTOCOL_VERSION,
    kind: 'consortium',
    chainId: CONSORTIUM_CHAIN_ID,
    time: Date.now(),
    managers: managers
      .map((m) => {
        const k = deriveAccountKeys(m.seed);
        return { key: k.signingPublic, encryptionKey: k.encryptionPublic };
      })
      .sort((a, b) => compareBytes(a.key, b.key)),
    hospitals: genesisHospitals
  } as ConsortiumGenesis;
  const genesisFile = join(dir, 'genesis.json');
  const g = writeGenesisFile(genesisFile, doc);

  for (const h of hospitals) {
    const authorityNode = h.nodes.find((n) => n.authority)!;
    const otherAuthorities = hospitals
      .filter((x) => x.id !== h.id)
      .map((x) => x.nodes.find((n) => n.authority)!.addr);
    for (const n of h.nodes) {
      const config = {
        hospital: h.id,
        name: n.name,
        roles: n.roles,
        consortiumAuthority: n.authority,
        keys: {
          node: 'keys/node.json',
          libp2p: 'keys/libp2p',
          ...(n.authority ? { authority: '../authority.json' } : {})
        },
        listen: { host: '127.0.0.1', ...n.ports },
        ...(h.added
          ? { validatorKeys: h.nodes.filter((x) => x.roles.includes('validator')).map((x) => x.publicKey) }
          : {}),
        peers: {
          hospital: h.nodes.filter((x) => x !== n).map((x) => x.addr),
          consortium: n.authority ? otherAuthorities : [authorityNode.addr]
        },
        dataDir: 'data',
        genesis: { consortium: genesisFile },
        ...(o.staticDir ? { staticDir: o.staticDir } : {}),
        allowPrivateAddresses: true,
        ...(o.timeouts ? { timeouts: o.timeouts } : {}),
        ...(o.indexIntervalMs ? { indexIntervalMs: o.indexIntervalMs } : {})
      };
      writeFileSync(n.configFile, JSON.stringify(config, null, 2) + '\n');
    }
  }
  const layout: DevnetLayout = {
    dir,
    genesisFile,
    consortiumHash: g.consortiumHash,
    hospitals,
    managers: managers.map((m) => ({ name: m.name, seed: toHex(m.seed) }))
  };
  writeFileSync(join(dir, 'devnet.json'), JSON.stringify(layout, null, 2) + '\n', { mode: 0o600 });
  return layout;
}

function keyAt(file: string, rng: Rng): NodeKey {
  return generateNodeKey(file, rng);
}
