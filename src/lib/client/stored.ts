/**
 * The shapes of what the client keeps in IndexedDB, in one file that imports nothing from the client,
 * so db.ts (which declares the stores) and the modules that fill them do not import each other.
 */
import type { PassphraseBox } from '../core/crypto/index.js';

export type Role = 'patient' | 'doctor' | 'manager';
export const ROLES: readonly Role[] = ['patient', 'doctor', 'manager'];

export interface StoredAccount {
  role: Role;
  /** A name the user gave this device's account; shown on the lock screen, never sent anywhere. */
  label: string;
  signingPublic: Uint8Array;
  encryptionPublic: Uint8Array;
  /** Patients: the random pseudonym registered for them, their handle on both chains (not secret, not derivable). */
  pseudonym?: Uint8Array;
  box: PassphraseBox;
  createdAt: number;
}

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
