/**
 * A memoised signature check for the simulator (and any driver that sees the same signature many
 * times, e.g. a vote relayed by several peers and then again inside a commit certificate). It caches
 * only successes, keyed by the signature and confirmed against the exact key and message bytes, so it
 * returns exactly what the underlying strict check returns.
 */
import { verifySignature } from '../../crypto/ed25519.js';
import { bytesEqual } from '../../encoding/cbor.js';
import type { SignatureCheck } from '../types.js';

/** Entries before the cache is dropped: ~100 bytes each, so a few tens of MB at most. */
const MEMO_MAX = 200_000;

export function memoisedCheck(inner: SignatureCheck = verifySignature): SignatureCheck & { calls: number } {
  const seen = new Map<string, { pub: Uint8Array; msg: Uint8Array }>();
  const check = ((pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean => {
    const key = String.fromCharCode.apply(null, sig as unknown as number[]);
    const hit = seen.get(key);
    if (hit && bytesEqual(hit.pub, pub) && bytesEqual(hit.msg, msg)) return true;
    check.calls++;
    const ok = inner(pub, msg, sig);
    if (ok) {
      if (seen.size >= MEMO_MAX) seen.clear();
      seen.set(key, { pub, msg });
    }
    return ok;
  }) as SignatureCheck & { calls: number };
  check.calls = 0;
  return check;
}
