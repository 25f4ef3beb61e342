/**
 * Randomness is injected: functions that need it take an `Rng`. Production passes `systemRng`
 * (the platform CSPRNG); the simulator and test vectors pass a seeded one.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { sha256 } from './hash.js';

export type Rng = (n: number) => Uint8Array;

export const systemRng: Rng = (n) => randomBytes(n);

/** Deterministic generator for simulation and vectors only: SHA-256 in counter mode over a seed. */
export function seededRng(seed: number | Uint8Array): Rng {
  const s = typeof seed === 'number' ? new TextEncoder().encode(`seed:${seed}`) : seed;
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const block = new Uint8Array(s.length + 4);
      block.set(s);
      new DataView(block.buffer).setUint32(s.length, counter++);
      const h = sha256(block);
      const take = Math.min(32, n - o);
      out.set(h.subarray(0, take), o);
      o += take;
    }
    return out;
  };
}
