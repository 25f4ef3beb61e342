/**
 * `carechain`: the one command hospital IT runs.
 *   carechain node --config node.json       run a node (validator, mirror or follower)
 *   carechain keys --out keys/              create the node's key file (never overwrites)
 *   carechain request --config node.json    the registration request of a node joining after genesis
 *   carechain status --url http://host:port  print a node's health
 *   carechain devnet [--fresh] [--dir .devnet]  a whole local network (what `npm start` runs)
 * Arguments are parsed with node:util parseArgs (no dependency); unknown flags are errors.
 */
import './polyfills.js';
// @peculiar/x509 (WebRTC certificate, via p2p/identity.ts) needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isCoreError } from '../lib/core/errors.js';
import { createLogger } from './log.js';

const USAGE = `usage:
  carechain node --config <file>
  carechain keys [--out <dir>]
  carechain request --config <file> [--out <file>] [--post]
  carechain status [--url <http://127.0.0.1:8080>]
  carechain devnet [--fresh] [--dir <.devnet>] [--hospitals <3>]`;

/** Longest a node that failed on its storage spends stopping before it exits anyway. */
const STOP_AFTER_FAILURE_MS = 10_000;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const log = createLogger({ cmd });
  switch (cmd) {
    case 'node': {
      const { values } = parseArgs({
        args: rest,
        options: { config: { type: 'string', short: 'c' } },
        strict: true
      });
      if (!values.config) return usage('node: --config <file> is required');
      const { loadConfig } = await import('./config.js');
      const { runNode } = await import('./run.js');
      const config = loadConfig(values.config);
      const nodeLog = createLogger({ node: `${config.hospital}/${config.name}` });
      const node = await runNode(config, nodeLog);
      const failure = await Promise.race([untilSignal().then(() => null), node.failed]);
      if (failure) {
        // Stopped by its own storage: say why in plain words, shut down what still runs, exit non-zero
        // so a supervisor (systemd, the devnet) sees it.
        nodeLog.error(`node stopped: ${failure.message}`, { code: failure.code });
        await Promise.race([node.stop(), new Promise((r) => setTimeout(r, STOP_AFTER_FAILURE_MS))]);
        return 1;
      }
      await node.stop();
      return 0;
    }
    case 'keys': {
      const { values } = parseArgs({
        args: rest,
        options: { out: { type: 'string', short: 'o' } },
        strict: true
      });
      const { generateNodeKey, nodeEncryptionKeys } = await import('./keys.js');
      const { toHex } = await import('../lib/core/crypto/index.js');
      const file = join(resolve(values.out ?? 'keys'), 'node.json');
      const key = generateNodeKey(file);
      // encryptionPublic: what managers register as a hospital's authorityEncryption, when this key is
      // that hospital's authority (break-glass escrow is sealed to it).
      process.stdout.write(
        JSON.stringify({
          file,
          publicKey: toHex(key.publicKey),
          encryptionPublic: toHex(nodeEncryptionKeys(key).publicKey)
        }) + '\n'
      );
      return 0;
    }
    case 'request': {
      const { values } = parseArgs({
        args: rest,
        options: {
          config: { type: 'string', short: 'c' },
          out: { type: 'string', short: 'o' },
          post: { type: 'boolean', default: false }
        },
        strict: true
      });
      if (!values.config) return usage('request: --config <file> is required');
      const { loadConfig } = await import('./config.js');
      const { nodeRequest, postNodeRequest } = await import('./node-request.js');
      const config = loadConfig(values.config);
      const req = await nodeRequest(config, Date.now());
      if (values.post) {
        // To the mailbox of the nodes this one follows the consortium through: the managers' apps list it.
        const { createClient } = await import('./devnet/actors.js');
        const client = await createClient();
        try {
          const peer = await postNodeRequest(client, config.peers.consortium, req.request);
          log.info('request filed in the mailbox; the managers will see it in their pending list', { peer });
        } finally {
          await client.stop();
        }
      }
      if (!values.out) {
        process.stdout.write(req.text + '\n');
        return 0;
      }
      const file = resolve(values.out);
      writeFileSync(file, req.text + '\n');
      const { text: _text, request: _request, ...summary } = req;
      process.stdout.write(JSON.stringify({ file, ...summary }) + '\n');
      return 0;
    }
    case 'status': {
      const { values } = parseArgs({
        args: rest,
        options: { url: { type: 'string', short: 'u' } },
        strict: true
      });
      const url = (values.url ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) {
        log.error('status failed', { url, status: res.status });
        return 1;
      }
      process.stdout.write(JSON.stringify(await res.json(), null, 2) + '\n');
      return 0;
    }
    case 'devnet': {
      const { values } = parseArgs({
        args: rest,
        options: {
          fresh: { type: 'boolean', default: false },
          dir: { type: 'string', default: '.devnet' },
          hospitals: { type: 'string', default: '3' }
        },
        strict: true
      });
      const { runDevnet } = await import('./devnet/index.js');
      const hospitals = Number(values.hospitals);
      if (!Number.isInteger(hospitals) || hospitals < 1 || hospitals > 8)
        return usage('devnet: --hospitals must be 1..8');
      await runDevnet({ dir: resolve(values.dir!), fresh: values.fresh!, hospitals, log });
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE + '\n');
      return 0;
    default:
      return usage(`unknown command "${cmd}"`);
  }
}

function usage(msg: string): number {
  process.stderr.write(`${msg}\n${USAGE}\n`);
  return 2;
}

function untilSignal(): Promise<void> {
  return new Promise((ok) => {
    process.once('SIGINT', () => ok());
    process.once('SIGTERM', () => ok());
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const log = createLogger();
    if (isCoreError(e)) log.error(e.message, { code: e.code, ...e.data });
    else if (e instanceof TypeError && /parseArgs|Unknown option|ERR_PARSE_ARGS/.test(String(e)))
      return process.exit(usage((e as Error).message));
    else log.error('fatal', { error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    process.exit(1);
  }
);
