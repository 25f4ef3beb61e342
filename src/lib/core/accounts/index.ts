/** Accounts and registry types: roles, registration, manager approvals, recovery, seed backup, rank → stake. */
export * from './roles.js';
export * from './rank.js';
export * from './registration.js';
export * from './approval.js';
export * from './recovery.js';
export * from './seed-backup.js';
export * from './account-backup.js';
