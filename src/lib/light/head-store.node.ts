/**
 * HeadStore for the light client running in Node: one file per chain under a directory, written to
 * a temporary file and renamed so a crash mid-write leaves the previous verified head intact. An
 * unreadable file is treated as absent: the client re-syncs from the pinned genesis, never from it.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChainView, HeadStore } from './client.js';
import { decodeView, encodeView } from './view-codec.js';

export class FileHeadStore implements HeadStore {
  private writes = 0;

  constructor(private readonly dir: string) {}

  private file(chainId: string): string {
    return join(this.dir, `${encodeURIComponent(chainId)}.view`);
  }

  async load(chainId: string): Promise<ChainView | undefined> {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(this.file(chainId)));
    } catch {
      return undefined;
    }
    try {
      const view = decodeView(bytes);
      return view.head.chainId === chainId ? view : undefined;
    } catch {
      return undefined;
    }
  }

  private answerFile(key: string): string {
    return join(this.dir, 'answers', encodeURIComponent(key));
  }

  /** A verified answer kept for offline use (answer-cache.ts); unreadable counts as absent. */
  async loadAnswer(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.answerFile(key)));
    } catch {
      return undefined;
    }
  }

  async saveAnswer(key: string, bytes: Uint8Array): Promise<void> {
    await mkdir(join(this.dir, 'answers'), { recursive: true });
    // One temporary file per write: the same answer may be saved twice at once.
    const tmp = `${this.answerFile(key)}.${this.writes++}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, this.answerFile(key));
  }

  async save(chainId: string, view: ChainView): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const tmp = `${this.file(chainId)}.tmp`;
    await writeFile(tmp, encodeView(view));
    await rename(tmp, this.file(chainId));
  }
}
