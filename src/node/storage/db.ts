/**
 * The node's one LevelDB (classic-level). One database rather than one per concern so a commit —
 * block, certificate, head pointer, WAL truncation — is a single atomic batch. Every write a node
 * acknowledges goes through `write(ops)` with `sync: true`: LevelDB fsyncs its log before resolving,
 * so after `kill -9` the batch is either wholly there or wholly absent.
 *
 * Keys are UTF-8 strings with a prefix per store ("b/hospital/…", "blob/…"); heights are fixed-width
 * hex so lexicographic order is numeric order. Values are raw bytes; parsing them is the caller's job
 * (the same codecs that parse network bytes — disk is untrusted too).
 */
import { readdirSync, statSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { CoreError } from '../../lib/core/errors.js';

export type Op = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string };

/** 16 hex digits cover Number.MAX_SAFE_INTEGER and sort numerically. */
export const heightKey = (h: number): string => h.toString(16).padStart(16, '0');

const view = (b: Uint8Array | undefined): Uint8Array | undefined =>
  b === undefined ? undefined : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/**
 * LevelDB's own failures, named: damage it detects (a bad table or log checksum, a garbled block) is
 * node/storage-corrupt with a one-line reason and what to do; a full disk is node/disk-full; any other
 * failure to open or write is node/storage-failed (a write the node could not make durable, so whatever
 * it was about to acknowledge must not be). Reads pass other errors through.
 */
function named(e: unknown, dir: string, op: 'open' | 'read' | 'write'): unknown {
  if (e instanceof CoreError) return e;
  const parts: string[] = [];
  for (let x: unknown = e; x instanceof Error && parts.length < 4; x = (x as { cause?: unknown }).cause)
    parts.push(x.message);
  const text = parts.join(': ');
  const reason = text.split('\n')[0];
  if (/corrupt|checksum|bad block|truncated/i.test(text))
    return new CoreError('node/storage-corrupt', {
      dir,
      detail: `LevelDB reports damage (${reason}); restore ${dir} from a backup, or move it away to resync from peers`
    });
  if (/ENOSPC|No space left on device/i.test(text))
    return new CoreError('node/disk-full', {
      dir,
      detail: `the disk holding ${dir} is full; free space on it, then start the node again: it resumes from what it stored`
    });
  if (op === 'read') return e;
  if (op === 'open' && /\block\b/i.test(text))
    return new CoreError('node/storage-failed', {
      dir,
      detail: `${dir} is in use by another process (is this node already running?); stop it first`
    });
  return new CoreError('node/storage-failed', {
    dir,
    detail: `LevelDB could not ${op} (${reason}); check the disk and the permissions of ${dir}, then start the node again`
  });
}

/**
 * A failure of the node's own storage: it can no longer make what it does durable, so it must stop
 * rather than carry on with memory and disk disagreeing (see ChainDriver's onFatal).
 */
export function isStorageFailure(e: unknown): e is CoreError {
  return (
    e instanceof CoreError &&
    (e.code === 'node/disk-full' || e.code === 'node/storage-failed' || e.code === 'node/storage-corrupt')
  );
}

async function guarded<T>(dir: string, op: 'open' | 'read' | 'write', fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw named(e, dir, op);
  }
}

export class NodeDb {
  private constructor(
    private readonly db: ClassicLevel<string, Uint8Array>,
    readonly dir: string
  ) {}

  static async open(dir: string): Promise<NodeDb> {
    const db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
    await guarded(dir, 'open', () => db.open());
    return new NodeDb(db, dir);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return view(await guarded(this.dir, 'read', () => this.db.get(key)));
  }

  async getMany(keys: string[]): Promise<(Uint8Array | undefined)[]> {
    return (await guarded(this.dir, 'read', () => this.db.getMany(keys))).map(view);
  }

  /**
   * Atomic and durable: resolves only after LevelDB has fsynced the batch. With `durable: false`, only
   * atomic — for data the node can rebuild (a crash may lose the last batches whole, never half).
   */
  async write(ops: Op[], { durable = true }: { durable?: boolean } = {}): Promise<void> {
    if (ops.length === 0) return;
    await guarded(this.dir, 'write', () => this.db.batch(ops, { sync: durable }));
  }

  /** Entries with keys in [prefix+from, prefix+to), in key order. */
  async *range(
    prefix: string,
    opts: { from?: string; to?: string; limit?: number; reverse?: boolean } = {}
  ): AsyncGenerator<[string, Uint8Array]> {
    const it = this.db.iterator({
      gte: prefix + (opts.from ?? ''),
      lt: opts.to !== undefined ? prefix + opts.to : prefix + '\uffff',
      limit: opts.limit ?? -1,
      reverse: opts.reverse ?? false
    });
    try {
      for await (const [k, val] of it) yield [k.slice(prefix.length), view(val)!];
    } catch (e) {
      throw named(e, this.dir, 'read');
    } finally {
      await it.close();
    }
  }

  /** Keys (without the prefix) in [prefix+from, prefix+to), in key order; values are not read. */
  async *keys(prefix: string, opts: { from?: string; to?: string } = {}): AsyncGenerator<string> {
    const it = this.db.keys({
      gte: prefix + (opts.from ?? ''),
      lt: opts.to !== undefined ? prefix + opts.to : prefix + '\uffff'
    });
    try {
      for await (const k of it) yield k.slice(prefix.length);
    } catch (e) {
      throw named(e, this.dir, 'read');
    } finally {
      await it.close();
    }
  }

  /** Bytes on disk (all LevelDB files), for /metrics and the bench's bytes-per-record. */
  /** Bytes still free for this node on the filesystem holding its data (what an unprivileged writer gets). */
  freeBytes(): number {
    const fs = statfsSync(this.dir);
    return fs.bavail * fs.bsize;
  }

  diskBytes(): number {
    let total = 0;
    for (const f of readdirSync(this.dir)) {
      try {
        total += statSync(join(this.dir, f)).size;
      } catch {
        // compaction may delete a file between readdir and stat
      }
    }
    return total;
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
