/**
 * Import this module first in every Node entry point that loads libp2p.
 * - @peculiar/x509 (the persisted WebRTC-Direct certificate) needs the Reflect metadata API loaded
 *   before it is imported.
 * - libp2p 3 needs Promise.withResolvers on Node 20 (shared with the light client's Node host).
 */
import 'reflect-metadata';
import '../lib/net/polyfill.node.js';
