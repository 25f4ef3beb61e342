/**
 * Helpers for the app's end-to-end tests: build the PWA once, serve build/ from a tiny static server on
 * 127.0.0.1 (what a hospital node or any static host does: files, plus index.html for unknown paths),
 * make accounts and grants with the real core in Node, and turn a QR code into a .y4m video that
 * Chromium's fake camera plays to getUserMedia.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import QRCode from 'qrcode';
import {
  deriveAccountKeys,
  sealWithPassphrase,
  seededRng,
  type Rng
} from '../../src/lib/core/crypto/index.js';
import { backupFile, type Role, type StoredAccount } from '../../src/lib/client/keystore.js';
import type { DirectoryEntry } from '../../src/lib/client/directory.js';
import { toHex } from '../../src/lib/core/crypto/index.js';

export const BUILD_DIR = 'build';
export const PHONE = { width: 390, height: 844 };
export const SCREENSHOTS = 'test-results/screenshots';

let built = false;

/** Builds the app unless CARECHAIN_SKIP_BUILD=1 (e.g. the bench or CI built it just before). */
export function ensureBuilt(): void {
  if (built) return;
  if (process.env.CARECHAIN_SKIP_BUILD !== '1' || !existsSync(join(BUILD_DIR, 'index.html')))
    execFileSync('npx', ['vite', 'build'], { stdio: 'ignore', timeout: 300_000 });
  built = true;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png'
};

export interface StaticServer {
  url: string;
  /** Appended to sw.js when set: a byte-different worker, as a new release would ship. */
  swSuffix: string;
  close(): Promise<void>;
}

export async function serveBuild(dir = BUILD_DIR): Promise<StaticServer> {
  const state = { swSuffix: '' };
  const root = normalize(dir);
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(root, path));
    if (!file.startsWith(root) || !existsSync(file) || statSync(file).isDirectory())
      file = join(root, 'index.html');
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      // The service worker script must never be served stale, or updates would not be seen.
      'cache-control': file.endsWith('sw.js') ? 'no-cache' : 'max-age=0'
    });
    const body = readFileSync(file);
    res.end(
      file.endsWith('sw.js') && state.swSuffix ? Buffer.concat([body, Buffer.from(state.swSuffix)]) : body
    );
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${addr.port}`,
    get swSuffix() {
      return state.swSuffix;
    },
    set swSuffix(v: string) {
      state.swSuffix = v;
    },
    close: () => new Promise((ok) => server.close(() => ok()))
  };
}

/** scrypt at its lowest accepted cost, so test backups open fast; the app itself uses OWASP parameters. */
const FAST_SCRYPT = { N: 2 ** 10, r: 8, p: 1 };

export interface TestAccount {
  seed: Uint8Array;
  backup: string;
  passphrase: string;
  account: StoredAccount;
}

export async function testAccount(role: Role, label: string, seedNo: number): Promise<TestAccount> {
  const rng: Rng = seededRng(seedNo);
  const seed = rng(32);
  const keys = deriveAccountKeys(seed);
  const passphrase = `passphrase for ${label}`;
  const account: StoredAccount = {
    role,
    label,
    signingPublic: keys.signingPublic,
    encryptionPublic: keys.encryptionPublic,
    ...(role === 'patient' ? { pseudonym: rng(16) } : {}),
    box: await sealWithPassphrase(passphrase, seed, rng, FAST_SCRYPT),
    createdAt: 1_760_000_000_000
  };
  return { seed, passphrase, account, backup: backupFile(account) };
}

export function directoryEntry(doc: TestAccount, name: string): DirectoryEntry {
  return {
    id: toHex(doc.account.signingPublic),
    name,
    speciality: 'Endocrinology',
    degree: 'MBBS, FCPS',
    hospitalId: 'dmch',
    hospitalName: 'Dhaka Medical College Hospital',
    encryptionPublic: toHex(doc.account.encryptionPublic)
  };
}

/**
 * Writes a .y4m (YUV4MPEG2) video of `text` as a QR code: a text header, then frames of raw 4:2:0
 * planes — the luma plane carries the black-and-white code, chroma is neutral grey (128).
 */
export function qrToY4m(text: string, file: string, width = 640, height = 480, frames = 4): void {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'L' });
  const n = qr.modules.size;
  const quiet = 4;
  const scale = Math.floor(Math.min(width, height) / (n + 2 * quiet));
  const side = scale * (n + 2 * quiet);
  const x0 = Math.floor((width - side) / 2);
  const y0 = Math.floor((height - side) / 2);
  const y = new Uint8Array(width * height).fill(235);
  for (let r = 0; r < n; r++)
    for (let c = 0; c < n; c++) {
      if (!qr.modules.get(r, c)) continue;
      for (let dy = 0; dy < scale; dy++) {
        const row = (y0 + (r + quiet) * scale + dy) * width;
        y.fill(16, row + x0 + (c + quiet) * scale, row + x0 + (c + quiet + 1) * scale);
      }
    }
  const chroma = new Uint8Array((width / 2) * (height / 2)).fill(128);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, chroma, chroma]);
  writeFileSync(file, Buffer.concat([header, ...Array.from({ length: frames }, () => frame)]));
}

/** Follows a link in the app's main navigation (a hash route: no page load, the router takes it). */
export async function nav(page: import('@playwright/test').Page, name: string | RegExp): Promise<void> {
  await page
    .getByRole('navigation')
    .getByRole('link', { name, exact: typeof name === 'string' })
    .click();
}
