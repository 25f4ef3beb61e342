/**
 * Bounded, length-prefixed framing over a libp2p stream. Each frame is an unsigned LEB128 varint
 * length followed by that many bytes of canonical CBOR. The reader enforces, as bytes arrive and
 * before buffering a body, the protocol's largest frame and its most frames per stream, so a hostile
 * peer can make us hold at most `maxFrames * maxFrameBytes` per stream. Any violation aborts (resets)
 * the stream and surfaces as a named CoreError; the caller decides what to do with the peer.
 *
 * The read timeout is passed in by the caller: net runs timers (it is not core), but the duration
 * belongs to each protocol's limits.
 */
import type { Stream } from '@libp2p/interface';
import { CoreError } from '../core/errors.js';

export interface FrameLimits {
  /** Largest frame body in bytes. */
  readonly maxFrameBytes: number;
  /** Most frames the remote may send on one stream. */
  readonly maxFrames: number;
}

/** A varint of 5 bytes covers 2^35 - far above any frame limit; longer prefixes are hostile. */
const MAX_VARINT_BYTES = 5;
/**
 * A stream's receive buffer, allocated when bytes first arrive (most frames are small), doubles as a
 * frame needs, and is let go once a larger one is framed.
 */
const INITIAL_BUFFER_BYTES = 16 * 1024;
const EMPTY = new Uint8Array(0);

export function encodeVarint(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new CoreError('net/bad-length-prefix', { detail: String(n) });
  const out: number[] = [];
  let rest = n;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return Uint8Array.from(out);
}

/**
 * Decodes a minimal unsigned varint at the start of `buf`. Returns null when more bytes are needed.
 * Non-minimal encodings (a trailing 0x00 continuation) are rejected: an honest encoder never makes them.
 */
export function decodeVarint(buf: Uint8Array): { value: number; size: number } | null {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < buf.length; i++) {
    if (i >= MAX_VARINT_BYTES) throw new CoreError('net/bad-length-prefix', { detail: 'varint too long' });
    const b = buf[i]!;
    value += (b & 0x7f) * scale;
    scale *= 0x80;
    if ((b & 0x80) === 0) {
      if (i > 0 && b === 0) throw new CoreError('net/bad-length-prefix', { detail: 'non-minimal varint' });
      return { value, size: i + 1 };
    }
  }
  if (buf.length >= MAX_VARINT_BYTES)
    throw new CoreError('net/bad-length-prefix', { detail: 'varint too long' });
  return null;
}

export function encodeFrame(payload: Uint8Array): Uint8Array {
  const prefix = encodeVarint(payload.length);
  const out = new Uint8Array(prefix.length + payload.length);
  out.set(prefix, 0);
  out.set(payload, prefix.length);
  return out;
}

function toBytes(data: Uint8Array | { subarray(): Uint8Array }): Uint8Array {
  return data instanceof Uint8Array ? data : data.subarray();
}

/** Resets the stream with the given error; safe to call on an already-closed stream. */
export function resetStream(stream: Stream, err: Error): void {
  if (stream.status === 'open' || stream.status === 'closing') stream.abort(err);
}

/**
 * Reads frames from one stream. Attach it synchronously when the stream is obtained (handler entry or
 * right after dialProtocol) so no 'message' event is missed.
 */
export class FrameReader {
  private readonly frames: Uint8Array[] = [];
  /** Bytes received and not yet framed: buf[start, end). */
  private buf = EMPTY;
  private start = 0;
  private end = 0;
  private expected: number | null = null;
  private received = 0;
  private ended = false;
  private failure: CoreError | null = null;
  private endError: CoreError | null = null;
  private wake: (() => void) | null = null;

  constructor(
    private readonly stream: Stream,
    private readonly limits: FrameLimits
  ) {
    stream.addEventListener('message', (evt) => this.onData(toBytes(evt.data)));
    stream.addEventListener('remoteCloseWrite', () => this.onEnd(null));
    stream.addEventListener('close', (evt) => {
      const err = (evt as { error?: Error }).error;
      this.onEnd(err ? new CoreError('net/stream-reset', { detail: err.message }, 'ignore') : null);
    });
    if (stream.readableEnded || stream.status === 'closed' || stream.status === 'reset') this.ended = true;
  }

  /** Total frames accepted so far. */
  get count(): number {
    return this.received;
  }

  private fail(err: CoreError): void {
    if (this.failure) return;
    this.failure = err;
    this.buf = EMPTY;
    this.start = this.end = 0;
    this.frames.length = 0;
    resetStream(this.stream, err);
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private onEnd(err: CoreError | null): void {
    if (this.ended) return;
    this.ended = true;
    this.endError = err;
    this.notify();
  }

  private onData(chunk: Uint8Array): void {
    if (this.failure || chunk.length === 0) return;
    // Bytes beyond the last allowed frame are a violation however small they are.
    if (this.received >= this.limits.maxFrames) {
      this.fail(new CoreError('net/too-many-frames', { limit: this.limits.maxFrames }));
      return;
    }
    this.append(chunk);
    try {
      this.extract();
    } catch (e) {
      this.fail(e instanceof CoreError ? e : new CoreError('net/bad-length-prefix', { detail: String(e) }));
      return;
    }
    this.notify();
  }

  /**
   * Copies a chunk behind what is buffered, growing the buffer by doubling: each byte is copied a
   * bounded number of times however small the chunks a frame arrives in (joining every chunk onto
   * the buffered bytes would copy a large frame quadratically), and nothing is allocated for bytes
   * that have not arrived.
   */
  private append(chunk: Uint8Array): void {
    const held = this.end - this.start;
    if (this.end + chunk.length > this.buf.length) {
      const need = held + chunk.length;
      const cap = this.limits.maxFrameBytes + MAX_VARINT_BYTES;
      const next =
        need <= this.buf.length
          ? this.buf
          : new Uint8Array(Math.max(need, INITIAL_BUFFER_BYTES, Math.min(2 * this.buf.length, cap)));
      if (next === this.buf) this.buf.copyWithin(0, this.start, this.end);
      else next.set(this.buf.subarray(this.start, this.end), 0);
      this.buf = next;
      this.start = 0;
      this.end = held;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  private extract(): void {
    while (this.end > this.start) {
      if (this.expected === null) {
        const prefix = decodeVarint(this.buf.subarray(this.start, this.end));
        if (!prefix) return;
        if (prefix.value === 0) throw new CoreError('net/bad-length-prefix', { detail: 'empty frame' });
        if (prefix.value > this.limits.maxFrameBytes)
          throw new CoreError('net/frame-too-large', {
            size: prefix.value,
            limit: this.limits.maxFrameBytes
          });
        if (this.received >= this.limits.maxFrames)
          throw new CoreError('net/too-many-frames', { limit: this.limits.maxFrames });
        this.expected = prefix.value;
        this.start += prefix.size;
      }
      if (this.end - this.start < this.expected) return;
      this.frames.push(this.buf.slice(this.start, this.start + this.expected));
      this.start += this.expected;
      this.expected = null;
      this.received++;
    }
    // Everything framed: start over at the front, and let a buffer grown for one large frame go.
    this.start = this.end = 0;
    if (this.buf.length > INITIAL_BUFFER_BYTES) this.buf = EMPTY;
  }

  /**
   * The next frame, or null when the remote closed its side cleanly between frames. Throws a CoreError
   * (and resets the stream) on a violation, a truncated frame, a reset or the timeout.
   */
  async read(timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array | null> {
    for (;;) {
      if (this.failure) throw this.failure;
      const frame = this.frames.shift();
      if (frame) return frame;
      if (this.ended) {
        if (this.endError) throw this.endError;
        if (this.expected !== null || this.end > this.start) {
          const err = new CoreError('net/truncated', { buffered: this.end - this.start });
          this.fail(err);
          throw err;
        }
        return null;
      }
      await this.waitForData(timeoutMs, signal);
    }
  }

  private waitForData(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        this.fail(new CoreError('net/timeout', { detail: 'aborted by caller' }, 'ignore'));
      };
      const timer = setTimeout(() => {
        this.fail(new CoreError('net/timeout', { ms: timeoutMs }, 'ignore'));
      }, timeoutMs);
      this.wake = done;
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Writes one frame, waiting for the stream to drain when its send buffer is full. */
export async function writeFrame(stream: Stream, payload: Uint8Array, signal?: AbortSignal): Promise<void> {
  if (!stream.send(encodeFrame(payload))) await stream.onDrain(signal ? { signal } : {});
}
