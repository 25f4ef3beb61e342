/**
 * `npm start` = `carechain devnet`: a whole local network on this machine. On first start it writes
 * keys, genesis and configs to `.devnet/` (3 hospitals × 4 node processes, 2 of them storage mirrors,
 * every node a hospital-chain validator, node1 of each hospital its consortium authority), builds the
 * PWA if `build/` is missing, starts every node as its own process, registers demo patients and
 * doctors through real consortium transactions with manager approvals, writes every demo account
 * (managers too) as a backup file the app imports (demo-backups.ts), and prints where to go.
 * A second start resumes from disk; `--fresh` wipes `.devnet/` first. Ctrl-C stops every child.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toHex, fromHex, utf8Bytes, seededRng } from '../../lib/core/crypto/index.js';
import { CoreError } from '../../lib/core/errors.js';
import type { Logger } from '../log.js';
import {
  account,
  createClient,
  type Account,
  doctorFields,
  patientFields,
  registerTx,
  submit,
  CONSORTIUM_CHAIN_ID
} from './actors.js';
import { DEMO_PASSPHRASE, demoBackupName, writeDemoBackups, type DemoAccount } from './demo-backups.js';
import { DEMO_HISTORY_PATIENT, writeDemoHistory } from './demo-history.js';
import { createLayout, type DevnetLayout } from './layout.js';
import { firstTakenPort } from './ports.js';
import { health, spawnNode, stopProcess, waitFor } from './process.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export interface DevnetOptions {
  dir: string;
  fresh: boolean;
  hospitals: number;
  log: Logger;
}

const DEMO_DOCTORS = [
  { name: 'Dr. Ayesha Rahman', rank: 'professor', speciality: 'Endocrinology' },
  { name: 'Dr. Karim Hossain', rank: 'consultant', speciality: 'Cardiology' },
  { name: 'Dr. Nusrat Jahan', rank: 'registrar', speciality: 'General medicine' },
  { name: 'Dr. Tanvir Ahmed', rank: 'intern', speciality: 'Emergency medicine' }
] as const;
const DEMO_PATIENTS = ['Rahim Uddin', 'Fatema Begum', 'Sadia Islam'];
/** Under the devnet directory: one account backup file per demo account (demo-backups.ts). */
const DEMO_DIR = 'demo-accounts';
/** Under the devnet directory: there once the demo patient's history is written (demo-history.ts). */
const HISTORY_MARKER = 'demo-history.done';

export async function runDevnet(o: DevnetOptions): Promise<void> {
  const log = o.log.child({ part: 'devnet' });
  if (o.fresh && existsSync(o.dir)) {
    rmSync(o.dir, { recursive: true, force: true });
    log.info('fresh start: removed previous devnet', { dir: o.dir });
  }
  const staticDir = resolve(ROOT, 'build');
  if (!existsSync(join(staticDir, 'index.html'))) {
    log.info('building the PWA (vite build); first start only');
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build'], {
      cwd: ROOT,
      stdio: 'inherit'
    });
    if (r.status !== 0) log.warn('PWA build failed; nodes will run without serving the app');
  }
  const manifest = join(o.dir, 'devnet.json');
  const layout: DevnetLayout = existsSync(manifest)
    ? (JSON.parse(readFileSync(manifest, 'utf8')) as DevnetLayout)
    : await createLayout(o.dir, {
        hospitals: o.hospitals,
        staticDir,
        timeouts: { proposeMs: 1500, prevoteMs: 500, precommitMs: 500, roundDeltaMs: 250 },
        indexIntervalMs: 1000
      });

  const nodes = layout.hospitals.flatMap((h) => h.nodes);
  // The app's deployment file beside index.html: the genesis hash it pins and the nodes it may ask.
  // The devnet is the deployer here, so it writes it (src/lib/client/network-config.ts reads it).
  if (existsSync(join(staticDir, 'index.html')))
    writeFileSync(
      join(staticDir, 'carechain-network.json'),
      JSON.stringify({
        genesisHash: layout.consortiumHash,
        nodes: nodes.map((n) => n.httpUrl),
        devnet: true
      }) + '\n'
    );
  const taken = await firstTakenPort(
    nodes.flatMap((n) => [
      { port: n.ports.tcp },
      { port: n.ports.ws },
      { port: n.ports.webrtcDirect, udp: true },
      { port: n.ports.http }
    ])
  );
  if (taken !== undefined)
    throw new CoreError('node/port-in-use', {
      port: taken,
      detail:
        `port ${taken} on 127.0.0.1 is taken. Is another devnet (or another program) still running? ` +
        `Stop it first: this devnet uses ports ${nodes[0]!.ports.tcp}–${nodes.at(-1)!.ports.http}.`
    });
  const children: ChildProcess[] = nodes.map((n) => spawnNode(n.configFile, join(n.dir, 'node.log')));
  let stopping = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    log.info('stopping all nodes');
    await Promise.all(children.map((c) => stopProcess(c)));
  };
  children.forEach((c, i) =>
    c.once('exit', (code, signal) => {
      if (!stopping)
        log.error('node exited; its log says why', {
          node: `${nodes[i]!.hospital}/${nodes[i]!.name}`,
          code,
          signal,
          log: join(nodes[i]!.dir, 'node.log')
        });
    })
  );
  const done = new Promise<void>((ok) => {
    process.once('SIGINT', () => void stopAll().then(ok));
    process.once('SIGTERM', () => void stopAll().then(ok));
  });

  try {
    for (const n of nodes) await waitFor(`${n.hospital}/${n.name}`, () => health(n.httpUrl), 120_000);
  } catch (e) {
    log.error('devnet did not come up; see node.log files under the devnet directory', {
      error: (e as Error).message
    });
    await stopAll();
    throw e;
  }

  try {
    const accounts = await registerDemoAccounts(layout, log);
    await writeDemoBackups(join(layout.dir, DEMO_DIR), accounts);
    await demoHistory(layout, accounts, log);
    printWelcome(layout, accounts);
  } catch (e) {
    await stopAll();
    throw e;
  }
  await done;
}

async function registerDemoAccounts(layout: DevnetLayout, log: Logger): Promise<DemoAccount[]> {
  const file = join(layout.dir, 'accounts.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DemoAccount[];
  const managers = layout.managers.map((m) => account(m.name, fromHex(m.seed)));
  const rng = seededRng(utf8Bytes(`demo-${layout.consortiumHash}`));
  const demo: DemoAccount[] = layout.managers.map((m) => ({ role: 'manager', name: m.name, seed: m.seed }));
  const txs: { acct: DemoAccount; tx: Uint8Array }[] = [];
  for (const name of DEMO_PATIENTS) {
    const a = account(name, rng(32));
    const fields = patientFields(rng);
    txs.push({
      acct: { role: 'patient', name, seed: toHex(a.seed), pseudonym: toHex(fields.pseudonym) },
      tx: registerTx(a, fields, managers)
    });
  }
  layout.hospitals.forEach((h, hi) => {
    for (const d of DEMO_DOCTORS.slice(0, hi === 0 ? 4 : 2)) {
      const name = hi === 0 ? d.name : `${d.name} (${h.id})`;
      const a = account(name, rng(32));
      txs.push({
        acct: { role: 'doctor', name, hospital: h.id, rank: d.rank, seed: toHex(a.seed) },
        tx: registerTx(a, doctorFields(name, h.id, d.rank, d.speciality), managers)
      });
    }
  });
  const client = await createClient();
  const target = layout.hospitals[0]!.nodes[0]!.addr;
  // tx-submit allows 8 streams per connection: submit in waves of 4, each wave one block or two.
  try {
    for (let i = 0; i < txs.length; i += 4)
      await Promise.all(
        txs.slice(i, i + 4).map(async ({ acct, tx }) => {
          const r = await submit(client, target, CONSORTIUM_CHAIN_ID, tx);
          if (r.accepted || r.code === 'account/exists' || r.code === 'node/duplicate-tx') demo.push(acct);
          else log.warn('demo registration refused', { name: acct.name, code: r.code });
        })
      );
  } finally {
    await client.stop();
  }
  writeFileSync(file, JSON.stringify(demo, null, 2) + '\n', { mode: 0o600 });
  return demo;
}

/** Writes the demo patient's history once (a marker file says it is done); a failure only warns. */
async function demoHistory(layout: DevnetLayout, accounts: DemoAccount[], log: Logger): Promise<void> {
  const marker = join(layout.dir, HISTORY_MARKER);
  const patient = accounts.find((a) => a.name === DEMO_HISTORY_PATIENT && a.pseudonym);
  if (existsSync(marker) || !patient) return;
  log.info("writing the demo patient's history", { patient: patient.name });
  // A diabetologist at H1 and a cardiologist at H2 (DEMO_DOCTORS).
  const doctorAt = new Map<string, Account>();
  for (const [hospital, name] of [
    ['H1', 'Dr. Ayesha Rahman'],
    ['H2', 'Dr. Karim Hossain (H2)']
  ] as const) {
    const d = accounts.find((a) => a.name === name);
    if (d) doctorAt.set(hospital, account(d.name, fromHex(d.seed)));
  }
  const client = await createClient();
  try {
    const { records } = await writeDemoHistory(
      client,
      layout,
      { ...account(patient.name, fromHex(patient.seed)), pseudonym: patient.pseudonym! },
      doctorAt
    );
    writeFileSync(marker, `${records} records\n`);
  } catch (e) {
    log.warn('demo history not written; the devnet works without it', { error: (e as Error).message });
  } finally {
    await client.stop();
  }
}

function printWelcome(layout: DevnetLayout, accounts: DemoAccount[]) {
  const first = layout.hospitals[0]!.nodes[0]!;
  const lines = [
    '',
    'carechain devnet is up.',
    `  App:            ${first.httpUrl}/`,
    `  Genesis:        ${first.httpUrl}/genesis.json   (consortium ${layout.consortiumHash.slice(0, 16)}…)`,
    '  Nodes (health · metrics):'
  ];
  for (const h of layout.hospitals)
    for (const n of h.nodes)
      lines.push(`    ${h.id}/${n.name.padEnd(6)} ${n.roles.join('+').padEnd(17)} ${n.httpUrl}/health`);
  lines.push(
    `  Demo accounts: backup files in ${join(layout.dir, DEMO_DIR)}/, passphrase "${DEMO_PASSPHRASE}" (devnet only).`,
    '  In the app: Account → "Use my account on this device" → choose the file, type the passphrase.'
  );
  for (const a of accounts)
    lines.push(
      `    ${a.role.padEnd(8)} ${a.name.padEnd(26)} ${(a.hospital ? `${a.hospital} ${a.rank}` : '').padEnd(15)} ${demoBackupName(a)}`
    );
  if (existsSync(join(layout.dir, HISTORY_MARKER)))
    lines.push(
      `  ${DEMO_HISTORY_PATIENT} already has a history: records written at two hospitals, access since revoked.`
    );
  lines.push(
    `  Data: ${layout.dir}  (npm start resumes; npm start -- --fresh starts over)`,
    '  Ctrl-C stops everything.',
    ''
  );
  process.stdout.write(lines.join('\n') + '\n');
}
