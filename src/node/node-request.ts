/**
 * `carechain request`: the registration request of a node that joins a hospital after genesis (every
 * node of a hospital the managers added later, or one more mirror or validator for any hospital). A
 * node's account is what makes its work count: a mirror's attestations, a validator's stake. The
 * request is signed with the node key (proof it holds it) and names the libp2p peer id the node will
 * run with; the managers open the printed text in the app ("Or open a request file") and approve it.
 */
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { signRegistration } from '../lib/core/accounts/registration.js';
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
    hospital: config.hospital,
    nodeRole,
    peerId,
    publicKey: toHex(key.publicKey)
  };
}
