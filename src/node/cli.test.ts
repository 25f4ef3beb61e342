import { execFile } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadNodeKey } from './keys.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/node/cli.ts', ...args],
      { cwd: ROOT, timeout: 30_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
    );
  });
}

describe('carechain CLI', () => {
  it('keys writes an owner-only key file once and refuses to overwrite it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-cli-'));
    const r = await cli('keys', '--out', dir);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { file: string; publicKey: string };
    expect(out.publicKey).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(out.file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(loadNodeKey(out.file).publicKey).toString('hex')).toBe(out.publicKey);
    const again = await cli('keys', '--out', dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('node/bad-keyfile');
  }, 60_000);

  it('status prints a node’s health; bad usage and bad config are named errors', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ ok: true, chains: { hospital: { height: 7 } } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const r = await cli('status', '--url', url);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).chains.hospital.height).toBe(7);
    } finally {
      server.close();
    }
    const bad = await cli('frobnicate');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown command');
    const cfg = await cli('node', '--config', join(tmpdir(), 'definitely-missing.json'));
    expect(cfg.code).toBe(1);
    expect(cfg.stderr).toContain('node/bad-config');
  }, 60_000);
});
