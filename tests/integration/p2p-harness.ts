/**
 * Helpers for the p2p tests that run a separate node process: spawn p2p-target.node.ts, read its
 * resident memory from /proc, and push raw bytes down a protocol stream to see how it answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Libp2p } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';

export interface Target {
  proc: ChildProcess;
  pid: number;
  addrs: string[];
  /** Resolves with the error-code counts the target prints when stopped. */
  stop(): Promise<Record<string, number>>;
}

export async function startTarget(dataDir: string, mode: 'fuzz' | 'strict'): Promise<Target> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', 'tests/integration/p2p-target.node.ts', dataDir, mode],
    {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'inherit']
    }
  );
  const lines = createInterface({ input: proc.stdout! });
  const queue: string[] = [];
  const waiters: ((l: string) => void)[] = [];
  lines.on('line', (l) => {
    const w = waiters.shift();
    if (w) w(l);
    else queue.push(l);
  });
  const nextLine = (ms: number): Promise<string> =>
    new Promise((resolve, reject) => {
      const q = queue.shift();
      if (q !== undefined) return resolve(q);
      const t = setTimeout(() => reject(new Error('target did not answer in time')), ms);
      waiters.push((l) => {
        clearTimeout(t);
        resolve(l);
      });
    });
  const ready = JSON.parse(await nextLine(30_000)) as { pid: number; addrs: string[] };
  return {
    proc,
    pid: ready.pid,
    addrs: ready.addrs,
    async stop() {
      proc.kill('SIGTERM');
      const out = JSON.parse(await nextLine(10_000)) as { errors: Record<string, number> };
      await new Promise((r) => proc.once('exit', r));
      return out.errors;
    }
  };
}

/** Resident set size of a process in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error('no VmRSS');
  return Number(m[1]) / 1024;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export type Outcome =
  { kind: 'reset' } | { kind: 'answered'; bytes: Uint8Array } | { kind: 'closed-silent' } | { kind: 'hung' };

/**
 * Opens `protocol`, sends `bytes` as they are (no framing added), closes our side and waits for the
 * stream to end: reset by the server, answered with bytes, or closed without a word.
 */
export async function rawExchange(
  host: Libp2p,
  target: Multiaddr,
  protocol: string,
  bytes: Uint8Array,
  waitMs: number
): Promise<Outcome> {
  let stream;
  try {
    stream = await host.dialProtocol(target, protocol, { signal: AbortSignal.timeout(waitMs) });
  } catch {
    return { kind: 'reset' };
  }
  const chunks: Uint8Array[] = [];
  stream.addEventListener('message', (evt) => {
    chunks.push(evt.data instanceof Uint8Array ? evt.data : evt.data.subarray());
  });
  const ended = new Promise<'reset' | 'closed'>((resolve) => {
    stream.addEventListener(
      'close',
      (evt) => resolve((evt as { error?: Error }).error ? 'reset' : 'closed'),
      {
        once: true
      }
    );
  });
  try {
    stream.send(bytes);
    await stream.close({ signal: AbortSignal.timeout(waitMs) });
  } catch {
    // the server may reset before our close completes
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const res = await Promise.race([
    ended,
    new Promise<'hung'>((r) => {
      timer = setTimeout(() => r('hung'), waitMs);
    })
  ]);
  clearTimeout(timer);
  if (res === 'hung') {
    stream.abort(new Error('test timeout'));
    return { kind: 'hung' };
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  if (total > 0) {
    const out = new Uint8Array(total);
    let o = 0;
    for (const c of chunks) {
      out.set(c, o);
      o += c.length;
    }
    return { kind: 'answered', bytes: out };
  }
  return res === 'reset' ? { kind: 'reset' } : { kind: 'closed-silent' };
}
