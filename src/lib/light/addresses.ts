/**
 * Node addresses for the light client: fetched from a node's HTTP `GET /addrs` (public, cacheable),
 * kept only if this platform can dial them, and screened by the private-address rule: a browser app
 * dials loopback and LAN addresses only when built for a devnet, so a hostile page of addresses cannot
 * turn the phone into a scanner of its own network.
 */
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { CoreError } from '../core/errors.js';
import { v } from '../core/encoding/schema.js';

/** A node has a few listen addresses (TCP, WebSockets, WebRTC-Direct per interface): 64 is plenty. */
const MAX_ADDRS = 64;
/** A multiaddr with a certhash is ~200 characters. */
const MAX_ADDR_CHARS = 512;

const addrsSchema = v.object({
  addrs: v.pipe(v.array(v.pipe(v.string(), v.maxLength(MAX_ADDR_CHARS))), v.maxLength(MAX_ADDRS))
});

function ipv4Private(ip: string): boolean {
  const p = ip.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return false;
  const [a, b] = p as [number, number, number, number];
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b < 128) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b < 32) ||
    (a === 192 && b === 168)
  );
}

/** Loopback, RFC 1918, CGNAT, link-local and unique-local addresses (as the node's gater counts them). */
export function isPrivateAddress(ma: Multiaddr): boolean {
  const first = ma.getComponents()[0];
  if (!first?.value) return false;
  if (first.name === 'ip4') return ipv4Private(first.value);
  if (first.name === 'ip6') {
    const ip = first.value.toLowerCase();
    // IPv4-mapped, dotted or (as multiaddr prints it) hex: ::ffff:10.0.0.1 = ::ffff:a00:1.
    const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
    if (dotted) return ipv4Private(dotted[1]!);
    const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(ip);
    if (hex) {
      const hi = parseInt(hex[1]!, 16);
      const lo = parseInt(hex[2]!, 16);
      return ipv4Private(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
    }
    return ip === '::' || ip === '::1' || /^f[cd]/.test(ip) || /^fe[89ab]/.test(ip);
  }
  return first.name === 'dns4' || first.name === 'dns6' || first.name === 'dns'
    ? first.value === 'localhost'
    : false;
}

export type Transport = 'tcp' | 'ws' | 'webrtc-direct';

/** Which transport an address uses (the last one named), or null if the light client cannot dial it. */
export function transportOf(ma: Multiaddr): Transport | null {
  const names = ma.getComponents().map((c) => c.name);
  if (names.includes('webrtc-direct')) return 'webrtc-direct';
  if (names.includes('ws') || names.includes('wss')) return 'ws';
  if (names.includes('tcp') && !names.includes('webrtc') && !names.includes('p2p-circuit')) return 'tcp';
  return null;
}

/** Parses a node's `/addrs` answer, keeping addresses with a peer id over the allowed transports. */
export function parseAddrs(
  json: unknown,
  transports: readonly Transport[],
  allowPrivate: boolean
): Multiaddr[] {
  const r = v.safeParse(addrsSchema, json);
  if (!r.success) throw new CoreError('decode/schema', { type: 'addrs', detail: r.issues[0]?.message });
  const out: Multiaddr[] = [];
  for (const s of r.output.addrs) {
    let ma: Multiaddr;
    try {
      ma = multiaddr(s);
    } catch {
      continue;
    }
    const t = transportOf(ma);
    if (!t || !transports.includes(t)) continue;
    if (!ma.getComponents().some((c) => c.name === 'p2p')) continue;
    if (!allowPrivate && isPrivateAddress(ma)) continue;
    out.push(ma);
  }
  // Preferred transport first: the peer dials the list in order.
  return out.sort((a, b) => transports.indexOf(transportOf(a)!) - transports.indexOf(transportOf(b)!));
}

/** GET {httpUrl}/addrs. */
export async function fetchAddrs(
  httpUrl: string,
  transports: readonly Transport[],
  allowPrivate: boolean,
  fetchFn: typeof fetch = fetch
): Promise<Multiaddr[]> {
  const res = await fetchFn(new URL('/addrs', httpUrl), { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new CoreError('net/no-response', { detail: `GET /addrs: ${res.status}` }, 'ignore');
  return parseAddrs(await res.json(), transports, allowPrivate);
}
