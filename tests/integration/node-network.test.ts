/**
 * Real node processes on 127.0.0.1 (2 hospitals × 4 nodes, 3 mirrors each), real LevelDB, real libp2p.
 * One network serves the whole file, in order: scenario 2 and 3 end to end, the refusals, the access
 * log, then the crash tests (kill -9 a validator under load, kill -9 a mirror).
 */
import '../../src/node/polyfills.js';
import 'reflect-metadata';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Libp2p } from 'libp2p';
import { multiaddr } from '@multiformats/multiaddr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSORTIUM_CHAIN_ID, hospitalChainId } from '../../src/lib/core/chain/header.js';
import { checkpointEntryCodec, pageCodec } from '../../src/lib/core/chain/entries.js';
import { NS, pageId } from '../../src/lib/core/chain/store.js';
import { indexEntryCodec } from '../../src/lib/core/chain/tx/index-batch.js';
import { accessLogCodec } from '../../src/lib/core/chain/tx/access-log.js';
import { makeRevokeTx, revokeTxCodec } from '../../src/lib/core/chain/tx/consent.js';
import { createRevocation } from '../../src/lib/core/consent/revocation.js';
import { TAGS } from '../../src/lib/core/constants.js';
import { isCoreError } from '../../src/lib/core/errors.js';
import {
  fromHex,
  recordPublicKey,
  seededRng,
  sha256,
  toHex,
  utf8Bytes
} from '../../src/lib/core/crypto/index.js';
import { openRecord, sealRecord } from '../../src/lib/core/records/envelope.js';
import { diabetesVisit } from '../../src/lib/core/records/test-fixtures.js';
import type { RecordAnswer } from '../../src/lib/net/record-fetch.js';
import { stateKey } from '../../src/lib/core/state/smt.js';
import { requestStateProof } from '../../src/lib/net/state-proof.js';
import { BLOCK_SYNC_LIMITS, MAX_SYNC_WAIT_MS, requestBlockSync } from '../../src/lib/net/block-sync.js';
import {
  account,
  breakGlassTx,
  capabilityFor,
  createClient,
  doctorFields,
  grantTx,
  listEmergency,
  patientFields,
  readBlob,
  readRecords,
  recordTx,
  registerTx,
  storeOnMirrors,
  submitOk,
  type Account,
  type GrantBundle
} from '../../src/node/devnet/actors.js';
import { createLayout, type DevnetLayout, type DevnetNode } from '../../src/node/devnet/layout.js';
import { freePortBlock } from '../../src/node/devnet/ports.js';
import {
  health,
  killHard,
  spawnNode,
  stopProcess,
  waitFor,
  waitHealthy
} from '../../src/node/devnet/process.js';

const dir = mkdtempSync(join(tmpdir(), 'cc-net-'));
const rng = seededRng(utf8Bytes('node-network-test'));
let layout: DevnetLayout;
const procs = new Map<DevnetNode, ChildProcess>();
let client: Libp2p;
let H1: DevnetNode[];
let H2: DevnetNode[];
let managers: Account[];
const patient = account('Patient', rng(32));
const writer = account('Dr Writer (H1)', rng(32));
const reader = account('Dr Reader (H2)', rng(32));
const stranger = account('Dr No-grant (H2)', rng(32));
const expired = account('Dr Expired (H2)', rng(32));
const revoked = account('Dr Revoked (H2)', rng(32));
const CATEGORY = 'IV'; // endocrine: diabetes
let writeGrant: GrantBundle;
let readGrant: GrantBundle;
let expiredGrant: GrantBundle;
let revokedGrant: GrantBundle;
const blob = rng(3000);
let record: { mhrHash: Uint8Array; tag: Uint8Array };
let served = 0;
/** The committed break-glass statement: Dr No-grant's, co-signed by Dr Reader, about the patient. */
let emergency: Uint8Array;

function start(n: DevnetNode) {
  procs.set(n, spawnNode(n.configFile, join(n.dir, 'node.log')));
}

async function state(node: DevnetNode, chainId: string, key: Uint8Array) {
  return requestStateProof(client, multiaddr(node.addr), {
    t: TAGS.netStateRequest,
    v: 1,
    chainId,
    key: key as never,
    height: null
  });
}

async function heights(n: DevnetNode) {
  const h = (await health(n.httpUrl)) as
    { chains: Record<string, { height: number; hash: string }> } | undefined;
  return h?.chains;
}

beforeAll(async () => {
  layout = await createLayout(dir, {
    hospitals: 2,
    basePort: await freePortBlock(2 * 4 * 4, 10000, 13000),
    timeouts: { proposeMs: 1000, prevoteMs: 400, precommitMs: 400, roundDeltaMs: 200 },
    indexIntervalMs: 300,
    // Three mirrors, so records can still be written (2 attestations) while one mirror is down.
    mirrors: 3,
    seed: 'node-network'
  });
  H1 = layout.hospitals[0]!.nodes;
  H2 = layout.hospitals[1]!.nodes;
  managers = layout.managers.map((m) => account(m.name, fromHex(m.seed)));
  for (const n of [...H1, ...H2]) start(n);
  for (const n of [...H1, ...H2])
    await waitHealthy(n.name, n.httpUrl, procs.get(n)!, join(n.dir, 'node.log'));
  client = await createClient();
}, 150_000);

afterAll(async () => {
  await client?.stop();
  await Promise.all([...procs.values()].map((p) => stopProcess(p)));
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('hospital network over libp2p', () => {
  it('registers patient and doctors through consortium txs with manager approvals', async () => {
    const regs = [
      registerTx(patient, patientFields(rng), managers),
      registerTx(writer, doctorFields(writer.name, 'H1', 'consultant'), managers),
      registerTx(reader, doctorFields(reader.name, 'H2', 'consultant'), managers),
      registerTx(stranger, doctorFields(stranger.name, 'H2', 'registrar'), managers),
      registerTx(expired, doctorFields(expired.name, 'H2', 'registrar'), managers),
      registerTx(revoked, doctorFields(revoked.name, 'H2', 'registrar'), managers)
    ];
    await Promise.all(regs.map((tx) => submitOk(client, H1[0]!.addr, CONSORTIUM_CHAIN_ID, tx)));
    const now = Date.now();
    writeGrant = grantTx(
      patient,
      writer,
      { categories: [CATEGORY], read: true, write: true },
      {
        seq: 1,
        notBefore: now - 60_000,
        expiry: now + 3_600_000
      }
    );
    readGrant = grantTx(
      patient,
      reader,
      { categories: [CATEGORY], read: true, write: false },
      {
        seq: 2,
        notBefore: now - 60_000,
        expiry: now + 3_600_000
      }
    );
    expiredGrant = grantTx(
      patient,
      expired,
      { categories: [CATEGORY], read: true, write: false },
      {
        seq: 3,
        notBefore: now - 60_000,
        expiry: now + 8_000
      }
    );
    revokedGrant = grantTx(
      patient,
      revoked,
      { categories: [CATEGORY], read: true, write: false },
      {
        seq: 4,
        notBefore: now - 60_000,
        expiry: now + 3_600_000
      }
    );
    for (const g of [writeGrant, readGrant, expiredGrant, revokedGrant])
      await submitOk(client, H2[0]!.addr, CONSORTIUM_CHAIN_ID, g.tx);
    const rev = createRevocation({
      seed: patient.seed,
      target: { grant: revokedGrant.id },
      seq: 5,
      time: Date.now()
    } as never);
    await submitOk(client, H1[0]!.addr, CONSORTIUM_CHAIN_ID, revokeTxCodec.encode(makeRevokeTx(rev)));
  }, 60_000);

  it("commits a doctor's record on the hospital chain, indexes it on the consortium with its checkpoint, finds it by tag from the other hospital", async () => {
    const atts = await storeOnMirrors(client, [H1[0]!.addr, H1[1]!.addr], blob);
    expect(atts).toHaveLength(2);
    // Let H1's validators see the new grant on the consortium (they follow it through H1's authority).
    await waitFor(
      'H1 follows consortium',
      async () => (await heights(H1[3]!))!.consortium!.height >= (await heights(H1[0]!))!.consortium!.height,
      20_000
    );
    const r = recordTx(writer, patient, 'H1', CATEGORY, writeGrant, blob, atts);
    record = r;
    await submitOk(client, H1[2]!.addr, hospitalChainId('H1'), r.tx);
    // Indexed: the page for the tag, read with a proof from a node of the OTHER hospital.
    const page = await waitFor(
      'index entry on the consortium',
      async () => {
        const s = await state(H2[2]!, CONSORTIUM_CHAIN_ID, stateKey(NS.index, pageId(r.tag, 0)));
        return s.value ? pageCodec.decode(s.value) : undefined;
      },
      30_000
    );
    const entry = indexEntryCodec.decode(page.entries[0]!);
    expect(entry.hospital).toBe('H1');
    expect(toHex(entry.mhrHash)).toBe(toHex(sha256(blob)));
    const cp = await state(H2[2]!, CONSORTIUM_CHAIN_ID, stateKey(NS.checkpoint, 'H1'));
    const checkpoint = checkpointEntryCodec.decode(cp.value!);
    expect(checkpoint.height).toBeGreaterThanOrEqual(entry.height);
    // The checkpoint names H1's real header hash at that height.
    const h1 = await waitFor(
      'H1 height',
      async () => {
        const c = await heights(H1[1]!);
        return c && c.hospital!.height >= checkpoint.height ? c : undefined;
      },
      10_000
    );
    expect(h1.hospital!.height).toBeGreaterThanOrEqual(checkpoint.height);
  }, 90_000);

  it('serves the blob to a doctor with a live read grant and the matching capability; bytes hash-check', async () => {
    const bytes = await readBlob(client, H1[1]!, reader, record.mhrHash, {
      grantId: readGrant.id,
      capability: capabilityFor(patient, CATEGORY)
    });
    served++;
    expect(toHex(sha256(bytes))).toBe(toHex(record.mhrHash));
    // The patient reads their own record with their own capability.
    await readBlob(client, H1[0]!, patient, record.mhrHash, {
      grantId: null,
      capability: capabilityFor(patient, CATEGORY)
    });
    served++;
  }, 60_000);

  it('refuses no grant, expired, revoked and wrong-category capability with named errors and 0 bytes', async () => {
    const attempt = async (who: Account, grantId: Uint8Array | null, cap: Uint8Array) => {
      try {
        const b = await readBlob(client, H1[1]!, who, record.mhrHash, { grantId, capability: cap });
        return `served ${b.length} bytes`;
      } catch (e) {
        return String((e as { code?: string }).code ?? (e as Error).message);
      }
    };
    const cap = capabilityFor(patient, CATEGORY);
    expect(await attempt(stranger, null, cap)).toBe('node/no-grant');
    await waitFor('grant expiry', async () => Date.now() > expiredGrant.grant.expiry + 100, 15_000);
    expect(await attempt(expired, expiredGrant.id, cap)).toBe('consent/expired');
    expect(await attempt(revoked, revokedGrant.id, cap)).toBe('consent/revoked');
    expect(await attempt(reader, readGrant.id, capabilityFor(patient, 'IX'))).toBe('consent/out-of-scope');
    expect(await attempt(stranger, readGrant.id, cap)).toBe('consent/wrong-doctor');
  }, 60_000);

  it('serves a break-glass read once the co-signed statement is on the consortium, and logs it marked break-glass', async () => {
    const code = (e: unknown) => String((e as { code?: string }).code ?? (e as Error).message);
    const attempt = async (who: Account, breakGlass: Uint8Array) => {
      try {
        const b = await readBlob(client, H1[1]!, who, record.mhrHash, {
          grantId: null,
          capability: null,
          breakGlass
        });
        return `served ${b.length} bytes`;
      } catch (e) {
        return code(e);
      }
    };
    // A doctor with no grant, in an emergency, with a colleague's co-signature.
    const reason = 'unconscious in A&E, suspected hypoglycaemia';
    const statement = breakGlassTx(stranger, reader, patient, reason);
    emergency = statement;
    const shortUntil = Date.now() + 1_000;
    const short = breakGlassTx(expired, reader, patient, 'a short window', {
      time: shortUntil - 1_000,
      durationMs: 1_000
    });
    expect(await attempt(stranger, statement)).toBe('node/break-glass-unknown'); // not on the chain yet
    expect(await attempt(stranger, new Uint8Array([1, 2, 3]))).toBe('consent/malformed');
    await submitOk(client, H2[0]!.addr, CONSORTIUM_CHAIN_ID, statement);
    await submitOk(client, H2[0]!.addr, CONSORTIUM_CHAIN_ID, short);
    // H1's nodes follow the consortium through H1's authority: retry until the statement reaches them.
    const bytes = await waitFor(
      'break-glass statement at H1',
      async () => {
        try {
          return await readBlob(client, H1[1]!, stranger, record.mhrHash, {
            grantId: null,
            capability: null,
            breakGlass: statement
          });
        } catch (e) {
          if (code(e) === 'node/break-glass-unknown') return undefined;
          throw e;
        }
      },
      20_000
    );
    served++;
    expect(toHex(sha256(bytes))).toBe(toHex(record.mhrHash));
    // Only the doctor it names may use it; a lapsed one opens nothing.
    expect(await attempt(revoked, statement)).toBe('consent/wrong-doctor');
    await waitFor('short statement lapses', async () => Date.now() > shortUntil + 100, 10_000);
    expect(
      await waitFor(
        'short statement reaches H1',
        async () => {
          const c = await attempt(expired, short);
          return c === 'node/break-glass-unknown' ? undefined : c;
        },
        20_000
      )
    ).toBe('consent/expired');
    // The patient sees it: the statement in their break-glass list on the consortium, and the read in
    // the record's access log on the hospital chain, marked break-glass with the reason.
    const list = await state(
      H2[1]!,
      CONSORTIUM_CHAIN_ID,
      stateKey(NS.breakGlass, pageId(patient.keys.signingPublic, 0))
    );
    expect(pageCodec.decode(list.value!).entries.map((e) => toHex(e))).toContain(toHex(statement));
    const logged = await waitFor(
      'break-glass read in the access log',
      async () => {
        const s = await state(H1[3]!, hospitalChainId('H1'), stateKey(NS.access, pageId(record.mhrHash, 0)));
        const p = s.value ? pageCodec.decode(s.value) : undefined;
        return p?.entries
          .map((e) => accessLogCodec.decode(e))
          .find((l) => l.purpose.startsWith('break-glass'));
      },
      20_000
    );
    expect(logged.purpose).toBe(`break-glass: ${reason}`);
    expect(toHex(logged.reader)).toBe(toHex(stranger.keys.signingPublic));
  }, 90_000);

  it('under break-glass the hospital lists the patient’s records, and its authority releases each key to that doctor alone', async () => {
    const code = (e: unknown) => String((e as { code?: string }).code ?? (e as Error).message);
    // A real sealed record this time: its emergency wrap is to H1's registered authority encryption key.
    const bundle = diabetesVisit(7);
    const sealed = sealRecord({
      bundle,
      category: CATEGORY,
      epoch: 0,
      patientRecordPublic: recordPublicKey(patient.seed, CATEGORY, 0),
      authorEncryptionPublic: writer.keys.encryptionPublic,
      hospitalEncryptionPublic: fromHex(layout.hospitals[0]!.encryptionKey),
      rng: seededRng(77)
    });
    const atts = await storeOnMirrors(client, [H1[0]!.addr, H1[1]!.addr], sealed.blob);
    const r = recordTx(writer, patient, 'H1', CATEGORY, writeGrant, sealed.blob, atts);
    await submitOk(client, H1[2]!.addr, hospitalChainId('H1'), r.tx);

    // Any node of H1 lists them, newest first: the emergency doctor holds no capability to search with.
    const listed = await waitFor(
      'the new record listed',
      async () => {
        const l = await listEmergency(client, H1[3]!, stranger, emergency);
        return l.records.some((x) => toHex(x.mhrHash) === toHex(sealed.mhrHash)) ? l : undefined;
      },
      20_000
    );
    expect(listed.chainId).toBe(hospitalChainId('H1'));
    expect(listed.more).toBe(false);
    expect(listed.records.map((x) => toHex(x.mhrHash))).toEqual([
      toHex(sealed.mhrHash),
      toHex(record.mhrHash)
    ]);
    expect(toHex(listed.records[0]!.tag)).toBe(toHex(r.tag));
    // The statement is Dr No-grant's: another doctor cannot list with it, nor anyone without one.
    expect(await listEmergency(client, H1[3]!, revoked, emergency).catch(code)).toBe('consent/wrong-doctor');
    const unknown = breakGlassTx(revoked, reader, patient, 'never submitted');
    expect(await listEmergency(client, H1[3]!, revoked, unknown).catch(code)).toBe(
      'node/break-glass-unknown'
    );

    const newest = listed.records[0]!;
    const items = [{ chainId: listed.chainId, ...newest }];
    const access = { grantId: null, capability: null, breakGlass: emergency };
    // At the authority node: proof, ciphertext, and the data key released to Dr No-grant's key.
    const [atAuthority] = await readRecords(client, H1[0]!, stranger, items, access);
    const a = atAuthority as RecordAnswer;
    expect(a.key).toBeDefined();
    expect(toHex(sha256(a.blob))).toBe(toHex(sealed.mhrHash));
    expect(openRecord(a.blob, { released: a.key!, readerSecret: stranger.keys.encryptionSecret })).toEqual(
      bundle
    );
    // Released to that doctor only: the co-signer, who saw it on the wire, cannot open it with it.
    expect(() =>
      openRecord(a.blob, { released: a.key!, readerSecret: reader.keys.encryptionSecret })
    ).toThrow(expect.objectContaining({ code: 'record/no-key' }));
    // A mirror without the authority key serves the ciphertext and no key.
    const [atMirror] = await readRecords(client, H1[1]!, stranger, items, access);
    expect((atMirror as RecordAnswer).key).toBeUndefined();
    // Both reads are on the hospital chain, marked break-glass, for the patient to see.
    const logs = await waitFor(
      'both emergency reads logged',
      async () => {
        const s = await state(H1[3]!, hospitalChainId('H1'), stateKey(NS.access, pageId(sealed.mhrHash, 0)));
        const p = s.value ? pageCodec.decode(s.value) : undefined;
        return p && p.entries.length >= 2 ? p.entries.map((e) => accessLogCodec.decode(e)) : undefined;
      },
      20_000
    );
    expect(logs.map((l) => l.purpose.startsWith('break-glass'))).toEqual([true, true]);
  }, 90_000);

  it('every served read is in the access log on the hospital chain', async () => {
    const page = await waitFor(
      'access log',
      async () => {
        const s = await state(H1[3]!, hospitalChainId('H1'), stateKey(NS.access, pageId(record.mhrHash, 0)));
        const p = s.value ? pageCodec.decode(s.value) : undefined;
        return p && p.entries.length >= served ? p : undefined;
      },
      20_000
    );
    expect(page.entries.length).toBe(served);
  }, 30_000);
});

describe('long polls', () => {
  /** One consortium block from `height` on, waiting up to `waitMs` for it to commit. */
  const sync = (client: Libp2p, height: number, waitMs?: number, signal?: AbortSignal) =>
    requestBlockSync(
      client,
      multiaddr(H2[1]!.addr),
      {
        t: TAGS.netSyncRequest,
        v: 1,
        chainId: CONSORTIUM_CHAIN_ID,
        from: height,
        count: 1,
        ...(waitMs === undefined ? {} : { waitMs })
      },
      signal ? { signal } : {}
    );
  /** A long poll for a height far ahead: it would wait the whole MAX wait. */
  const poll = (from: Libp2p, signal?: AbortSignal) =>
    sync(from, 1_000_000, MAX_SYNC_WAIT_MS, signal).then(
      () => 'answered',
      (e: unknown) => (isCoreError(e) ? e.code : String(e))
    );

  it('a peer holding its long polls is refused one more by name; others are served; an abandoned poll frees its stream at once', async () => {
    const limit = BLOCK_SYNC_LIMITS.maxInboundStreams;
    const held = new AbortController();
    const started = Date.now();
    // limit + 1 polls on one connection, all within the wait: exactly one is refused, whatever the order.
    const polls = Array.from({ length: limit + 1 }, () => poll(client, held.signal));
    const first = await Promise.race(polls);
    expect(first).toBe('net/too-many-streams');

    // Another peer is served at once meanwhile.
    const other = await createClient();
    try {
      const t0 = Date.now();
      const got = await sync(other, 1);
      expect(got[0]!.height).toBe(1);
      expect(Date.now() - t0).toBeLessThan(MAX_SYNC_WAIT_MS / 2);
    } finally {
      await other.stop();
    }

    // The asker gives up: the node ends those waits and frees their streams before the waits would
    // have run out, so the same connection may poll again (a refusal comes back within a second).
    held.abort();
    const ends = await Promise.all(polls);
    expect(ends.filter((e) => e === 'net/too-many-streams')).toHaveLength(1);
    await waitFor(
      'a new poll is admitted on the same connection',
      async () => {
        const probe = new AbortController();
        const r = poll(client, probe.signal);
        const early = await Promise.race([r, new Promise((ok) => setTimeout(() => ok('waiting'), 1000))]);
        probe.abort();
        await r;
        return early === 'waiting';
      },
      MAX_SYNC_WAIT_MS
    );
    expect(Date.now() - started, 'freed before the abandoned waits ran out').toBeLessThan(MAX_SYNC_WAIT_MS);
  }, 60_000);
});

describe('crashes', () => {
  it('kill -9 a validator during load: it restarts, catches up, and every acknowledged record is on every node with identical hashes', async () => {
    const victim = H1[3]!;
    const acked: Uint8Array[] = [];
    const load = (async () => {
      for (let i = 0; i < 12; i++) {
        const b = rng(500 + i);
        const atts = await storeOnMirrors(client, [H1[0]!.addr, H1[1]!.addr, H1[2]!.addr], b);
        const r = recordTx(writer, patient, 'H1', CATEGORY, writeGrant, b, atts);
        await submitOk(client, H1[i % 3]!.addr, hospitalChainId('H1'), r.tx);
        acked.push(r.mhrHash);
      }
    })();
    await new Promise((r) => setTimeout(r, 1500));
    await killHard(procs.get(victim)!);
    await load;
    start(victim);
    await waitFor('victim healthy', () => health(victim.httpUrl), 60_000);
    const target = (await heights(H1[0]!))!.hospital!;
    const caught = await waitFor(
      'victim catches up',
      async () => {
        const c = await heights(victim);
        return c && c.hospital!.height >= target.height ? c : undefined;
      },
      60_000
    );
    expect(caught.hospital!.height).toBeGreaterThanOrEqual(target.height);
    // Same head on every node: once the load stopped, all four settle on one height and one hash.
    const heads = await waitFor(
      'one head',
      async () => {
        const all = await Promise.all(H1.map((n) => heights(n)));
        const set = new Set(all.map((c) => `${c!.hospital!.height}:${c!.hospital!.hash}`));
        return set.size === 1 ? [...set] : undefined;
      },
      20_000
    );
    expect(Number(heads[0]!.split(':')[0])).toBeGreaterThanOrEqual(target.height);
    // Every acknowledged record is committed in every node's state (record namespace, proof-checked).
    for (const n of H1)
      for (const h of acked) {
        const s = await state(n, hospitalChainId('H1'), stateKey(NS.record, h));
        expect(s.value, `${n.name} lacks record ${toHex(h).slice(0, 8)}`).not.toBeNull();
      }
  }, 150_000);

  it('kill -9 a mirror: reads continue from another; records still commit; it repairs on return', async () => {
    const [m1, m2, m3] = [H1[0]!, H1[1]!, H1[2]!];
    const before = ((await health(m2.httpUrl)) as { blobs: number }).blobs;
    await killHard(procs.get(m2)!);
    const b = await readBlob(client, m1, reader, record.mhrHash, {
      grantId: readGrant.id,
      capability: capabilityFor(patient, CATEGORY)
    });
    expect(toHex(sha256(b))).toBe(toHex(record.mhrHash));
    // Written while m2 is down: attested by m1 and m3 only.
    const fresh = rng(1234);
    const atts = await storeOnMirrors(client, [m1.addr, m2.addr, m3.addr], fresh);
    expect(atts).toHaveLength(2);
    const r = recordTx(writer, patient, 'H1', CATEGORY, writeGrant, fresh, atts);
    await submitOk(client, m1.addr, hospitalChainId('H1'), r.tx);
    start(m2);
    await waitFor('mirror back', () => health(m2.httpUrl), 60_000);
    await waitFor(
      'mirror repaired',
      async () => ((await health(m2.httpUrl)) as { blobs: number }).blobs >= before + 1,
      30_000
    );
    const again = await readBlob(client, m2, reader, r.mhrHash, {
      grantId: readGrant.id,
      capability: capabilityFor(patient, CATEGORY)
    });
    expect(toHex(sha256(again))).toBe(toHex(r.mhrHash));
  }, 120_000);

  it('after the patient revokes the write grant, a restarted validator replays and a wiped one re-syncs', async () => {
    const rev = createRevocation({
      seed: patient.seed,
      target: { grant: writeGrant.id },
      seq: 6,
      time: Date.now()
    } as never);
    await submitOk(client, H1[0]!.addr, CONSORTIUM_CHAIN_ID, revokeTxCodec.encode(makeRevokeTx(rev)));
    const victim = H1[3]!;
    // Once every H1 node follows the consortium past the revocation, a record under it is refused.
    const cons = (await heights(H1[0]!))!.consortium!.height;
    await waitFor(
      'H1 follows the revocation',
      async () => (await Promise.all(H1.map((n) => heights(n)))).every((c) => c!.consortium!.height >= cons),
      20_000
    );
    const fresh = rng(777);
    const atts = await storeOnMirrors(client, [H1[0]!.addr, H1[1]!.addr, H1[2]!.addr], fresh);
    const late = recordTx(writer, patient, 'H1', CATEGORY, writeGrant, fresh, atts);
    const refusal = await submitOk(client, victim.addr, hospitalChainId('H1'), late.tx).then(
      () => 'accepted',
      (e: Error) => e.message
    );
    expect(refusal).toMatch(/^consent\/revoked/);
    const head = (await heights(H1[0]!))!.hospital!;
    const restart = async () => {
      start(victim);
      return waitFor(
        'victim at head',
        async () => {
          const c = await heights(victim);
          return c && c.hospital!.height >= head.height ? c : undefined;
        },
        60_000
      );
    };
    // Restart from its own disk: every stored block (records under the now-revoked grant) replays.
    await stopProcess(procs.get(victim)!);
    const replayed = await restart();
    expect(replayed.hospital!.height).toBeGreaterThanOrEqual(head.height);
    // Wiped: both chains come back from peers by block sync, to the same head hash.
    await stopProcess(procs.get(victim)!);
    rmSync(join(victim.dir, 'data'), { recursive: true, force: true });
    await restart();
    const ref = await heights(H1[0]!);
    const same = await waitFor(
      'same head as H1/node1',
      async () => {
        const [a, b] = await Promise.all([heights(H1[0]!), heights(victim)]);
        return a && b && a.hospital!.hash === b.hospital!.hash ? b : undefined;
      },
      30_000
    );
    expect(same.hospital!.height).toBeGreaterThanOrEqual(ref!.hospital!.height);
    const synced = (await health(victim.httpUrl)) as { chains: { hospital: { height: number } } };
    expect(synced.chains.hospital.height).toBeGreaterThanOrEqual(head.height);
  }, 180_000);
});
