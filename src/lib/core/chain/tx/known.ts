/**
 * Transactions this process has already decoded, and those whose signatures it has already checked,
 * remembered by the hash of their exact bytes. A validator meets every transaction two or three
 * times — mempool admission, the proposal that carries it, sometimes a recheck of the pool — and what
 * those passes repeat depends on the bytes alone: the strict decode, and the author's and mirrors'
 * signatures (including each batched attestation's Merkle path). The state-dependent checks always
 * run again.
 *
 * Pure as far as any caller can tell: a hit returns what decoding the same bytes again would return,
 * and a transaction is marked "signatures hold" only after they were checked on the very object this
 * memo handed out (never on an object a caller built, which it might later change). Decoded objects
 * are shared between the passes and, like every decoded value, are read-only.
 */
import { replayKey, replayKeyOfHash, txHash } from '../rules/context.js';
import { decodeConsortiumTx, decodeHospitalTx, type ConsortiumTx, type HospitalTx } from './decode.js';

/**
 * Bytes of transactions remembered. A busy hospital chain has a few thousand records (~1.2 KiB each)
 * between admission and commit; 8 MiB holds them with room, and bounds the memo (the decoded
 * objects take a few times that) whatever arrives. The oldest go first.
 */
export const KNOWN_TX_BYTES = 8 * 1024 * 1024;
/**
 * Larger transactions (index batches, up to 256 KiB) are decoded each time: they are rare (one per
 * hospital every few seconds) and would crowd out thousands of records.
 */
export const KNOWN_TX_MAX_ONE = 16 * 1024;

type Chain = 'hospital' | 'consortium';

/**
 * A transaction as the rules take it: the decoded value and its replay key (rules/context.ts
 * `replayKey`), both functions of the bytes alone. Shared between passes: read-only, like every
 * decoded value.
 */
export interface Known<T> {
  readonly tx: T;
  readonly replayKey: Uint8Array;
}

const memo = new Map<string, { known: Known<HospitalTx | ConsortiumTx>; size: number }>();
let held = 0;
/** Objects this memo produced: only those can be marked as signature-checked. */
const produced = new WeakSet<object>();
const signed = new WeakSet<object>();

/**
 * The key: the chain and the transaction's hash (rules/context.ts `txHash`, a tagged SHA-256 of the
 * bytes). With nodes' native SHA-256 this is ~3x cheaper than spelling the bytes out as a string, and
 * makes no garbage the size of the transaction; two different transactions sharing a key would be a
 * SHA-256 collision, which the chains rely on never finding anyway. Being the tx hash, it also gives
 * the replay key without hashing the bytes again.
 */
const keyOf = (chain: Chain, hash: Uint8Array): string =>
  (chain === 'hospital' ? 'h' : 'c') + String.fromCharCode.apply(null, hash as unknown as number[]);

function known<T extends HospitalTx | ConsortiumTx>(
  chain: Chain,
  bytes: Uint8Array,
  decode: (b: Uint8Array) => T
): Known<T> {
  if (!(bytes instanceof Uint8Array) || bytes.length > KNOWN_TX_MAX_ONE) {
    const tx = decode(bytes); // first: bytes that are not bytes fail here, with decode's error
    return { tx, replayKey: replayKey(bytes) };
  }
  const hash = txHash(bytes);
  const key = keyOf(chain, hash);
  const hit = memo.get(key);
  if (hit !== undefined) return hit.known as Known<T>;
  const tx = decode(bytes);
  produced.add(tx);
  const entry: Known<T> = { tx, replayKey: replayKeyOfHash(hash) };
  memo.set(key, { known: entry, size: bytes.length });
  held += bytes.length;
  for (const [k, { size }] of memo) {
    if (held <= KNOWN_TX_BYTES) break;
    memo.delete(k);
    held -= size;
  }
  return entry;
}

/** decodeHospitalTx, remembered (same result, same errors), with the transaction's replay key. */
export const knownHospital = (bytes: Uint8Array): Known<HospitalTx> =>
  known('hospital', bytes, decodeHospitalTx);

/** decodeConsortiumTx, remembered (same result, same errors), with the transaction's replay key. */
export const knownConsortium = (bytes: Uint8Array): Known<ConsortiumTx> =>
  known('consortium', bytes, decodeConsortiumTx);

/** decodeHospitalTx, remembered (same result, same errors). */
export const knownHospitalTx = (bytes: Uint8Array): HospitalTx => knownHospital(bytes).tx;

/** Whether every signature of `tx` was already found valid (on this very decoded object). */
export const signaturesChecked = (tx: object): boolean => signed.has(tx);

/** Record that every signature of `tx` holds; ignored for objects this memo did not decode. */
export function rememberSignaturesHold(tx: object): void {
  if (produced.has(tx)) signed.add(tx);
}
