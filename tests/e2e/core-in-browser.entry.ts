// Browser entry: exposes the core so Playwright can call it inside Chromium.
export * as crypto from '../../src/lib/core/crypto/index.js';
export * as cbor from '../../src/lib/core/encoding/cbor.js';
