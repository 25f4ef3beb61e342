/**
 * The consortium genesis on disk: JSON holding the canonical CBOR (hex) and its hash, so the exact
 * signed-over bytes travel unchanged and anyone can recompute the hash. Every hospital chain's genesis
 * derives from it (hospitalGenesisFrom), so one file configures a node for both chains, and the same
 * file served at GET /genesis.json is the PWA's trust anchor.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { consortiumGenesisCodec, genesisHash, type ConsortiumGenesis } from '../lib/core/chain/genesis.js';
import { fromHex, toHex } from '../lib/core/crypto/index.js';
import { CoreError } from '../lib/core/errors.js';

export interface GenesisFile {
  kind: 'carechain-genesis';
  /** Hex of genesisHash(consortium genesis): what a light client pins. */
  consortiumHash: string;
  /** Hex of the canonical CBOR of the consortium genesis document. */
  consortium: string;
  /** Readable summary (ids and names); informative only. */
  hospitals: { id: string; name: string }[];
}

export function genesisFileOf(doc: ConsortiumGenesis): GenesisFile {
  return {
    kind: 'carechain-genesis',
    consortiumHash: toHex(genesisHash(doc)),
    consortium: toHex(consortiumGenesisCodec.encode(doc)),
    hospitals: doc.hospitals.map((h) => ({ id: h.id, name: h.name }))
  };
}

export function writeGenesisFile(file: string, doc: ConsortiumGenesis): GenesisFile {
  const g = genesisFileOf(doc);
  writeFileSync(file, JSON.stringify(g, null, 2) + '\n');
  return g;
}

export function readGenesisFile(file: string): { doc: ConsortiumGenesis; file: GenesisFile } {
  let g: GenesisFile;
  try {
    g = JSON.parse(readFileSync(file, 'utf8')) as GenesisFile;
  } catch (e) {
    throw new CoreError('node/bad-config', { field: 'genesis', detail: `${file}: ${(e as Error).message}` });
  }
  if (g?.kind !== 'carechain-genesis' || typeof g.consortium !== 'string')
    throw new CoreError('node/bad-config', {
      field: 'genesis',
      detail: `${file}: not a carechain genesis file`
    });
  const doc = consortiumGenesisCodec.decode(fromHex(g.consortium));
  if (toHex(genesisHash(doc)) !== g.consortiumHash)
    throw new CoreError('node/bad-config', {
      field: 'genesis',
      detail: `${file}: consortiumHash does not match`
    });
  return { doc, file: g };
}
