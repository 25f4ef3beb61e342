/**
 * A REAL devnet for the app's network tests, the size `npm start` runs (src/node/devnet: 3 hospitals ×
 * 4 node processes, 2 mirrors each, real LevelDB, real libp2p on 127.0.0.1), with shorter consensus
 * timeouts so tests do not idle. The nodes serve a copy of the built app together with the
 * `carechain-network.json` the app reads at start (the pinned genesis hash, every node's URL, devnet
 * addresses allowed). Test accounts are registered through real consortium transactions with a
 * majority of the managers' approvals (src/node/devnet/actors.ts) and handed to the browser as
 * encrypted backups; the registration tests go through the app and the nodes' mailbox instead.
 */
import '../../src/node/polyfills.js';
import 'reflect-metadata';
import type { ChildProcess } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import type { Libp2p } from 'libp2p';
import { CONSORTIUM_CHAIN_ID } from '../../src/lib/core/chain/header.js';
import { fromHex, seededRng, toHex, utf8Bytes } from '../../src/lib/core/crypto/index.js';
import type { Rank } from '../../src/lib/core/accounts/index.js';
import type { Role } from '../../src/lib/client/keystore.js';
import {
  account,
  createClient,
  doctorFields,
  patientFields,
  registerTx,
  submitOk,
  type Account
} from '../../src/node/devnet/actors.js';
import { DEMO_PASSPHRASE, demoBackupText } from '../../src/node/devnet/demo-backups.js';
import { createLayout, type DevnetLayout, type DevnetNode } from '../../src/node/devnet/layout.js';
import { freePortBlock } from '../../src/node/devnet/ports.js';
import { spawnNode, stopProcess, waitHealthy } from '../../src/node/devnet/process.js';
import { BUILD_DIR, ensureBuilt } from './app-support.js';

export interface AppUser {
  actor: Account;
  name: string;
  role: Role;
  passphrase: string;
  backup: string;
  /** Hex of the signing key: the identity the chains know. */
  id: string;
}

export interface AppDevnet {
  layout: DevnetLayout;
  nodes: DevnetNode[];
  procs: Map<DevnetNode, ChildProcess>;
  /** The app as a node serves it. */
  appUrl: string;
  user(role: Role, name: string, hospital?: string, rank?: Rank): Promise<AppUser>;
  /** A system manager of the genesis (no registration: managers enter through genesis), as a backup. */
  manager(i: number): Promise<AppUser>;
  stop(): Promise<void>;
}

export async function startAppDevnet(dir: string, label: string): Promise<AppDevnet> {
  ensureBuilt();
  const appDir = join(dir, 'app');
  cpSync(BUILD_DIR, appDir, { recursive: true });
  const layout = await createLayout(join(dir, 'net'), {
    hospitals: 3,
    nodesPerHospital: 4,
    mirrors: 2,
    basePort: await freePortBlock(3 * 4 * 4, 24000, 32000),
    staticDir: appDir,
    timeouts: { proposeMs: 1000, prevoteMs: 400, precommitMs: 400, roundDeltaMs: 200 },
    indexIntervalMs: 300,
    seed: label
  });
  const nodes = layout.hospitals.flatMap((h) => h.nodes);
  writeFileSync(
    join(appDir, 'carechain-network.json'),
    JSON.stringify({ genesisHash: layout.consortiumHash, nodes: nodes.map((n) => n.httpUrl), devnet: true })
  );
  const procs = new Map<DevnetNode, ChildProcess>();
  let client: Libp2p | undefined;
  const stop = async () => {
    await client?.stop();
    await Promise.all([...procs.values()].map((p) => stopProcess(p)));
  };
  try {
    for (const n of nodes) procs.set(n, spawnNode(n.configFile, join(n.dir, 'node.log')));
    for (const n of nodes)
      await waitHealthy(`${n.hospital}/${n.name}`, n.httpUrl, procs.get(n)!, join(n.dir, 'node.log'));
    client = await createClient();
  } catch (e) {
    await stop();
    throw e;
  }
  const managers = layout.managers.map((m) => account(m.name, fromHex(m.seed)));
  const rng = seededRng(utf8Bytes(`${label}/users`));
  const backupOf = async (role: Role, name: string, actor: Account, pseudonym?: Uint8Array) => {
    const demo = {
      role,
      name,
      seed: toHex(actor.seed),
      ...(pseudonym ? { pseudonym: toHex(pseudonym) } : {})
    };
    const backup = await demoBackupText(demo);
    return { actor, name, role, passphrase: DEMO_PASSPHRASE, backup, id: toHex(actor.keys.signingPublic) };
  };
  return {
    layout,
    nodes,
    procs,
    appUrl: layout.hospitals[0]!.nodes[0]!.httpUrl,
    async user(role, name, hospital = 'H1', rank = 'consultant') {
      const seed = seededRng(utf8Bytes(`${label}/${name}`))(32);
      const actor = account(name, seed);
      const fields =
        role === 'patient' ? patientFields(rng) : doctorFields(name, hospital, rank, 'Endocrinology');
      await submitOk(client!, nodes[0]!.addr, CONSORTIUM_CHAIN_ID, registerTx(actor, fields, managers));
      return backupOf(role, name, actor, 'pseudonym' in fields ? fields.pseudonym : undefined);
    },
    manager(i) {
      const m = layout.managers[i]!;
      return backupOf('manager', m.name, managers[i]!);
    },
    stop
  };
}

/** The outbox as the app keeps it in IndexedDB: kind, status and last error of every entry, in order. */
export function outbox(page: Page): Promise<{ kind: string; status: string; lastError?: string }[]> {
  return page.evaluate(
    () =>
      new Promise((ok, fail) => {
        const req = indexedDB.open('carechain');
        req.onsuccess = () => {
          const all = req.result.transaction('outbox').objectStore('outbox').getAll();
          all.onsuccess = () =>
            ok(
              (all.result as { kind: string; status: string; lastError?: string }[]).map((e) => ({
                kind: e.kind,
                status: e.status,
                ...(e.lastError ? { lastError: e.lastError } : {})
              }))
            );
          all.onerror = () => fail(all.error);
        };
        req.onerror = () => fail(req.error);
      })
  );
}

/** Imports an account into the app from its encrypted backup file, as a user does on a new device. */
export async function importUser(page: Page, appUrl: string, u: AppUser): Promise<void> {
  await page.goto(`${appUrl}/#/onboarding`);
  await page.getByLabel('Backup file').setInputFiles({
    name: 'backup.json',
    mimeType: 'application/json',
    buffer: Buffer.from(u.backup)
  });
  await page.locator('#imp-pass').fill(u.passphrase);
  await page.getByRole('button', { name: 'Import account' }).click();
  await page.getByTestId('onb-done').filter({ hasText: 'Account imported.' }).waitFor({ timeout: 30_000 });
}
