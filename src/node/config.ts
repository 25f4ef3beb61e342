/**
 * The node's config file: JSON, validated once at start with a valibot schema so a typo fails with the
 * field's path instead of surfacing later as a strange runtime error. Relative paths (keys, data
 * directory, static files) resolve against the config file's own directory, so a config and its keys
 * can be moved together.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import * as v from 'valibot';
import { CoreError } from '../lib/core/errors.js';

/** Ports are plain TCP/UDP ports; 0 asks the OS for a free one (tests). */
const port = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535));
const path = v.pipe(v.string(), v.minLength(1), v.maxLength(4096));
/** A multiaddr as text; the libp2p host parses it properly when dialling. */
const multiaddr = v.pipe(v.string(), v.startsWith('/'), v.maxLength(1024));
const positive = (max: number) => v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(max));

export const ROLES = ['validator', 'mirror', 'follower'] as const;

const LimitsSchema = v.strictObject({
  /** Open connections: 2 cores serve a few hundred light clients; beyond that, refuse rather than slow all. */
  maxConnections: v.optional(positive(100_000), 300),
  /** Pending transactions: ~10 full blocks; a bigger queue only hides overload as latency. */
  mempoolSize: v.optional(positive(10_000_000), 20_000),
  /** Transactions per second accepted from one peer (token bucket refill). */
  txPerPeerPerSecond: v.optional(positive(1_000_000), 5_000),
  /**
   * Requests per second from one client peer (header, proof, blob, record and submit requests alike),
   * burst of twice that: 50 lets a light client sync headers and proofs while a flood from one peer
   * is cut off.
   */
  readsPerPeerPerSecond: v.optional(positive(1_000_000), 50),
  /** Heap ceiling in MiB: the node sheds load (rejects new txs) above it instead of being OOM-killed. */
  maxMemoryMb: v.optional(positive(1_000_000), 1024),
  /**
   * Free disk in MiB a mirror leaves to its chains: below it, it takes no new blobs (records go to the
   * hospital's other mirrors) rather than fill the disk and stop the node. 0 turns the reserve off.
   */
  mirrorReserveMb: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1_000_000)), 256)
});

const ConfigObject = v.strictObject({
  /** Hospital identifier, as registered on the consortium chain. */
  hospital: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "-" or "_", at most 64')),
  /** This node's name within the hospital, for logs and metrics. */
  name: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.-]{1,64}$/)), 'node'),
  roles: v.pipe(
    v.array(v.picklist(ROLES)),
    v.minLength(1),
    v.check((r) => new Set(r).size === r.length, 'roles must not repeat'),
    v.check((r) => !(r.includes('validator') && r.includes('follower')), 'a node is validator or follower')
  ),
  /** This node is the hospital's authority on the consortium chain (one per hospital). */
  consortiumAuthority: v.optional(v.boolean(), false),
  keys: v.strictObject({
    /** The node's Ed25519 seed (hex in JSON): votes, proposals, mirror attestations, index batches. */
    node: path,
    /** The libp2p identity and WebRTC certificate, persisted so multiaddrs survive restarts. */
    libp2p: path,
    /** The hospital's consortium authority key (only on the node with consortiumAuthority). */
    authority: v.optional(path)
  }),
  listen: v.strictObject({
    host: v.optional(v.pipe(v.string(), v.ip()), '127.0.0.1'),
    tcp: port,
    ws: v.optional(port),
    webrtcDirect: v.optional(port),
    http: v.optional(port)
  }),
  /**
   * Multiaddrs (with /p2p/<peer id>) of the peers of each chain: `hospital` = the other nodes of this
   * hospital; `consortium` = the other hospitals' authorities (authority) or this hospital's authority
   * (other nodes, which follow the consortium through it).
   */
  peers: v.optional(
    v.strictObject({
      hospital: v.optional(v.pipe(v.array(multiaddr), v.maxLength(1000)), []),
      consortium: v.optional(v.pipe(v.array(multiaddr), v.maxLength(1000)), [])
    }),
    {}
  ),
  dataDir: path,
  /** The consortium genesis file; this hospital's chain genesis derives from it. */
  genesis: v.strictObject({ consortium: path }),
  /** Built PWA to serve over HTTP; omitted = no static files. */
  staticDir: v.optional(path),
  /** Devnet only: let browsers dial loopback/private addresses. */
  allowPrivateAddresses: v.optional(v.boolean(), false),
  /** Devnet/test tuning of consensus timeouts (ms); production uses the engine's defaults. */
  timeouts: v.optional(
    v.strictObject({
      proposeMs: v.optional(positive(600_000)),
      prevoteMs: v.optional(positive(600_000)),
      precommitMs: v.optional(positive(600_000)),
      roundDeltaMs: v.optional(positive(600_000))
    })
  ),
  /**
   * Keys (hex) of doctors of this hospital who run a validator node with their own key. The consortium
   * gives every doctor of validator rank weight on the hospital chain; this node proposes adopting a
   * set only when every member it adds is listed here (or already validates), so doctors who run no
   * node never hold weight that cannot vote.
   */
  validatorKeys: v.optional(
    v.pipe(v.array(v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/))), v.maxLength(256)),
    []
  ),
  /** Wait between consortium index batches (ms): the thesis's "short interval". */
  indexIntervalMs: v.optional(positive(3_600_000), 1000),
  limits: v.optional(LimitsSchema, {})
});

export const ConfigSchema = v.pipe(
  ConfigObject,
  v.forward(
    v.check(
      (c) => !c.consortiumAuthority || c.keys.authority !== undefined,
      'an authority needs keys.authority'
    ),
    ['keys', 'authority']
  ),
  // Break-glass: the authority releases a record's data key with the record it serves, so it stores
  // them (services.ts: only mirrors serve reads).
  v.forward(
    v.check((c) => !c.consortiumAuthority || c.roles.includes('mirror'), 'an authority must be a mirror'),
    ['roles']
  )
);

export type NodeConfig = v.InferOutput<typeof ConfigSchema>;
export type Role = (typeof ROLES)[number];

/** Validate an already-parsed JSON value; `baseDir` anchors relative paths. */
export function parseConfig(value: unknown, baseDir: string): NodeConfig {
  const r = v.safeParse(ConfigSchema, value);
  if (!r.success) {
    const issue = r.issues[0];
    const field = issue.path?.map((p: { key: unknown }) => String(p.key)).join('.') || '(root)';
    throw new CoreError('node/bad-config', { field, detail: `${field}: ${issue.message}` });
  }
  const c = r.output;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  return {
    ...c,
    keys: {
      node: abs(c.keys.node),
      libp2p: abs(c.keys.libp2p),
      authority: c.keys.authority === undefined ? undefined : abs(c.keys.authority)
    },
    dataDir: abs(c.dataDir),
    genesis: { consortium: abs(c.genesis.consortium) },
    staticDir: c.staticDir === undefined ? undefined : abs(c.staticDir)
  };
}

export function loadConfig(file: string): NodeConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CoreError('node/bad-config', { field: '(file)', detail: `${file}: ${(e as Error).message}` });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CoreError('node/bad-config', { field: '(json)', detail: `${file}: ${(e as Error).message}` });
  }
  return parseConfig(json, dirname(resolve(file)));
}
