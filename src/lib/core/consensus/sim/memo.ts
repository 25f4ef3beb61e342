/**
 * A memoised signature check for the simulator (and any driver that sees the same signature many
 * times, e.g. a vote relayed by several peers and then again inside a commit certificate). Sound because
 * verification is a pure function of (key, message, signature).
 */
import { verifySignature } from '../../crypto/ed25519.js';
import { bytesEqual } from '../../encoding/cbor.js';
import type { SignatureCheck } from '../types.js';

/** Entries before the cache is dropped: a few hundred bytes each, so ~100 MB at most. */
const MEMO_MAX = 300_000;

/**
 * Both outcomes are cached, keyed by signature and key and confirmed against the exact message bytes,
 * so the memo returns exactly what the strict check would. `calls` counts real verifications.
 */
export function memoisedCheck(inner: SignatureCheck = verifySignature): SignatureCheck & { calls: number } {
  const seen = new Map<string, { msg: Uint8Array; ok: boolean }>();
  const check = ((pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean => {
    if (sig.length !== 64 || pub.length !== 32) return inner(pub, msg, sig);
    const key =
      String.fromCharCode.apply(null, sig as unknown as number[]) +
      String.fromCharCode.apply(null, pub as unknown as number[]);
    const hit = seen.get(key);
    if (hit && bytesEqual(hit.msg, msg)) return hit.ok;
    check.calls++;
    const ok = inner(pub, msg, sig);
    if (seen.size >= MEMO_MAX) seen.clear();
    seen.set(key, { msg, ok });
    return ok;
  }) as SignatureCheck & { calls: number };
  check.calls = 0;
  return check;
}
