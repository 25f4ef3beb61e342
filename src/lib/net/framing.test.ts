import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Stream } from '@libp2p/interface';
import { FrameReader, decodeVarint, encodeFrame, encodeVarint } from './framing.js';
import { isCoreError } from '../core/errors.js';
import { FUZZ_RUNS } from '../core/test-support.js';

describe('varint length prefix', () => {
  it('round-trips every length up to 2^35 - 1, minimally', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 35 - 1 }), (n) => {
        const enc = encodeVarint(n);
        const dec = decodeVarint(enc);
        expect(dec).toEqual({ value: n, size: enc.length });
        expect(enc.length).toBeLessThanOrEqual(5);
        // Every proper prefix asks for more bytes rather than guessing.
        for (let i = 0; i < enc.length; i++) expect(decodeVarint(enc.subarray(0, i))).toBeNull();
      }),
      { numRuns: FUZZ_RUNS }
    );
  });

  it('never throws anything but a named error on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (b) => {
        try {
          const r = decodeVarint(b);
          if (r) expect(encodeVarint(r.value)).toEqual(b.subarray(0, r.size));
        } catch (e) {
          expect(isCoreError(e, 'net/bad-length-prefix')).toBe(true);
        }
      }),
      { numRuns: FUZZ_RUNS }
    );
  });

  it('rejects non-minimal and over-long prefixes', () => {
    expect(() => decodeVarint(Uint8Array.from([0x80, 0x00]))).toThrow(/net\/bad-length-prefix/);
    expect(() => decodeVarint(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(
      /net\/bad-length-prefix/
    );
    expect(decodeVarint(Uint8Array.from([0x00]))).toEqual({ value: 0, size: 1 });
  });

  it('frames are prefix + payload', () => {
    const f = encodeFrame(new Uint8Array(300).fill(7));
    expect(Array.from(f.subarray(0, 2))).toEqual([0xac, 0x02]);
    expect(f.length).toBe(302);
  });
});

/**
 * The byte side of a libp2p stream, as FrameReader sees it: 'message' events carrying chunks, then
 * the remote's close. The reader's reassembly is what is under test; real streams carry it in the
 * integration tests.
 */
class ChunkStream extends EventTarget {
  status = 'open';
  readableEnded = false;
  resetWith: Error | null = null;
  push(data: Uint8Array) {
    this.dispatchEvent(Object.assign(new Event('message'), { data }));
  }
  closeWrite() {
    this.dispatchEvent(new Event('remoteCloseWrite'));
  }
  abort(err: Error) {
    this.status = 'reset';
    this.resetWith = err;
  }
}

const LIMITS = { maxFrameBytes: 1 << 20, maxFrames: 64 };

async function readAll(r: FrameReader): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let f = await r.read(1000); f; f = await r.read(1000)) out.push(f);
  return out;
}

describe('FrameReader', () => {
  it('yields the frames sent, however the bytes are cut into chunks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 3000 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 40 }),
        async (frames, cuts) => {
          const bytes = Buffer.concat(frames.map(encodeFrame));
          const s = new ChunkStream();
          const r = new FrameReader(s as unknown as Stream, LIMITS);
          for (let at = 0, k = 0; at < bytes.length; k++) {
            const n = cuts[k % cuts.length]!;
            s.push(bytes.subarray(at, at + n));
            at += n;
          }
          s.closeWrite();
          expect(await readAll(r)).toEqual(frames);
        }
      ),
      { numRuns: FUZZ_RUNS }
    );
  });

  it('takes a large frame in many small chunks in linear time', async () => {
    const big = new Uint8Array(2 << 20);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    const bytes = encodeFrame(big);
    const s = new ChunkStream();
    const r = new FrameReader(s as unknown as Stream, { maxFrameBytes: big.length, maxFrames: 1 });
    // 131,072 chunks of 16 bytes: copied once, a few hundred ms at most; joined onto what was
    // buffered each time, ~140 GB of copying (minutes).
    const t0 = performance.now();
    for (let at = 0; at < bytes.length; at += 16) s.push(bytes.subarray(at, at + 16));
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(5000);
    expect(Buffer.from((await r.read(1000))!).equals(big)).toBe(true);
  });

  it('refuses a frame over the limit from its prefix alone, and resets the stream', async () => {
    const s = new ChunkStream();
    const r = new FrameReader(s as unknown as Stream, LIMITS);
    s.push(encodeVarint(LIMITS.maxFrameBytes + 1));
    await expect(r.read(1000)).rejects.toThrow(/net\/frame-too-large/);
    expect(s.resetWith).not.toBeNull();
  });

  it('calls a stream that ends inside a frame truncated', async () => {
    const s = new ChunkStream();
    const r = new FrameReader(s as unknown as Stream, LIMITS);
    s.push(encodeFrame(new Uint8Array(100)).subarray(0, 50));
    s.closeWrite();
    await expect(r.read(1000)).rejects.toThrow(/net\/truncated/);
  });

  it('refuses bytes beyond the last allowed frame', async () => {
    const s = new ChunkStream();
    const r = new FrameReader(s as unknown as Stream, { maxFrameBytes: 16, maxFrames: 2 });
    s.push(Buffer.concat([encodeFrame(Uint8Array.of(1)), encodeFrame(Uint8Array.of(2))]));
    expect(await r.read(1000)).toEqual(Uint8Array.of(1));
    expect(await r.read(1000)).toEqual(Uint8Array.of(2));
    s.push(Uint8Array.of(1));
    await expect(r.read(1000)).rejects.toThrow(/net\/too-many-frames/);
    expect(s.resetWith).not.toBeNull();
  });
});
