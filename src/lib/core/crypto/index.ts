export * from './hash.js';
export * from './random.js';
export * from './ed25519.js';
export * from './x25519.js';
export * from './aead.js';
export * from './passphrase.js';
export * from './keys.js';
