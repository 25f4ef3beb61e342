/**
 * Addresses that flood a node with malformed or abusive traffic are shut out for a while, at the
 * cheapest point there is: before the noise handshake. Per-peer-id limits alone cost a flooder
 * nothing (a fresh key per connection is free), and every stream a limit refuses still costs the node
 * a yamux stream, a protocol negotiation and an error frame. So misbehaviour (malformed frames,
 * streams opened and left without a request, rate and stream-limit refusals) is counted per IP; an IP
 * over the threshold within the window is banned for BAN_MS: its connections are closed and new ones
 * refused by the connection gater before any crypto. The IPs of the node's configured peers are never
 * banned (a validator must not be cut off by a buggy neighbour on its NAT).
 */

export interface PenaltyConfig {
  /** Misbehaviours one IP may commit within `windowMs` before it is banned. */
  readonly threshold: number;
  readonly windowMs: number;
  /** How long a ban lasts. */
  readonly banMs: number;
  /** Most IPs tracked at once (oldest dropped first): bounds memory under a spoofed-source storm. */
  readonly maxTracked: number;
}

/**
 * An honest client never sends a malformed frame and stays far below its rate limits; 30 offences in
 * 10 s is a flood, not a bug. A minute's ban is long against a flood and short for a NAT neighbour.
 */
export const DEFAULT_PENALTY: PenaltyConfig = {
  threshold: 30,
  windowMs: 10_000,
  banMs: 60_000,
  maxTracked: 16_384
};

export class PenaltyBox {
  private readonly counts = new Map<string, { n: number; since: number }>();
  private readonly bans = new Map<string, number>();

  constructor(
    private readonly protectedIps: ReadonlySet<string>,
    private readonly config: PenaltyConfig = DEFAULT_PENALTY,
    private readonly now: () => number = Date.now
  ) {}

  /** Count one offence by `ip`; true if this offence got it banned (the caller closes its connections). */
  offence(ip: string): boolean {
    if (this.protectedIps.has(ip) || this.isBanned(ip)) return false;
    const t = this.now();
    let c = this.counts.get(ip);
    if (!c || t - c.since > this.config.windowMs) {
      this.counts.delete(ip);
      c = { n: 0, since: t };
      if (this.counts.size >= this.config.maxTracked) this.counts.delete(this.counts.keys().next().value!);
      this.counts.set(ip, c);
    }
    if (++c.n < this.config.threshold) return false;
    this.counts.delete(ip);
    if (this.bans.size >= this.config.maxTracked) this.bans.delete(this.bans.keys().next().value!);
    this.bans.set(ip, t + this.config.banMs);
    return true;
  }

  isBanned(ip: string): boolean {
    const until = this.bans.get(ip);
    if (until === undefined) return false;
    if (this.now() < until) return true;
    this.bans.delete(ip);
    return false;
  }

  get banned(): number {
    return this.bans.size;
  }
}
