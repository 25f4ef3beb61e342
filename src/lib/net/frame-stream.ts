/**
 * One-way standing streams: the dialer keeps one stream open to a peer and writes a frame per message;
 * the server hands each decoded frame to its service, in order, and never answers. For traffic between
 * fixed peers that flows all the time (consensus proposals and votes), where a stream per message
 * costs more than the message — a libp2p stream open is a yamux handshake, a multistream-select
 * negotiation, a peer-store update and half a dozen encrypted frames each way — and waiting for an
 * answer holds the next message back by a round trip plus the remote's processing.
 *
 * The same bounds as the request/response protocols (rpc.ts), per frame instead of per stream: frame
 * size, the peer's request and byte rate, streams per connection and per peer. Any violation, or a
 * frame the service throws on, resets the stream; the sender opens a new one for its next message
 * (what was lost in between is for the protocol above to resend, as consensus re-gossips a stalled
 * height). Backpressure is the stream's own: the server reads the next frame only once the service
 * took the last, so a slow server fills the window and the sender's writes wait.
 */
import type { Connection, Stream } from '@libp2p/interface';
import { CoreError } from '../core/errors.js';
import type { Codec } from '../core/encoding/codec.js';
import { FrameReader, resetStream, writeFrame } from './framing.js';
import {
  admitInboundStream,
  asCoreError,
  closeOrReset,
  libp2pStreamLimits,
  type DialTarget,
  type NetHost,
  type ServeContext,
  type ServeOptions
} from './rpc.js';

export interface FrameStreamLimits {
  /** Largest frame the server reads. */
  readonly maxFrameBytes: number;
  /**
   * Frames on one stream; the sender starts a new stream before it reaches this, so the limit only
   * bounds how long a stream lives, not what an honest sender can send.
   */
  readonly maxFramesPerStream: number;
  /**
   * The server resets a stream that carried nothing for this long; the sender replaces a stream it
   * left idle for half of it, so an honest sender never writes into a stream being reset.
   */
  readonly idleMs: number;
  /** Longest wait to open a stream, or for a frame to leave the send buffer. */
  readonly timeoutMs: number;
  /** Concurrent inbound streams of this protocol per connection (enforced and counted here). */
  readonly maxInboundStreams: number;
  readonly maxOutboundStreams: number;
}

/** Registers `protocol`, handing every frame of every stream to `onFrame` (awaited, in order). */
export async function serveFrames<Req>(
  host: NetHost,
  protocol: string,
  codec: Codec<Req>,
  limits: FrameStreamLimits,
  onFrame: (req: Req, ctx: ServeContext) => Promise<unknown>,
  opts: ServeOptions = {}
): Promise<void> {
  await host.handle(
    protocol,
    (stream: Stream, connection: Connection) =>
      serveFrameStream(stream, connection, protocol, codec, limits, onFrame, opts),
    libp2pStreamLimits(limits)
  );
}

async function serveFrameStream<Req>(
  stream: Stream,
  connection: Connection,
  protocol: string,
  codec: Codec<Req>,
  limits: FrameStreamLimits,
  onFrame: (req: Req, ctx: ServeContext) => Promise<unknown>,
  opts: ServeOptions
): Promise<void> {
  const peer = connection.remotePeer.toString();
  const reader = new FrameReader(stream, {
    maxFrameBytes: limits.maxFrameBytes,
    maxFrames: limits.maxFramesPerStream
  });
  const abort = new AbortController();
  const onClose = (): void => abort.abort();
  stream.addEventListener('close', onClose, { once: true });
  const ctx: ServeContext = { peer, remoteAddr: connection.remoteAddr.toString(), signal: abort.signal };
  const guard = opts.guard;
  let release: (() => void) | undefined;
  try {
    release = admitInboundStream(connection, protocol, limits.maxInboundStreams, guard);
    for (;;) {
      const frame = await reader.read(limits.idleMs);
      if (!frame) break;
      if (guard && !(guard.rate.tryRequest(peer) && guard.rate.tryBytes(peer, frame.length)))
        throw new CoreError('net/rate-limited', { peer, bytes: frame.length }, 'ignore');
      await onFrame(codec.decode(frame), ctx);
    }
    await closeOrReset(stream, limits.timeoutMs);
  } catch (e) {
    const err = asCoreError(e);
    opts.onError?.(err, { peer, protocol });
    resetStream(stream, err);
  } finally {
    stream.removeEventListener('close', onClose);
    release?.();
  }
}

/**
 * The dialing half: one standing stream to `target`, opened on the first `send` and replaced when it
 * broke, aged out (`maxFramesPerStream`) or sat idle. Sends one at a time (the caller awaits each).
 */
export class FrameSender<Req> {
  private stream: Stream | undefined;
  private frames = 0;
  private lastSent = 0;

  constructor(
    private readonly host: NetHost,
    private readonly target: DialTarget,
    private readonly protocol: string,
    private readonly codec: Codec<Req>,
    private readonly limits: FrameStreamLimits,
    private readonly now: () => number = Date.now
  ) {}

  /** Resolves once the frame is in the stream's send buffer; throws (and drops the stream) on failure. */
  async send(req: Req): Promise<void> {
    const bytes = this.codec.encode(req);
    if (bytes.length > this.limits.maxFrameBytes)
      throw new CoreError('net/bad-request', { detail: 'frame larger than its limit', size: bytes.length });
    const t = this.now();
    const s = this.stream;
    const usable =
      s !== undefined &&
      s.status === 'open' &&
      s.writeStatus === 'writable' &&
      this.frames < this.limits.maxFramesPerStream - 1 &&
      t - this.lastSent < this.limits.idleMs / 2;
    try {
      if (!usable) {
        this.close();
        this.stream = await this.host.dialProtocol(this.target, this.protocol, {
          signal: AbortSignal.timeout(this.limits.timeoutMs)
        });
        this.frames = 0;
      }
      this.frames++;
      this.lastSent = t;
      await writeFrame(this.stream!, bytes, AbortSignal.timeout(this.limits.timeoutMs));
    } catch (e) {
      const err = asCoreError(e);
      if (this.stream) resetStream(this.stream, err);
      this.stream = undefined;
      throw err;
    }
  }

  /** Closes the standing stream (its frames already sent are still delivered). */
  close(): void {
    const s = this.stream;
    this.stream = undefined;
    if (s) void closeOrReset(s, this.limits.timeoutMs);
  }
}
