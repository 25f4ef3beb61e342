import { describe, expect, it } from 'vitest';
import { PenaltyBox } from './penalty-box.js';

describe('penalty box', () => {
  const config = { threshold: 3, windowMs: 1000, banMs: 5000, maxTracked: 2 };

  it('bans an IP past the threshold within the window, for banMs; protected IPs never', () => {
    let t = 0;
    const box = new PenaltyBox(new Set(['10.0.0.1']), config, () => t);
    expect([box.offence('1.2.3.4'), box.offence('1.2.3.4')]).toEqual([false, false]);
    expect(box.offence('1.2.3.4')).toBe(true);
    expect(box.isBanned('1.2.3.4')).toBe(true);
    expect(box.offence('1.2.3.4')).toBe(false); // already banned: not banned again
    t = 5001;
    expect(box.isBanned('1.2.3.4')).toBe(false);
    for (let i = 0; i < 10; i++) expect(box.offence('10.0.0.1')).toBe(false);
    expect(box.isBanned('10.0.0.1')).toBe(false);
  });

  it('offences spread beyond the window do not add up; tracking is bounded', () => {
    let t = 0;
    const box = new PenaltyBox(new Set(), config, () => t);
    box.offence('a');
    box.offence('a');
    t = 1001;
    expect(box.offence('a')).toBe(false);
    box.offence('b');
    box.offence('c'); // evicts the oldest tracked ('a')
    expect(box.offence('a')).toBe(false);
    expect(box.banned).toBe(0);
  });
});
