/**
 * The node's own Ed25519 key (votes, proposals, mirror attestations, index batches) in a JSON file
 * readable only by its owner. The file holds the 32-byte seed; the public key is stored beside it only
 * so an operator can read it without tools, and is re-derived and compared on load.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  deriveAccountKeys,
  fromHex,
  sign,
  signingPublicKey,
  systemRng,
  toHex,
  type Rng
} from '../lib/core/crypto/index.js';
import { bytesEqual } from '../lib/core/encoding/cbor.js';
import { CoreError } from '../lib/core/errors.js';

export interface NodeKey {
  seed: Uint8Array;
  publicKey: Uint8Array;
  sign(bytes: Uint8Array): Uint8Array;
}

const KIND = 'carechain-node-key';

export function nodeKeyFromSeed(seed: Uint8Array): NodeKey {
  const publicKey = signingPublicKey(seed);
  return { seed, publicKey, sign: (b) => sign(seed, b) };
}

/**
 * The X25519 key pair a hospital authority registers as `authorityEncryption` (derived from the same
 * seed the way an account's is): record writers seal each record's break-glass escrow to its public
 * half, and the authority node releases data keys with the secret half.
 */
export function nodeEncryptionKeys(key: NodeKey): { secret: Uint8Array; publicKey: Uint8Array } {
  const k = deriveAccountKeys(key.seed);
  return { secret: k.encryptionSecret, publicKey: k.encryptionPublic };
}

/** Write a new key; refuses to overwrite one (losing a validator key loses the validator). */
export function generateNodeKey(file: string, rng: Rng = systemRng): NodeKey {
  if (existsSync(file))
    throw new CoreError('node/bad-keyfile', { file, detail: `${file} exists; not overwriting` });
  const key = nodeKeyFromSeed(rng(32));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    JSON.stringify({ kind: KIND, seed: toHex(key.seed), publicKey: toHex(key.publicKey) }, null, 2) + '\n',
    { mode: 0o600 }
  );
  chmodSync(file, 0o600);
  return key;
}

export function loadNodeKey(file: string): NodeKey {
  const bad = (detail: string) => new CoreError('node/bad-keyfile', { file, detail: `${file}: ${detail}` });
  let o: { kind?: unknown; seed?: unknown; publicKey?: unknown };
  try {
    o = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw bad((e as Error).message);
  }
  if (o.kind !== KIND || typeof o.seed !== 'string' || !/^[0-9a-f]{64}$/.test(o.seed))
    throw bad('not a carechain node key (kind, 64 hex digit seed)');
  const key = nodeKeyFromSeed(fromHex(o.seed));
  if (typeof o.publicKey === 'string' && !bytesEqual(fromHex(o.publicKey), key.publicKey))
    throw bad('publicKey does not match seed');
  return key;
}
