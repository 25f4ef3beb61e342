/**
 * The cheapest place to refuse a flooding host is the TCP accept, before libp2p sees the socket: for
 * every inbound socket libp2p creates loggers, a multiaddr connection and abort signals, and refuses
 * an over-rate host by throwing errors with stack traces — about 40 µs of a node's CPU each, which a
 * host reconnecting in a loop turns into a third of a core (for WebSockets an HTTP parse and upgrade
 * come first, too). This filter runs first on the listener's `connection` event: a banned IP
 * (penalty-box.ts) or one over its connection rate is reset at once, and each over-rate attempt counts
 * as an offence, so a reconnect loop gets its IP banned within a second or two. Configured peers are
 * never banned (the penalty box exempts them), only held to the same rate. The WebSockets listener
 * gets a filter of its own, which refuses over-rate attempts without counting them as offences.
 *
 * Node 20's net.Server has no block list, so the filter wraps the transport and puts itself in front
 * of the listener's own connection handler (both listeners keep their net.Server as `server`). That
 * handler is a libp2p internal: if it cannot be found the node refuses to start rather than run
 * unprotected.
 */
import type { Server, Socket } from 'node:net';
import type { CreateListenerOptions, Listener, Transport } from '@libp2p/interface';
import type { PenaltyBox } from './penalty-box.js';

export interface AcceptRate {
  /** New connections one IP may open in a burst. */
  readonly burst: number;
  /** Sustained new connections per second per IP (libp2p's inboundConnectionThreshold, held here). */
  readonly perSecond: number;
  /** Most IPs tracked at once (oldest dropped first): bounds memory under a spoofed-source storm. */
  readonly maxTracked: number;
}

export const DEFAULT_ACCEPT_RATE: AcceptRate = { burst: 20, perSecond: 10, maxTracked: 16_384 };

/** Per-IP token buckets and the penalty box, asked once per accepted socket. */
export class AcceptFilter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  refused = 0;

  constructor(
    private readonly penalties: PenaltyBox,
    private readonly rate: AcceptRate = DEFAULT_ACCEPT_RATE,
    private readonly now: () => number = Date.now,
    /** Called when an over-rate attempt got its IP banned. */
    private readonly onBan: (ip: string) => void = () => {},
    /**
     * Whether an over-rate attempt counts as an offence. Not for browsers' transports: many phones
     * share one IP behind a hospital's NAT, and a busy morning must not ban the whole ward; their
     * extra attempts are only refused (cheaply, here), while an IP banned for other offences is
     * refused as on TCP.
     */
    private readonly overRateIsOffence = true
  ) {}

  /** True if a new connection from `ip` may go on to libp2p. */
  admit(ip: string): boolean {
    if (this.penalties.isBanned(ip)) return this.refuse();
    const t = this.now();
    let b = this.buckets.get(ip);
    if (!b) {
      if (this.buckets.size >= this.rate.maxTracked) this.buckets.delete(this.buckets.keys().next().value!);
      b = { tokens: this.rate.burst, at: t };
      this.buckets.set(ip, b);
    }
    b.tokens = Math.min(this.rate.burst, b.tokens + ((t - b.at) / 1000) * this.rate.perSecond);
    b.at = t;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return true;
    }
    if (this.overRateIsOffence && this.penalties.offence(ip)) this.onBan(ip);
    return this.refuse();
  }

  private refuse(): false {
    this.refused++;
    return false;
  }
}

/**
 * A transport (`tcp(init)` or `webSockets(init)`) with `filter` in front of every listener's accept.
 */
export function filtered<C>(
  factory: (components: C) => Transport,
  filter: AcceptFilter
): (components: C) => Transport {
  return (components) => {
    const transport: Transport = factory(components);
    const createListener = transport.createListener.bind(transport);
    transport.createListener = (options: CreateListenerOptions): Listener => {
      const listener = createListener(options);
      guardServer((listener as unknown as { server?: Server }).server, filter);
      return listener;
    };
    return transport;
  };
}

function guardServer(server: Server | undefined, filter: AcceptFilter): void {
  const handlers = server?.listeners('connection') ?? [];
  if (!server || handlers.length !== 1)
    throw new Error('libp2p listener internals changed: cannot install the accept filter');
  const libp2pOnSocket = handlers[0] as (socket: Socket) => void;
  server.removeListener('connection', libp2pOnSocket);
  server.on('connection', (socket: Socket) => {
    // The penalty box keys IPv4 hosts as libp2p's multiaddrs write them, not IPv4-mapped IPv6.
    const ip = socket.remoteAddress?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
    if (ip !== undefined && !filter.admit(ip)) {
      socket.resetAndDestroy();
      return;
    }
    libp2pOnSocket(socket);
  });
}
