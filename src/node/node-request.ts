/**
 * `carechain request`: the registration request of a node that joins a hospital after genesis (every
 * node of a hospital the managers added later, or one more mirror or validator for any hospital). A
 * node's account is what makes its work count: a mirror's attestations, a validator's stake. The
 * request is signed with the node key (proof it holds it) and names the libp2p peer id the node will
 * run with. With `--post` it goes to the nodes' mailbox, where the managers' apps list it; either way
 * the printed text opens in the app ("Or open a request file") for them to approve.
 */
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { mailPost } from '../lib/core/chain/mail.js';
import { TAGS } from '../lib/core/constants.js';
import { requestMailbox } from '../lib/net/mailbox.js';
import type { NetHost } from '../lib/net/rpc.js';
import { signRegistration, type Registration } from '../lib/core/accounts/registration.js';
import { requestText } from '../lib/core/accounts/request-text.js';
import type { NodeRole } from '../lib/core/accounts/roles.js';
import { toHex } from '../lib/core/crypto/index.js';
import { CoreError } from '../lib/core/errors.js';
import type { NodeConfig } from './config.js';
import { loadNodeKey, nodeEncryptionKeys } from './keys.js';
import { loadOrCreatePeerKey } from './p2p/identity.js';

/**
 * The one role an account records. A founding node may be validator and mirror at once (the genesis
 * gives it both); one registered later is one or the other, so such a config is refused by name.
 */
export function registeredRole(roles: readonly string[]): NodeRole {
  const validator = roles.includes('validator');
  const mirror = roles.includes('mirror');
  if (validator && mirror)
    throw new CoreError('node/bad-config', {
      field: 'roles',
      detail: 'roles: a node registered after genesis is a validator or a mirror, not both'
    });
  return validator ? 'validator' : mirror ? 'mirror' : 'follower';
}

export interface NodeRequest {
  text: string;
  request: Registration;
  hospital: string;
  nodeRole: NodeRole;
  peerId: string;
  publicKey: string;
}

export async function nodeRequest(config: NodeConfig, now: number): Promise<NodeRequest> {
  const nodeRole = registeredRole(config.roles);
  const key = loadNodeKey(config.keys.node);
  // The identity the node will run with: created here if the node has never started, kept after.
  const peerId = peerIdFromPrivateKey(await loadOrCreatePeerKey(config.keys.libp2p)).toString();
  const value = signRegistration(
    {
      role: 'node',
      hospitalId: config.hospital,
      nodeRole,
      peerId,
      signingPublic: key.publicKey,
      encryptionPublic: nodeEncryptionKeys(key).publicKey,
      created: now
    },
    key.seed
  );
  return {
    text: requestText({ kind: 'registration', value }),
    request: value,
    hospital: config.hospital,
    nodeRole,
    peerId,
    publicKey: toHex(key.publicKey)
  };
}

/**
 * Files the request in the mailbox of the first of `peers` (multiaddrs) that takes it, where it waits
 * for a majority of the managers; returns that peer. A refusal by the mailbox (a malformed or unknown
 * request) is thrown with its code; unreachable peers are passed over.
 */
export async function postNodeRequest(
  host: NetHost,
  peers: readonly string[],
  req: Registration
): Promise<string> {
  let last: unknown = new CoreError('node/bad-config', {
    field: 'peers.consortium',
    detail: 'no peer to post to'
  });
  for (const peer of peers) {
    try {
      const r = await requestMailbox(host, multiaddr(peer), {
        t: TAGS.netMailRequest,
        v: 1,
        op: 'post',
        post: mailPost({ kind: 'registration', request: req })
      });
      if (r.op === 'post' && r.accepted) return peer;
      last = new CoreError('net/remote-error', { peer, detail: r.op === 'post' ? r.code : r.op });
    } catch (e) {
      last = e;
    }
  }
  throw last;
}
