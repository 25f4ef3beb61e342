import '../polyfills.js';
import { connect } from 'node:net';
import { createLibp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { webSockets } from '@libp2p/websockets';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { describe, expect, it } from 'vitest';
import { AcceptFilter, filtered } from './accept-filter.js';
import { PenaltyBox } from './penalty-box.js';

const penalty = { threshold: 3, windowMs: 10_000, banMs: 60_000, maxTracked: 100 };

describe('accept filter', () => {
  it('admits a burst, then refuses and counts each over-rate attempt until the IP is banned', () => {
    let t = 0;
    const bans: string[] = [];
    const box = new PenaltyBox(new Set(), penalty, () => t);
    const f = new AcceptFilter(
      box,
      { burst: 2, perSecond: 1, maxTracked: 10 },
      () => t,
      (ip) => bans.push(ip)
    );
    expect([f.admit('10.0.0.9'), f.admit('10.0.0.9'), f.admit('10.0.0.9')]).toEqual([true, true, false]);
    t = 1000; // one token back
    expect([f.admit('10.0.0.9'), f.admit('10.0.0.9')]).toEqual([true, false]);
    expect(f.admit('10.0.0.9')).toBe(false); // third offence: banned
    expect(bans).toEqual(['10.0.0.9']);
    t = 30_000; // tokens are back, the ban is not over
    expect(f.admit('10.0.0.9')).toBe(false);
    expect(f.admit('10.0.0.10')).toBe(true); // other hosts unaffected
    expect(f.refused).toBe(4);
  });

  it('for browsers, refuses over-rate attempts without banning the IP (phones behind one NAT)', () => {
    let t = 0;
    const box = new PenaltyBox(new Set(), penalty, () => t);
    const f = new AcceptFilter(box, { burst: 2, perSecond: 1, maxTracked: 10 }, () => t, undefined, false);
    expect([f.admit('10.0.0.9'), f.admit('10.0.0.9')]).toEqual([true, true]);
    for (let i = 0; i < 10; i++) expect(f.admit('10.0.0.9')).toBe(false);
    expect(box.isBanned('10.0.0.9')).toBe(false);
    t = 1000; // one token back
    expect(f.admit('10.0.0.9')).toBe(true);
    // An IP banned for other offences is still refused here.
    for (let i = 0; i < penalty.threshold; i++) box.offence('10.0.0.7');
    expect(f.admit('10.0.0.7')).toBe(false);
  });

  // A first byte each listener answers for an admitted socket: multistream-select greets a TCP
  // connection; the WebSockets listener's HTTP server answers a plain request.
  for (const [name, transport, hello] of [
    ['tcp', () => tcp(), '\x13/multistream/1.0.0\n'],
    ['ws', () => webSockets(), 'GET / HTTP/1.1\r\nHost: x\r\n\r\n']
  ] as const)
    it(`resets a banned host’s ${name} socket before libp2p sees it; others still connect`, async () => {
      const box = new PenaltyBox(new Set(), penalty);
      for (let i = 0; i < penalty.threshold; i++) box.offence('127.0.0.66');
      const filter = new AcceptFilter(box);
      const node = await createLibp2p({
        addresses: { listen: [`/ip4/127.0.0.1/tcp/0${name === 'ws' ? '/ws' : ''}`] },
        transports: [filtered(transport(), filter)],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()]
      });
      try {
        const port = Number(
          node
            .getMultiaddrs()[0]!
            .getComponents()
            .find((c) => c.name === 'tcp')!.value
        );
        const outcome = (localAddress: string) =>
          new Promise<string>((done) => {
            const s = connect({ host: '127.0.0.1', port, localAddress });
            s.once('data', () => done('answered'));
            s.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? 'error'));
            s.once('close', () => done('closed'));
            s.once('connect', () => s.write(hello));
          });
        expect(await outcome('127.0.0.66')).toBe('ECONNRESET');
        expect(filter.refused).toBe(1);
        expect(await outcome('127.0.0.5')).toBe('answered');
      } finally {
        await node.stop();
      }
    });
});
