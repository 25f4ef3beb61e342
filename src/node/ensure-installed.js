#!/usr/bin/env node
// `npm start` on a fresh clone: npm runs this first (the `prestart` script). It needs nothing but Node,
// so it can install what the devnet needs (node_modules) when they are missing or older than the lock
// file; after that the devnet builds the app itself if build/ is missing. Nothing else to do by hand.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const installed = `${root}/node_modules/.package-lock.json`;
const lock = `${root}/package-lock.json`;
const stale = !existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs;
if (stale) {
  console.log('carechain: installing dependencies (npm install) before the first start …');
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
