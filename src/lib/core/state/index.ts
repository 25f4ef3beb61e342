/** Authenticated state (sparse Merkle tree) and transaction Merkle trees; see README.md. */
export * from './smt.js';
export * from './tx-merkle.js';
