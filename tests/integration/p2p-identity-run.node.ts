/**
 * One node host lifetime in its own process: start with the given data directory and ports, print
 * the peer id and multiaddrs as one JSON line, stop, exit. Two runs are a real restart.
 * Usage: node --import tsx p2p-identity-run.node.ts <dataDir> <listen JSON>
 */
import '../../src/node/polyfills.js';
import { createNodeHost } from '../../src/node/p2p/host.js';

const [dataDir, listenJson] = process.argv.slice(2);
const host = await createNodeHost({
  dataDir: dataDir!,
  listen: JSON.parse(listenJson!),
  allowPrivateAddresses: true
});
console.log(JSON.stringify({ peerId: host.peerId.toString(), addrs: host.multiaddrs().sort() }));
await host.stop();
process.exit(0);
