export * from './header.js';
export * from './block.js';
export * from './genesis.js';
export * from './entries.js';
export * from './store.js';
export * from './commit.js';
export * from './app.js';
export * from './tx/attestation.js';
export * from './tx/append-record.js';
export * from './tx/access-log.js';
export * from './tx/evidence.js';
export * from './tx/accounts.js';
export * from './tx/consent.js';
export * from './tx/index-batch.js';
export * from './tx/break-glass.js';
export * from './tx/sync-validators.js';
export * from './tx/decode.js';
export {
  applyBlock,
  applyCertifiedBlock,
  applyTx,
  buildBlock,
  executeBlock,
  verifyBlock,
  verifyTx
} from './rules/block.js';
export type { Built, ChainParams, Execution } from './rules/block.js';
export {
  TX_FUTURE_SKEW_MS,
  txHash,
  type ChainConfig,
  type HospitalHeaderView,
  type TxContext
} from './rules/context.js';
export { account, grantEntry, grantRevoked, hospital, managers, validatorSetOf } from './rules/lookup.js';
export { recordOf } from './rules/hospital.js';
export { checkpointOf } from './rules/index-batch.js';
export { hospitalSetOf, memberWeight, SERVER_NODE_STAKE, validatorSyncFor } from './rules/hospital-set.js';
