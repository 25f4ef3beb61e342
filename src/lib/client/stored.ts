/**
 * The shapes of what the client keeps in IndexedDB, in one file that imports nothing from the client,
 * so db.ts (which declares the stores) and the modules that fill them do not import each other.
 */
import { USER_ROLES, type AccountBackup, type UserRole } from '../core/accounts/account-backup.js';

export type Role = UserRole;
export const ROLES: readonly Role[] = USER_ROLES;

/** The account as IndexedDB keeps it: exactly what a backup file holds (the seed sealed). */
export type StoredAccount = AccountBackup;

export type OutboxKind =
  | 'registration'
  | 'approval'
  | 'recovery'
  | 'rank'
  | 'hospital'
  | 'grant'
  | 'revocation'
  | 'record'
  | 'break-glass';

export type OutboxStatus = 'pending' | 'sent' | 'failed';

export interface OutboxAction {
  kind: OutboxKind;
  /** The signed, canonically encoded object exactly as it goes on the wire. */
  bytes: Uint8Array;
  /** Plain facts for the screen ("grant to Dr. X, categories IV, V"); never needed to send. */
  summary: Record<string, string | number | boolean>;
}

export interface OutboxEntry extends OutboxAction {
  id?: number;
  status: OutboxStatus;
  createdAt: number;
  attempts: number;
  sentAt?: number;
  /** Error code (CoreError) or message of the last failed attempt. */
  lastError?: string;
}

export interface DirectoryEntry {
  /** Hex of the doctor's Ed25519 public key: their identity on the chains. */
  id: string;
  name: string;
  speciality: string;
  degree: string;
  hospitalId: string;
  hospitalName: string;
  rank?: string;
  /** Hex X25519 key a grant wraps the search capability and record keys to. */
  encryptionPublic: string;
}

export interface SealedCacheEntry {
  iv: Uint8Array;
  data: ArrayBuffer;
}
