/**
 * A Byzantine validator as its own process, standing in for one node of a hospital (run with
 * `node --import tsx byzantine-node.ts <node config.json> <durationMs>`). It holds that node's real
 * keys — its libp2p identity, so the honest nodes' configured links reach it, and its validator key,
 * so its votes and proposals carry weight — and speaks only consensus gossip, lying two ways:
 *   - equivocation: for every honest proposal it prevotes both the block and a made-up block id
 *     (two signed, conflicting votes for one slot), at most MAX_EQUIVOCATIONS times;
 *   - invalid blocks: whenever the schedule makes it proposer, it proposes a block that links to the
 *     real head but replays the head's transactions under a false state root.
 * It stops by itself after durationMs and prints one JSON line of what it did.
 */
import '../../src/node/polyfills.js';
import 'reflect-metadata';
import { multiaddr } from '@multiformats/multiaddr';
import { blockCodec, blockId, makeBlock } from '../../src/lib/core/chain/block.js';
import { genesisHeader, hospitalGenesisFrom } from '../../src/lib/core/chain/genesis.js';
import { hospitalChainId } from '../../src/lib/core/chain/header.js';
import { validatorSetOf } from '../../src/lib/core/chain/rules/lookup.js';
import { TAGS, PROTOCOL_VERSION } from '../../src/lib/core/constants.js';
import { proposer } from '../../src/lib/core/consensus/proposer.js';
import {
  proposalCodec,
  signProposal,
  signVote,
  voteCodec,
  type Proposal,
  type Vote
} from '../../src/lib/core/consensus/types.js';
import { sha256, toHex, utf8Bytes } from '../../src/lib/core/crypto/index.js';
import { bytesEqual } from '../../src/lib/core/encoding/cbor.js';
import { requestBlockSync } from '../../src/lib/net/block-sync.js';
import {
  handleConsensusGossip,
  handleConsensusStream,
  requestConsensusGossip,
  type ConsensusGossipService
} from '../../src/lib/net/consensus-gossip.js';
import { loadConfig } from '../../src/node/config.js';
import { readGenesisFile } from '../../src/node/genesis-file.js';
import { loadNodeKey } from '../../src/node/keys.js';
import { createNodeHost } from '../../src/node/p2p/host.js';

/** Enough equivocations for evidence to be gossiped and committed several times, few enough to stay bounded. */
const MAX_EQUIVOCATIONS = 20;

const [configFile, durationArg] = process.argv.slice(2);
const config = loadConfig(configFile!);
const key = loadNodeKey(config.keys.node);
const chainId = hospitalChainId(config.hospital);
const set = validatorSetOf(
  genesisHeader(hospitalGenesisFrom(readGenesisFile(config.genesis.consortium).doc, config.hospital)).state
);
const stats = { equivocations: 0, invalidProposals: 0, proposerSlots: 0, gossipFailures: 0 };
const proposed = new Set<string>();
const equivocated = new Set<string>();

const host = await createNodeHost({
  dataDir: config.keys.libp2p,
  listen: { host: config.listen.host, tcp: config.listen.tcp },
  allowPrivateAddresses: true
});
const peers = config.peers.hospital.map((p) => multiaddr(p));

function send(items: { kind: 'vote' | 'proposal'; payload: Uint8Array }[]) {
  for (const p of peers)
    requestConsensusGossip(host.libp2p, p, {
      t: TAGS.netGossip,
      v: 1,
      chainId,
      messages: items as never
    }).catch(() => stats.gossipFailures++);
}

function prevote(height: number, round: number, id: Uint8Array): Vote {
  return signVote(
    {
      t: TAGS.vote,
      v: PROTOCOL_VERSION,
      chainId,
      type: 'prevote',
      height,
      round,
      blockId: id as never,
      validator: key.publicKey as never
    } as never,
    key
  );
}

async function equivocate(p: Proposal) {
  const slot = `${p.height}/${p.round}`;
  if (equivocated.has(slot) || stats.equivocations >= MAX_EQUIVOCATIONS) return;
  equivocated.add(slot);
  const fake = sha256(utf8Bytes(`not a block ${slot}`));
  send([
    { kind: 'vote', payload: voteCodec.encode(prevote(p.height, p.round, p.blockId)) },
    { kind: 'vote', payload: voteCodec.encode(prevote(p.height, p.round, fake)) }
  ]);
  stats.equivocations++;
}

/** When the schedule names us for (height, round): a block on the real head with a false state root. */
async function proposeInvalid(height: number, round: number) {
  const slot = `${height}/${round}`;
  if (height < 2 || proposed.has(slot) || !bytesEqual(proposer(set, height, round), key.publicKey)) return;
  proposed.add(slot);
  stats.proposerSlots++;
  let head;
  for (const p of peers) {
    try {
      head = (
        await requestBlockSync(host.libp2p, p, {
          t: TAGS.netSyncRequest,
          v: 1,
          chainId,
          from: height - 1,
          count: 1
        })
      )[0];
      if (head) break;
    } catch {
      // try the next peer
    }
  }
  if (!head) return;
  const prev = blockCodec.decode(head.block);
  const block = makeBlock(
    {
      ...prev.header,
      height,
      time: prev.header.time + 1,
      parent: blockId(prev),
      stateRoot: sha256(utf8Bytes(`false root ${slot}`)) as never,
      proposer: key.publicKey as never
    },
    prev.txs
  );
  const proposal = signProposal(
    {
      t: TAGS.proposal,
      v: PROTOCOL_VERSION,
      chainId,
      height,
      round,
      polRound: -1,
      block: blockCodec.encode(block) as never,
      blockId: blockId(block) as never,
      proposer: key.publicKey as never
    } as never,
    key
  );
  send([{ kind: 'proposal', payload: proposalCodec.encode(proposal) }]);
  stats.invalidProposals++;
}

// Honest validators send proposals and votes on their standing streams, relayed txs as requests.
const listener: ConsensusGossipService = {
  async onGossip(req) {
    if (req.chainId !== chainId) return 0;
    for (const m of req.messages) {
      try {
        if (m.kind === 'proposal') {
          const p = proposalCodec.decode(m.payload);
          if (!bytesEqual(p.proposer, key.publicKey)) void equivocate(p);
          void proposeInvalid(p.height, p.round + 1);
        } else if (m.kind === 'vote') {
          const v = voteCodec.decode(m.payload);
          void proposeInvalid(v.height, v.round);
          void proposeInvalid(v.height, v.round + 1);
        }
      } catch {
        // not ours to judge
      }
    }
    return 0;
  }
};
await handleConsensusGossip(host.libp2p, listener);
await handleConsensusStream(host.libp2p, listener);

process.stderr.write(`byzantine ${toHex(key.publicKey).slice(0, 8)} listening as ${host.peerId}\n`);
const stop = async () => {
  process.stdout.write(JSON.stringify(stats) + '\n');
  await host.stop().catch(() => {});
  process.exit(0);
};
setTimeout(() => void stop(), Number(durationArg));
process.once('SIGTERM', () => void stop());
