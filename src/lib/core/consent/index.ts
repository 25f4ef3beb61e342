export * from './grant.js';
export * from './revocation.js';
export * from './precedence.js';
export * from './verify.js';
export * from './qr.js';
export * from './write-commits.js';
export { fromBase64url, toBase64url } from './base64url.js';
