/**
 * The app's `CarechainNetwork` over the real network: the light client (src/lib/light) for everything
 * read — each answer proven against a consortium header signed by more than 2/3 of the hospitals, the
 * consortium itself trusted only from the pinned genesis hash — and tx-submit / mirror store for what
 * the app writes. It mirrors what src/node/devnet/actors.ts does in Node, from the browser.
 *
 * Registry requests wait in the nodes' mailbox (src/lib/light/mailbox.ts) while managers approve; what
 * it lists is checked against the proven managers. A doctor's name is not in consortium state, only
 * the hash of the registration that carries it: the directory shows a profile only if it hashes to it.
 */
import { CHAIN_LIMITS } from '../core/constants.js';
import { CoreError, isCoreError } from '../core/errors.js';
import { bytesEqual } from '../core/encoding/cbor.js';
import { deriveAccountKeys, fromHex, recordSecret, sha256, systemRng, toHex } from '../core/crypto/index.js';
import { CONSORTIUM_CHAIN_ID, hospitalChainId } from '../core/chain/header.js';
import { consortiumGenesisCodec, type ConsortiumGenesis } from '../core/chain/genesis.js';
import { NS, pageId } from '../core/chain/store.js';
import { rosterId } from '../core/chain/rules/roster.js';
import { ADDED_HOSPITALS_LIST } from '../core/chain/rules/added-hospitals.js';
import {
  hospitalEntryCodec,
  managersEntryCodec,
  pageCodec,
  validatorsEntryCodec,
  type AccountEntry,
  type ListedGrant
} from '../core/chain/entries.js';
import { appendRecordCodec, createAppendRecord } from '../core/chain/tx/append-record.js';
import { accessLogCodec } from '../core/chain/tx/access-log.js';
import { grantTxCodec, makeGrantTx } from '../core/chain/tx/consent.js';
import { breakGlassCodec } from '../core/chain/tx/break-glass.js';
import { grantCodec, openGrantCaps, scopeCategories, type Grant } from '../core/consent/index.js';
import type { Codec } from '../core/encoding/codec.js';
import { CATEGORY_CODES } from '../core/records/categories.js';
import { openRecord, readEnvelopeHeader, type RecordKey } from '../core/records/envelope.js';
import { indexTagFromCapability, searchCapability } from '../core/records/index-tag.js';
import { stateKey } from '../core/state/smt.js';
import { connectLightClient } from '../light/connect.js';
import { acceptGenesis, fetchGenesis } from '../light/genesis.js';
import { LightQueries } from '../light/queries.js';
import { isOutage } from '../light/answer-cache.js';
import type { BlobAccess, HeadStore, LightClient, LightEvent } from '../light/client.js';
import type { BlobSigner } from '../light/peer.js';
import type { Transport } from '../light/addresses.js';
import type { Multiaddr } from '@multiformats/multiaddr';
import { CacheStore, importCacheKey } from './cache-store.js';
import type { Db } from './db.js';
import { cachedDirectory, type DirectoryEntry } from './directory.js';
import { markRevoked, rememberGrant, scannedPatients, type ScannedPatient } from './doctor-actions.js';
import { localGrants } from './consent-actions.js';
import { discoverNodes, storeOnMirrors, submitTx, type NetHost, type NodeInfo } from '../light/submit.js';
import type {
  AccessHolder,
  AccessHolders,
  AccessLogEntry,
  AccountContext,
  CarechainNetwork,
  EmergencyRecords,
  HospitalInfo,
  PendingRequest,
  RecordRef,
  RegistrationStatus,
  SyncProgress,
  VerificationCheck,
  VerifiedRecord
} from './network.js';
import type { OutboxAction } from './outbox.js';
import { mailKey, mailPostCodec, mailRequester, type MailBody, type MailPost } from '../core/chain/mail.js';
import { majorityOf } from '../core/accounts/approval.js';
import { listMail, postMail, provenProfiles } from '../light/mailbox.js';
import type { DoctorProfile } from '../core/accounts/registration.js';
import { pendingChange, requestDetails, requestFromBody, requestText } from './requests.js';

export type LightHost = NetHost & {
  dial?: (addrs: Multiaddr[]) => Promise<unknown>;
  stop?: () => void | Promise<void>;
};

export interface LightNetworkOptions {
  nodeUrls: readonly string[];
  /** Hex of the consortium genesis hash this build trusts. */
  pinnedGenesisHash: string;
  db: Db;
  /** Dial loopback/LAN nodes: devnet builds only. */
  allowPrivateAddresses?: boolean;
  /** The libp2p node; by default the browser's (host.browser.ts), created here. */
  host?: LightHost;
  transports?: readonly Transport[];
  /** Verified heads; by default IndexedDB (light-store.ts). */
  store?: HeadStore;
  now?: () => number;
  fetchFn?: typeof fetch;
}

export interface LightNetwork extends CarechainNetwork {
  readonly client: LightClient;
  readonly nodes: readonly NodeInfo[];
  close(): Promise<void>;
}

/** What a listed record needs to be opened later, kept for this page's life only (never stored). */
interface Held {
  ref: RecordRef;
  blob?: Uint8Array;
  checks?: string[];
  key?: RecordKey;
  error?: CoreError;
  /** Read back from this device (no node reachable): the consortium height it was proven at. */
  cachedAsOf?: number;
  /** Found under break-glass: no consortium index entry was involved, so none was proven. */
  emergency?: boolean;
}

/** One category of one patient the reader may search, and how its records open. */
interface Target {
  category: string;
  tag: Uint8Array;
  access: BlobAccess;
  /** The patient's record key for this category (by envelope epoch), or the grant's. */
  key: (blob: Uint8Array) => RecordKey;
}

/** Pages of the access log read per record: 32 reads each; a busier record shows its first 4,096 reads. */
const MAX_ACCESS_PAGES = 128;
/**
 * Pages of each hospital's doctor roster the directory reads: 32 keys each, so its first 512 doctors.
 * Each listed doctor costs one proven account lookup, which bounds a directory refresh too.
 */
const MAX_ROSTER_PAGES = 16;
/** Pages of hospitals added after genesis read: 256 hospitals, more than a consortium of tens adds. */
const MAX_ADDED_HOSPITAL_PAGES = 8;

/** Refusals every honest node gives alike: the user's consent or account, shown as they are. */
function isFinalRefusal(e: unknown): e is CoreError {
  return (
    isCoreError(e) &&
    (e.code.startsWith('consent/') || e.code.startsWith('account/') || e.code === 'node/no-grant')
  );
}

/** Where the accepted genesis is kept (settings store), so the app can start its light client offline. */
const SAVED_GENESIS = 'genesis';

export async function createLightNetwork(o: LightNetworkOptions): Promise<LightNetwork> {
  const now = o.now ?? Date.now;
  const fetchFn = o.fetchFn ?? fetch.bind(globalThis);
  const allowPrivate = o.allowPrivateAddresses ?? false;
  const listeners = new Set<(p: SyncProgress) => void>();
  let progress: SyncProgress = { phase: 'connecting', done: 0, total: 0, peers: 0 };
  const report = (p: Partial<SyncProgress>) => {
    progress = { ...progress, ...p };
    for (const fn of listeners) fn(progress);
  };

  // Trusted start: the genesis from any node, believed only if it hashes to the pin.
  let genesis: ConsortiumGenesis | undefined;
  let genesisError: unknown = new CoreError('light/no-peers', { detail: 'no node URL' }, 'ignore');
  for (const url of o.nodeUrls) {
    try {
      genesis = await fetchGenesis(url, o.pinnedGenesisHash, fetchFn);
      break;
    } catch (e) {
      genesisError = e;
      // A node serving another genesis is not ours; one that is down may be followed by one that is up.
    }
  }
  if (genesis) {
    void o.db.put('settings', toHex(consortiumGenesisCodec.encode(genesis)), SAVED_GENESIS).catch(() => {});
  } else {
    // Offline start: the genesis this device accepted before, accepted again only against the pin.
    const saved: unknown = await o.db.get('settings', SAVED_GENESIS).catch(() => undefined);
    if (typeof saved === 'string')
      try {
        genesis = acceptGenesis({ kind: 'carechain-genesis', consortium: saved }, o.pinnedGenesisHash);
      } catch {
        // not ours (another build's pin): as if nothing were saved
      }
  }
  if (!genesis) {
    report({ phase: 'error' });
    throw genesisError;
  }

  const [browserHost, store] = await Promise.all([
    o.host ? Promise.resolve(undefined) : import('../light/host.browser.js'),
    o.store ? Promise.resolve(o.store) : import('./light-store.js').then((m) => new m.IdbHeadStore())
  ]);
  const transports = o.transports ?? browserHost?.BROWSER_TRANSPORTS ?? ['tcp'];
  const nodes = await discoverNodes(o.nodeUrls, transports, allowPrivate, fetchFn);
  const host: LightHost =
    o.host ?? (await browserHost!.createLightHost({ allowPrivateAddresses: allowPrivate }));

  // Blob reads are signed by the reader; the reader is whoever is unlocked when the read is made.
  const signer: BlobSigner = { signingSeed: new Uint8Array(32), signingPublic: new Uint8Array(32) };
  const actAs = (account: AccountContext) => {
    const keys = deriveAccountKeys(account.seed);
    signer.signingSeed = keys.signingSeed;
    signer.signingPublic = keys.signingPublic;
    return keys;
  };

  const onEvent = (e: LightEvent) => {
    if (e.type === 'progress')
      report({
        phase: 'headers',
        done: e.progress.done,
        total: e.progress.total,
        peers: client.livePeers.length
      });
    else if (e.type === 'peer-dropped') report({ peers: client.livePeers.length });
  };
  const client = connectLightClient({
    host,
    nodes: nodes.map((n) => n.addrs),
    genesis,
    store,
    signer,
    now,
    rng: systemRng,
    onEvent
  });
  const queries = new LightQueries(client);
  const hospitalNames = new Map(genesis.hospitals.map((h) => [h.id, h.name]));

  const syncConsortium = async () => {
    report({ phase: 'headers', peers: client.livePeers.length });
    try {
      const head = await client.sync(CONSORTIUM_CHAIN_ID);
      report({
        phase: 'done',
        done: head.header.height,
        total: head.header.height,
        peers: client.livePeers.length
      });
      return head;
    } catch (e) {
      report({ phase: 'error', peers: client.livePeers.length });
      throw e;
    }
  };
  // The first sync starts now; its progress feeds the app's indicator. With no node reachable the
  // client answers from what this device verified earlier (answer cache), and says it is offline.
  if (nodes.length > 0) void syncConsortium().catch(() => undefined);
  else report({ phase: 'offline' });

  /** A proven entry of `chainId`'s state, decoded with the chain's own codec. */
  const entry = async <T>(chainId: string, ns: string, id: Uint8Array | string, codec: Codec<T>) => {
    const raw = await client.state(chainId, stateKey(ns, id));
    if (raw === null) return null;
    try {
      return codec.decode(raw);
    } catch (e) {
      throw new CoreError('light/proof-invalid', { detail: `${ns} entry: ${(e as Error).message}` });
    }
  };

  const caches = new Map<string, Promise<CacheStore>>();
  const cacheFor = (account: AccountContext) => {
    const id = toHex(account.signingPublic);
    let c = caches.get(id);
    if (!c) caches.set(id, (c = importCacheKey(account.seed).then((k) => new CacheStore(o.db, k))));
    return c;
  };

  const held = new Map<string, Held>();

  const consortiumNodes = () => [
    ...nodes.filter((n) => n.consortiumAuthority),
    ...nodes.filter((n) => !n.consortiumAuthority)
  ];
  const hospitalNodes = (hospital: string) => nodes.filter((n) => n.hospital === hospital);

  /**
   * The hospitals this app can name: the founding ones (genesis document), then those the managers
   * added later, from the consortium's proven list of them (rules/added-hospitals.ts), each named by its
   * proven entry. Without a node to ask, the founding ones and those already named this session.
   */
  async function knownHospitals(): Promise<string[]> {
    const founding = genesis!.hospitals.map((h) => h.id);
    let added: string[];
    try {
      const listed = await listEntries(
        CONSORTIUM_CHAIN_ID,
        NS.meta,
        ADDED_HOSPITALS_LIST,
        MAX_ADDED_HOSPITAL_PAGES
      );
      added = listed.map((b) => new TextDecoder().decode(b));
    } catch (e) {
      if (!isOutage(e)) throw e;
      added = [...hospitalNames.keys()].filter((id) => !founding.includes(id));
    }
    await Promise.all(
      added
        .filter((id) => !hospitalNames.has(id))
        .map(async (id) => {
          const h = await entry(CONSORTIUM_CHAIN_ID, NS.hospital, id, hospitalEntryCodec);
          hospitalNames.set(id, h?.name ?? id);
        })
    );
    return [...founding, ...added];
  }

  async function send(action: OutboxAction): Promise<void> {
    switch (action.kind) {
      case 'grant':
      case 'revocation':
      case 'break-glass':
        return submitTx(host, consortiumNodes(), CONSORTIUM_CHAIN_ID, action.bytes);
      case 'registration':
      case 'recovery':
      case 'approval':
      case 'rank':
      case 'hospital':
        // Registry posts wait in the nodes' mailbox until a majority of the managers approved; then a
        // node submits the one transaction that carries the approvals.
        return postMail(host, consortiumNodes(), mailPostCodec.decode(action.bytes));
      default:
        throw new CoreError('chain/bad-tx', { detail: `no route for ${action.kind}` });
    }
  }

  async function writeRecord(account: AccountContext, action: OutboxAction): Promise<RecordRef> {
    if (action.kind !== 'record') throw new CoreError('chain/bad-tx', { detail: 'not a record action' });
    const s = action.summary;
    const hex = (k: string) => {
      const x = s[k];
      if (typeof x !== 'string' || !/^[0-9a-f]{64}$/.test(x))
        throw new CoreError('decode/schema', { type: 'record action', detail: k });
      return fromHex(x);
    };
    const [mhrHash, grant, tag, opening] = [hex('mhrHash'), hex('grant'), hex('tag'), hex('opening')];
    if (!bytesEqual(sha256(action.bytes), mhrHash))
      throw new CoreError('record/hash-mismatch', { detail: 'outbox blob' });
    const keys = actAs(account);
    const me = await queries.account(keys.signingPublic);
    if (!me) throw new CoreError('chain/not-registered', {});
    if (me.role !== 'doctor') throw new CoreError('account/wrong-role', { role: me.role });
    const mirrors = hospitalNodes(me.hospital).filter((n) => n.roles.includes('mirror'));
    const attestations = await storeOnMirrors(host, mirrors, action.bytes, CHAIN_LIMITS.minAttestations);
    const time = now();
    const tx = createAppendRecord(keys.signingSeed, keys.signingPublic, {
      hospital: me.hospital,
      tag,
      blobRef: toHex(mhrHash),
      mhrHash,
      grant,
      opening,
      time,
      attestations
    } as never);
    await submitTx(
      host,
      hospitalNodes(me.hospital),
      hospitalChainId(me.hospital),
      appendRecordCodec.encode(tx)
    );
    return {
      id: toHex(mhrHash),
      category: String(s['category'] ?? ''),
      hospitalId: me.hospital,
      hospitalName: hospitalNames.get(me.hospital) ?? me.hospital,
      height: 0,
      authorId: toHex(keys.signingPublic),
      writtenAt: time
    };
  }

  async function managers(): Promise<Uint8Array[]> {
    return (await entry(CONSORTIUM_CHAIN_ID, NS.meta, 'managers', managersEntryCodec))?.managers ?? [];
  }

  async function registrationStatus(signingPublic: Uint8Array): Promise<RegistrationStatus> {
    const [acct, mgrs] = await Promise.all([queries.account(signingPublic), managers()]);
    const needed = Math.floor(mgrs.length / 2) + 1;
    const base = { managers: mgrs.length, needed };
    if (!acct) {
      // Not on chain yet: is it waiting in the mailbox, and with how many approvals?
      const waiting = await mailbox()
        .then(({ posts }) =>
          posts.find((p) => bytesEqual(mailRequester(p.body) ?? new Uint8Array(), signingPublic))
        )
        .catch(() => undefined);
      return waiting
        ? { ...base, state: 'pending', approvals: waiting.approvals.length }
        : { ...base, state: 'unknown', approvals: 0 };
    }
    return {
      ...base,
      state: acct.status === 'rotated' ? 'rotated' : 'approved',
      approvals: needed,
      ...(acct.hospital ? { hospitalId: acct.hospital } : {}),
      ...(acct.rank ? { rank: acct.rank } : {})
    };
  }

  /** The mailbox's posts, checked against the managers proven from the synced consortium state. */
  async function mailbox(): Promise<{ posts: MailPost[]; managers: Uint8Array[] }> {
    await syncConsortium();
    const mgrs = await managers();
    const { posts } = await listMail(host, consortiumNodes(), mgrs);
    return { posts, managers: mgrs };
  }

  async function pendingRequests(account: AccountContext): Promise<PendingRequest[]> {
    const { posts, managers: mgrs } = await mailbox();
    const me = toHex(account.signingPublic);
    const out: PendingRequest[] = [];
    for (const p of posts) {
      const counts = {
        id: mailKey(p.body),
        approvals: p.approvals.length,
        needed: majorityOf(mgrs.length),
        managers: mgrs.length,
        approvedByMe: p.approvals.some((a) => toHex(a.manager) === me)
      };
      const change = pendingChange(p.body);
      if (change) {
        // Decided and committed, but a node has not settled it yet: not pending any more.
        if (await changeApplied(p.body)) continue;
        out.push({ ...change, ...counts, details: await changeDetails(p.body, change.details) });
        continue;
      }
      const req = requestFromBody(p.body);
      if (!req) continue;
      // Decided and committed, but a node has not settled it yet: not pending any more.
      if (await queries.account(mailRequester(p.body)!)) continue;
      // A recovery is for the role of the account it rotates; a node's, filed by `carechain request`.
      const role =
        req.kind === 'registration' ? req.value.role : (await queries.account(req.value.account))?.role;
      if (role !== 'patient' && role !== 'doctor' && role !== 'node') continue;
      out.push({
        kind: req.kind,
        role,
        details: requestDetails(req),
        submittedAt: req.value.created,
        text: requestText(req),
        ...counts
      });
    }
    return out.sort((a, b) => a.submittedAt - b.submittedAt);
  }

  /** Whether the proven consortium state already holds what a listed change asks for. */
  async function changeApplied(body: MailBody): Promise<boolean> {
    if (body.kind === 'hospital')
      return (
        (await entry(CONSORTIUM_CHAIN_ID, NS.hospital, body.change.hospital, hospitalEntryCodec)) !== null
      );
    if (body.kind === 'rank') return (await queries.account(body.change.doctor))?.rank === body.change.rank;
    return false;
  }

  /**
   * What a manager needs to judge a rank change: whom it concerns, as the consortium proves them
   * (name from their registration, hospital, rank now), beside the change itself.
   */
  async function changeDetails(body: MailBody, details: Record<string, string>) {
    if (body.kind !== 'rank') return details;
    const acct = await queries.account(body.change.doctor).catch(() => null);
    if (!acct || acct.role !== 'doctor') return details;
    const profile = (await provenProfiles(host, consortiumNodes(), [acct])).get(toHex(acct.key));
    return {
      ...(profile ? { name: profile.name } : {}),
      hospitalId: acct.hospital,
      currentRank: acct.rank,
      ...details
    };
  }

  async function hospitals(): Promise<HospitalInfo[]> {
    // Proven state is read at the head last synced: bring the consortium up to date first, so a
    // hospital the managers just added is listed (offline, the list is what this device verified).
    await syncConsortium().catch((e: unknown) => {
      if (!isOutage(e)) throw e;
    });
    const ids = await knownHospitals();
    return Promise.all(
      ids.map(async (id) => {
        const [h, set, head] = await Promise.all([
          entry(CONSORTIUM_CHAIN_ID, NS.hospital, id, hospitalEntryCodec),
          entry(CONSORTIUM_CHAIN_ID, NS.hospitalSet, id, validatorsEntryCodec),
          client.sync(hospitalChainId(id))
        ]);
        return {
          id,
          name: h?.name ?? hospitalNames.get(id) ?? id,
          validators: set?.validators.length ?? 0,
          height: head.header.height
        };
      })
    );
  }

  /** A doctor as consortium state proves them: registered, active, of this hospital and rank. */
  function doctorEntry(
    acct: AccountEntry,
    proven: DoctorProfile | undefined,
    known: DirectoryEntry | undefined
  ): DirectoryEntry {
    const id = toHex(acct.key);
    return {
      id,
      // The profile is the registration's, which the chain holds as a hash: `proven` hashed to it;
      // otherwise what this device learned earlier (e.g. from the doctor's own grant), or a placeholder.
      name: proven?.name ?? known?.name ?? `Doctor ${id.slice(0, 8)}`,
      speciality: proven?.speciality ?? known?.speciality ?? '',
      degree: proven?.degree ?? known?.degree ?? '',
      hospitalId: acct.hospital,
      hospitalName: hospitalNames.get(acct.hospital) ?? acct.hospital,
      rank: acct.rank,
      encryptionPublic: toHex(acct.encryptionKey)
    };
  }

  async function directory(): Promise<DirectoryEntry[]> {
    const cached = new Map((await cachedDirectory(o.db)).map((d) => [d.id, d]));
    const keys = new Set(cached.keys());
    // Every doctor registered at a hospital is on its roster, whatever their rank (rules/roster.ts).
    const rosters = await Promise.all(
      (await knownHospitals()).map((id) =>
        listEntries(CONSORTIUM_CHAIN_ID, NS.roster, rosterId(id), MAX_ROSTER_PAGES)
      )
    );
    for (const r of rosters) for (const key of r) keys.add(toHex(key));
    const doctors: AccountEntry[] = [];
    for (const id of keys) {
      const acct = await queries.account(fromHex(id));
      // Only an active doctor is listed, with the keys the chain holds (a grant is wrapped to those).
      if (acct && acct.role === 'doctor' && acct.status === 'active') doctors.push(acct);
    }
    const profiles = await provenProfiles(host, consortiumNodes(), doctors);
    const out = doctors.map((a) => doctorEntry(a, profiles.get(toHex(a.key)), cached.get(toHex(a.key))));
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  async function grantLive(id: Uint8Array): Promise<'live' | 'revoked' | 'expired' | 'missing'> {
    const st = await queries.grantStatus(id);
    if (!st) return 'missing';
    if (st.revoked) return 'revoked';
    return now() > st.grant.expiry ? 'expired' : 'live';
  }

  /**
   * Who holds access, from the patient's proven grant list (queries.patientGrants), so a device the
   * account was restored to lists grants made on the old one too, and this device learns of grants
   * withdrawn elsewhere. Each listed grant's scope is read from its own proven entry.
   */
  async function accessHolders(account: AccountContext): Promise<AccessHolders> {
    if (account.role !== 'patient') throw new CoreError('account/wrong-role', { role: account.role });
    await syncConsortium();
    const listed = (await queries.patientGrants(account.signingPublic)).filter((l) => l.expiry > now());
    const doctors = await doctorsByKey(listed.map((l) => l.party));
    const live: AccessHolder[] = [];
    for (const l of listed) {
      const entry = await queries.grant(l.id);
      const doctor = doctors.get(toHex(l.party));
      if (!entry || !doctor) continue;
      const grant = grantCodec.decode(entry.grant);
      live.push({
        grantId: toHex(l.id),
        doctor,
        categories: grant.scope.categories,
        read: entry.read,
        write: entry.write,
        notBefore: entry.notBefore,
        expiresAt: entry.expiry
      });
    }
    const mine = await localGrants(await cacheFor(account));
    const revoked = await revokedOffList(mine, listed, (g) => g.id);
    return { live, revoked: revoked.map((g) => g.id) };
  }

  /**
   * Of this device's grants that a proven grant list leaves out — revoked, expired, or not committed
   * yet (e.g. a code scanned while the patient was offline) — the ones the chain proves revoked.
   * Grants already marked revoked or past their expiry are not asked about again.
   */
  async function revokedOffList<T extends { revokedAt?: number; expiresAt: number }>(
    mine: T[],
    listed: ListedGrant[],
    idOf: (g: T) => string
  ): Promise<T[]> {
    const listedIds = new Set(listed.map((l) => toHex(l.id)));
    const out: T[] = [];
    for (const g of mine) {
      if (g.revokedAt !== undefined || g.expiresAt <= now() || listedIds.has(idOf(g))) continue;
      if ((await grantLive(fromHex(idOf(g)))) === 'revoked') out.push(g);
    }
    return out;
  }

  /** Directory entries for doctor keys: the cached directory's, else proven from the chain now. */
  async function doctorsByKey(keys: Uint8Array[]): Promise<Map<string, DirectoryEntry>> {
    const cached = new Map((await cachedDirectory(o.db)).map((d) => [d.id, d]));
    const out = new Map<string, DirectoryEntry>();
    const missing: AccountEntry[] = [];
    for (const id of new Set(keys.map(toHex))) {
      const known = cached.get(id);
      if (known) out.set(id, known);
      else {
        const acct = await queries.account(fromHex(id));
        if (acct?.role === 'doctor') missing.push(acct);
      }
    }
    const profiles = missing.length ? await provenProfiles(host, consortiumNodes(), missing) : new Map();
    for (const a of missing) out.set(toHex(a.key), doctorEntry(a, profiles.get(toHex(a.key)), undefined));
    return out;
  }

  /**
   * The doctor's patients on this device, brought in line with the doctor's proven grant list
   * (queries.doctorGrants): a grant scanned at another of the doctor's devices is read from its proven
   * entry and remembered here (doctor-actions.ts), so the doctor can search and write for that
   * patient at this device too, with no second scan; a scanned grant since revoked is marked so.
   */
  async function grantedPatients(account: AccountContext): Promise<ScannedPatient[]> {
    if (account.role !== 'doctor') throw new CoreError('account/wrong-role', { role: account.role });
    await syncConsortium();
    const cache = await cacheFor(account);
    const scanned = new Map((await scannedPatients(cache)).map((p) => [p.grantId, p]));
    const listed = (await queries.doctorGrants(account.signingPublic)).filter((l) => l.expiry > now());
    for (const l of listed) {
      if (scanned.has(toHex(l.id))) continue;
      const entry = await queries.grant(l.id);
      if (entry && bytesEqual(entry.doctor, account.signingPublic))
        await rememberGrant(cache, grantCodec.decode(entry.grant), now());
    }
    for (const p of await revokedOffList([...scanned.values()], listed, (p) => p.grantId))
      await markRevoked(cache, p, now());
    return scannedPatients(cache);
  }

  function patientTargets(account: AccountContext, categories: readonly string[]): Target[] {
    const keys = deriveAccountKeys(account.seed);
    return categories.map((category) => {
      const capability = searchCapability(keys.indexKey, category);
      return {
        category,
        tag: indexTagFromCapability(capability),
        access: { capability, grantId: null },
        key: (blob) => ({
          recordSecret: recordSecret(account.seed, category, readEnvelopeHeader(blob).epoch)
        })
      };
    });
  }

  /**
   * The doctor's searchable categories of one patient, from the grants they scanned — each grant
   * proven live on the consortium first (a revoked one is refused here, before any node is asked for a
   * record). A scanned grant the chain does not have yet is submitted: the QR alone carries it.
   */
  async function doctorTargets(account: AccountContext, patient: string, categories: readonly string[]) {
    const keys = deriveAccountKeys(account.seed);
    const scanned = (await scannedPatients(await cacheFor(account))).filter((p) => p.patient === patient);
    if (scanned.length === 0)
      throw new CoreError('node/no-grant', { detail: 'no grant scanned for this patient' });
    const targets: Target[] = [];
    let refusal: CoreError | undefined;
    for (const p of scanned) {
      const grant: Grant = grantCodec.decode(fromHex(p.grant));
      const caps = openGrantCaps(grant, keys.encryptionSecret);
      const gid = fromHex(p.grantId);
      let state = await grantLive(gid);
      if (state === 'missing') {
        await submitTx(
          host,
          consortiumNodes(),
          CONSORTIUM_CHAIN_ID,
          grantTxCodec.encode(makeGrantTx(grant, caps.writeCommits))
        );
        await syncConsortium();
        state = await grantLive(gid);
      }
      if (state !== 'live') {
        refusal = new CoreError(
          state === 'revoked' ? 'consent/revoked' : state === 'expired' ? 'consent/expired' : 'node/no-grant',
          {}
        );
        continue;
      }
      for (const category of scopeCategories(grant.scope)) {
        const capability = caps.search.get(category);
        const secret = caps.recordSecrets.get(category);
        if (!categories.includes(category) || !capability || !secret) continue;
        targets.push({
          category,
          tag: indexTagFromCapability(capability),
          access: { capability, grantId: gid },
          key: () => ({ recordSecret: secret })
        });
      }
    }
    if (targets.length === 0 && refusal) throw refusal;
    return targets;
  }

  async function list(targets: Target[]): Promise<RecordRef[]> {
    // With no node reachable, the index and records this device verified before, marked cached.
    const indexes = [];
    for (const t of targets) indexes.push({ t, index: await queries.provenIndexEntries(t.tag) });
    // Every search brings the hospitals' heads up too: the access log is read from their state.
    const hs = [...new Set(indexes.flatMap(({ index }) => index.value.map((e) => e.hospital)))];
    if (nodes.length > 0) await Promise.all(hs.map((h) => client.sync(hospitalChainId(h))));
    if (hs.some((h) => !hospitalNames.has(h))) await knownHospitals(); // names of hospitals added later
    const names = new Map((await cachedDirectory(o.db)).map((d) => [d.id, d.name]));
    // Each category's records in one go: a request per node for its share (LightClient.records).
    const lists = await Promise.all(
      indexes.map(async ({ t, index }) => {
        const got = await client.records(t.tag, index.value, t.access, true);
        return got.map((g, i): RecordRef => {
          const e = index.value[i]!;
          const base = {
            id: toHex(e.mhrHash),
            category: t.category,
            hospitalId: e.hospital,
            hospitalName: hospitalNames.get(e.hospital) ?? e.hospital,
            height: e.height
          };
          if (g instanceof CoreError) {
            if (!g.code.startsWith('light/') || isFinalRefusal(g)) throw g;
            // Verification failed on every node asked: listed, so the reader sees the alarm on it.
            const ref: RecordRef = { ...base, authorId: '', writtenAt: 0 };
            held.set(ref.id, { ref, error: g });
            return ref;
          }
          const authorId = toHex(g.ref.tx.author);
          const ref: RecordRef = {
            ...base,
            authorId,
            writtenAt: g.ref.tx.time,
            ...(names.has(authorId) ? { authorName: names.get(authorId)! } : {})
          };
          held.set(ref.id, {
            ref,
            blob: g.blob,
            checks: g.ref.checks,
            key: t.key(g.blob),
            ...(g.cached || index.cached ? { cachedAsOf: index.height } : {})
          });
          return ref;
        });
      })
    );
    return lists.flat();
  }

  async function recordsByCategory(
    account: AccountContext,
    query: { pseudonym?: string; categories?: readonly string[] }
  ): Promise<RecordRef[]> {
    actAs(account);
    // Every search starts from a fresh head: a revocation made a minute ago must count. Started with no
    // node reachable at all, what this device verified before is answered instead, marked as cached.
    if (nodes.length > 0) await syncConsortium();
    const categories = query.categories ?? CATEGORY_CODES;
    if (account.role === 'patient') return list(patientTargets(account, categories));
    if (account.role !== 'doctor') throw new CoreError('account/wrong-role', { role: account.role });
    if (!query.pseudonym) throw new CoreError('node/no-grant', { detail: 'no patient chosen' });
    return list(await doctorTargets(account, query.pseudonym, categories));
  }

  /** Settings key of the doctor's hospital sealing key, remembered for offline writing. */
  const sealingKeyOf = (account: AccountContext) => `sealing-key:${toHex(account.signingPublic)}`;

  async function sealingKey(account: AccountContext): Promise<Uint8Array> {
    try {
      const me = await queries.account(account.signingPublic);
      if (!me) throw new CoreError('chain/not-registered', {});
      if (me.role !== 'doctor') throw new CoreError('account/wrong-role', { role: me.role });
      const h = await entry(CONSORTIUM_CHAIN_ID, NS.hospital, me.hospital, hospitalEntryCodec);
      const authority = h ? await queries.account(h.authority) : null;
      if (!authority) throw new CoreError('chain/not-registered', { detail: `hospital ${me.hospital}` });
      await o.db.put('settings', toHex(authority.encryptionKey), sealingKeyOf(account));
      return authority.encryptionKey;
    } catch (e) {
      // Offline (or the chain unreachable): the key this device proved before, if any.
      const saved: unknown = await o.db.get('settings', sealingKeyOf(account)).catch(() => undefined);
      if (typeof saved === 'string') return fromHex(saved);
      throw e;
    }
  }

  /**
   * Break-glass: every hospital's authority node lists the patient's records and releases their keys
   * to this doctor (LightClient.emergencyRecords checks each against the certified hospital chain);
   * here each record's grant is also proven to be the patient's. A hospital that cannot be reached
   * is skipped and named in the answer; with none reached, the error says why.
   */
  async function emergencyRecords(account: AccountContext, statement: Uint8Array): Promise<EmergencyRecords> {
    const keys = actAs(account);
    const bg = breakGlassCodec.decode(statement);
    if (!bytesEqual(bg.doctor, keys.signingPublic))
      throw new CoreError('consent/wrong-doctor', { detail: 'the statement names another doctor' });
    // With no node reachable, what this device opened under the statement before is answered instead.
    await syncConsortium().catch((e: unknown) => {
      if (!isOutage(e)) throw e;
    });
    const names = new Map((await cachedDirectory(o.db)).map((d) => [d.id, d.name]));
    const consortiumHeight = (await client.view(CONSORTIUM_CHAIN_ID)).head.header.height;
    const out: RecordRef[] = [];
    const more: string[] = [];
    const unreached: string[] = [];
    let failure: unknown;
    const ids = await knownHospitals();
    for (const id of ids) {
      const name = hospitalNames.get(id) ?? id;
      const authority = nodes.find((n) => n.hospital === id && n.consortiumAuthority);
      let found: Awaited<ReturnType<LightClient['emergencyRecords']>>;
      try {
        if (!authority)
          throw new CoreError('light/no-peers', { detail: `no authority node known for ${id}` });
        // Offline, what this device opened under the statement before (verified again, marked cached).
        found = await client.emergencyRecords(authority.peerId, statement, true);
      } catch (e) {
        failure = e;
        unreached.push(name);
        continue;
      }
      if (found.more) more.push(name);
      for (const g of found.got) {
        if (g instanceof CoreError) {
          failure = g;
          continue;
        }
        const grant = await queries.grant(g.ref.tx.grant, found.cached);
        if (!grant || !bytesEqual(grant.patient, bg.patient)) continue; // listed, but not this patient's
        const authorId = toHex(g.ref.tx.author);
        const ref: RecordRef = {
          id: toHex(g.ref.tx.mhrHash),
          category: readEnvelopeHeader(g.blob).category,
          hospitalId: found.hospital,
          hospitalName: hospitalNames.get(found.hospital) ?? found.hospital,
          height: g.ref.header.height,
          authorId,
          writtenAt: g.ref.tx.time,
          breakGlass: true,
          ...(names.has(authorId) ? { authorName: names.get(authorId)! } : {})
        };
        held.set(ref.id, {
          ref,
          blob: g.blob,
          checks: g.ref.checks,
          emergency: true,
          ...(found.cached ? { cachedAsOf: consortiumHeight } : {}),
          ...(g.key
            ? { key: { released: g.key, readerSecret: keys.encryptionSecret } }
            : { error: new CoreError('record/no-key', { detail: 'the hospital released no key' }) })
        });
        out.push(ref);
      }
    }
    if (unreached.length === ids.length) throw failure ?? new CoreError('light/no-peers', {}, 'ignore');
    return { records: out.sort((a, b) => b.writtenAt - a.writtenAt), more, unreached };
  }

  async function fetchRecord(_account: AccountContext, ref: RecordRef): Promise<VerifiedRecord> {
    const h = held.get(ref.id);
    if (!h) throw new CoreError('chain/unknown-record', { detail: 'search again to fetch it' }, 'ignore');
    if (h.error || !h.blob || !h.key) throw h.error ?? new CoreError('light/withheld', {});
    const bundle = openRecord(h.blob, h.key);
    // Under break-glass the record was found through the hospital, not the consortium index.
    const checks: VerificationCheck[] = [
      'consortium-header',
      ...(h.emergency ? [] : ['index-proof' as const]),
      'hospital-header',
      'record-hash',
      'decrypted'
    ];
    const head = h.cachedAsOf ?? (await client.view(CONSORTIUM_CHAIN_ID)).head.header.height;
    return {
      ref: h.ref,
      bundle,
      verification: {
        ok: true,
        checks: checks.map((check) => ({ check, ok: true })),
        consortiumHeight: head,
        ...(h.cachedAsOf !== undefined ? { cached: true } : {})
      }
    };
  }

  /** A paged state list (store.ts), proven page by page until the one marked last, at most `maxPages`. */
  async function listEntries(
    chainId: string,
    ns: string,
    listId: Uint8Array,
    maxPages = MAX_ACCESS_PAGES
  ): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for (let n = 0; n < maxPages; n++) {
      const page = await entry(chainId, ns, pageId(listId, n), pageCodec);
      if (!page) break;
      out.push(...page.entries);
      if (!page.more) break;
    }
    return out;
  }

  async function accessLog(account: AccountContext): Promise<AccessLogEntry[]> {
    if (account.role !== 'patient') throw new CoreError('account/wrong-role', { role: account.role });
    const mine = [...held.values()].filter((h) => h.blob).map((h) => h.ref);
    const refs = mine.length > 0 ? mine : (await recordsByCategory(account, {})).filter((r) => r.authorId);
    const grants = await localGrants(await cacheFor(account));
    // Readers are keys on the chain; the names are the ones this device knows (directory, own grants).
    const names = new Map((await cachedDirectory(o.db)).map((d) => [d.id, d.name]));
    for (const g of grants) names.set(g.doctor.id, g.doctor.name);
    const out: AccessLogEntry[] = [];
    for (const r of refs) {
      out.push({
        at: r.writtenAt,
        action: 'write',
        actorId: r.authorId,
        ...(r.authorName ? { actorName: r.authorName } : {}),
        recordId: r.id,
        category: r.category,
        hospitalName: r.hospitalName
      });
      for (const raw of await listEntries(hospitalChainId(r.hospitalId), NS.access, fromHex(r.id))) {
        // A read under break-glass is a read; the statement that allowed it is listed below.
        const log = accessLogCodec.decode(raw);
        out.push({
          at: log.time,
          action: 'read',
          actorId: toHex(log.reader),
          ...(names.has(toHex(log.reader)) ? { actorName: names.get(toHex(log.reader))! } : {}),
          recordId: r.id,
          category: r.category,
          hospitalName: r.hospitalName
        });
      }
    }
    // Every break-glass statement naming this patient, from the consortium: shown whether or not a
    // record was read under it, with the reason and the co-signing doctor.
    for (const raw of await listEntries(CONSORTIUM_CHAIN_ID, NS.breakGlass, account.signingPublic)) {
      const bg = breakGlassCodec.decode(raw);
      const [doctor, cosigner] = [toHex(bg.doctor), toHex(bg.cosigner)];
      out.push({
        at: bg.time,
        action: 'break-glass',
        actorId: doctor,
        ...(names.has(doctor) ? { actorName: names.get(doctor)! } : {}),
        reason: bg.reason,
        coSignerName: names.get(cosigner) ?? `${cosigner.slice(0, 8)}…`
      });
    }
    for (const g of grants) {
      out.push({ at: g.notBefore, action: 'grant', actorId: g.doctor.id, actorName: g.doctor.name });
      if (g.revokedAt)
        out.push({ at: g.revokedAt, action: 'revoke', actorId: g.doctor.id, actorName: g.doctor.name });
    }
    return out.sort((a, b) => a.at - b.at);
  }

  return {
    client,
    nodes,
    send,
    writeRecord,
    sealingKey,
    emergencyRecords,
    registrationStatus,
    pendingRequests,
    hospitals,
    directory,
    accessHolders,
    grantedPatients,
    recordsByCategory,
    fetchRecord,
    accessLog,
    onSyncProgress(fn) {
      listeners.add(fn);
      fn(progress);
      return () => listeners.delete(fn);
    },
    async close() {
      listeners.clear();
      await host.stop?.();
    }
  };
}
