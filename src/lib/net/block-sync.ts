/**
 * block-sync: committed blocks with their commit certificates by height range, for a node that is
 * behind or restarting. The answer streams one frame per block so no frame holds more than one block.
 * Blocks and certificates are opaque here; the node parses them with `blockCodec`
 * (src/lib/core/chain/block.ts) and `commitCertificateCodec` (src/lib/core/consensus/types.ts).
 */
import { TAGS, LIMITS } from '../core/constants.js';
import { CoreError } from '../core/errors.js';
import { defineCodec } from '../core/encoding/codec.js';
import { bytesMax, header, id, uint, uintMax, v } from '../core/encoding/schema.js';
import {
  call,
  serve,
  type DialTarget,
  type NetHost,
  type ProtocolLimits,
  type RequestOptions,
  type ServeContext,
  type ServeOptions
} from './rpc.js';

export const BLOCK_SYNC_PROTOCOL = '/carechain/block-sync/1';

/** Blocks per request: 32 full blocks is at most 128 MiB in flight, usually a few hundred KiB. */
export const MAX_SYNC_BLOCKS = 32;

/**
 * Longest a request may ask the peer to wait for `from` to commit before answering (a follower's long
 * poll: it hears of a new block as it commits, and an idle chain costs one request per wait instead
 * of several a second). Well inside the per-frame timeout below, so the asker never times out first.
 */
export const MAX_SYNC_WAIT_MS = 10_000;

/** A commit certificate of 256 validators is under 32 KiB. */
const MAX_COMMIT_BYTES = 32 * 1024;

export const BLOCK_SYNC_LIMITS: ProtocolLimits = {
  maxRequestBytes: 512,
  /** One block (LIMITS.maxMessageBytes) plus its certificate and envelope. */
  maxResponseBytes: LIMITS.maxMessageBytes + MAX_COMMIT_BYTES + 1024,
  maxResponseFrames: MAX_SYNC_BLOCKS,
  /** Per frame: reading a block from LevelDB and sending 4 MiB fits easily in 30 s. */
  timeoutMs: 30_000,
  /** A syncing node asks for one range at a time per peer; 4 allows some pipelining. */
  maxInboundStreams: 4,
  maxOutboundStreams: 4
};

export const syncRequestSchema = v.strictObject({
  ...header(TAGS.netSyncRequest),
  chainId: id(),
  from: uint(),
  count: v.pipe(uintMax(MAX_SYNC_BLOCKS), v.minValue(1)),
  /** Absent or 0: answer now. Otherwise, when `from` is not committed yet, wait for it this long. */
  waitMs: v.optional(uintMax(MAX_SYNC_WAIT_MS))
});
export type SyncRequest = v.InferOutput<typeof syncRequestSchema>;
export const syncRequestCodec = defineCodec(
  'net/sync-request',
  syncRequestSchema,
  BLOCK_SYNC_LIMITS.maxRequestBytes
);

export const syncBlockSchema = v.strictObject({
  ...header(TAGS.netSyncBlock),
  height: uint(),
  block: bytesMax(LIMITS.maxMessageBytes),
  commit: bytesMax(MAX_COMMIT_BYTES)
});
export type SyncBlock = v.InferOutput<typeof syncBlockSchema>;
export const syncBlockCodec = defineCodec(
  'net/sync-block',
  syncBlockSchema,
  BLOCK_SYNC_LIMITS.maxResponseBytes
);

export interface BlockSyncService {
  /**
   * Yields committed blocks from `req.from`, in height order, at most `req.count`; stops early at the
   * head. With `req.waitMs`, first waits that long at most for `req.from` to commit (or for the
   * asker to go: `ctx.signal`). Throwing a CoreError answers the peer with its code.
   */
  blocks(req: SyncRequest, ctx: ServeContext): AsyncIterable<Omit<SyncBlock, 't' | 'v'>>;
}

export async function handleBlockSync(
  host: NetHost,
  service: BlockSyncService,
  limits: ProtocolLimits = BLOCK_SYNC_LIMITS,
  opts: ServeOptions = {}
): Promise<void> {
  await serve(
    host,
    BLOCK_SYNC_PROTOCOL,
    syncRequestCodec,
    syncBlockCodec,
    limits,
    (req, ctx) => framed(req, service.blocks(req, ctx)),
    opts
  );
}

async function* framed(
  req: SyncRequest,
  blocks: AsyncIterable<Omit<SyncBlock, 't' | 'v'>>
): AsyncIterable<SyncBlock> {
  let expected = req.from;
  for await (const b of blocks) {
    if (b.height !== expected || expected >= req.from + req.count)
      throw new CoreError('net/internal', { detail: 'block-sync service yielded out of range' }, 'ignore');
    expected++;
    yield { t: TAGS.netSyncBlock, v: 1, ...b };
  }
}

/** Fetches blocks `from .. from+count-1` (fewer if the peer's head is lower), checking heights are consecutive. */
export async function requestBlockSync(
  host: NetHost,
  target: DialTarget,
  req: SyncRequest,
  opts: RequestOptions & { limits?: ProtocolLimits } = {}
): Promise<SyncBlock[]> {
  const limits = opts.limits ?? BLOCK_SYNC_LIMITS;
  const blocks = await call(
    host,
    target,
    BLOCK_SYNC_PROTOCOL,
    syncRequestCodec,
    syncBlockCodec,
    limits,
    req,
    opts
  );
  blocks.forEach((b, i) => {
    if (b.height !== req.from + i || i >= req.count)
      throw new CoreError('decode/schema', {
        type: 'net/sync-block',
        detail: `unexpected height ${b.height}`
      });
  });
  return blocks;
}
