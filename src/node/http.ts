/**
 * The node's HTTP face (node:http, no framework): health for operators, Prometheus metrics, the
 * node's current multiaddrs and genesis for browsers bootstrapping libp2p, and the built PWA as
 * static files. Everything else (blocks, proofs, blobs) goes over libp2p, where it is bounded and
 * rate-limited per peer; HTTP serves only public, cacheable data, so it needs no auth.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { renderPrometheus, type MetricFamily } from './metrics.js';

export interface HttpSource {
  health(): Record<string, unknown>;
  metrics(): MetricFamily[];
  addrs(): string[];
  /** The genesis documents a browser pins as its trust anchor (JSON), if known. */
  genesis?(): unknown;
}

export interface HttpOptions {
  host: string;
  port: number;
  staticDir?: string;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8'
};

/**
 * Headers for every response. The page's script/style CSP is in the HTML (SvelteKit hashes its inline
 * scripts); what a meta tag cannot express — framing, sniffing, referrer, cross-origin isolation —
 * goes here.
 */
const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "frame-ancestors 'none'",
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(self), microphone=(), geolocation=()'
};

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  extra: Record<string, string> = {}
) {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Cache-Control': 'no-store', ...extra });
  res.end(body);
}

const json = (res: ServerResponse, value: unknown) =>
  // Public data read by PWAs served from other nodes: allow any origin.
  send(res, 200, MIME['.json']!, JSON.stringify(value), { 'Access-Control-Allow-Origin': '*' });

function serveStatic(root: string, urlPath: string, res: ServerResponse, head: boolean): boolean {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath);
  } catch {
    send(res, 400, MIME['.txt']!, 'bad path\n');
    return true;
  }
  const file = normalize(join(root, rel));
  if (file !== root && !file.startsWith(root + sep)) {
    send(res, 403, MIME['.txt']!, 'forbidden\n');
    return true;
  }
  let target = file;
  let st = statSafe(target);
  if (st?.isDirectory()) st = statSafe((target = join(target, 'index.html')));
  if (!st?.isFile()) {
    // SPA fallback: client-side routes resolve to the app shell; missing assets stay 404.
    if (extname(rel) !== '' && extname(rel) !== '.html') return false;
    st = statSafe((target = join(root, 'index.html')));
    if (!st?.isFile()) return false;
  }
  const immutable = rel.startsWith('/_app/immutable/');
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': MIME[extname(target)] ?? 'application/octet-stream',
    'Content-Length': String(st.size),
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache'
  });
  if (head) res.end();
  else createReadStream(target).pipe(res);
  return true;
}

function statSafe(p: string) {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

export function handler(src: HttpSource, staticDir?: string) {
  const root = staticDir ? resolve(staticDir) : undefined;
  return (req: IncomingMessage, res: ServerResponse) => {
    try {
      const method = req.method ?? 'GET';
      if (method === 'OPTIONS') {
        res.writeHead(204, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'GET' });
        res.end();
        return;
      }
      if (method !== 'GET' && method !== 'HEAD') return send(res, 405, MIME['.txt']!, 'method not allowed\n');
      const path = (req.url ?? '/').split('?')[0]!;
      if (path === '/health') return json(res, src.health());
      if (path === '/addrs') return json(res, { addrs: src.addrs() });
      if (path === '/genesis.json' && src.genesis) {
        const g = src.genesis();
        if (g !== undefined) return json(res, g);
      }
      if (path === '/metrics')
        return send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', renderPrometheus(src.metrics()));
      if (root && serveStatic(root, path, res, method === 'HEAD')) return;
      send(res, 404, MIME['.txt']!, 'not found\n');
    } catch (e) {
      if (!res.headersSent) send(res, 500, MIME['.txt']!, `error: ${(e as Error).message}\n`);
      else res.destroy();
    }
  };
}

export async function startHttp(
  src: HttpSource,
  opts: HttpOptions
): Promise<{ server: Server; url: string }> {
  const server = createServer(handler(src, opts.staticDir));
  // Slow-loris bound: a request must arrive whole within 10 s.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((ok, ko) => {
    server.once('error', ko);
    server.listen(opts.port, opts.host, () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://${opts.host}:${port}` };
}
