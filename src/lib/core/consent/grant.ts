/**
 * The consent grant: a patient's signed permission for one doctor to read and/or write records of
 * some categories between `notBefore` and `expiry`. It carries, encrypted to the doctor, exactly the
 * capabilities that scope needs and no more:
 *   read  → per granted category the search capability (to compute the secure index tag) and the
 *           record secret key of the current epoch (to open record envelopes);
 *   write → per granted category the record public key of the current epoch (to wrap new records to
 *           the patient) and the index tag (to file them under the patient's secure index). With read
 *           as well, both are derived from the secrets and search capabilities instead of travelling
 *           twice — that keeps a 5-category grant inside one QR code.
 * A read grant for 'all' categories carries instead just two keys: the patient's index key (every
 * search capability derives from it) and the epoch root (every record secret of that epoch derives
 * from it, crypto/keys.ts) — the same power as the 22 per-category entries, in a tenth of the bytes,
 * so it too fits in one QR code. A write-only 'all' grant cannot take that short cut (the root would
 * let its holder read) and keeps the per-category public keys and tags.
 * A write grant also signs `writeRoot`, the root of its write commitments (write-commits.ts), which
 * lets hospital validators check a write's category without learning it.
 * The chain and every node see who granted whom, the scope and the validity window, never the keys.
 */
import { v, bytes, bytesMax, hash32, header, publicKey, signature, uint } from '../encoding/schema.js';
import { defineCodec, signable } from '../encoding/codec.js';
import { LIMITS, PROTOCOL_VERSION, TAGS } from '../constants.js';
import { CoreError, isCoreError } from '../errors.js';
import { sha256 } from '../crypto/hash.js';
import { sign } from '../crypto/ed25519.js';
import {
  deriveAccountKeys,
  recordEpochRoot,
  recordPublicKey,
  recordSecret,
  recordSecretFromRoot
} from '../crypto/keys.js';
import { unwrapWith, wrapTo, x25519PublicKey } from '../crypto/x25519.js';
import type { Rng } from '../crypto/random.js';
import { indexTag, indexTagFromCapability, searchCapability } from '../records/index-tag.js';
import { writeCommitment, writeRoot, sortCommits } from './write-commits.js';
import { bytesEqual } from '../encoding/cbor.js';
import { CATEGORY_CODES, isCategoryCode } from '../records/categories.js';

/** wrapTo context: binds the caps ciphertext to this use, so it cannot be passed off as another wrap. */
export const GRANT_CAPS_CONTEXT = 'grant';

/** Key bytes per capability entry (HMAC output, X25519 secret or public key). */
const KEY_BYTES = 32;

/**
 * Largest caps plaintext: scope 'all' (22 chapters, at most maxGrantCategories) × 2 lists × 32-byte
 * keys plus the CBOR framing; 4 KiB bounds the decrypt-then-parse of a hostile blob.
 */
const MAX_CAPS_PLAINTEXT = 4096;
/** The wrapped form adds an ephemeral key (32), a nonce (24) and a tag (16) to the plaintext. */
const MAX_CAPS_WRAPPED = MAX_CAPS_PLAINTEXT + 32 + 24 + 16;
/** Whole grant: the caps blob plus ~300 bytes of keys, signature, scope and times. */
export const MAX_GRANT_BYTES = MAX_CAPS_WRAPPED + 1024;

const RANK = new Map(CATEGORY_CODES.map((c, i) => [c, i]));

/** Explicit category lists are sorted in code-system order without repeats: one encoding per scope. */
function canonicalList(list: readonly string[]): boolean {
  for (let i = 1; i < list.length; i++) if (RANK.get(list[i - 1]!)! >= RANK.get(list[i]!)!) return false;
  return true;
}

const categoryCode = v.pipe(
  v.string(),
  v.check((c) => isCategoryCode(c), 'unknown category code')
);

export const scopeSchema = v.pipe(
  v.strictObject({
    categories: v.union([
      v.literal('all'),
      v.pipe(
        v.array(categoryCode),
        v.minLength(1),
        v.maxLength(LIMITS.maxGrantCategories),
        v.check((l) => canonicalList(l), 'categories must be sorted in code order without repeats')
      )
    ]),
    read: v.boolean(),
    write: v.boolean()
  }),
  v.check((s) => s.read || s.write, 'a scope grants read, write or both')
);

export const grantSchema = v.pipe(
  v.strictObject({
    ...header(TAGS.grant),
    patient: publicKey,
    doctor: publicKey,
    scope: scopeSchema,
    notBefore: uint(),
    expiry: uint(),
    seq: uint(),
    caps: bytesMax(MAX_CAPS_WRAPPED),
    /** Root of the write commitments: present exactly when the scope grants write. */
    writeRoot: v.optional(hash32),
    sig: signature
  }),
  v.check((g) => g.expiry > g.notBefore, 'expiry must be after notBefore'),
  v.check((g) => (g.writeRoot !== undefined) === g.scope.write, 'writeRoot goes with write scope')
);

export type Grant = v.InferOutput<typeof grantSchema>;
export type GrantScope = v.InferOutput<typeof scopeSchema>;
export type ScopeInput = { categories: 'all' | readonly string[]; read: boolean; write: boolean };

export const grantCodec = defineCodec('grant', grantSchema, MAX_GRANT_BYTES);

/**
 * The plaintext inside `caps`, with one-letter keys because it rides in a QR code: e = record-key
 * epoch; for read scope s = search capabilities, k = record secrets; for write-only scope p = record
 * public keys, i = index tags. Lists follow the order of `scopeCategories(scope)`; lists the scope
 * does not need are empty. A read grant for 'all' uses the root form instead: x = the patient's index
 * key, r = the epoch root. Not signed on its own — the signed grant covers its ciphertext.
 */
const keyList = v.pipe(v.array(bytes(KEY_BYTES)), v.maxLength(LIMITS.maxGrantCategories));
const listCapsSchema = v.strictObject({ e: uint(), s: keyList, k: keyList, p: keyList, i: keyList });
const rootCapsSchema = v.strictObject({ e: uint(), x: bytes(KEY_BYTES), r: bytes(KEY_BYTES) });
const capsSchema = v.union([listCapsSchema, rootCapsSchema]);
type ListCaps = v.InferOutput<typeof listCapsSchema>;
const capsCodec = defineCodec('grant-caps', capsSchema, MAX_CAPS_PLAINTEXT);

/** Which caps form a scope uses: the root form exactly for read grants over 'all' categories. */
function usesRootCaps(scope: GrantScope): boolean {
  return scope.categories === 'all' && scope.read;
}

/** The categories a scope covers, in code-system order ('all' = every chapter). */
export function scopeCategories(scope: { categories: 'all' | readonly string[] }): readonly string[] {
  return scope.categories === 'all' ? CATEGORY_CODES : scope.categories;
}

function normaliseScope(scope: ScopeInput): GrantScope {
  if (scope.categories === 'all') return { categories: 'all', read: scope.read, write: scope.write };
  for (const c of scope.categories)
    if (!isCategoryCode(c)) throw new CoreError('record/unknown-category', { category: c });
  const sorted = [...new Set(scope.categories)].sort((a, b) => RANK.get(a)! - RANK.get(b)!);
  return { categories: sorted, read: scope.read, write: scope.write };
}

export interface GrantDoctor {
  signingPublic: Uint8Array;
  encryptionPublic: Uint8Array;
}

export interface CreateGrantInput {
  /** The patient's 32-byte account seed. */
  seed: Uint8Array;
  doctor: GrantDoctor;
  scope: ScopeInput;
  notBefore: number;
  expiry: number;
  /** Per-patient sequence number; the patient's app keeps it strictly growing. */
  seq: number;
  /** The patient's current record-key epoch (bumped by every revocation). */
  epoch: number;
  rng: Rng;
}

export function createGrant(input: CreateGrantInput): Grant {
  const { seed, doctor, notBefore, expiry, seq, epoch, rng } = input;
  const keys = deriveAccountKeys(seed);
  const scope = normaliseScope(input.scope);
  if (!v.is(uint(), epoch)) throw new CoreError('consent/malformed', { detail: 'epoch must be a uint' });
  const cats = scopeCategories(scope);
  const writeOnly = scope.write && !scope.read;
  // parse() types the plain key lists (any Uint8Array) as the schema's output.
  const caps = capsCodec.encode(
    capsCodec.parse(
      usesRootCaps(scope)
        ? { e: epoch, x: keys.indexKey, r: recordEpochRoot(seed, epoch) }
        : {
            e: epoch,
            s: scope.read ? cats.map((c) => searchCapability(keys.indexKey, c)) : [],
            k: scope.read ? cats.map((c) => recordSecret(seed, c, epoch)) : [],
            p: writeOnly ? cats.map((c) => recordPublicKey(seed, c, epoch)) : [],
            i: writeOnly ? cats.map((c) => indexTag(keys.indexKey, c)) : []
          }
    )
  );
  const commits = scope.write
    ? cats.map((c) => writeCommitment(recordPublicKey(seed, c, epoch), indexTag(keys.indexKey, c)))
    : [];
  const unsigned = {
    t: TAGS.grant,
    v: PROTOCOL_VERSION,
    patient: keys.signingPublic,
    doctor: doctor.signingPublic,
    scope,
    notBefore,
    expiry,
    seq,
    caps: wrapTo(doctor.encryptionPublic, caps, GRANT_CAPS_CONTEXT, rng),
    ...(scope.write ? { writeRoot: writeRoot(commits) } : {})
  };
  const grant = { ...unsigned, sig: sign(keys.signingSeed, signable({ ...unsigned, sig: undefined })) };
  try {
    return grantCodec.parse(grant);
  } catch (e) {
    if (isCoreError(e)) throw new CoreError('consent/malformed', { detail: e.message });
    throw e;
  }
}

/** A grant's identity: SHA-256 of its canonical encoding (the encoding starts with its type tag). */
export function grantId(grant: Grant): Uint8Array {
  return sha256(grantCodec.encode(grant));
}

export interface GrantCaps {
  epoch: number;
  /** category → search capability (read scope only). */
  search: Map<string, Uint8Array>;
  /** category → record secret key of `epoch` (read scope only). */
  recordSecrets: Map<string, Uint8Array>;
  /** category → record public key of `epoch` (write scope only). */
  recordPublics: Map<string, Uint8Array>;
  /** category → secure index tag (every granted category). */
  tags: Map<string, Uint8Array>;
  /** The write commitments, sorted, matching the grant's signed writeRoot (write scope only). */
  writeCommits: Uint8Array[];
}

/**
 * The doctor opens the capabilities with their X25519 encryption secret. Fails with
 * 'crypto/decrypt-failed' for the wrong key or an altered blob, 'consent/malformed' if the contents
 * do not match the scope the patient signed.
 */
export function openGrantCaps(grant: Grant, doctorEncryptionSecret: Uint8Array): GrantCaps {
  const plain = unwrapWith(doctorEncryptionSecret, grant.caps, GRANT_CAPS_CONTEXT);
  let caps: v.InferOutput<typeof capsSchema>;
  try {
    caps = capsCodec.decode(plain);
  } catch (e) {
    throw new CoreError('consent/malformed', { detail: 'caps: ' + (e as Error).message });
  }
  const { read, write } = grant.scope;
  const cats = scopeCategories(grant.scope);
  if ('r' in caps !== usesRootCaps(grant.scope))
    throw new CoreError('consent/malformed', { detail: 'caps form does not match the signed scope' });
  if ('r' in caps) caps = expandRootCaps(caps, cats);
  const want = (on: boolean) => (on ? cats.length : 0);
  if (
    caps.s.length !== want(read) ||
    caps.k.length !== want(read) ||
    caps.p.length !== want(write && !read) ||
    caps.i.length !== want(write && !read)
  )
    throw new CoreError('consent/malformed', { detail: 'caps do not match the signed scope' });
  const out: GrantCaps = {
    epoch: caps.e,
    search: new Map(),
    recordSecrets: new Map(),
    recordPublics: new Map(),
    tags: new Map(),
    writeCommits: []
  };
  cats.forEach((c, n) => {
    if (read) {
      out.search.set(c, caps.s[n]!);
      out.recordSecrets.set(c, caps.k[n]!);
    }
    out.tags.set(c, read ? indexTagFromCapability(caps.s[n]!) : caps.i[n]!);
    if (write) out.recordPublics.set(c, read ? x25519PublicKey(caps.k[n]!) : caps.p[n]!);
  });
  if (write) {
    out.writeCommits = sortCommits(
      cats.map((c) => writeCommitment(out.recordPublics.get(c)!, out.tags.get(c)!))
    );
    if (!grant.writeRoot || !bytesEqual(writeRoot(out.writeCommits), grant.writeRoot))
      throw new CoreError('consent/malformed', { detail: 'caps do not match the signed writeRoot' });
  }
  return out;
}

/** The per-category lists a root-form caps stands for (read scope: search capabilities and secrets). */
function expandRootCaps(caps: v.InferOutput<typeof rootCapsSchema>, cats: readonly string[]): ListCaps {
  // parse() types the derived keys (any Uint8Array) as the schema's output.
  return v.parse(listCapsSchema, {
    e: caps.e,
    s: cats.map((c) => searchCapability(caps.x, c)),
    k: cats.map((c) => recordSecretFromRoot(caps.r, c)),
    p: [],
    i: []
  });
}
