import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttp } from './http.js';
import { Histogram } from './metrics.js';

let server: Server;
let url: string;
const h = new Histogram();

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cc-http-'));
  mkdirSync(join(dir, '_app/immutable'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(join(dir, '_app/immutable/a.js'), 'export {}');
  writeFileSync(join(dir, 'manifest.webmanifest'), '{}');
  writeFileSync(join(dir, '..', 'secret.txt'), 'no');
  for (const v of [3, 40, 120, 700]) h.observe(v);
  ({ server, url } = await startHttp(
    {
      health: () => ({ ok: true, heights: { hospital: 4 } }),
      addrs: () => ['/ip4/127.0.0.1/tcp/1/ws/p2p/x'],
      genesis: () => ({ consortium: 'ab' }),
      metrics: () => [
        {
          name: 'cc_height',
          help: 'Height',
          type: 'gauge',
          samples: [{ labels: { chain: 'hospital' }, value: 4 }]
        },
        { name: 'cc_commit_latency_ms', help: 'Latency', type: 'histogram', histograms: [{ h }] }
      ]
    },
    { host: '127.0.0.1', port: 0, staticDir: dir }
  ));
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('node http', () => {
  it('serves health, addrs and genesis as JSON readable from other origins', async () => {
    const r = await fetch(`${url}/health`);
    expect(r.headers.get('content-type')).toMatch(/application\/json/);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(await r.json()).toEqual({ ok: true, heights: { hospital: 4 } });
    expect((await (await fetch(`${url}/addrs`)).json()).addrs[0]).toMatch(/\/ws\//);
    expect(await (await fetch(`${url}/genesis.json`)).json()).toEqual({ consortium: 'ab' });
  });

  it('exposes Prometheus text with a cumulative histogram', async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toContain('# TYPE cc_height gauge');
    expect(text).toContain('cc_height{chain="hospital"} 4');
    expect(text).toContain('cc_commit_latency_ms_bucket{le="50"} 2');
    expect(text).toContain('cc_commit_latency_ms_bucket{le="+Inf"} 4');
    expect(text).toContain('cc_commit_latency_ms_count 4');
    expect(h.percentile(50)).toBe(40);
    expect(h.percentile(99)).toBe(700);
  });

  it('serves the PWA with MIME types, cache policy, SPA fallback and security headers', async () => {
    const js = await fetch(`${url}/_app/immutable/a.js`);
    expect(js.headers.get('content-type')).toMatch(/text\/javascript/);
    expect(js.headers.get('cache-control')).toMatch(/immutable/);
    const m = await fetch(`${url}/manifest.webmanifest`);
    expect(m.headers.get('content-type')).toMatch(/manifest\+json/);
    const spa = await fetch(`${url}/doctor/patients`);
    expect(spa.status).toBe(200);
    expect(await spa.text()).toContain('<title>app</title>');
    expect(spa.headers.get('x-content-type-options')).toBe('nosniff');
    expect(spa.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect((await fetch(`${url}/_app/immutable/missing.js`)).status).toBe(404);
    expect((await fetch(`${url}/%2e%2e/secret.txt`)).status).not.toBe(200);
    expect((await fetch(`${url}/health`, { method: 'POST' })).status).toBe(405);
  });
});
