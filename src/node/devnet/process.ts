/**
 * Node processes for the devnet and the integration tests: each node is its own OS process (nothing
 * shared but loopback), started with the same CLI a hospital runs, logging JSON lines to a file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
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
