/**
 * The trusted start. The app is built with one pinned value, the consortium genesis hash (the devnet
 * writes it); the genesis document itself may come from any node (`GET /genesis.json`) because it is
 * accepted only if it hashes to the pinned value. From it the client derives, without asking anyone,
 * the trusted height-0 head of the consortium and of every founding hospital's chain; a hospital the
 * managers added later starts from its entry as proven on the consortium (hospitalHead).
 */
import { CoreError } from '../core/errors.js';
import { bytesEqual } from '../core/encoding/cbor.js';
import { v } from '../core/encoding/schema.js';
import { fromHex, toHex } from '../core/crypto/hash.js';
import {
  authoritySet,
  consortiumGenesisCodec,
  genesisHash,
  genesisHeader,
  hospitalGenesisOf,
  type ConsortiumGenesis
} from '../core/chain/genesis.js';
import type { HospitalEntry } from '../core/chain/entries.js';
import { headerHash } from '../core/chain/header.js';
import { makeValidatorSet } from '../core/consensus/types.js';
import type { TrustedHead } from './header-sync.js';

/** The consortium genesis is at most 1 MiB of CBOR (consortiumGenesisCodec): 2 MiB of hex. */
const MAX_GENESIS_HEX = 2 * 1024 * 1024 + 2;

/** The JSON a node serves at /genesis.json (src/node/genesis-file.ts); only `consortium` is used. */
const genesisFileSchema = v.object({
  kind: v.literal('carechain-genesis'),
  consortium: v.pipe(v.string(), v.maxLength(MAX_GENESIS_HEX), v.regex(/^([0-9a-f]{2})+$/))
});

function mismatch(detail: string, data: Record<string, unknown> = {}): CoreError {
  return new CoreError('light/proof-invalid', { detail: `genesis: ${detail}`, ...data });
}

/** Accepts a served genesis file only if its document hashes to `pinned` (hex or bytes). */
export function acceptGenesis(json: unknown, pinned: Uint8Array | string): ConsortiumGenesis {
  const want = typeof pinned === 'string' ? fromHex(pinned.toLowerCase()) : pinned;
  const file = v.safeParse(genesisFileSchema, json);
  if (!file.success) throw mismatch('not a carechain genesis file');
  let doc: ConsortiumGenesis;
  try {
    doc = consortiumGenesisCodec.decode(fromHex(file.output.consortium));
  } catch (e) {
    throw mismatch((e as Error).message);
  }
  const got = genesisHash(doc);
  if (!bytesEqual(got, want)) throw mismatch('hash is not the pinned one', { got: toHex(got) });
  return doc;
}

/** The height-0 heads of the consortium and of every founding hospital chain, derived from the document. */
export function trustedHeads(doc: ConsortiumGenesis): Map<string, TrustedHead> {
  const heads = new Map<string, TrustedHead>();
  const c = genesisHeader(doc).header;
  heads.set(c.chainId, {
    chainId: c.chainId,
    header: c,
    hash: headerHash(c),
    nextSet: authoritySet(doc.hospitals.map((h) => h.authority))
  });
  for (const h of doc.hospitals) {
    const head = hospitalHead(doc, h);
    heads.set(head.chainId, head);
  }
  return heads;
}

/**
 * The height-0 head of any hospital's chain: a founding hospital's from the document, one added later
 * from its entry as the light client proved it on the consortium (hospitalGenesisOf).
 */
export function hospitalHead(
  doc: ConsortiumGenesis,
  entry: Pick<HospitalEntry, 'id' | 'authority'>
): TrustedHead {
  const hdoc = hospitalGenesisOf(doc, entry);
  const header = genesisHeader(hdoc).header;
  return {
    chainId: header.chainId,
    header,
    hash: headerHash(header),
    nextSet: makeValidatorSet(hdoc.validators)
  };
}

/** Fetches /genesis.json from a node's HTTP endpoint and accepts it against the pinned hash. */
export async function fetchGenesis(
  httpUrl: string,
  pinned: Uint8Array | string,
  fetchFn: typeof fetch = fetch
): Promise<ConsortiumGenesis> {
  const res = await fetchFn(new URL('/genesis.json', httpUrl), { signal: AbortSignal.timeout(10_000) });
  if (!res.ok)
    throw new CoreError('net/no-response', { detail: `GET /genesis.json: ${res.status}` }, 'ignore');
  return acceptGenesis(await res.json(), pinned);
}
