import { execFile } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseRequestText } from '../lib/core/accounts/request-text.js';
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

  it('request prints a node’s signed registration, which a manager opens; a node of two roles is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-cli-'));
    const keys = JSON.parse((await cli('keys', '--out', join(dir, 'keys'))).stdout) as { publicKey: string };
    const config = (roles: string[]) => {
      const file = join(dir, `${roles.join('-')}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          hospital: 'H4',
          roles,
          keys: { node: 'keys/node.json', libp2p: 'keys/libp2p' },
          listen: { tcp: 0 },
          dataDir: 'data',
          genesis: { consortium: 'genesis.json' }
        })
      );
      return file;
    };
    const r = await cli('request', '--config', config(['mirror']), '--out', join(dir, 'req.txt'));
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { file: string; peerId: string; nodeRole: string };
    expect(summary.nodeRole).toBe('mirror');
    const printed = await cli('request', '--config', config(['mirror']));
    const req = parseRequestText(printed.stdout);
    if (req.kind !== 'registration') throw new Error('not a registration');
    // The same libp2p identity both times: the one the node will run with.
    expect(req.value).toMatchObject({
      role: 'node',
      hospitalId: 'H4',
      nodeRole: 'mirror',
      peerId: summary.peerId
    });
    expect(Buffer.from(req.value.signingPublic).toString('hex')).toBe(keys.publicKey);
    // --post files it in the mailbox of the consortium peers the config lists: with none, it says so.
    const nowhere = await cli('request', '--config', config(['mirror']), '--post');
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toContain('no peer to post to');
    const both = await cli('request', '--config', config(['validator', 'mirror']));
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('a validator or a mirror, not both');
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
