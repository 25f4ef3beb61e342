/**
 * The light client as the browser app runs it, bundled for Chromium: genesis from a node's HTTP,
 * accepted against the pinned hash; node addresses from `GET /addrs`; the browser libp2p host
 * (WebSockets / WebRTC-Direct); heads persisted in IndexedDB; records verified and decrypted.
 */
import { CONSORTIUM_CHAIN_ID } from '../../src/lib/core/chain/header.js';
import { fromHex, systemRng, toHex } from '../../src/lib/core/crypto/index.js';
import { isCoreError } from '../../src/lib/core/errors.js';
import { openRecord } from '../../src/lib/core/records/envelope.js';
import type { LightEvent } from '../../src/lib/light/client.js';
import { connectLightClient } from '../../src/lib/light/connect.js';
import { fetchGenesis } from '../../src/lib/light/genesis.js';
import { fetchAddrs, type Transport } from '../../src/lib/light/addresses.js';
import { createLightHost } from '../../src/lib/light/host.browser.js';
import { LightQueries } from '../../src/lib/light/queries.js';
import { fetchRecords, openFetched } from '../../src/lib/light/read.js';
import { verifyBlob, verifyRecordRef } from '../../src/lib/light/records.js';
import { verifyStateAnswer } from '../../src/lib/light/proofs.js';
import { NS, pageId } from '../../src/lib/core/chain/store.js';
import { pageCodec } from '../../src/lib/core/chain/entries.js';
import { indexEntryCodec } from '../../src/lib/core/chain/tx/index-batch.js';
import { stateKey } from '../../src/lib/core/state/smt.js';
import { Libp2pLightPeer } from '../../src/lib/light/peer.js';
import { IdbHeadStore } from '../../src/lib/client/light-store.js';
import { multiaddr } from '@multiformats/multiaddr';

export interface RunInput {
  /** HTTP URLs of the nodes to ask, in order. */
  nodes: string[];
  pinned: string;
  transports: Transport[];
  dbName: string;
  tag: string;
  capability: string;
  recordSecret: string;
  signingSeed: string;
  signingPublic: string;
  /** Also read every record of the tag. */
  read: boolean;
  /** Every node down: its libp2p addresses point at a closed port (its HTTP still serves the genesis). */
  offline?: boolean;
}

export interface RunOutput {
  height: number;
  coldSyncMs: number;
  /** Index proven complete, hospital heads synced, every record's block, proof and blob verified. */
  fetchMs: number;
  /** Then decrypting and validating every record as FHIR. */
  decryptMs: number;
  records: string[];
  fhir: string[];
  /** Per record, the consortium height it was cached as of, or null when proven by a node now. */
  cachedAsOf: (number | null)[];
  dropped: [string, string][];
  stale: string[];
  unreachable: string[];
  error?: string;
}

export async function run(i: RunInput): Promise<RunOutput> {
  const genesis = await fetchGenesis(i.nodes[0]!, i.pinned);
  const found = await Promise.all(i.nodes.map((u) => fetchAddrs(u, i.transports, true)));
  // Port 9 (discard) is closed on loopback: each dial is refused, as for a node that is down.
  const nodes = i.offline
    ? found.map((addrs) => addrs.map((a) => multiaddr(a.toString().replace(/\/tcp\/\d+/, '/tcp/9'))))
    : found;
  const host = await createLightHost({ allowPrivateAddresses: true });
  const events: LightEvent[] = [];
  const store = new IdbHeadStore(i.dbName);
  const client = connectLightClient({
    host,
    nodes,
    genesis,
    store,
    signer: { signingSeed: fromHex(i.signingSeed), signingPublic: fromHex(i.signingPublic) },
    now: Date.now,
    rng: systemRng,
    onEvent: (e) => events.push(e)
  });
  const out: RunOutput = {
    height: -1,
    coldSyncMs: 0,
    fetchMs: 0,
    decryptMs: 0,
    records: [],
    fhir: [],
    cachedAsOf: [],
    dropped: [],
    stale: [],
    unreachable: []
  };
  try {
    const t0 = performance.now();
    out.height = (await client.sync(CONSORTIUM_CHAIN_ID)).header.height;
    out.coldSyncMs = performance.now() - t0;
    if (i.read) {
      const t1 = performance.now();
      const fetched = await fetchRecords(client, fromHex(i.tag), {
        capability: fromHex(i.capability),
        grantId: null
      });
      const t2 = performance.now();
      const got = fetched.map((r) => openFetched(r, { recordSecret: fromHex(i.recordSecret) }));
      out.fetchMs = t2 - t1;
      out.decryptMs = performance.now() - t2;
      out.records = got.map((r) => toHex(r.entry.mhrHash));
      out.fhir = got.map((r) => r.bundle.resourceType);
      out.cachedAsOf = got.map((r) => r.cachedAsOf ?? null);
    }
  } catch (e) {
    out.error = isCoreError(e) ? e.code : String(e);
  } finally {
    out.dropped = [...client.dropped].map(([id, e]) => [id, e.code]);
    out.stale = events.flatMap((e) => (e.type === 'peer-stale' ? [e.peer] : []));
    out.unreachable = events.flatMap((e) => (e.type === 'peer-unreachable' ? [e.peer] : []));
    await client.settled();
    store.close();
    await host.stop();
  }
  return out;
}

/** The consortium height saved in IndexedDB (what a reload resumes from), or -1. */
export async function savedHeight(dbName: string): Promise<number> {
  const store = new IdbHeadStore(dbName);
  const view = await store.load(CONSORTIUM_CHAIN_ID);
  store.close();
  return view?.head.header.height ?? -1;
}

/**
 * One record verified end to end with the network taken out: its answers are fetched once, then the
 * index page's state proof, the hospital block certificate, the inclusion proof, the blob hash and the
 * decryption with FHIR validation are timed together.
 */
export async function benchVerify(i: RunInput, iterations: number): Promise<{ ms: number }> {
  const genesis = await fetchGenesis(i.nodes[0]!, i.pinned);
  const [addrs] = await Promise.all(i.nodes.slice(0, 1).map((u) => fetchAddrs(u, i.transports, true)));
  const host = await createLightHost({ allowPrivateAddresses: true });
  try {
    const peer = new Libp2pLightPeer({
      host,
      addrs: addrs!,
      now: Date.now,
      rng: systemRng,
      signer: { signingSeed: fromHex(i.signingSeed), signingPublic: fromHex(i.signingPublic) }
    });
    const client = connectLightClient({
      host,
      nodes: [addrs!],
      genesis,
      store: { load: async () => undefined, save: async () => {} },
      now: Date.now,
      rng: systemRng
    });
    const tag = fromHex(i.tag);
    const head = (await client.sync(CONSORTIUM_CHAIN_ID)).header;
    const pageKey = stateKey(NS.index, pageId(tag, 0));
    const page = await peer.state(CONSORTIUM_CHAIN_ID, pageKey, head.height);
    const [entry] = await new LightQueries(client).indexEntries(tag);
    const chainId = `hospital:${entry!.hospital}`;
    await client.sync(chainId);
    const set = await client.setAt(chainId, entry!.height);
    const answer = await peer.txProof(chainId, entry!.height, entry!.txIndex);
    const blob = await peer.blob(entry!.mhrHash, { capability: fromHex(i.capability), grantId: null });
    const t0 = performance.now();
    for (let n = 0; n < iterations; n++) {
      const proven = verifyStateAnswer(head, pageKey, page);
      const first = indexEntryCodec.decode(pageCodec.decode(proven!).entries[0]!);
      const ref = verifyRecordRef(tag, first, answer, () => set);
      verifyBlob(ref, blob);
      openRecord(blob, { recordSecret: fromHex(i.recordSecret) });
    }
    return { ms: (performance.now() - t0) / iterations };
  } finally {
    await host.stop();
  }
}
