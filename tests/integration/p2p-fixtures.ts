/**
 * Deterministic test services for every carechain protocol, used by the in-process protocol test and
 * by the separate node process the fuzz and rate-limit tests attack (p2p-target.node.ts).
 */
import { TAGS } from '../../src/lib/core/constants.js';
import { CoreError } from '../../src/lib/core/errors.js';
import { sha256 } from '../../src/lib/core/crypto/hash.js';
import { toHex } from '../../src/lib/core/crypto/index.js';
import type { NetHost, ServeOptions } from '../../src/lib/net/rpc.js';
import {
  handleConsensusGossip,
  handleConsensusStream,
  type GossipRequest
} from '../../src/lib/net/consensus-gossip.js';
import { handleBlockSync } from '../../src/lib/net/block-sync.js';
import { handleTxSubmit } from '../../src/lib/net/tx-submit.js';
import { handleTxBatch } from '../../src/lib/net/tx-batch.js';
import { handleHeader } from '../../src/lib/net/header.js';
import { handleStateProof } from '../../src/lib/net/state-proof.js';
import { handleTxProof } from '../../src/lib/net/tx-proof.js';
import { handleBlob, verifyBlobAuthSignature, type BlobAuth } from '../../src/lib/net/blob.js';
import { handleMirror } from '../../src/lib/net/mirror.js';
import { handleMailbox } from '../../src/lib/net/mailbox.js';
import { handleRecord } from '../../src/lib/net/record-fetch.js';

export const CHAIN = 'hospital-a';
export const HEAD = 100;
export const BLOB = new TextEncoder().encode('encrypted record bytes (test)');
export const BLOB_HASH = sha256(BLOB);

const b = (s: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(s) as Uint8Array<ArrayBuffer>;

/** The newest batches the consensus-stream service took, oldest first (bounded: the fuzz sends 10,000). */
export const streamed: GossipRequest[] = [];
const STREAMED_KEPT = 256;

function checkChain(chainId: string): void {
  if (chainId !== CHAIN) throw new CoreError('chain/wrong-chain', { chainId }, 'ignore');
}

/** Registers all twelve protocols with test services; `allowedReaders` are hex signing keys. */
export async function serveAll(
  host: NetHost,
  allowedReaders: Set<string>,
  opts: ServeOptions = {}
): Promise<void> {
  const mirror = new Map<string, Uint8Array>([[toHex(BLOB_HASH), BLOB]]);
  await handleConsensusGossip(
    host,
    {
      onGossip: async (req) => {
        checkChain(req.chainId);
        return req.messages.filter((m) => m.payload.length > 0).length;
      }
    },
    undefined,
    opts
  );
  await handleConsensusStream(
    host,
    {
      onGossip: async (req) => {
        checkChain(req.chainId);
        streamed.push(req);
        if (streamed.length > STREAMED_KEPT) streamed.shift();
        return req.messages.length;
      }
    },
    undefined,
    opts
  );
  await handleBlockSync(
    host,
    {
      async *blocks(req) {
        checkChain(req.chainId);
        for (let h = req.from; h < req.from + req.count && h <= HEAD; h++)
          yield { height: h, block: b(`block ${h}`), commit: b(`commit ${h}`) };
      }
    },
    undefined,
    opts
  );
  await handleTxSubmit(
    host,
    {
      submit: async (req) => {
        checkChain(req.chainId);
        return req.tx[0] === 1
          ? { accepted: true, txHash: sha256(req.tx) }
          : { accepted: false, code: 'chain/bad-tx', message: 'test: first byte must be 1' };
      }
    },
    undefined,
    opts
  );
  await handleTxBatch(
    host,
    {
      submit: async (req) => {
        checkChain(req.chainId);
        return req.txs.map((tx) =>
          tx[0] === 1
            ? { accepted: true as const, txHash: sha256(tx), height: req.wait ? HEAD : null }
            : { accepted: false as const, code: 'chain/bad-tx' }
        );
      }
    },
    undefined,
    opts
  );
  await handleHeader(
    host,
    {
      latest: async (req) => {
        checkChain(req.chainId);
        return {
          height: HEAD,
          header: b(`header ${HEAD}`),
          commit: b(`commit ${HEAD}`),
          validatorChanges: []
        };
      }
    },
    undefined,
    opts
  );
  await handleStateProof(
    host,
    {
      prove: async (req) => {
        checkChain(req.chainId);
        const present = req.key[0]! % 2 === 0;
        return {
          height: req.height ?? HEAD,
          root: sha256(b('root')) as Uint8Array<ArrayBuffer>,
          key: req.key,
          value: present ? b('value') : null,
          proof: b('proof')
        };
      }
    },
    undefined,
    opts
  );
  await handleTxProof(
    host,
    {
      prove: async (req) => {
        checkChain(req.chainId);
        if (req.height > HEAD) throw new CoreError('chain/unknown-record', { height: req.height }, 'ignore');
        return { header: b('header'), commit: b('commit'), tx: b('tx'), proof: b('proof') };
      }
    },
    undefined,
    opts
  );
  // A read is authorised the same way on the blob and the record protocols.
  const readBlob = async (auth: BlobAuth): Promise<Uint8Array> => {
    if (!verifyBlobAuthSignature(auth)) throw new CoreError('crypto/bad-signature');
    if (!allowedReaders.has(toHex(auth.requester))) throw new CoreError('consent/wrong-doctor', {}, 'ignore');
    const blob = mirror.get(toHex(auth.hash));
    if (!blob) throw new CoreError('node/blob-missing', {}, 'ignore');
    return blob;
  };
  await handleBlob(host, { fetch: readBlob }, undefined, opts);
  await handleMirror(
    host,
    {
      store: async (hash, blob) => {
        mirror.set(toHex(hash), blob);
        return b(`attest ${toHex(hash)}`);
      },
      fetch: async (hash) => {
        const blob = mirror.get(toHex(hash));
        if (!blob) throw new CoreError('node/blob-missing', {}, 'ignore');
        return blob;
      },
      attest: async (hash) => {
        if (!mirror.has(toHex(hash))) throw new CoreError('node/blob-missing', {}, 'ignore');
        return b(`attest ${toHex(hash)}`);
      }
    },
    undefined,
    opts
  );
  // The registry mailbox: this test network has no managers, so every post is refused by name.
  await handleMailbox(
    host,
    {
      post: async () => ({ accepted: false, code: 'account/unknown' }),
      list: async () => ({ posts: [], more: false }),
      registrations: async () => []
    },
    undefined,
    opts
  );
  await handleRecord(
    host,
    {
      fetch: async (item) => {
        checkChain(item.chainId);
        const blob = await readBlob(item.auth);
        return { header: b('header'), commit: b('commit'), tx: b('tx'), proof: b('proof'), blob };
      }
    },
    undefined,
    opts
  );
}

export const V = 1 as const;
export { TAGS };
