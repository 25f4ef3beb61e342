/**
 * Starts light-server.node.ts processes (real libp2p hosts serving a light-world over the carechain
 * protocols) and connects a Node light client to them, for the light-client integration tests, the
 * Chromium tests and the benchmark.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Mode } from './light-server.node.js';
import type { WorldOptions } from './light-world.js';

export interface ServedHost {
  mode: Mode;
  peerId: string;
  addrs: string[];
  httpUrl: string;
}

export interface Server {
  proc: ChildProcess;
  hosts: ServedHost[];
  host(mode: Mode): ServedHost;
  /** SIGKILL: the process dies with streams open, as a crashed node does. */
  kill(): void;
  stop(): Promise<void>;
}

export async function startServer(
  dataDir: string,
  world: WorldOptions,
  modes: Mode[],
  env: Record<string, string> = {}
): Promise<Server> {
  const proc = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'tests/integration/light-server.node.ts',
      dataDir,
      JSON.stringify(world),
      modes.join(',')
    ],
    { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } }
  );
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('light server did not start in time')), 60_000);
    proc.once('exit', (code) => reject(new Error(`light server exited with ${code}`)));
    createInterface({ input: proc.stdout! }).once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
  });
  const { hosts } = JSON.parse(line) as { hosts: ServedHost[] };
  return {
    proc,
    hosts,
    host(mode) {
      const h = hosts.find((x) => x.mode === mode);
      if (!h) throw new Error(`no ${mode} host`);
      return h;
    },
    kill() {
      proc.kill('SIGKILL');
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    }
  };
}
