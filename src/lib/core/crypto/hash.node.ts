/** SHA-256 through node:crypto (OpenSSL): the same digests as noble, 2–4× faster on short inputs. */
import { createHash, hash } from 'node:crypto';
import type { Sha256Backend } from './hash.js';

export const nodeSha256: Sha256Backend = {
  name: 'node:crypto',
  digest(parts) {
    // A plain Uint8Array, not a Buffer: callers compare and encode digests as Uint8Array.
    if (parts.length === 1) return new Uint8Array(hash('sha256', parts[0]!, 'buffer'));
    const h = createHash('sha256');
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest());
  }
};
