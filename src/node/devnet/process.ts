/**
 * Node processes for the devnet and the integration tests: each node is its own OS process (nothing
 * shared but loopback), started with the same CLI a hospital runs, logging JSON lines to a file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export function spawnNode(
  configFile: string,
  logFile: string,
  env: Record<string, string> = {}
): ChildProcess {
  const out = openSync(logFile, 'a');
  // Profiling a network (benchmarks): each node writes a V8 CPU profile there when it stops.
  const prof = process.env.CARECHAIN_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CARECHAIN_CPU_PROF}`]
    : [];
  return spawn(process.execPath, [...prof, '--import', 'tsx', CLI, 'node', '--config', configFile], {
    cwd: ROOT,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...env }
  });
}

export async function health(url: string): Promise<Record<string, unknown> | undefined> {
  try {
    const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    return r.ok ? ((await r.json()) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The consortium height a node's /health reports, or -1 while it does not answer. */
export async function consortiumHeight(url: string): Promise<number> {
  const h = (await health(url)) as { chains?: { consortium?: { height: number } } } | undefined;
  return h?.chains?.consortium?.height ?? -1;
}

/**
 * Waits until each of `nodes` has applied the consortium up to where the first one is now. A
 * hospital's validators check a record's grant against their own view of the consortium, so a record
 * written right after its grant commits waits for this.
 */
export async function waitConsortiumFollowed(
  nodes: readonly { hospital: string; name: string; httpUrl: string }[],
  ms: number
): Promise<void> {
  const target = await consortiumHeight(nodes[0]!.httpUrl);
  for (const n of nodes)
    await waitFor(
      `${n.hospital}/${n.name} follows the consortium`,
      async () => (await consortiumHeight(n.httpUrl)) >= target,
      ms
    );
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  ms: number
): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The end of a node's log, to say why it did not come up (a port taken, a config refused, a crash). */
function logTail(logFile: string, lines = 8): string {
  try {
    return readFileSync(logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Waits for a spawned node's health endpoint. Fails at once if the process exits first, and either
 * way with the end of its log, instead of waiting out the timeout on a node that is gone.
 */
export async function waitHealthy(
  name: string,
  url: string,
  proc: ChildProcess,
  logFile: string,
  ms = 90_000
): Promise<Record<string, unknown>> {
  try {
    return await waitFor(
      name,
      async () => {
        if (proc.exitCode !== null || proc.signalCode !== null)
          throw new Error(`${name} exited (${proc.exitCode ?? proc.signalCode}) while starting`);
        return health(url);
      },
      ms
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; its log ends:\n${logTail(logFile)}`);
  }
}

/** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
export async function stopProcess(p: ChildProcess, graceMs = 10_000): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function killHard(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGKILL');
  await exited;
}
