/**
 * A separate node process for the fuzz and rate-limit tests: a real host on 127.0.0.1 serving every
 * protocol with the test services. argv: dataDir, mode ('fuzz': generous rate limits so every frame
 * reaches the parser; 'strict': 20 requests/s, burst 20). Prints one JSON line with its addresses,
 * and on SIGTERM one JSON line with the error codes it saw, then exits.
 */
import '../../src/node/polyfills.js';
import { createNodeHost } from '../../src/node/p2p/host.js';
import { DEFAULT_RATE_LIMITS } from '../../src/lib/net/rate-limit.js';
import { serveAll } from './p2p-fixtures.js';

const [dataDir, mode] = process.argv.slice(2);
if (!dataDir || (mode !== 'fuzz' && mode !== 'strict')) {
  console.error('usage: p2p-target.node.ts <dataDir> fuzz|strict');
  process.exit(2);
}

const requests = mode === 'fuzz' ? { ratePerSec: 1e6, burst: 1e6 } : { ratePerSec: 20, burst: 20 };
const host = await createNodeHost({
  dataDir,
  listen: { host: '127.0.0.1', tcp: 0 },
  allowPrivateAddresses: true,
  limits: {
    rate: { ...DEFAULT_RATE_LIMITS, requests },
    inboundConnectionThreshold: 100,
    streams: { perPeer: 64, perProtocol: 256 }
  }
});
const errors: Record<string, number> = {};
await serveAll(host.libp2p, new Set(), {
  guard: host.guard,
  onError: (err) => {
    errors[err.code] = (errors[err.code] ?? 0) + 1;
  }
});
process.stdout.write(JSON.stringify({ ready: true, pid: process.pid, addrs: host.multiaddrs() }) + '\n');

process.on('SIGTERM', () => {
  process.stdout.write(JSON.stringify({ errors }) + '\n');
  void host.stop().finally(() => process.exit(0));
});
