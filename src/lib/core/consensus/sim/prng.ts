/**
 * The simulator's random schedule: a small fast generator (sfc32) seeded from the core's SHA-256
 * seededRng, so a run is a pure function of its seed. Millions of draws per run rule out hashing
 * for each one; sfc32 passes PractRand far beyond what a schedule needs.
 */
import { seededRng } from '../../crypto/random.js';

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number | string) {
    const s = seededRng(typeof seed === 'number' ? seed : new TextEncoder().encode(seed))(16);
    const dv = new DataView(s.buffer, s.byteOffset, 16);
    this.a = dv.getUint32(0);
    this.b = dv.getUint32(4);
    this.c = dv.getUint32(8);
    this.d = dv.getUint32(12) | 1;
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next() / 4294967296;
  }

  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return p > 0 && this.float() < p;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const x = this.next();
      for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (x >>> (8 * j)) & 0xff;
    }
    return out;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)]!;
  }
}
