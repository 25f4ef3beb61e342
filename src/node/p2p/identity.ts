/**
 * The node's libp2p identity and its WebRTC-Direct certificate, persisted as files in the data
 * directory so the peer id and the /certhash in its multiaddrs survive restarts (browsers keep the
 * address; a changed certhash would strand them). Files are written atomically (temp + fsync +
 * rename) with owner-only permissions; a corrupt file is a named error, never silently replaced.
 */
import { createHash, webcrypto, X509Certificate, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import * as x509 from '@peculiar/x509';
import { CoreError } from '../../lib/core/errors.js';

export const PEER_KEY_FILE = 'p2p-key';
export const WEBRTC_CERT_FILE = 'webrtc-cert.json';

/**
 * Certificates last a year; one with under 30 days left is replaced at start-up, so the certhash
 * changes about once a year (libp2p's own default is 14 days, which would change it every fortnight).
 */
const CERT_LIFESPAN_MS = 365 * 24 * 3600 * 1000;
const CERT_RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

/** The shape @libp2p/webrtc takes as `certificate`: PEM key and certificate plus the multibase certhash. */
export interface TransportCertificate {
  privateKey: string;
  pem: string;
  certhash: string;
}

async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

async function readIfExists(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export async function loadOrCreatePeerKey(dataDir: string): Promise<PrivateKey> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, PEER_KEY_FILE);
  const existing = await readIfExists(path);
  if (existing) {
    try {
      return privateKeyFromProtobuf(new Uint8Array(existing));
    } catch (e) {
      throw new CoreError('node/bad-keyfile', { file: path, detail: (e as Error).message });
    }
  }
  const key = await generateKeyPair('Ed25519');
  await writeFileAtomic(path, privateKeyToProtobuf(key));
  return key;
}

/** The multibase (base64url, 'u') sha2-256 multihash of the DER certificate, as in /certhash. */
export function certhashOf(der: Uint8Array): string {
  const digest = createHash('sha256').update(der).digest();
  return 'u' + Buffer.concat([Buffer.from([0x12, 0x20]), digest]).toString('base64url');
}

async function generateCertificate(now: number): Promise<TransportCertificate> {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, [
    'sign',
    'verify'
  ])) as unknown as CryptoKeyPair;
  const notBefore = new Date(now - 60_000);
  notBefore.setMilliseconds(0);
  const notAfter = new Date(now + CERT_LIFESPAN_MS);
  notAfter.setMilliseconds(0);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01' + randomBytes(15).toString('hex'),
    name: 'CN=carechain-node',
    notBefore,
    notAfter,
    signingAlgorithm: alg,
    keys,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true)]
  });
  const pkcs8 = Buffer.from(
    await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as unknown as webcrypto.CryptoKey)
  );
  const privateKey = [
    '-----BEGIN PRIVATE KEY-----',
    ...(pkcs8.toString('base64').match(/.{1,64}/g) ?? []),
    '-----END PRIVATE KEY-----'
  ].join('\n');
  return { privateKey, pem: cert.toString('pem'), certhash: certhashOf(new Uint8Array(cert.rawData)) };
}

function parseCertificate(text: string, path: string): { cert: TransportCertificate; notAfter: number } {
  try {
    const obj = JSON.parse(text) as Partial<TransportCertificate>;
    if (typeof obj.pem !== 'string' || typeof obj.privateKey !== 'string')
      throw new Error('missing pem or key');
    const parsed = new X509Certificate(obj.pem);
    const certhash = certhashOf(new Uint8Array(parsed.raw));
    return {
      cert: { pem: obj.pem, privateKey: obj.privateKey, certhash },
      notAfter: new Date(parsed.validTo).getTime()
    };
  } catch (e) {
    throw new CoreError('node/bad-keyfile', { file: path, detail: (e as Error).message });
  }
}

/** Loads the persisted certificate, replacing it only when it is close to expiry. */
export async function loadOrCreateWebRTCCertificate(
  dataDir: string,
  now: number = Date.now()
): Promise<TransportCertificate> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, WEBRTC_CERT_FILE);
  const existing = await readIfExists(path);
  if (existing) {
    const { cert, notAfter } = parseCertificate(existing.toString('utf8'), path);
    if (notAfter - now > CERT_RENEW_BEFORE_MS) return cert;
  }
  const cert = await generateCertificate(now);
  await writeFileAtomic(path, JSON.stringify(cert, null, 2));
  return cert;
}
