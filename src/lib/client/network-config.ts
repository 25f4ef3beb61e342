/**
 * Which network the app joins: the pinned consortium genesis hash (the one thing it trusts), the node
 * HTTP URLs it starts from, and whether it may dial private addresses (devnet only).
 *
 * Build time first: `VITE_CARECHAIN_GENESIS` (and `VITE_CARECHAIN_NODES`, comma-separated,
 * `VITE_CARECHAIN_DEVNET=1`) are compiled into the bundle. Otherwise the app reads
 * `carechain-network.json` next to its own index.html — written by whoever deploys the build (the
 * devnet, beside the files it serves). Both come from the same origin as the app's code, so the second
 * is as much a pin as the first: whoever could change that file could change the code that checks it.
 * A node's own word (its /genesis.json) is never the pin; it is accepted only if it hashes to it.
 */
import { CoreError } from '../core/errors.js';
import { v } from '../core/encoding/schema.js';

export interface NetworkConfig {
  pinnedGenesisHash: string;
  nodeUrls: string[];
  allowPrivateAddresses: boolean;
}

export const NETWORK_FILE = 'carechain-network.json';

/** A deployment lists a handful of entry nodes; 64 bounds a hostile or broken file. */
const MAX_NODE_URLS = 64;

const urlSchema = v.pipe(v.string(), v.maxLength(256), v.regex(/^https?:\/\/[^\s]+$/));
const fileSchema = v.object({
  genesisHash: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
  nodes: v.optional(v.pipe(v.array(urlSchema), v.maxLength(MAX_NODE_URLS)), []),
  devnet: v.optional(v.boolean(), false)
});

/** Parses the deployment file strictly; a malformed one is a named error, never a partial config. */
export function parseNetworkFile(json: unknown, origin: string): NetworkConfig {
  const r = v.safeParse(fileSchema, json);
  if (!r.success)
    throw new CoreError('decode/schema', { type: NETWORK_FILE, detail: r.issues[0].message }, 'ignore');
  return {
    pinnedGenesisHash: r.output.genesisHash,
    nodeUrls: r.output.nodes.length > 0 ? r.output.nodes : [origin],
    allowPrivateAddresses: r.output.devnet
  };
}

function fromBuild(origin: string): NetworkConfig | undefined {
  const env = import.meta.env as Record<string, string | undefined>;
  const pin = env['VITE_CARECHAIN_GENESIS']?.toLowerCase();
  if (!pin || !/^[0-9a-f]{64}$/.test(pin)) return undefined;
  const nodes = (env['VITE_CARECHAIN_NODES'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => v.is(urlSchema, s))
    .slice(0, MAX_NODE_URLS);
  return {
    pinnedGenesisHash: pin,
    nodeUrls: nodes.length > 0 ? nodes : [origin],
    allowPrivateAddresses: env['VITE_CARECHAIN_DEVNET'] === '1'
  };
}

/** Where the network file last read is kept, so an installed app offline still knows its network. */
export interface SavedNetworkFile {
  get(): Promise<unknown>;
  put(raw: unknown): Promise<void>;
}

/**
 * The network to join, or undefined when this build names none (the app then works offline only).
 * When the file cannot be fetched at all (offline, or every node down), the copy `saved` kept from
 * the last successful read is used, parsed as strictly as a fetched one.
 */
export async function loadNetworkConfig(
  base: string,
  origin: string,
  saved?: SavedNetworkFile
): Promise<NetworkConfig | undefined> {
  const built = fromBuild(origin);
  if (built) return built;
  let res: Response;
  try {
    res = await fetch(`${base}/${NETWORK_FILE}`, { cache: 'no-store', signal: AbortSignal.timeout(10_000) });
  } catch {
    const raw = await saved?.get().catch(() => undefined);
    return raw === undefined ? undefined : parseNetworkFile(raw, origin);
  }
  // A static host answers unknown paths with the app shell: no file there means no network named.
  if (!res.ok || !(res.headers.get('content-type') ?? '').includes('json')) return undefined;
  const raw: unknown = await res.json();
  const config = parseNetworkFile(raw, origin);
  await saved?.put(raw).catch(() => undefined);
  return config;
}
