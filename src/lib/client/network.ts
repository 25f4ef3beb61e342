/**
 * The ONE door from the app to the carechain network. Every screen that needs chain data or must
 * deliver a signed action goes through a `CarechainNetwork`; the light client (src/lib/light)
 * implements it and is plugged in with `connectNetwork`. The app ships no fake implementation: until
 * one is connected, `currentNetwork()` is undefined and the screens say plainly that they are not
 * connected, while everything local (keys, outbox, cached directory, signed grants) keeps working.
 *
 * Signing never happens behind this interface: the app signs with core (grants, revocations, approvals,
 * records) and hands over bytes, so an action made offline is complete before the network sees it.
 */
import type { RecordBundle } from '../core/records/fhir.js';
import type { DirectoryEntry } from './directory.js';
import type { ScannedPatient } from './doctor-actions.js';
import type { OutboxAction, SendAction } from './outbox.js';
import type { Role } from './keystore.js';

/** What the network layer needs of the unlocked account to read on the user's behalf. */
export interface AccountContext {
  role: Role;
  seed: Uint8Array;
  signingPublic: Uint8Array;
}

export interface ApprovalCount {
  approvals: number;
  /** Approvals needed: a strict majority of the current system managers. */
  needed: number;
  managers: number;
}

export interface RegistrationStatus extends ApprovalCount {
  state: 'unknown' | 'pending' | 'approved' | 'rotated';
  /** For doctors: the hospital and rank the managers set. */
  hospitalId?: string;
  rank?: string;
}

export interface PendingRequest extends ApprovalCount {
  /** A user's request, or a rank or hospital change another manager proposed. */
  kind: 'registration' | 'recovery' | 'rank' | 'hospital';
  /** Hex id of the request object (its hash). */
  id: string;
  /** Whose account it makes or changes (a hospital change: the hospital's). */
  role: Role | 'hospital' | 'node';
  /** Public facts the requester supplied (doctor: name, degree, speciality, hospital). */
  details: Record<string, string>;
  submittedAt: number;
  approvedByMe: boolean;
  /** Its text form (`carechain:<kind>:…`): what the manager opens, checks and approves (requests.ts). */
  text: string;
}

export interface HospitalInfo {
  id: string;
  name: string;
  validators: number;
  height: number;
}

export interface AccessHolder {
  /** Hex id of the grant. */
  grantId: string;
  doctor: DirectoryEntry;
  categories: readonly string[] | 'all';
  read: boolean;
  write: boolean;
  notBefore: number;
  expiresAt: number;
}

/** Patient: who holds access, as the chain proves it — whichever device gave or withdrew it. */
export interface AccessHolders {
  /** Every grant the patient's proven grant list holds that has not expired. */
  live: AccessHolder[];
  /** Hex ids of this device's grants the chain proves revoked (perhaps from another device). */
  revoked: string[];
}

/** What a break-glass search found, and what the doctor must know it did not cover. */
export interface EmergencyRecords {
  /** Newest first. */
  records: RecordRef[];
  /** Hospitals (names) holding older records than the newest 2,048 a client reads from each. */
  more: string[];
  /**
   * Hospitals (names) whose authority node gave no list: not reachable, or refusing (a node that has
   * not yet seen the statement). Their records are not listed.
   */
  unreached: string[];
}

export interface RecordRef {
  /** Hex of the record hash (its identity). */
  id: string;
  category: string;
  hospitalId: string;
  hospitalName: string;
  height: number;
  authorId: string;
  authorName?: string;
  writtenAt: number;
  breakGlass?: boolean;
}

/** The checks the light client made, in order, so the verified badge can show each one. */
export type VerificationCheck =
  | 'consortium-header'
  | 'index-proof'
  | 'hospital-header'
  | 'checkpoint'
  | 'record-hash'
  | 'author-signature'
  | 'decrypted';

export interface Verification {
  ok: boolean;
  checks: { check: VerificationCheck; ok: boolean }[];
  /** Error code when not ok: a CoreError code or one of LIGHT_ERROR_CODES (ui/errors). */
  error?: string;
  /** Height of the newest consortium header this was checked against. */
  consortiumHeight?: number;
  /** Proven earlier and read back from this device (no node could be reached): true as of that height. */
  cached?: boolean;
}

export interface VerifiedRecord {
  ref: RecordRef;
  /** Parsed by core (parseRecordBundle) after decryption: only the resources the record model allows. */
  bundle: RecordBundle;
  verification: Verification;
}

export type AccessLogAction = 'read' | 'write' | 'grant' | 'revoke' | 'break-glass';

export interface AccessLogEntry {
  at: number;
  action: AccessLogAction;
  actorId: string;
  actorName?: string;
  recordId?: string;
  category?: string;
  hospitalName?: string;
  /** Break-glass reason and co-signer, shown to the patient. */
  reason?: string;
  coSignerName?: string;
}

export interface SyncProgress {
  phase: 'idle' | 'connecting' | 'headers' | 'index' | 'done' | 'error' | 'offline';
  done: number;
  total: number;
  peers: number;
}

export interface CarechainNetwork {
  /** Delivers one signed action from the outbox; throws a CoreError when the network refuses it. */
  send: SendAction;
  /**
   * Delivers a 'record' action: stores the sealed blob on the hospital's mirrors, collects their
   * attestations, signs the hospital-chain transaction as the author and submits it. Needs the author's
   * keys, so the outbox holds records until the doctor has unlocked.
   */
  writeRecord(account: AccountContext, action: OutboxAction): Promise<RecordRef>;
  /**
   * Doctor: the encryption key of their hospital's authority, as registered on the consortium: each
   * record is also sealed to it, for break-glass. Proven when a node answers, and remembered on this
   * device so records can be written offline.
   */
  sealingKey(account: AccountContext): Promise<Uint8Array>;
  /**
   * Doctor, in an emergency: the records each hospital holds for the patient a committed break-glass
   * statement (its encoded bytes) names, each checked against the certified hospital chain and the
   * patient's grant, opened with the key the hospital's authority releases to this doctor. Open them
   * with `fetchRecord`; the reads are logged on the hospital chains for the patient to see.
   */
  emergencyRecords(account: AccountContext, statement: Uint8Array): Promise<EmergencyRecords>;
  /** Registration or recovery state of an account, counted against the current managers. */
  registrationStatus(signingPublic: Uint8Array): Promise<RegistrationStatus>;
  /** Managers: registrations and recoveries waiting for approvals. */
  pendingRequests(account: AccountContext): Promise<PendingRequest[]>;
  hospitals(): Promise<HospitalInfo[]>;
  /** The verified doctor directory (the app caches it for offline search). */
  directory(): Promise<DirectoryEntry[]>;
  /** Patient: who holds access now (grants not revoked or expired), from the chain's grant list. */
  accessHolders(account: AccountContext): Promise<AccessHolders>;
  /**
   * Doctor: this device's patients, after adding grants to the doctor scanned at their other devices
   * and marking the ones the chain proves revoked.
   */
  grantedPatients(account: AccountContext): Promise<ScannedPatient[]>;
  /** Patient (all categories) or doctor (categories granted): index entries across hospitals. */
  recordsByCategory(
    account: AccountContext,
    query: { pseudonym?: string; categories?: readonly string[] }
  ): Promise<RecordRef[]>;
  /** Fetches the blob from a mirror and verifies it against both chains before decrypting. */
  fetchRecord(account: AccountContext, ref: RecordRef): Promise<VerifiedRecord>;
  /** Patient: every read and write of their records, oldest first. */
  accessLog(account: AccountContext): Promise<AccessLogEntry[]>;
  /** Header-sync progress; returns an unsubscribe function. */
  onSyncProgress(listener: (p: SyncProgress) => void): () => void;
}

let current: CarechainNetwork | undefined;
const listeners = new Set<(n: CarechainNetwork | undefined) => void>();

export function currentNetwork(): CarechainNetwork | undefined {
  return current;
}

/** Plugs in (or, with undefined, removes) the network implementation. */
export function connectNetwork(network: CarechainNetwork | undefined): void {
  current = network;
  for (const fn of listeners) fn(network);
}

export function onNetworkChange(fn: (n: CarechainNetwork | undefined) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export type { OutboxAction };
