/**
 * The one request/response shape every carechain protocol uses. The client opens a stream, writes
 * one request frame and closes its writable side; the server answers with up to `maxResponseFrames`
 * frames (most protocols: exactly one) and closes. Either side parses bytes once, with the core
 * codecs, at this boundary.
 *
 * Protocol violations (bad framing, malformed or non-canonical CBOR, schema mismatch, timeouts) reset
 * the stream: an honest peer never causes them, so it gets no explanation. Refusals (rate limits,
 * stream limits, a service saying no) are answered with an error frame carrying a named error code,
 * so an honest client can tell the user why and back off.
 */
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import { CoreError, ERROR_CODES, isCoreError, type ErrorCode, type PeerAction } from '../core/errors.js';
import { TAGS } from '../core/constants.js';
import { decodeCanonical } from '../core/encoding/cbor.js';
import { defineCodec, type Codec } from '../core/encoding/codec.js';
import { header, id, text, v } from '../core/encoding/schema.js';
import { FrameReader, resetStream, writeFrame } from './framing.js';
import type { NetGuard } from './rate-limit.js';

export interface ProtocolLimits {
  /** Largest request frame the server reads. */
  readonly maxRequestBytes: number;
  /** Largest response frame the client reads (and the server may write). */
  readonly maxResponseBytes: number;
  /** Most response frames per request. */
  readonly maxResponseFrames: number;
  /** Longest wait for any one frame, and for the service to answer. */
  readonly timeoutMs: number;
  /**
   * Concurrent inbound streams of this protocol per connection. Enforced here, where a stream over it
   * is an offence the node counts (ServeOptions.onError); libp2p's own limit is set at twice this, as
   * a backstop, because libp2p refuses silently.
   */
  readonly maxInboundStreams: number;
  /** Concurrent outbound streams of this protocol per connection. */
  readonly maxOutboundStreams: number;
}

/** The host surface the protocols need: a libp2p node in Node or in the browser. */
export type NetHost = Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol'>;

export type DialTarget = PeerId | Multiaddr | Multiaddr[];

export interface ServeContext {
  /** The remote peer id (string form). */
  readonly peer: string;
  /** The remote address the connection came from. */
  readonly remoteAddr: string;
  /** Aborted when the request times out or the stream goes away. */
  readonly signal: AbortSignal;
}

export interface ServeOptions {
  /** Shared per-peer rate and stream limits; without it only the libp2p per-connection limits apply. */
  readonly guard?: NetGuard;
  /** Told about every failed exchange (for logs, metrics and peer scoring). */
  readonly onError?: (err: CoreError, info: { peer: string; protocol: string }) => void;
}

export interface RequestOptions {
  readonly signal?: AbortSignal;
}

/** Error frames are small: a code and one human line. */
const errorSchema = v.object({
  ...header(TAGS.netError),
  code: id(64),
  message: text(),
  action: v.picklist(['reject', 'ignore'])
});
export const errorFrameCodec = defineCodec('net/error', errorSchema, 1024);

export function errorFrame(err: CoreError): Uint8Array {
  return errorFrameCodec.encode({
    t: TAGS.netError,
    v: 1,
    code: err.code,
    message: ERROR_CODES[err.code],
    action: err.action
  });
}

function fromErrorFrame(value: unknown): CoreError {
  const e = errorFrameCodec.parse(value);
  const known = Object.prototype.hasOwnProperty.call(ERROR_CODES, e.code);
  const code: ErrorCode = known ? (e.code as ErrorCode) : 'net/remote-error';
  return new CoreError(
    code,
    { remote: true, remoteCode: e.code, remoteMessage: e.message },
    e.action as PeerAction
  );
}

function isErrorValue(value: unknown): boolean {
  return value !== null && typeof value === 'object' && (value as { t?: unknown }).t === TAGS.netError;
}

export function asCoreError(e: unknown): CoreError {
  if (isCoreError(e)) return e;
  return new CoreError('net/internal', { detail: e instanceof Error ? e.message : String(e) }, 'ignore');
}

/** Errors that mean the peer broke the protocol: the stream is reset rather than answered. */
function isViolation(err: CoreError): boolean {
  return (
    err.code.startsWith('decode/') ||
    err.code === 'net/frame-too-large' ||
    err.code === 'net/bad-length-prefix' ||
    err.code === 'net/truncated' ||
    err.code === 'net/too-many-frames' ||
    err.code === 'net/timeout' ||
    err.code === 'net/stream-reset'
  );
}

/** After our side is closed, give the peer `ms` to close theirs, then reset: no half-open leftovers. */
function reapLater(stream: Stream, ms: number): void {
  if (stream.status === 'closed' || stream.status === 'reset' || stream.status === 'aborted') return;
  const timer = setTimeout(() => resetStream(stream, new CoreError('net/timeout', { ms }, 'ignore')), ms);
  stream.addEventListener('close', () => clearTimeout(timer), { once: true });
}

export async function closeOrReset(stream: Stream, ms: number): Promise<void> {
  try {
    await stream.close({ signal: AbortSignal.timeout(ms) });
    reapLater(stream, ms);
  } catch (e) {
    resetStream(stream, asCoreError(e));
  }
}

/** libp2p's per-connection stream limit, as a multiple of the one enforced (and counted) here. */
const LIBP2P_STREAM_BACKSTOP = 2;

/**
 * The stream limits a protocol registers with libp2p: its own inbound limit, counted and enforced by
 * `admitInboundStream`, times the backstop (so libp2p refuses only what got past that count).
 */
export function libp2pStreamLimits(limits: { maxInboundStreams: number; maxOutboundStreams: number }): {
  maxInboundStreams: number;
  maxOutboundStreams: number;
} {
  return {
    maxInboundStreams: limits.maxInboundStreams * LIBP2P_STREAM_BACKSTOP,
    maxOutboundStreams: limits.maxOutboundStreams
  };
}

/**
 * Inbound streams admitted and not yet released, per connection and protocol. Counted here rather
 * than read off `connection.streams`: there a burst of streams all show up before any is admitted or
 * refused, and counting them would refuse the whole burst instead of just what is over the limit.
 */
const admitted = new WeakMap<Connection, Map<string, number>>();

/**
 * Admits one inbound stream of `protocol`: at most `maxInbound` admitted at once on its connection
 * (libp2p's own limit is only the backstop), and one of the peer's streams from the shared guard.
 * Returns the release, which the caller calls once when the stream is done; throws
 * `net/too-many-streams`.
 */
export function admitInboundStream(
  connection: Connection,
  protocol: string,
  maxInbound: number,
  guard: NetGuard | undefined
): () => void {
  let counts = admitted.get(connection);
  if (!counts) admitted.set(connection, (counts = new Map()));
  const n = counts.get(protocol) ?? 0;
  if (n >= maxInbound) throw new CoreError('net/too-many-streams', { protocol, limit: maxInbound }, 'ignore');
  const releaseGuard = guard?.streams.acquire(connection.remotePeer.toString(), protocol);
  counts.set(protocol, n + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (counts.get(protocol) ?? 1) - 1;
    if (left > 0) counts.set(protocol, left);
    else counts.delete(protocol);
    releaseGuard?.();
  };
}

export type Responder<Req, Res> = (req: Req, ctx: ServeContext) => Promise<Res> | AsyncIterable<Res>;

/** Registers `protocol` on `host`, answering each request through `respond`. */
export async function serve<Req, Res>(
  host: NetHost,
  protocol: string,
  reqCodec: Codec<Req>,
  resCodec: Codec<Res>,
  limits: ProtocolLimits,
  respond: Responder<Req, Res>,
  opts: ServeOptions = {}
): Promise<void> {
  await host.handle(
    protocol,
    (stream: Stream, connection: Connection) =>
      serveStream(stream, connection, protocol, reqCodec, resCodec, limits, respond, opts),
    libp2pStreamLimits(limits)
  );
}

async function serveStream<Req, Res>(
  stream: Stream,
  connection: Connection,
  protocol: string,
  reqCodec: Codec<Req>,
  resCodec: Codec<Res>,
  limits: ProtocolLimits,
  respond: Responder<Req, Res>,
  opts: ServeOptions
): Promise<void> {
  const peer = connection.remotePeer.toString();
  const reader = new FrameReader(stream, { maxFrameBytes: limits.maxRequestBytes, maxFrames: 1 });
  const abort = new AbortController();
  const onClose = (): void => abort.abort();
  stream.addEventListener('close', onClose, { once: true });
  let release: (() => void) | undefined;
  const guard = opts.guard;
  try {
    release = admitInboundStream(connection, protocol, limits.maxInboundStreams, guard);
    if (guard && !guard.rate.tryRequest(peer)) throw new CoreError('net/rate-limited', { peer }, 'ignore');
    const frame = await reader.read(limits.timeoutMs);
    if (!frame) throw new CoreError('net/bad-request', { detail: 'no request frame' });
    if (guard && !guard.rate.tryBytes(peer, frame.length))
      throw new CoreError('net/rate-limited', { peer, bytes: frame.length }, 'ignore');
    const req = reqCodec.decode(frame);
    const timer = setTimeout(
      () => abort.abort(new CoreError('net/timeout', { ms: limits.timeoutMs }, 'ignore')),
      limits.timeoutMs
    );
    try {
      const ctx: ServeContext = { peer, remoteAddr: connection.remoteAddr.toString(), signal: abort.signal };
      const result = respond(req, ctx);
      let frames = 0;
      const send = async (res: Res): Promise<void> => {
        if (++frames > limits.maxResponseFrames)
          throw new CoreError('net/internal', { detail: 'service produced too many frames' }, 'ignore');
        const bytes = resCodec.encode(res);
        if (bytes.length > limits.maxResponseBytes)
          throw new CoreError('net/internal', { detail: 'response larger than its limit' }, 'ignore');
        if (guard && !guard.rate.tryBytes(peer, bytes.length))
          throw new CoreError('net/rate-limited', { peer, bytes: bytes.length }, 'ignore');
        if (abort.signal.aborted) throw asCoreError(abort.signal.reason);
        await writeFrame(stream, bytes, abort.signal);
      };
      if (Symbol.asyncIterator in Object(result)) {
        for await (const res of result as AsyncIterable<Res>) await send(res);
      } else {
        await send(await (result as Promise<Res>));
      }
    } finally {
      clearTimeout(timer);
    }
    await closeOrReset(stream, limits.timeoutMs);
  } catch (e) {
    const err = asCoreError(e);
    opts.onError?.(err, { peer, protocol });
    if (isViolation(err) || stream.writeStatus !== 'writable') {
      resetStream(stream, err);
    } else {
      try {
        await writeFrame(stream, errorFrame(err), AbortSignal.timeout(limits.timeoutMs));
        await closeOrReset(stream, limits.timeoutMs);
      } catch (e2) {
        resetStream(stream, asCoreError(e2));
      }
    }
  } finally {
    stream.removeEventListener('close', onClose);
    release?.();
  }
}

/**
 * Sends one request and collects the response frames (one for most protocols). A remote error frame
 * is thrown as the CoreError it names; anything malformed from the server is thrown as the decode
 * error it caused, after resetting the stream.
 */
export async function call<Req, Res>(
  host: NetHost,
  target: DialTarget,
  protocol: string,
  reqCodec: Codec<Req>,
  resCodec: Codec<Res>,
  limits: ProtocolLimits,
  req: Req,
  opts: RequestOptions = {}
): Promise<Res[]> {
  const bytes = reqCodec.encode(req);
  if (bytes.length > limits.maxRequestBytes)
    throw new CoreError('net/bad-request', { detail: 'request larger than its limit', size: bytes.length });
  const stream = await host.dialProtocol(target, protocol, opts.signal ? { signal: opts.signal } : {});
  const reader = new FrameReader(stream, {
    maxFrameBytes: limits.maxResponseBytes,
    maxFrames: limits.maxResponseFrames
  });
  try {
    await writeFrame(stream, bytes, opts.signal);
    await stream.close(opts.signal ? { signal: opts.signal } : {});
    const out: Res[] = [];
    for (;;) {
      const frame = await reader.read(limits.timeoutMs, opts.signal);
      if (!frame) break;
      const value = decodeCanonical(frame, limits.maxResponseBytes);
      if (isErrorValue(value)) throw fromErrorFrame(value);
      out.push(resCodec.parse(value));
    }
    if (out.length === 0) throw new CoreError('net/no-response', { protocol }, 'ignore');
    return out;
  } catch (e) {
    const err = asCoreError(e);
    resetStream(stream, err);
    throw err;
  }
}

/** `call` for protocols that answer with exactly one frame. */
export async function callOne<Req, Res>(
  host: NetHost,
  target: DialTarget,
  protocol: string,
  reqCodec: Codec<Req>,
  resCodec: Codec<Res>,
  limits: ProtocolLimits,
  req: Req,
  opts: RequestOptions = {}
): Promise<Res> {
  const [res] = await call(
    host,
    target,
    protocol,
    reqCodec,
    resCodec,
    { ...limits, maxResponseFrames: 1 },
    req,
    opts
  );
  return res!;
}

/** An answer without its envelope (`t`, `v`), which the protocol adds; distributes over unions. */
export type AnswerBody<T> = T extends unknown ? Omit<T, 't' | 'v'> : never;

/**
 * A protocol of one request and one answer frame, its id, codecs, default limits and answer tag bound
 * once: the serving and the calling half that each such protocol file would otherwise spell out again.
 * `handler` turns how a service answers into the file's `handleX(host, service, limits?, opts?)`.
 */
export function unaryProtocol<Req, Res extends { t: string; v: 1 }>(
  protocol: string,
  reqCodec: Codec<Req>,
  resCodec: Codec<Res>,
  defaults: ProtocolLimits,
  tag: Res['t']
) {
  const serveWith = (
    host: NetHost,
    respond: (req: Req, ctx: ServeContext) => Promise<AnswerBody<Res>>,
    limits: ProtocolLimits = defaults,
    opts: ServeOptions = {}
  ): Promise<void> =>
    serve(
      host,
      protocol,
      reqCodec,
      resCodec,
      limits,
      async (req, ctx) => ({ t: tag, v: 1, ...(await respond(req, ctx)) }) as Res,
      opts
    );
  return {
    handler:
      <S>(answer: (service: S, req: Req, ctx: ServeContext) => Promise<AnswerBody<Res>>) =>
      (host: NetHost, service: S, limits?: ProtocolLimits, opts?: ServeOptions): Promise<void> =>
        serveWith(host, (req, ctx) => answer(service, req, ctx), limits, opts),
    request: (
      host: NetHost,
      target: DialTarget,
      req: Req,
      opts: RequestOptions & { limits?: ProtocolLimits } = {}
    ): Promise<Res> => callOne(host, target, protocol, reqCodec, resCodec, opts.limits ?? defaults, req, opts)
  };
}
