import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCoreError } from '../lib/core/errors.js';
import { loadConfig, parseConfig } from './config.js';
import { createLogger } from './log.js';

const good = {
  hospital: 'H1',
  name: 'n1',
  roles: ['validator', 'mirror'],
  keys: { node: 'keys/node.json', libp2p: 'keys/libp2p.key' },
  listen: { tcp: 4001, http: 8080 },
  dataDir: 'data',
  genesis: { consortium: '/abs/c.json' }
};

function badField(value: unknown): string {
  try {
    parseConfig(value, '/base');
  } catch (e) {
    if (isCoreError(e, 'node/bad-config')) return String(e.data.field);
    throw e;
  }
  throw new Error('accepted');
}

describe('node config', () => {
  it('accepts a minimal config, fills limits, resolves relative paths against the file', () => {
    const c = parseConfig(good, '/base');
    expect(c.keys.node).toBe('/base/keys/node.json');
    expect(c.dataDir).toBe('/base/data');
    expect(c.genesis.consortium).toBe('/abs/c.json');
    expect(c.listen.host).toBe('127.0.0.1');
    expect(c.limits).toEqual({
      maxConnections: 300,
      mempoolSize: 20_000,
      txPerPeerPerSecond: 5_000,
      readsPerPeerPerSecond: 50,
      maxMemoryMb: 1024,
      mirrorReserveMb: 256
    });
    expect(parseConfig({ ...good, limits: { mirrorReserveMb: 0 } }, '/base').limits.mirrorReserveMb).toBe(0);
    expect(c.consortiumAuthority).toBe(false);
  });

  it('names the offending field', () => {
    expect(badField({ ...good, hospital: 'bad id!' })).toBe('hospital');
    expect(badField({ ...good, roles: [] })).toBe('roles');
    expect(badField({ ...good, roles: ['validator', 'follower'] })).toBe('roles');
    expect(badField({ ...good, roles: ['king'] })).toBe('roles.0');
    expect(badField({ ...good, listen: { tcp: 70000 } })).toBe('listen.tcp');
    expect(badField({ ...good, peers: { hospital: ['not-a-multiaddr'] } })).toBe('peers.hospital.0');
    expect(badField({ ...good, limits: { mempoolSize: 0 } })).toBe('limits.mempoolSize');
    expect(badField({ ...good, limits: { mirrorReserveMb: -1 } })).toBe('limits.mirrorReserveMb');
    expect(badField({ ...good, extra: 1 })).toBe('extra');
    expect(badField({ ...good, consortiumAuthority: true })).toBe('keys.authority');
    const authority = { ...good, consortiumAuthority: true, keys: { ...good.keys, authority: 'a.json' } };
    expect(() => parseConfig(authority, '/base')).not.toThrow();
    expect(badField({ ...authority, roles: ['validator'] })).toBe('roles');
    const { dataDir: _d, ...noData } = good;
    expect(badField(noData)).toBe('dataDir');
  });

  it('reports unreadable and non-JSON files as bad-config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-config-'));
    writeFileSync(join(dir, 'bad.json'), '{ nope');
    expect(() => loadConfig(join(dir, 'bad.json'))).toThrow(/node\/bad-config/);
    expect(() => loadConfig(join(dir, 'missing.json'))).toThrow(/node\/bad-config/);
    writeFileSync(join(dir, 'ok.json'), JSON.stringify(good));
    expect(loadConfig(join(dir, 'ok.json')).dataDir).toBe(join(dir, 'data'));
  });
});

describe('structured log', () => {
  it('writes one JSON object per line with bindings, hex bytes, and level filtering', () => {
    const lines: string[] = [];
    const log = createLogger({ node: 'n1' }, 'info', (l) => lines.push(l)).child({ chain: 'h' });
    log.debug('hidden');
    log.info('commit', { height: 3, hash: new Uint8Array([0xab, 0xcd]) });
    expect(lines).toHaveLength(1);
    const o = JSON.parse(lines[0]!);
    expect(o).toMatchObject({
      level: 'info',
      node: 'n1',
      chain: 'h',
      msg: 'commit',
      height: 3,
      hash: 'abcd'
    });
  });
});
