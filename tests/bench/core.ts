/** `npm run bench -- core`: signature, AEAD, proof and QR figures for the protocol core. */
import { nobleEd25519, verifySignature } from '../../src/lib/core/crypto/ed25519.js';
import { nodeEd25519 } from '../../src/lib/core/crypto/ed25519.node.js';
import { open, seal } from '../../src/lib/core/crypto/aead.js';
import { seededRng } from '../../src/lib/core/crypto/random.js';
import { existsSync } from 'node:fs';
import { opsPerSecond } from './report.js';

export async function benchCore(): Promise<Record<string, number>> {
  const rng = seededRng(7);
  const seed = rng(32);
  const msg = rng(200);
  const pub = nodeEd25519.publicKey(seed);
  const sig = nodeEd25519.sign(seed, msg);

  const figures: Record<string, number> = {
    ed25519_verify_node_ops: opsPerSecond(() => verifySignature(pub, msg, sig, nodeEd25519)),
    ed25519_verify_browserlib_ops: opsPerSecond(() => verifySignature(pub, msg, sig, nobleEd25519)),
    ed25519_sign_node_ops: opsPerSecond(() => nodeEd25519.sign(seed, msg)),
    ed25519_sign_browserlib_ops: opsPerSecond(() => nobleEd25519.sign(seed, msg))
  };

  const key = rng(32);
  const pt = rng(4096);
  const sealed = seal(key, pt, rng);
  const sealOps = opsPerSecond(() => seal(key, pt, rng));
  const openOps = opsPerSecond(() => open(key, sealed));
  figures.seal_4k_mb_s = +((sealOps * 4096) / 1e6).toFixed(1);
  figures.open_4k_mb_s = +((openOps * 4096) / 1e6).toFixed(1);

  Object.assign(figures, await optional('./core-state.js', 'benchState'));
  Object.assign(figures, await optional('./core-consent.js', 'benchConsent'));
  Object.assign(figures, await optional('./core-grant-lists.js', 'benchGrantLists'));
  return figures;
}

// Figures of modules measured by their own files; a file not written yet is skipped.
async function optional(path: string, fn: string): Promise<Record<string, number>> {
  const url = new URL(path.replace(/\.js$/, '.ts'), import.meta.url);
  if (!existsSync(url)) return {};
  const mod = (await import(url.href)) as Record<string, () => Promise<Record<string, number>>>;
  return (await mod[fn]?.()) ?? {};
}
