import { describe, expect, it } from 'vitest';
import { PeerRateLimiter, StreamLimiter } from './rate-limit.js';
import { isCoreError } from '../core/errors.js';

const config = {
  requests: { ratePerSec: 10, burst: 5 },
  bytes: { ratePerSec: 1000, burst: 2000 },
  maxPeers: 3
};

describe('PeerRateLimiter', () => {
  it('allows the burst, then refills at the rate', () => {
    let now = 0;
    const rl = new PeerRateLimiter(config, () => now);
    for (let i = 0; i < 5; i++) expect(rl.tryRequest('a')).toBe(true);
    expect(rl.tryRequest('a')).toBe(false);
    expect(rl.tryRequest('b')).toBe(true); // another peer has its own bucket
    now += 100; // 0.1 s at 10/s = 1 token
    expect(rl.tryRequest('a')).toBe(true);
    expect(rl.tryRequest('a')).toBe(false);
    now += 10_000; // refill caps at the burst
    for (let i = 0; i < 5; i++) expect(rl.tryRequest('a')).toBe(true);
    expect(rl.tryRequest('a')).toBe(false);
  });

  it('limits bytes without taking tokens it refuses', () => {
    let now = 0;
    const rl = new PeerRateLimiter(config, () => now);
    expect(rl.tryBytes('a', 1500)).toBe(true);
    expect(rl.tryBytes('a', 600)).toBe(false);
    expect(rl.tryBytes('a', 500)).toBe(true);
    now += 500;
    expect(rl.tryBytes('a', 500)).toBe(true);
    expect(rl.tryBytes('a', 1)).toBe(false);
  });

  it('tracks a bounded number of peers, forgetting the least recently seen', () => {
    const now = 0;
    const rl = new PeerRateLimiter(config, () => now);
    for (let i = 0; i < 5; i++) rl.tryRequest('a');
    rl.tryRequest('b');
    rl.tryRequest('c');
    rl.tryRequest('a'); // a is now the most recent
    rl.tryRequest('d'); // evicts b
    expect(rl.trackedPeers).toBe(3);
    expect(rl.tryRequest('a')).toBe(false); // a was kept, still empty
    for (let i = 0; i < 1000; i++) rl.tryRequest(`p${i}`);
    expect(rl.trackedPeers).toBe(3);
  });
});

describe('StreamLimiter', () => {
  it('caps streams per peer and per protocol, and releases once', () => {
    const sl = new StreamLimiter({ perPeer: 2, perProtocol: 3 });
    const r1 = sl.acquire('a', 'x');
    sl.acquire('a', 'y');
    expect(() => sl.acquire('a', 'z')).toThrow(/net\/too-many-streams/);
    sl.acquire('b', 'x');
    sl.acquire('c', 'x');
    let err: unknown;
    try {
      sl.acquire('d', 'x');
    } catch (e) {
      err = e;
    }
    expect(isCoreError(err, 'net/too-many-streams')).toBe(true);
    r1();
    r1();
    expect(sl.active('a')).toBe(1);
    sl.acquire('d', 'x');
  });
});
