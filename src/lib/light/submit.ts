/**
 * The app's way in and out (used by src/lib/client/light-network.ts): the hospital nodes it talks to,
 * as found over HTTP — each node's libp2p addresses (`GET /addrs`) and what it says it is (`GET /health`: hospital, roles). What a node says of itself is used only to
 * route — which node to hand a transaction or a blob to — never to believe anything: transactions are
 * judged by the chain, blobs by the mirrors' signed attestations, and every answer read back is proven
 * by the light client. Also the two writes the app makes directly: tx-submit and mirror store.
 */
import type { Multiaddr } from '@multiformats/multiaddr';
import { TAGS } from '../core/constants.js';
import { CoreError, ERROR_CODES, isCoreError, type ErrorCode } from '../core/errors.js';
import { v } from '../core/encoding/schema.js';
import { sha256 } from '../core/crypto/index.js';
import { attestationCodec, type Attestation } from '../core/chain/tx/attestation.js';
import { fetchAddrs, type Transport } from './addresses.js';
import type { NetHost } from '../net/rpc.js';
import { requestTxSubmit } from '../net/tx-submit.js';
import { requestMirror } from '../net/mirror.js';

export type { NetHost };

export interface NodeInfo {
  url: string;
  addrs: Multiaddr[];
  peerId: string;
  hospital: string;
  roles: readonly string[];
  consortiumAuthority: boolean;
}

/** A node's health answer is a few hundred bytes of JSON; only these fields are read. */
const healthSchema = v.object({
  hospital: v.pipe(v.string(), v.maxLength(64)),
  roles: v.pipe(v.array(v.pipe(v.string(), v.maxLength(32))), v.maxLength(8)),
  consortiumAuthority: v.optional(v.boolean(), false)
});

/** HTTP discovery is one small GET per node; a node silent for 10 s is treated as down. */
const HTTP_TIMEOUT_MS = 10_000;

async function health(url: string, fetchFn: typeof fetch) {
  const res = await fetchFn(new URL('/health', url), { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  if (!res.ok) throw new CoreError('net/no-response', { detail: `GET /health: ${res.status}` }, 'ignore');
  const r = v.safeParse(healthSchema, await res.json());
  if (!r.success) throw new CoreError('decode/schema', { type: 'health', detail: r.issues[0].message });
  return r.output;
}

/** Every reachable node among `urls`; a node that is down is left out (and retried at the next start). */
export async function discoverNodes(
  urls: readonly string[],
  transports: readonly Transport[],
  allowPrivate: boolean,
  fetchFn: typeof fetch = fetch
): Promise<NodeInfo[]> {
  const found = await Promise.all(
    urls.map(async (url): Promise<NodeInfo | undefined> => {
      try {
        const [addrs, h] = await Promise.all([
          fetchAddrs(url, transports, allowPrivate, fetchFn),
          health(url, fetchFn)
        ]);
        const peerId = addrs[0]?.getComponents().findLast((c) => c.name === 'p2p')?.value;
        if (!peerId) return undefined;
        return {
          url,
          addrs,
          peerId,
          hospital: h.hospital,
          roles: h.roles,
          consortiumAuthority: h.consortiumAuthority
        };
      } catch {
        return undefined;
      }
    })
  );
  return found.filter((n): n is NodeInfo => n !== undefined);
}

/**
 * Codes a node gives when it could not judge the transaction yet (busy, slow, already has it): the
 * outbox keeps the entry and tries again. Every other refusal is the chain's verdict on the bytes.
 */
const TRANSIENT = new Set<string>([
  'node/timeout',
  'node/mempool-full',
  'node/rate-limited',
  'net/rate-limited',
  'net/too-many-streams',
  'net/timeout',
  'net/internal'
]);
/** The transaction is already in the chain (an earlier attempt got through before its answer was lost). */
const ALREADY_IN = new Set<string>(['chain/replayed-tx']);

function refusal(code: string, message: string): CoreError {
  const known = code in ERROR_CODES ? (code as ErrorCode) : 'net/remote-error';
  return new CoreError(known, { remote: true, detail: message }, TRANSIENT.has(code) ? 'ignore' : 'reject');
}

/**
 * Submits a transaction to the first of `nodes` that answers, and resolves once a node accepted it
 * (tx-submit answers after the block holding it committed on that node). A refusal by the chain is
 * thrown as its named CoreError (action 'reject'); if no node could be reached, the last transport
 * error is thrown (action 'ignore' in the outbox's eyes: try again later).
 */
export async function submitTx(
  host: NetHost,
  nodes: readonly NodeInfo[],
  chainId: string,
  tx: Uint8Array
): Promise<void> {
  if (nodes.length === 0)
    throw new CoreError('light/no-peers', { detail: `no node for ${chainId}` }, 'ignore');
  let last: unknown;
  for (const n of nodes) {
    try {
      const r = await requestTxSubmit(host, n.addrs, { t: TAGS.netTxSubmit, v: 1, chainId, tx: tx as never });
      if (r.accepted || ALREADY_IN.has(r.code)) return;
      // A node that already holds it pending will commit it: ask it again later, not another node.
      if (r.code === 'node/duplicate-tx') throw refusal('node/timeout', 'already pending on the node');
      const err = refusal(r.code, r.message);
      if (err.action === 'reject') throw err;
      last = err;
    } catch (e) {
      if (isCoreError(e) && e.data['remote'] && e.action === 'reject') throw e;
      last = e;
    }
  }
  throw isCoreError(last) ? new CoreError(last.code, { ...last.data }, 'ignore') : last;
}

/** Stores a blob on every mirror of the hospital; resolves with the attestations once `min` signed. */
export async function storeOnMirrors(
  host: NetHost,
  mirrors: readonly NodeInfo[],
  blob: Uint8Array,
  min: number
): Promise<Attestation[]> {
  const hash = sha256(blob);
  const got: Attestation[] = [];
  const errors: string[] = [];
  await Promise.all(
    mirrors.map(async (m) => {
      try {
        const r = await requestMirror(host, m.addrs, {
          t: TAGS.netMirrorRequest,
          v: 1,
          op: 'store',
          hash: hash as never,
          blob: blob as never
        });
        if (r.op === 'attestation') got.push(attestationCodec.decode(r.attestation));
      } catch (e) {
        errors.push(isCoreError(e) ? e.code : String(e));
      }
    })
  );
  // Too few mirrors now is not a verdict on the record: the outbox keeps it and tries again.
  if (got.length < min)
    throw new CoreError(
      'node/few-mirrors',
      { stored: got.length, min, detail: errors.join('; ') || `${mirrors.length} mirrors known` },
      'ignore'
    );
  return got;
}
