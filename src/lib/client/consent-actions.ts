/**
 * The patient's consent actions as the app performs them: core signs the grant or revocation, the
 * signed bytes go to the outbox (so they work offline), and the patient's own list of grants is kept
 * in the encrypted cache so "who has access" and "revoke" work with no network. The per-patient
 * sequence number and record-key epoch live in settings and only ever grow (`nextCounter`).
 */
import {
  createGrant,
  createRevocation,
  encodeQrLink,
  grantId,
  scopeCategories,
  type ScopeInput
} from '../core/consent/index.js';
import { grantTxCodec, makeGrantTx, makeRevokeTx, revokeTxCodec } from '../core/chain/tx/consent.js';
import { writeCommitsFor } from '../core/chain/commit.js';
import { fromHex, systemRng, toHex } from '../core/crypto/index.js';
import { CHAIN_LIMITS } from '../core/constants.js';
import { CoreError } from '../core/errors.js';
import type { Db } from './db.js';
import type { DirectoryEntry } from './directory.js';
import type { CacheStore } from './cache-store.js';
import type { Outbox } from './outbox.js';
import type { AccessHolders } from './network.js';

export interface LocalGrant {
  id: string;
  doctor: DirectoryEntry;
  categories: readonly string[] | 'all';
  read: boolean;
  write: boolean;
  notBefore: number;
  expiresAt: number;
  /** The access code's link; '' for a grant made on another device (adoptChainGrants). */
  link: string;
  revokedAt?: number;
}

const GRANT_PREFIX = 'grant:';

/**
 * The next value of a consent sequence number or record-key epoch. Both belong to the patient, but
 * each device keeps its own, and a device the account was just imported to knows nothing of the old
 * one's. So both follow the clock (ms) and never fall behind it: a new device never reuses a sequence
 * number the chain has seen (the chain would refuse its grants as consent/replayed), never re-enters
 * an epoch whose record keys a revoked doctor holds, and between two devices a later action carries
 * the larger number, which is what "a later revocation wins" means to a patient. A clock that goes
 * back changes nothing: the value still grows by one.
 */
export function nextCounter(current: number | undefined, now: number): number {
  return Math.max((current ?? 0) + 1, now);
}

/** Takes the next sequence number in one IndexedDB transaction, so two tabs never reuse one. */
export async function nextSeq(db: Db, now: number): Promise<number> {
  const tx = db.transaction('settings', 'readwrite');
  const next = nextCounter((await tx.store.get('seq')) as number | undefined, now);
  await tx.store.put(next, 'seq');
  await tx.done;
  return next;
}

/** The record-key epoch new grants use; a device's first one is taken from the clock. */
export async function currentEpoch(db: Db, now: number): Promise<number> {
  const tx = db.transaction('settings', 'readwrite');
  let epoch = (await tx.store.get('epoch')) as number | undefined;
  if (epoch === undefined) {
    epoch = now;
    await tx.store.put(epoch, 'epoch');
  }
  await tx.done;
  return epoch;
}

/**
 * Moves the record-key epoch on, so grants made from here on hand doctors keys that no grant made
 * before held: a revoked doctor cannot open records written under them, even given the bytes.
 */
async function moveEpochOn(db: Db, now: number): Promise<void> {
  await db.put('settings', nextCounter(await currentEpoch(db, now), now), 'epoch');
}

export interface GrantContext {
  db: Db;
  cache: CacheStore;
  outbox: Outbox;
  seed: Uint8Array;
  origin: string;
  now: number;
}

/**
 * Refuses, before any code is shown, a grant the chain would refuse for want of room: this device's
 * live grants already fill the patient's list, or the share one doctor may hold. (Grants made on
 * another device and not yet read from the chain here are the chain's to count.)
 */
async function checkRoom(cache: CacheStore, doctor: DirectoryEntry, now: number): Promise<void> {
  const live = (await localGrants(cache)).filter((g) => g.revokedAt === undefined && g.expiresAt > now);
  if (live.length >= CHAIN_LIMITS.maxPatientGrants)
    throw new CoreError('consent/too-many-grants', { max: CHAIN_LIMITS.maxPatientGrants });
  if (live.filter((g) => g.doctor.id === doctor.id).length >= CHAIN_LIMITS.maxGrantsPerDoctor)
    throw new CoreError('consent/too-many-grants-to-doctor', { max: CHAIN_LIMITS.maxGrantsPerDoctor });
}

export async function makeGrant(
  ctx: GrantContext,
  doctor: DirectoryEntry,
  scope: ScopeInput,
  durationMs: number
): Promise<LocalGrant> {
  await checkRoom(ctx.cache, doctor, ctx.now);
  const epoch = await currentEpoch(ctx.db, ctx.now);
  const grant = createGrant({
    seed: ctx.seed,
    doctor: { signingPublic: fromHex(doctor.id), encryptionPublic: fromHex(doctor.encryptionPublic) },
    scope,
    notBefore: ctx.now,
    expiry: ctx.now + durationMs,
    seq: await nextSeq(ctx.db, ctx.now),
    epoch,
    rng: systemRng
  });
  const link = encodeQrLink(ctx.origin, grant);
  // The consortium transaction adds the write commitments (so validators can check a write's category
  // without learning it); the grant signs their root, so no second signature is needed.
  const commits = grant.scope.write ? writeCommitsFor(ctx.seed, scopeCategories(grant.scope), epoch) : [];
  const tx = makeGrantTx(grant, commits);
  const id = toHex(grantId(grant));
  const local: LocalGrant = {
    id,
    doctor,
    categories: grant.scope.categories,
    read: grant.scope.read,
    write: grant.scope.write,
    notBefore: grant.notBefore,
    expiresAt: grant.expiry,
    link
  };
  await ctx.cache.put(GRANT_PREFIX + id, local);
  await ctx.outbox.enqueue(
    { kind: 'grant', bytes: grantTxCodec.encode(tx), summary: { text: doctor.name, grant: id } },
    ctx.now
  );
  return local;
}

export async function localGrants(cache: CacheStore): Promise<LocalGrant[]> {
  const all = await cache.all<LocalGrant>();
  return all.filter((e) => e.id.startsWith(GRANT_PREFIX)).map((e) => e.value);
}

/**
 * Brings this device's grants in line with what the chain proves: a grant made on another device
 * (before the account was restored here) is added, so it can be revoked here — offline too, from then
 * on — and a grant revoked on another device is marked revoked. Returns the device's grants.
 *
 * A grant of this device revoked on another one carries this device's record-key epoch, which only
 * this device moves on: it does so here, as revokeGrant does, or its next grants would hand out keys
 * the revoked doctor already holds.
 */
export async function adoptChainGrants(
  ctx: { db: Db; cache: CacheStore },
  chain: AccessHolders,
  now: number
): Promise<LocalGrant[]> {
  const { cache } = ctx;
  const known = new Map((await localGrants(cache)).map((g) => [g.id, g]));
  for (const h of chain.live) {
    if (known.has(h.grantId)) continue;
    const { grantId: id, doctor, categories, read, write, notBefore, expiresAt } = h;
    // The access code itself was shown on the other device; only the doctor needed it.
    const adopted: LocalGrant = { id, doctor, categories, read, write, notBefore, expiresAt, link: '' };
    await cache.put(GRANT_PREFIX + id, adopted);
  }
  let revokedElsewhere = false;
  for (const id of chain.revoked) {
    const g = known.get(id);
    if (!g || g.revokedAt !== undefined) continue;
    await cache.put(GRANT_PREFIX + id, { ...g, revokedAt: now });
    revokedElsewhere = true;
  }
  if (revokedElsewhere) await moveEpochOn(ctx.db, now);
  return localGrants(cache);
}

/**
 * Revokes one grant: signed now, queued for the network, and the record-key epoch moves on so
 * records written from here on use keys the revoked doctor never held.
 */
export async function revokeGrant(ctx: Omit<GrantContext, 'origin'>, grant: LocalGrant): Promise<void> {
  if (!/^[0-9a-f]{64}$/.test(grant.id)) throw new CoreError('consent/malformed', { detail: 'grant id' });
  const rev = createRevocation({
    seed: ctx.seed,
    target: { grant: fromHex(grant.id) },
    seq: await nextSeq(ctx.db, ctx.now),
    time: ctx.now
  });
  await ctx.outbox.enqueue(
    {
      kind: 'revocation',
      bytes: revokeTxCodec.encode(makeRevokeTx(rev)),
      summary: { text: grant.doctor.name, grant: grant.id }
    },
    ctx.now
  );
  await moveEpochOn(ctx.db, ctx.now);
  await ctx.cache.put(GRANT_PREFIX + grant.id, { ...grant, revokedAt: ctx.now });
}
